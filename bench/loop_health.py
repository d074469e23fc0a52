"""Event-loop health: 3 Powerwall gateways polled every 5 s, with Amber and a charging Wall Connector.

pypowerwall is synchronous; the integration runs every call into it in Home Assistant's executor.
In real wall-clock time, this bench measures what that leaves for the event loop. The simulators
run in a child process (`python -m simulators` on free 127.0.0.1 ports: HTTPS gateways with 1, 2
and 3 Powerwalls, Amber, a Wall Connector 1200 s into its script, charging at 48 A), so the CPU
figures are Home Assistant's alone. One Home Assistant (`async_test_home_assistant`, HA's executor
from `runner.configure_event_loop`, a temporary config dir) sets up Amber, the Wall Connector
priced at Amber and 3 Powerwall entries (local mode, customer login, poll interval 5 s, the
floor). Warm-up lasts until every gateway was read twice (pypowerwall's import, the logins and
entity creation stay out). Then two phases of --seconds each:

* clean: CPU of the process (`time.process_time`), of the event-loop thread (`time.thread_time`
  on it) and of the gateway read jobs (each job's `time.thread_time` in its executor thread).
* probed: a heartbeat `call_at` every --period-ms records how late it runs. Lateness includes
  waiting for the GIL while executor threads run Python (pypowerwall: requests, TLS, JSON). Every
  loop callback is timed (`Handle._run` wrapped; --no-trace leaves it out) and the slowest named.
  Late beats that overlapped a gateway read job are counted. Both probes also run through set-up
  and warm-up, shown apart; the probed phase's CPU against the clean one's is what probes cost.

Throughout, every coordinator refresh (`TesCoordinator._async_update_data`) and gateway read job
(`PowerwallGateway._read_job`: thread, wall and CPU time) is counted; read jobs on the event-loop
thread would be reported.
"""

from __future__ import annotations

# isort: off
# The test plugin patches Home Assistant's clocks for freezegun; it must load before Home Assistant.
from bench import harness

# isort: on
import argparse
import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass, field
from importlib.metadata import version
import json
import logging
import os
from pathlib import Path
import signal
import socket
import sys
import tempfile
import threading
import time
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_HOST, CONF_PASSWORD
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync import const
from custom_components.tesla_energy_sync.clients.powerwall import PowerwallGateway
from custom_components.tesla_energy_sync.coordinator import TesCoordinator
from simulators.__main__ import powerwall_din, wall_connector_serial
from simulators.amber import SITE_ID

REPO = Path(__file__).resolve().parents[1]
GATEWAYS = 3
CYCLE_S = 5  # the gateways' poll interval: the floor the options allow
SLOW_S = 0.005  # callbacks at least this long are named
AMBER_TOKEN = "psk_sim"  # noqa: S105 - the Amber simulator's default key
EMAIL, PASSWORD = "owner@example.com", "S1mulated"  # the gateway simulator's login


@contextlib.asynccontextmanager
async def simulators() -> AsyncIterator[tuple[int, list[int]]]:
    """Run `python -m simulators` in a child process; yield its pid and ports (see entries)."""
    with contextlib.ExitStack() as stack:  # free ports: bound together, released together
        sockets = [stack.enter_context(socket.socket()) for _ in range(4 + GATEWAYS)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        ports = [sock.getsockname()[1] for sock in sockets]
    amber, comed, tesla, wall, *gateways = map(str, ports)
    child = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "simulators", "--amber-port", amber, "--comed-port", comed),
        *("--tesla-energy-port", tesla, "--wall-connector-ports", wall),
        *("--wall-connector-start", "1200", "--powerwall-ports", ",".join(gateways)),
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
        preexec_fn=harness.die_with_parent,
    )
    try:
        async with asyncio.timeout(30):  # the gateways print their lines last
            ready = 0
            while ready < GATEWAYS and child.stdout is not None:
                if not (line := await child.stdout.readline()):
                    raise RuntimeError("the simulators exited")
                ready += line.startswith(b"Powerwall ")
        yield child.pid, ports
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGINT)  # it stops its servers and exits
            try:
                async with asyncio.timeout(10):
                    await child.wait()
            except TimeoutError:
                child.kill()
                await child.wait()


