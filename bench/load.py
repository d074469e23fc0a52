"""Load: 200 vehicles on one Fleet Telemetry entry, beside 3 Powerwall gateways and a Wall Connector.

One Home Assistant (`bench.harness`: the tests' `async_test_home_assistant`, Home Assistant's
executor, a temporary config dir) sets up Amber, a Wall Connector charging (priced at Amber)
and 3 Powerwall gateways polled every 5 s, against `python -m simulators` in a child process
(as bench/loop_health.py does), and one Fleet Telemetry entry (fresh group, earliest) on a Tansu
broker on 127.0.0.1. `bench.load_fleet`, another child process, plays the fleet: --vehicles
cars, each sending one record a second with 15 fields (a car driving: location, speed, odometer,
battery and range change every record). CPU figures are therefore Home Assistant's alone; the
bench itself (a heartbeat, a listener on the battery sensors) runs inside it and is counted.

Everything is observed from outside the integration: entity states, the entity registry, the
config entry API. Each record's BatteryLevel names the record (`bench.load_fleet.battery`), so
the battery sensor's state changes say which record Home Assistant shows, and when.

Phases, in order:

* set-up: the other sources, then 5 s, then VmRSS (after a collection, heap trimmed); the entry
  is set up (VmRSS again: the entry without a car) and the fleet starts; once every vehicle's
  entities exist (the entry's registry count steady for 1 s), VmRSS again: the growth since
  before the entry, over the vehicles, is RSS per vehicle.
* steady, --minutes: process CPU (`time.process_time`, every thread) and the event-loop thread's
  CPU over the records produced in the window; the lateness of a heartbeat every --period-ms
  (event-loop stall) and every garbage collection's length; produce -> state latency (from the
  record handed to the Kafka client until the sensor shows it, or a newer record of the same
  car: one write per entity per loop turn). VmRSS and Python's allocated blocks (after a full
  collection) before and after the window: blocks that grow per record would be a leak (a short
  window also holds one-time growth: the entity registry's first save caches each entry's JSON).
  --trace also times every loop callback (as bench/loop_health.py does) and names the slowest;
  it costs CPU, so CPU figures rise with it.
* restart: the fleet pauses, the entry is unloaded; while it is down (--down-seconds) the fleet
  produces --backlog records, and the process CPU of the other sources alone is taken as the
  baseline (subtracted for "net" CPU per record); then the entry is set up again and timed until
  every car's sensor shows its newest record (caught up).
* outage: with the fleet streaming, Tansu is frozen (SIGSTOP) for --outage seconds while the
  fleet's producer holds what the cars send; timed until every car's battery sensor is
  unavailable, then from SIGCONT until every one is available and shows what was produced before.

`bench.load_fleet` also times consumer-group joins on topics of their own (a new group; the
same group right after its member left), with the consumer timing the entry uses: Tansu
answers a join only after half the session (rebalance) timeout, which bounds the restart and
recovery figures. Targets are reported, not asserted.
"""

from __future__ import annotations

# isort: off
# The test plugin patches Home Assistant's clocks for freezegun; it must load before Home Assistant.
from bench import harness

# isort: on
import argparse
from array import array
import asyncio
from bisect import bisect_left
from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import gc
import json
import logging
import os
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.load_fleet import JOIN_PREFIX, MAX_RECORDS, record_number, vin
from bench.loop_health import REPO, Probe, entries, simulators, stalls, ticks
from bench.telemetry import PREFIX, percentile, telemetry_entry
from bench.telemetry_memory import rss_mib
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import RecordType
from custom_components.tesla_energy_sync.const import DOMAIN
from simulators.kafka_broker import TANSU_TIMING, TansuBroker

SETTLE_S = 5.0  # after the other sources set up: one more poll of every gateway
TARGETS = {  # issue 11; reported against, never asserted
    "p99": 50.0,  # ms, produce -> state
    "stall": 20.0,  # ms, event loop
    "rss": 100.0,  # kB per vehicle
    "restart": 10.0,  # s from set-up to caught up, 1,000 records waiting
    "unavailable": 10.0,  # s from the broker freezing to the entities unavailable
    "recovered": 5.0,  # s from the broker thawing to caught up
}


