"""What both stand-ins share: a loopback-only aiohttp server, a clock, faults and a request log."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
import datetime as dt
import ipaddress
from typing import TYPE_CHECKING, Final

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable

FAULTS: Final = frozenset({"server_error", "slow", "malformed", "auth"})


def require_loopback(host: str) -> str:
    """Return host when it is a loopback IP address; anything else is refused."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"refusing to listen on {host!r}: give a loopback IP address") from None
    if not address.is_loopback:
        raise ValueError(f"refusing to listen on {host!r}: simulators stay on loopback")
    return host


def system_clock() -> dt.datetime:
    """Return the current aware UTC time."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request a simulator received."""

    path: str
    query: dict[str, str]


class SimulatorServer:
    """Run an aiohttp application on loopback, with fault injection shared by both services."""

    def __init__(self, *, clock: Callable[[], dt.datetime] | None, path_prefix: str) -> None:
        """Prepare an unstarted server."""
        self._clock = clock
        self._path_prefix = path_prefix
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.fault: str | None = None
        self.slow_seconds = 30.0
        # Answer as the service would have `lag` ago: late to roll over, or a stale cache.
        self.lag = dt.timedelta()
        self.request_count = 0
        self.request_log: list[LoggedRequest] = []
        self.path_counts: Counter[str] = Counter()

    def now(self) -> dt.datetime:
        """Return the simulated time, read afresh so a frozen or compressed clock steers it."""
        moment = (self._clock or system_clock)()
        if moment.tzinfo is None:
            raise ValueError("simulator clocks must return aware datetimes")
        return moment.astimezone(dt.UTC) - self.lag

    def _build_app(self) -> web.Application:
        """Return the application with the service's routes."""
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start listening and return the base URL."""
        require_loopback(host)
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        runner = web.AppRunner(self._build_app(), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.base_url = f"http://{host}:{runner.addresses[0][1]}{self._path_prefix}"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def record(self, request: web.Request) -> None:
        """Count and log a request."""
        self.request_count += 1
        self.path_counts[request.path] += 1
        self.request_log.append(LoggedRequest(request.path, dict(request.query)))

    async def apply_fault(self, content_type: str = "application/json") -> web.Response | None:
        """Return the response a configured fault replaces the real one with, if any."""
        if self.fault is None:
            return None
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}")
        if self.fault == "auth":
            return web.json_response({"message": "Unauthorized"}, status=401)
        if self.fault == "server_error":
            return web.json_response({"message": "Service Unavailable"}, status=503)
        if self.fault == "malformed":
            return web.Response(
                text='[{"type": "ActualInterval", "perKwh": 1', content_type=content_type
            )
        await asyncio.sleep(self.slow_seconds)
        return None