def entries(ports: list[int]) -> list[MockConfigEntry]:
    """Return Amber, the Wall Connector priced at Amber, and the gateways polled every 5 s."""
    amber, _, _, wall, *gateways = (f"127.0.0.1:{port}" for port in ports)
    serial, kind = wall_connector_serial(0), const.EntryKind

    def entry(source: str, uid: str, data: dict[str, Any], **options: Any) -> MockConfigEntry:
        data = {const.CONF_KIND: source, **data}  # entry id = unique id, for the tariff link
        return MockConfigEntry(
            domain=const.DOMAIN, entry_id=uid, unique_id=uid, data=data, options=options
        )

    url = f"http://{amber}/v1"
    prices = {CONF_API_TOKEN: AMBER_TOKEN, const.CONF_SITE_ID: SITE_ID, const.CONF_BASE_URL: url}
    login = {const.CONF_POWERWALL_MODE: "local", const.CONF_EMAIL: EMAIL, CONF_PASSWORD: PASSWORD}
    charger = {CONF_HOST: wall, const.CONF_SERIAL: serial}
    priced, polled = {const.CONF_TARIFF_ENTRY: SITE_ID}, {const.CONF_POLL_INTERVAL: CYCLE_S}
    return [
        entry(kind.AMBER, SITE_ID, prices),
        entry(kind.WALL_CONNECTOR, serial, charger, **priced),
        *(
            entry(kind.POWERWALL, powerwall_din(n), {CONF_HOST: host, **login}, **polled)
            for n, host in enumerate(gateways)
        ),
    ]


@dataclass(frozen=True, slots=True)
class Read:
    """One gateway read job, as its executor thread saw it."""

    host: str
    thread: str
    on_loop: bool
    cpu: float
    wall: float
    ended: float  # time.monotonic(), the loop's clock


def describe(handle: asyncio.Handle) -> str:
    """Name what a callback ran: a task's coroutine, or the callback itself."""
    task = getattr(getattr(handle, "_callback", None), "__self__", None)
    if isinstance(task, asyncio.Task):
        return f"task {getattr(task.get_coro(), '__qualname__', '?')} ({task.get_name()})"
    return repr(handle)


@dataclass
class Probe:
    """Heartbeat, callback timer, refresh counter and read tracer on one event loop."""

    loop: asyncio.AbstractEventLoop
    period: float
    loop_thread: int = field(default_factory=threading.get_ident)
    beats: list[tuple[float, float]] = field(default_factory=list)  # (due, late), seconds
    slow: list[tuple[float, str]] = field(default_factory=list)  # (seconds, what)
    callbacks: list[float] = field(default_factory=lambda: [0, 0.0])  # count, seconds in them
    polls: list[tuple[str, float, bool]] = field(default_factory=list)  # (name, ended, ok)
    reads: list[Read] = field(default_factory=list)
    _due: float = 0.0
    _handle: asyncio.TimerHandle | None = None

    def beat(self, first: bool = False) -> None:
        """Record how late this beat runs and schedule the next."""
        now = self.loop.time()
        if not first:
            self.beats.append((self._due, max(0.0, now - self._due)))
        self._due = now + self.period
        self._handle = self.loop.call_at(self._due, self.beat)

    def stop(self) -> None:
        """Stop the heartbeat."""
        if self._handle is not None:
            self._handle.cancel()

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        """Count refreshes and trace gateway read jobs while in the block."""
        update = TesCoordinator._async_update_data  # noqa: SLF001
        read_job = vars(PowerwallGateway)["_read_job"]

        async def counted(coordinator: TesCoordinator[Any]) -> Any:
            ok = False
            try:
                data = await update(coordinator)
                ok = True
                return data
            finally:
                self.polls.append((coordinator.name, time.monotonic(), ok))

        def traced(gateway: PowerwallGateway) -> Any:
            cpu, began = time.thread_time(), time.perf_counter()
            try:
                return read_job(gateway)
            finally:
                on_loop = threading.get_ident() == self.loop_thread
                cpu, took = time.thread_time() - cpu, time.perf_counter() - began
                thread = threading.current_thread().name
                self.reads.append(Read(gateway.host, thread, on_loop, cpu, took, time.monotonic()))

        with (
            patch.object(TesCoordinator, "_async_update_data", counted),
            patch.object(PowerwallGateway, "_read_job", traced),
        ):
            yield

    @contextlib.contextmanager
    def tracing(self) -> Iterator[None]:
        """Time every callback the loop runs while in the block."""
        run = vars(asyncio.Handle)["_run"]

        def timed(handle: asyncio.Handle) -> None:
            began = time.perf_counter()
            run(handle)
            took = time.perf_counter() - began
            self.callbacks[0] += 1
            self.callbacks[1] += took
            if took >= SLOW_S:
                self.slow.append((took, describe(handle)))

        with patch.object(asyncio.Handle, "_run", timed):
            yield