class FleetChild:
    """The `bench.load_fleet` child: send it a command, await its answer."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        """Read the child's answers from now on."""
        self.process = process
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None  # noqa: S101 - created with a pipe
        while line := await self.process.stdout.readline():
            self._answer(json.loads(line))  # no local keeps the (large) answer alive
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("the fleet child exited"))

    def _answer(self, answer: dict[str, Any]) -> None:
        if (future := self._waiting.pop(answer["command"], None)) and not future.done():
            future.set_result(answer)

    async def call(self, command: str, within: float = 60.0) -> dict[str, Any]:
        """Send one command; return its answer (raise on the child's error or after `within` s)."""
        assert self.process.stdin is not None  # noqa: S101 - created with a pipe
        future = self._waiting[command.split(maxsplit=1)[0]] = asyncio.Future()
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        async with asyncio.timeout(within):
            answer = await future
        if "error" in answer:
            raise RuntimeError(f"fleet child, {command}: {answer['error']}")
        return answer

    async def close(self) -> None:
        """Ask the child to stop; kill it if it has not within 10 s."""
        if self.process.returncode is None and self.process.stdin is not None:
            with contextlib.suppress(ConnectionError):
                self.process.stdin.write(b"stop\n")
                self.process.stdin.close()
            try:
                async with asyncio.timeout(10):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._reader.cancel()


@contextlib.asynccontextmanager
async def fleet_child(bootstrap: str, args: argparse.Namespace) -> AsyncIterator[FleetChild]:
    """Run `python -m bench.load_fleet` for the run; stop it however the run ends."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bench.load_fleet", bootstrap, str(args.vehicles)),
        *("--outage", str(args.outage), *(["--tansu-timing"] if args.tansu_timing else [])),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=1 << 26,  # `sent` answers with every record of the window on one line
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    child = FleetChild(process)
    try:
        yield child
    finally:
        await child.close()


class Tracker:
    """Follows every car's battery sensor: which record it shows since when, and availability."""

    def __init__(self, vehicles: int) -> None:
        """Nothing shown yet."""
        self.newest = [-1] * vehicles  # the newest record each sensor showed
        # Arrays, not lists: no object per record, so the bench adds no Python blocks per record.
        self.shown = [array("q") for _ in range(vehicles)]  # records, as they showed
        self.at = [array("d") for _ in range(vehicles)]  # ... and when
        self.down: list[float | None] = [None] * vehicles  # unavailable since
        self._pending: set[int] = set()
        self._test: Callable[[int], bool] = bool
        self._done = asyncio.Event()
        self._done_at = 0.0

    @callback
    def changed(self, vehicle: int, state: str | None) -> None:
        """Note a state of the vehicle's battery sensor."""
        now = time.monotonic()
        if state is None or state in {STATE_UNAVAILABLE, STATE_UNKNOWN}:
            self.down[vehicle] = self.down[vehicle] or now
        else:
            self.down[vehicle] = None
            with contextlib.suppress(ValueError):
                number = record_number(float(state))
                if number > self.newest[vehicle]:  # a restored (older) value is no news
                    self.newest[vehicle] = number
                    self.shown[vehicle].append(number)
                    self.at[vehicle].append(now)
        if vehicle in self._pending and self._test(vehicle):
            self._pending.discard(vehicle)
            if not self._pending:
                self._done_at = now
                self._done.set()

    async def until(self, test: Callable[[int], bool], within: float) -> float | None:
        """Return when `test` came true of the last vehicle (None: not within `within` s)."""
        self._pending = {v for v in range(len(self.newest)) if not test(v)}
        if not self._pending:
            return time.monotonic()
        self._test, self._done = test, asyncio.Event()
        try:
            async with asyncio.timeout(within):
                await self._done.wait()
        except TimeoutError:
            return None
        finally:
            self._pending = set()
        return self._done_at

    def caught_up(self, newest: list[int]) -> Callable[[int], bool]:
        """Return a test: the vehicle's sensor is available and shows `newest` or newer."""
        return lambda v: self.down[v] is None and self.newest[v] >= newest[v]

    def shown_at(self, vehicle: int, number: int) -> float | None:
        """Return when the sensor first showed this record or a newer one (None: never)."""
        index = bisect_left(self.shown[vehicle], number)
        return self.at[vehicle][index] if index < len(self.at[vehicle]) else None


