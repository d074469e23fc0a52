"""Fixtures: frozen clocks, a real aiohttp session and the simulators on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass, field
import datetime as dt
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
import pytest

from simulators.amber import AmberSimulator
from simulators.comed import ComEdSimulator
from simulators.prices import NEM_TZ

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

# 12:10:20 NEM on a summer weekday: inside the solar trough, 20 s into a 5-min interval.
NOON = dt.datetime(2026, 1, 15, 12, 10, 20, tzinfo=NEM_TZ)


@dataclass
class SimClock:
    """A settable wall clock for the simulators."""

    now: dt.datetime = NOON

    def __call__(self) -> dt.datetime:
        """Return the set time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class MonoClock:
    """A settable monotonic clock for the clients."""

    value: float = 1000.0

    def __call__(self) -> float:
        """Return the set value."""
        return self.value

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.value += seconds


@dataclass
class Scripted:
    """One canned answer a ScriptedServer gives to every request."""

    status: int = 200
    body: str = "[]"
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class ScriptedServer:
    """A loopback server answering whatever the test scripts, for shapes the simulators never send."""

    def __init__(self) -> None:
        """Start with an empty 200."""
        self.answer = Scripted()
        self.hits = 0
        self.last_path = ""
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        """Give the scripted answer."""
        self.hits += 1
        self.last_path = request.raw_path
        return web.Response(
            status=self.answer.status,
            text=self.answer.body,
            headers=self.answer.headers,
            content_type=self.answer.content_type,
        )

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening."""
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets; the test plugin still limits connections to 127.0.0.1."""


@pytest.fixture
def sim_clock() -> SimClock:
    """Return the simulators' clock, set to NOON."""
    return SimClock()


@pytest.fixture
def mono() -> MonoClock:
    """Return a monotonic clock for the clients."""
    return MonoClock()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a real aiohttp session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def amber_sim(sim_clock: SimClock) -> AsyncIterator[AmberSimulator]:
    """Run an Amber simulator with the default site."""
    simulator = AmberSimulator(clock=sim_clock)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def comed_sim(sim_clock: SimClock) -> AsyncIterator[ComEdSimulator]:
    """Run a ComEd simulator."""
    simulator = ComEdSimulator(clock=sim_clock)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    """Run a scripted loopback server."""
    server = ScriptedServer()
    await server.start()
    yield server
    await server.stop()