def ticks(pid: int) -> float:
    """Return a process's user + system CPU seconds from /proc (10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (nearest rank) of values, in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def phase(probe: Probe, child: int, seconds: float) -> dict[str, Any]:
    """Wait `seconds`; return the CPU (ms per poll cycle), refreshes and reads in that time."""
    began, sims = time.monotonic(), ticks(child)
    process, loop = time.process_time(), time.thread_time()
    await asyncio.sleep(seconds)
    ended, ms_per_cycle = time.monotonic(), 1000 / (seconds / CYCLE_S)  # seconds -> ms/cycle
    process, loop = time.process_time() - process, time.thread_time() - loop
    reads = [read for read in probe.reads if began <= read.ended < ended]
    jobs = sum(read.cpu for read in reads)
    polls = [(name, ok) for name, at, ok in probe.polls if began <= at < ended]
    return {
        "cpu_ms_per_cycle": {
            "process": process * ms_per_cycle,
            "event-loop thread": loop * ms_per_cycle,
            "gateway read jobs (executor)": jobs * ms_per_cycle,
            "other threads": (process - loop - jobs) * ms_per_cycle,
            "simulators (child process)": (ticks(child) - sims) * ms_per_cycle,
        },
        "refreshes": dict.fromkeys(sorted({name for name, _, _ in probe.polls}), 0)
        | Counter(name for name, _ in polls),
        "failed_refreshes": sum(not ok for _, ok in polls),
        "reads": {
            "count": len(reads),
            "wall_p50_ms": pct([read.wall for read in reads], 0.5),
            "wall_max_ms": pct([read.wall for read in reads], 1),
            "cpu_mean_ms": jobs / max(len(reads), 1) * 1000,
        },
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the simulators and Home Assistant, warm up, run both phases, stop."""
    loop = asyncio.get_running_loop()
    if task := asyncio.current_task():  # named in the slowest callbacks of set-up
        task.set_name("bench: HA start, entry set-up")
    probe = Probe(loop, args.period_ms / 1000)
    result: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="loop-health-") as config_dir,
        probe.counting(),
        contextlib.ExitStack() as set_up_tracing,
    ):
        if args.trace:
            set_up_tracing.enter_context(probe.tracing())
        probe.beat(first=True)
        async with (
            simulators() as (child, ports),
            harness.home_assistant(config_dir) as hass,
        ):
            for entry in entries(ports):
                entry.add_to_hass(hass)
                await hass.config_entries.async_setup(entry.entry_id)
                if entry.state is not ConfigEntryState.LOADED:
                    raise RuntimeError(f"{entry.title} did not set up: {entry.state}")
            for _ in range(600):  # warm-up: every gateway read twice, within 60 s
                read = Counter(read.host for read in probe.reads)
                if len(read) == GATEWAYS and min(read.values()) >= 2:
                    break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the gateways were not read twice within 60 s")
            probe.stop()
            set_up_tracing.close()
            result["set_up"] = stalls(probe)
            probe.beats, probe.slow, probe.callbacks = [], [], [0, 0.0]
            result["clean"] = await phase(probe, child, args.seconds)
            with probe.tracing() if args.trace else contextlib.nullcontext():
                probe.beat(first=True)
                result["probed"] = await phase(probe, child, args.seconds)
                probe.stop()
    result["stalls"] = stalls(probe)
    result["reads_since_set_up"] = len(probe.reads)
    result["reads_on_loop_thread"] = sum(read.on_loop for read in probe.reads)
    result["read_threads"] = sorted({read.thread for read in probe.reads})
    return result