@contextlib.contextmanager
def collections_timed() -> Iterator[list[tuple[int, float]]]:
    """Yield a list that gathers (generation, seconds) of each garbage collection in the block."""
    found: list[tuple[int, float]] = []
    began = 0.0

    def timed(phase: str, info: dict[str, int]) -> None:
        nonlocal began
        if phase == "start":
            began = time.perf_counter()
        else:
            found.append((info["generation"], time.perf_counter() - began))

    gc.callbacks.append(timed)
    try:
        yield found
    finally:
        gc.callbacks.remove(timed)


@dataclass
class Report:
    """Everything one run measured; times in seconds unless named _ms."""

    vehicles: int
    seconds: float
    records: int = 0
    cpu: float = 0.0  # process CPU in the window
    loop_cpu: float = 0.0  # event-loop thread CPU in the window
    baseline: float = 0.0  # process CPU per second without the telemetry entry
    children: dict[str, float] = field(default_factory=dict)  # CPU share of a core
    stalls: dict[str, dict[str, Any]] = field(default_factory=dict)
    delays_ms: list[float] = field(default_factory=list)
    unshown: int = 0
    rss_kib: dict[str, float] = field(default_factory=dict)
    entities: int = 0
    states: int = 0
    entities_after: float = 0.0  # from the fleet's start until every vehicle's entities exist
    restart: dict[str, float | None] = field(default_factory=dict)
    outage: dict[str, float | None] = field(default_factory=dict)
    join: dict[str, float] = field(default_factory=dict)
    collections: list[tuple[int, float]] = field(default_factory=list)  # (generation, s)
    blocks: dict[str, int] = field(default_factory=dict)  # Python's allocated memory blocks

    def memory(self, moment: str) -> None:
        """Take VmRSS (after a full collection, heap trimmed) and the blocks Python holds."""
        self.rss_kib[moment] = rss_mib() * 1024
        self.blocks[moment] = sys.getallocatedblocks()  # live objects and buffers, no garbage


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set an entry up (again) and fail the run if it did not load."""
    if entry.entry_id not in {each.entry_id for each in hass.config_entries.async_entries()}:
        entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise RuntimeError(f"{entry.title} did not set up: {entry.state}")


async def _vehicles_ready(hass: HomeAssistant, entry: ConfigEntry, vehicles: int) -> list[str]:
    """Wait (120 s at most) until every car's entities exist; return the battery sensors."""
    registry = er.async_get(hass)
    counts: list[int] = []
    for _ in range(480):
        await asyncio.sleep(0.25)
        batteries = [
            registry.async_get_entity_id("sensor", DOMAIN, f"{vin(n)}_battery_level")
            for n in range(vehicles)
        ]
        counts.append(len(er.async_entries_for_config_entry(registry, entry.entry_id)))
        ready = all(each and hass.states.get(each) for each in batteries)
        if ready and len(counts) > 4 and len(set(counts[-5:])) == 1:  # steady for 1 s
            return [each for each in batteries if each]
    raise RuntimeError(f"not every vehicle's entities within 120 s: {counts[-1]} entities")


