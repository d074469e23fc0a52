"""End to end: both tariff sources against the simulators, followed across price boundaries."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import COMED_UNIQUE_ID
from simulators import prices
from simulators.amber import AmberSimulator
from simulators.comed import ComEdSimulator

from .conftest import AMBER_SITE_ID, setup_entry
from .helpers import advance, entity_id

# 18:21:30 NEM time (UTC+10): the spike starts at 18:30.
START = datetime(2026, 11, 24, 8, 21, 30, tzinfo=UTC)


def _state(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    state = hass.states.get(entity_id(hass, platform, unique_id))
    assert state is not None
    return state.state


async def test_prices_follow_boundaries_and_trigger_automations(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    comed_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    comed_simulator: ComEdSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each new interval's price appears seconds after its boundary; an automation fires."""
    freezer.move_to(START)
    await setup_entry(hass, amber_entry)
    await setup_entry(hass, comed_entry)
    general = f"{AMBER_SITE_ID}_general_price"
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {
                    "platform": "numeric_state",
                    "entity_id": entity_id(hass, "sensor", general),
                    "above": 3.0,
                },
                "action": {"event": "price_spike_seen"},
            }
        },
    )
    seen: list[Event] = []
    hass.bus.async_listen("price_spike_seen", seen.append)

    amber = amber_entry.runtime_data.prices
    comed = comed_entry.runtime_data.prices
    boundary = datetime(2026, 11, 24, 8, 25, tzinfo=UTC)
    shown: list[tuple[datetime, float]] = []
    windows: deque[tuple[datetime, int]] = deque()
    busiest = 0
    now = START
    # Walk an hour on the coordinators' own schedule, one due timer at a time.
    while now < START + timedelta(hours=1):
        step = min(amber.update_interval, comed.update_interval)
        assert step is not None
        await advance(hass, freezer, step.total_seconds())
        now = datetime.now(UTC)
        shown.append((now, float(_state(hass, "sensor", general))))
        windows.append((now, amber_simulator.request_count))
        while windows[0][0] <= now - timedelta(seconds=300):
            windows.popleft()
        busiest = max(busiest, windows[-1][1] - windows[0][1])

    # Every 5-minute interval's price was shown within 5 s of its start.
    for n in range(11):
        start = boundary + timedelta(minutes=5 * n)
        first = next(t for t, value in shown if t >= start)
        assert first - start <= timedelta(seconds=5)
        assert dict(shown)[first] == pytest.approx(prices.general_price(start) / 100, abs=1e-5)

    assert len(seen) == 1  # the spike (18:30-19:00 NEM) crossed $3/kWh once
    assert busiest <= 50  # Amber's budget: 50 requests per 300 s
    assert amber_simulator.request_count <= 12 * 6  # at most 6 calls per 5-minute interval
    assert comed_simulator.request_count <= 12 * 2 * 2

    comed_price = float(_state(hass, "sensor", f"{COMED_UNIQUE_ID}_five_minute_price"))
    # ComEd is polled 20 s after each boundary, when the interval that just ended is published.
    published = prices.comed_latest_end(now - timedelta(seconds=20))
    assert comed_price == pytest.approx(prices.comed_price(published) / 100, abs=1e-6)