def stalls(probe: Probe) -> dict[str, Any]:
    """Return the heartbeat's lateness (ms), and the loop callbacks timed, since the last reset."""
    late = [x for _, x in probe.beats]
    jobs = [(read.ended - read.wall, read.ended) for read in probe.reads]
    over_2 = [(due, due + x) for due, x in probe.beats if x > 0.002]  # (due, ran)
    quantiles = {"max": 1, "p50": 0.5, "p99": 0.99, "p99.9": 0.999}
    found: dict[str, Any] = {"beats": len(late)} | {n: pct(late, q) for n, q in quantiles.items()}
    found |= {f"over_{ms}": sum(x > ms / 1000 for x in late) for ms in (2, 10, 50, 100)}
    # Beats over 2 ms late while a gateway read job ran: waiting for the GIL, most likely.
    found["over_2_during_read_job"] = sum(
        any(began < ran and ended > due for began, ended in jobs) for due, ran in over_2
    )
    found["callbacks"], found["seconds_in_callbacks"] = probe.callbacks
    found["slowest"] = [f"{took * 1000:.1f} ms {what}" for took, what in sorted(probe.slow)[:-6:-1]]
    return found


def table(result: dict[str, Any], args: argparse.Namespace) -> str:
    """Return the human-readable report."""
    clean, probed = result["clean"], result["probed"]
    gil = "on" if sys._is_gil_enabled() else "off"  # noqa: SLF001
    lines = [
        f"Event-loop health: {GATEWAYS} Powerwall gateways every {CYCLE_S} s (pypowerwall "
        f"{version('pypowerwall')}, local, HTTPS), Amber, Wall Connector charging",
        f"2 phases of {args.seconds:g} s ({args.seconds / CYCLE_S:g} poll cycles each) after"
        f" warm-up; simulators in a child process; GIL {gil}, switch interval"
        f" {sys.getswitchinterval() * 1000:g} ms, {os.cpu_count()} CPUs",
    ]
    for title, found in (
        ("probed phase", result["stalls"]),
        ("set-up + warm-up", result["set_up"]),
    ):
        lines += [
            "",
            f"event-loop stalls, {title}: heartbeat every {args.period_ms:g} ms, lateness of"
            f" {found['beats']} beats",
            f"  max {found['max']:.1f} ms; p50 {found['p50']:.2f}, p99 {found['p99']:.2f},"
            f" p99.9 {found['p99.9']:.2f} ms; later than 10 / 50 / 100 ms:"
            f" {found['over_10']} / {found['over_50']} / {found['over_100']}",
            f"  later than 2 ms: {found['over_2']}, of which {found['over_2_during_read_job']}"
            " while a gateway read job ran (the loop thread waiting for the GIL, likely)",
        ]
        if args.trace:
            lines.append(
                f"  loop callbacks: {found['callbacks']}, {found['seconds_in_callbacks']:.2f} s"
                f" in them; the slowest (>= {SLOW_S * 1000:g} ms):"
            )
            lines += [f"    {slow[:120]}" for slow in found["slowest"]] or ["    none"]
    lines += ["", f"{'CPU, ms per 5-s poll cycle':<40}{'clean':>10}{'% core':>8}{'probed':>10}"]
    for name, ms in clean["cpu_ms_per_cycle"].items():
        probe_ms = probed["cpu_ms_per_cycle"][name]
        lines.append(f"  {name:<38}{ms:>10.1f}{ms / CYCLE_S / 10:>8.2f}{probe_ms:>10.1f}")
    lines += ["", f"{'refreshes':<50}{'clean':>10}{'probed':>10}"]
    for name, count in probed["refreshes"].items():  # every coordinator seen since set-up
        lines.append(f"  {name:<48}{clean['refreshes'].get(name, 0):>10}{count:>10}")
    failed = clean["failed_refreshes"], probed["failed_refreshes"]
    reads = clean["reads"]
    lines += [
        f"  {'of which failed':<48}{failed[0]:>10}{failed[1]:>10}",
        "",
        f"gateway read jobs, clean phase: {reads['count']}; each: wall p50"
        f" {reads['wall_p50_ms']:.1f} ms, max {reads['wall_max_ms']:.1f} ms;"
        f" CPU {reads['cpu_mean_ms']:.1f} ms",
        f"read jobs since set-up: {result['reads_since_set_up']}, on the event-loop thread:"
        f" {result['reads_on_loop_thread']}; threads: {', '.join(result['read_threads'])}",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark once and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--period-ms", type=float, default=5.0, help="heartbeat period")
    parser.add_argument("--no-trace", dest="trace", action="store_false", help="no callback timing")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args()

    harness.prepare_process()
    # pypowerwall logs the gateway's 404 for /api/devices/vitals (firmware > 23.44) as errors.
    logging.getLogger("pypowerwall").setLevel(logging.CRITICAL)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2) if args.json else table(result, args))


if __name__ == "__main__":
    main()