@dataclass
class LoadRun:
    """One run's Home Assistant, broker, fleet, heartbeat and battery-sensor tracker."""

    hass: HomeAssistant
    broker: TansuBroker
    fleet: FleetChild
    args: argparse.Namespace
    report: Report
    probe: Probe
    tracker: Tracker

    async def steady(self, pids: dict[str, int]) -> None:
        """Measure CPU, stalls and latency over the window."""
        report, tracker = self.report, self.tracker
        del self.probe.beats[:]
        children = {name: ticks(pid) for name, pid in pids.items()}
        cpu, loop_cpu, began = time.process_time(), time.thread_time(), time.monotonic()
        with collections_timed() as report.collections:
            await asyncio.sleep(report.seconds)
        report.cpu, report.loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
        ended = time.monotonic()
        report.children = {
            name: (ticks(pid) - children[name]) / (ended - began) for name, pid in pids.items()
        }
        report.stalls["steady"] = stalls(self.probe)
        await asyncio.sleep(2)  # the window's last records show
        del self.probe.beats[:]  # counted already; not the integration's memory
        report.memory("steady")  # before the bench takes in the fleet's log of sends
        sent = (await self.fleet.call("sent"))["sent"]
        window = [(v, n, at) for v, n, at in sent if began <= at < ended]
        report.records = len(window)
        delays = [
            (shown - at) * 1000
            for v, n, at in window
            if (shown := tracker.shown_at(v, n)) is not None
        ]
        report.delays_ms = sorted(delays)
        report.unshown = len(window) - len(delays)

    async def restart(self, entry: MockConfigEntry) -> None:
        """Unload the entry, produce the backlog while it is down, set it up, time the catch-up."""
        hass, fleet, tracker, args = self.hass, self.fleet, self.tracker, self.args
        before = (await fleet.call("pause"))["newest"]
        await tracker.until(tracker.caught_up(before), 30)  # everything sent so far is shown
        down = time.monotonic()
        if not await hass.config_entries.async_unload(entry.entry_id):
            raise RuntimeError("the Fleet Telemetry entry did not unload")
        cpu, began = time.process_time(), time.monotonic()
        backlog = (await fleet.call(f"burst {args.backlog}"))["newest"]
        await asyncio.sleep(max(0.0, down + args.down_seconds - time.monotonic()))
        self.report.baseline = (time.process_time() - cpu) / (time.monotonic() - began)
        del self.probe.beats[:]
        set_up = time.monotonic()
        await _set_up(hass, entry)
        loaded = time.monotonic()
        caught = await tracker.until(tracker.caught_up(backlog), args.timeout)
        first = [at for v in range(args.vehicles) if (at := tracker.shown_at(v, before[v] + 1))]
        self.report.stalls["restart"] = stalls(self.probe)
        await fleet.call("resume")
        self.report.restart = {
            "down": set_up - down,
            "set_up": loaded - set_up,
            "first": min(first) - set_up if first else None,
            "last_first": max(first) - set_up if first else None,
            "caught_up": None if caught is None else caught - set_up,
        }

    async def outage(self) -> None:
        """Freeze Tansu with the fleet streaming; time the entities going down and catching up."""
        tracker, args = self.tracker, self.args
        await asyncio.sleep(3)  # streaming again after the restart
        del self.probe.beats[:]
        frozen = time.monotonic()
        self.broker.pause()
        try:
            all_down = await tracker.until(lambda v: tracker.down[v] is not None, args.outage)
            went_down = [at for at in tracker.down if at is not None]
            await asyncio.sleep(max(0.0, frozen + args.outage - time.monotonic()))
            newest = (await self.fleet.call("mark"))["newest"]
        finally:
            thawed = time.monotonic()
            self.broker.resume()
        back = await tracker.until(tracker.caught_up(newest), args.timeout)
        self.report.stalls["outage"] = stalls(self.probe)
        self.report.outage = {
            "first_down": min(went_down) - frozen if went_down else None,
            "all_down": None if all_down is None else all_down - frozen,
            "down_count": len(went_down),
            "caught_up": None if back is None else back - thawed,
            "frozen": thawed - frozen,
        }


