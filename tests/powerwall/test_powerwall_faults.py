"""Powerwall gateway faults through Home Assistant: pypowerwall stays out of the log.

pypowerwall logs each failed request, and on firmware >= 23.44 the missing vitals API at
every start, at ERROR. The client passes those records on at DEBUG, and only where the
pypowerwall logger is set to show DEBUG (`logger: logs: pypowerwall: debug` sets exactly
that level, as `caplog.set_level` does here); the coordinator reports an outage itself:
one line when it starts, one when it ends.
"""

from __future__ import annotations

import logging
from typing import Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest

from custom_components.tesla_energy_sync.const import LOGGER
from simulators.powerwall import PowerwallSimulator

from ..conftest import DIN, StartSim, gateway_state as state, powerwall_entry, setup_entry
from ..helpers import advance

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

LIBRARY = "pypowerwall"
# Firmware 24.44 serves neither /api/devices/vitals nor (so) pypowerwall's vitals.
FIRMWARE = "24.44.1 6c12f5a9"
POLL_S = 15
GATEWAY_ENTITIES = (
    ("sensor", "battery_level"),
    ("sensor", "site_power"),
    ("binary_sensor", "grid_status"),
)


@pytest.fixture(autouse=True)
def home_assistant_levels(caplog: pytest.LogCaptureFixture) -> None:
    """Log at INFO like Home Assistant without a `logger:` section."""
    caplog.set_level(logging.INFO)


def library_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return what pypowerwall's loggers let through."""
    return [r for r in caplog.records if r.name == LIBRARY or r.name.startswith(f"{LIBRARY}.")]


# Warnings the test bed makes whatever the integration does: Home Assistant's notice for
# every custom integration, a missing optional zlib, and asyncio's debug-mode report of a
# "slow" step, timed on the monotonic clock freezegun moves.
TEST_BED: Final = (
    ("homeassistant.loader", "We found a custom integration"),
    ("aiohttp_fast_zlib", "zlib_ng and isal are not available"),
    ("asyncio", "Executing <"),
)


def loud(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return every WARNING or worse from any logger, but the test bed's own."""
    return [
        f"{r.name} {r.levelname} {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and not any(r.name == name and r.getMessage().startswith(start) for name, start in TEST_BED)
    ]


def integration_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """Return the integration's own records at one level."""
    return [r.getMessage() for r in caplog.records if r.name == LOGGER.name and r.levelno == level]


def available(hass: HomeAssistant) -> list[bool]:
    """Return, per gateway entity, whether it is available."""
    return [
        state(hass, platform, key, DIN) != STATE_UNAVAILABLE for platform, key in GATEWAY_ENTITIES
    ]


@pytest.fixture
async def sim(start_sim: StartSim) -> PowerwallSimulator:
    """Run one gateway on firmware newer than 23.44."""
    return await start_sim(din=DIN, firmware=FIRMWARE)


async def test_setup_and_reload_are_quiet(
    hass: HomeAssistant,
    sim: PowerwallSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Setting up, polling and reloading a customer-login gateway logs no warning at all."""
    entry = powerwall_entry(sim)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    await advance(hass, freezer, POLL_S)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await advance(hass, freezer, POLL_S)
    # The gateway was asked for the API it lacks, on each start.
    assert sim.path_counts["/api/devices/vitals"] == 2
    assert all(available(hass))
    assert loud(caplog) == []
    assert library_records(caplog) == []


async def test_library_detail_at_debug(
    hass: HomeAssistant, sim: PowerwallSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """With pypowerwall's logger at DEBUG its complaints show, demoted to DEBUG."""
    caplog.set_level(logging.DEBUG, logger=LIBRARY)
    await setup_entry(hass, powerwall_entry(sim))
    demoted = [r.getMessage() for r in library_records(caplog) if "[ERROR]" in r.getMessage()]
    assert any("404 Powerwall API not found" in message for message in demoted)
    assert any("Does not support vitals API" in message for message in demoted)
    assert {r.levelno for r in library_records(caplog)} == {logging.DEBUG}
    assert loud(caplog) == []


class Outage:
    """Take a simulated gateway away and bring it back, in one of the ways gateways fail."""

    def __init__(self, sim: PowerwallSimulator, how: str) -> None:
        """Remember the gateway and its port."""
        self.sim = sim
        self.how = how
        self.port = int(sim.host.rsplit(":", 1)[1])

    async def begin(self) -> None:
        """Drop connections unanswered, or stop listening (connections refused)."""
        if self.how == "offline":
            self.sim.fault = "offline"
        else:
            await self.sim.stop()

    async def end(self) -> None:
        """Answer again, on the same address."""
        if self.how == "offline":
            self.sim.fault = None
        else:
            await self.sim.start(port=self.port)


@pytest.mark.fault
@pytest.mark.parametrize("how", ["offline", "stopped"])
async def test_outage_logs_once_each_way(
    hass: HomeAssistant,
    sim: PowerwallSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    """Entities go unavailable and come back; one failure and one recovery line, nothing else."""
    caplog.set_level(logging.DEBUG, logger=LOGGER.name)  # to count the polls
    entry = powerwall_entry(sim)
    await setup_entry(hass, entry)
    assert all(available(hass))
    outage = Outage(sim, how)
    await outage.begin()
    # Two minutes down: the first failed poll, then retries every 30 s (RETRY_INTERVAL).
    for _ in range(8):
        await advance(hass, freezer, POLL_S)
        assert not any(available(hass))
    polls = integration_lines(caplog, logging.DEBUG)
    assert sum("(success: False)" in line for line in polls) == 4
    failures = integration_lines(caplog, logging.ERROR)
    assert len(failures) == 1
    assert f"Powerwall {DIN}" in failures[0]
    await outage.end()
    for _ in range(3):  # past the next retry, whatever the coordinator's sub-second jitter
        await advance(hass, freezer, POLL_S)
    assert all(available(hass))
    assert float(state(hass, "sensor", "battery_level")) > 0
    recoveries = [m for m in integration_lines(caplog, logging.INFO) if "recovered" in m]
    assert len(recoveries) == 1
    assert loud(caplog) == [f"{LOGGER.name} ERROR {failures[0]}"]
    assert [r for r in library_records(caplog) if r.levelno > logging.DEBUG] == []