async def measure(
    hass: HomeAssistant,
    broker: TansuBroker,
    fleet: FleetChild,
    ports: list[int],
    pids: dict[str, int],
    args: argparse.Namespace,
) -> Report:
    """Run every phase in one Home Assistant; return the figures."""
    report = Report(vehicles=args.vehicles, seconds=args.minutes * 60)
    join = asyncio.create_task(fleet.call("join", within=150))
    probe = Probe(asyncio.get_running_loop(), args.period_ms / 1000)
    try:
        for each in entries(ports):
            await _set_up(hass, each)
        await asyncio.sleep(SETTLE_S)
        report.memory("before")
        entry = telemetry_entry(broker.bootstrap)
        await _set_up(hass, entry)
        report.memory("entry")  # no vehicle yet: platforms, consumer
        probe.beat(first=True)
        began = time.monotonic()
        await fleet.call("start")
        batteries = await _vehicles_ready(hass, entry, args.vehicles)
        report.entities_after = time.monotonic() - began
        report.stalls["set-up"] = stalls(probe)
        tracker = Tracker(args.vehicles)
        vehicle_of = {entity_id: n for n, entity_id in enumerate(batteries)}

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            state = event.data["new_state"]
            tracker.changed(vehicle_of[event.data["entity_id"]], state.state if state else None)

        unsubscribe = async_track_state_change_event(hass, batteries, changed)
        del probe.beats[:]  # counted already; not the integration's memory
        report.memory("vehicles")
        registry = er.async_get(hass)
        report.entities = len(er.async_entries_for_config_entry(registry, entry.entry_id))
        report.states = len(hass.states.async_all())
        await asyncio.sleep(1)
        load = LoadRun(hass, broker, fleet, args, report, probe, tracker)
        with probe.tracing() if args.trace else contextlib.nullcontext():
            await load.steady(pids)
        await load.restart(entry)
        await load.outage()
        unsubscribe()
        report.join = (await join)["join"]
    finally:
        probe.stop()
        join.cancel()
    return report


async def run(args: argparse.Namespace) -> Report:
    """Start the broker, the children and Home Assistant; measure; stop them all, whatever ends it."""
    broker = TansuBroker()
    await broker.start()
    try:
        await broker.create_topics(
            [kind.topic(prefix) for prefix in (PREFIX, JOIN_PREFIX) for kind in RecordType]
        )
        with contextlib.ExitStack() as stack:
            if args.tansu_timing:
                stack.enter_context(
                    patch(
                        "custom_components.tesla_energy_sync.fleet_telemetry.config.TIMING",
                        TANSU_TIMING,
                    )
                )
            config_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="load-"))
            async with (
                fleet_child(broker.bootstrap, args) as fleet,
                simulators() as (simulators_pid, ports),
                harness.home_assistant(config_dir) as hass,
            ):
                pids = {"fleet": fleet.process.pid, "simulators": simulators_pid}
                if broker.pid is not None:  # Tansu: its in-memory log costs it CPU as it grows
                    pids["tansu"] = broker.pid
                return await measure(hass, broker, fleet, ports, pids, args)
    finally:
        broker.stop()


def _figure(value: float | None, unit: str, target: str = "", limit: float | None = None) -> str:
    """Return one measured value, its target, and whether it met it."""
    if value is None:
        return f"{'not reached':>16}   {target}"
    met = "" if limit is None else ("  met" if value <= limit else "  missed")
    return f"{value:>13.1f} {unit:<2} {target}{met}"


def table(report: Report, args: argparse.Namespace) -> str:
    """Return the printed report."""
    records, steady = max(report.records, 1), report.stalls["steady"]
    ms_per_record = report.cpu / records * 1000
    net = (report.cpu - report.baseline * report.seconds) / records * 1000
    rss = report.rss_kib
    per_vehicle = (rss["vehicles"] - rss["before"]) / report.vehicles
    marginal = (rss["vehicles"] - rss["entry"]) / report.vehicles
    restart, outage, join = report.restart, report.outage, report.join
    p50, p99 = percentile(report.delays_ms, 0.5), percentile(report.delays_ms, 0.99)
    timing = "Tansu test timing" if args.tansu_timing else "the integration's default timing"
    rows = [
        f"Load: {report.vehicles} vehicles x 1 record/s x 15 fields on one Fleet Telemetry entry"
        f" ({timing}), 3 Powerwall gateways (5 s polls), Amber, a charging Wall Connector;",
        f"steady window {report.seconds:g} s, {report.records} records"
        f" ({report.records / report.seconds:.1f}/s); {os.cpu_count()} CPUs; GIL"
        f" {'on' if sys._is_gil_enabled() else 'off'}; Tansu on 127.0.0.1",  # noqa: SLF001
        "",
        f"{'figure':<46}{'measured':>16}   target",
        f"{'CPU per record, process (all threads)':<46}{_figure(ms_per_record, 'ms')}",
        f"{'  net of the other sources alone':<46}"
        f"{_figure(net, 'ms', f'(they use {report.baseline * 1000:.0f} ms/s)')}",
        f"{'  event-loop thread':<46}{_figure(report.loop_cpu / records * 1000, 'ms')}",
        f"{'event-loop stall, max':<46}"
        f"{_figure(steady['max'], 'ms', '<= 20 ms', TARGETS['stall'])}",
        f"{'event-loop stall, p99':<46}{_figure(steady['p99'], 'ms')}",
        f"{'produce -> state, p50':<46}{_figure(p50, 'ms')}",
        f"{'produce -> state, p99':<46}{_figure(p99, 'ms', '<= 50 ms', TARGETS['p99'])}",
        f"{'produce -> state, max':<46}{_figure(percentile(report.delays_ms, 1.0), 'ms')}",
        f"{'RSS per vehicle':<46}{_figure(per_vehicle, 'kB', '<= 100 kB', TARGETS['rss'])}",
        f"{'  not counting the entry itself':<46}"
        f"{_figure(marginal, 'kB', f'(the entry, no car: {rss["entry"] - rss["before"]:.0f} kB)')}",
        f"{'  RSS growth over the window, per vehicle':<46}"
        f"{_figure((rss['steady'] - rss['vehicles']) / report.vehicles, 'kB')}",
        f"{'  Python blocks added over the window, per record':<46}"
        f"{_figure((report.blocks['steady'] - report.blocks['vehicles']) / records, '')}",
        f"{'entities (vehicles) / states (all)':<46}{report.entities:>13} / {report.states}",
        f"{'restart, set-up -> caught up':<46}"
        f"{_figure(restart['caught_up'], 's', '<= 10 s', TARGETS['restart'])}",
        f"{'  records/s, set-up -> caught up':<46}"
        f"{_figure(_rate(args.backlog, restart['caught_up']), '')}",
        f"{'  set-up -> first waiting record shown':<46}{_figure(restart['first'], 's')}",
        f"{'  records/s, first shown -> caught up':<46}"
        f"{_figure(_rate(args.backlog, _span(restart['first'], restart['caught_up'])), '')}",
        f"{'outage, SIGSTOP -> entities unavailable':<46}"
        f"{_figure(outage['all_down'], 's', '<= 10 s', TARGETS['unavailable'])}",
        f"{'outage, SIGCONT -> caught up':<46}"
        f"{_figure(outage['caught_up'], 's', '<= 5 s', TARGETS['recovered'])}",
        f"{'group join, new group (start -> assigned)':<46}{_figure(join.get('fresh'), 's')}",
        f"{'group join, same group right after a leave':<46}{_figure(join.get('rejoin'), 's')}",
        "",
        f"stall max during set-up (entities created) {report.stalls['set-up']['max']:.1f} ms,"
        f" restart {report.stalls['restart']['max']:.1f} ms,"
        f" outage {report.stalls['outage']['max']:.1f} ms;"
        f" steady: {steady['beats']} beats, later than 10/50 ms:"
        f" {steady['over_10']}/{steady['over_50']}",
        f"records not shown in the window: {report.unshown}; entities existed"
        f" {report.entities_after:.1f} s after the fleet started; RSS"
        f" {rss['before'] / 1024:.0f} -> {rss['vehicles'] / 1024:.0f} MiB, after the window"
        f" {rss['steady'] / 1024:.0f} MiB",
        _collections(report.collections),
        *_slowest(steady),
        f"restart: down {restart['down']:.1f} s with {args.backlog} records waiting, set-up call"
        f" {restart['set_up']:.2f} s, the last car's first waiting record shown after"
        f" {_seconds(restart['last_first'])}",
        f"outage: frozen {outage['frozen']:.1f} s; {outage['down_count']}/{report.vehicles} cars"
        f" unavailable, the first after {_seconds(outage['first_down'])}",
        f"CPU outside Home Assistant (share of a core): fleet child"
        f" {report.children['fleet']:.0%}, simulators {report.children['simulators']:.0%},"
        f" Tansu {report.children.get('tansu', 0.0):.0%}",
    ]
    return "\n".join(rows)


def _collections(found: list[tuple[int, float]]) -> str:
    """Return how many garbage collections of each generation ran in the window, the longest."""
    counts = [sum(gen == g for gen, _ in found) for g in range(3)]
    longest = [max((took for gen, took in found if gen == g), default=0.0) * 1000 for g in range(3)]
    return (
        "garbage collections in the window, generations 0/1/2: "
        + "/".join(map(str, counts))
        + ", the longest "
        + " / ".join(f"{ms:.1f}" for ms in longest)
        + " ms"
    )


def _slowest(stalled: dict[str, Any]) -> list[str]:
    """Return the slowest loop callbacks of the window (--trace), one line each."""
    if not stalled["callbacks"]:
        return []
    return [
        f"loop callbacks in the window: {stalled['callbacks']}, {stalled['seconds_in_callbacks']:.2f}"
        " s in them; the slowest:",
        *(f"  {slow[:110]}" for slow in stalled["slowest"]),
    ]


def _rate(records: int, seconds: float | None) -> float | None:
    return None if not seconds else records / seconds


def _span(began: float | None, ended: float | None) -> float | None:
    return None if began is None or ended is None else ended - began


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def main() -> None:
    """Run the benchmark once and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--vehicles", type=int, default=200, help="cars on the entry")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the steady window")
    parser.add_argument("--backlog", type=int, default=1000, help="records waiting at restart")
    parser.add_argument(
        "--down-seconds",
        type=float,
        default=10.0,
        help="how long the entry stays unloaded (Tansu holds a rejoin within the session timeout)",
    )
    parser.add_argument("--outage", type=float, default=30.0, help="seconds Tansu stays frozen")
    parser.add_argument("--period-ms", type=float, default=5.0, help="heartbeat period")
    parser.add_argument("--timeout", type=float, default=120.0, help="longest wait to catch up")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="time every loop callback in the window, name the slowest",
    )
    parser.add_argument(
        "--tansu-timing",
        action="store_true",
        help="run the consumer with the tests' short timings instead of the integration's",
    )
    args = parser.parse_args()
    if not 1 <= args.vehicles <= 10_000 or args.minutes <= 0:
        parser.error("--vehicles from 1 to 10000, --minutes above 0")
    if args.minutes * 60 + args.backlog / args.vehicles + args.outage * 2 + 600 > MAX_RECORDS:
        parser.error("too long: a car's BatteryLevel would pass 100 %")
    harness.prepare_process()
    # The outage is deliberate: aiokafka's errors about it would drown the integration's own
    # two lines; pypowerwall logs the simulated firmware's missing vitals API as errors.
    for name in ("aiokafka", "pypowerwall"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        report = asyncio.run(run(args))
    except KeyboardInterrupt:  # everything started was stopped on the way out
        sys.exit("interrupted")
    print(table(report, args))


if __name__ == "__main__":
    main()
