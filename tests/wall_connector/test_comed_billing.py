"""A session priced from ComEd is billed at each hour's average, settled once the hour ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_TARIFF_ENTRY,
    CONF_VITALS_CONNECTED_S,
    DOMAIN,
    EVENT_SESSION_ENDED,
)
from simulators import prices
from simulators.wall_connector import WallConnectorSimulator

from ..conftest import FROZEN_TIME, WALL_CONNECTOR_SERIAL, setup_entry
from ..helpers import advance, entity_id

SERIAL = WALL_CONNECTOR_SERIAL
PLUG_IN = 600  # seconds into the simulator's script: 20:12:10, charging from 20:13:10
UNPLUG = 6660  # 21:53:10
HOUR = timedelta(hours=1)
FIVE = timedelta(minutes=5)


def _sensor(hass: HomeAssistant, key: str) -> float:
    state = hass.states.get(entity_id(hass, "sensor", f"{SERIAL}_{key}"))
    assert state is not None
    return float(state.state)


def _hour_prices(hour: datetime) -> list[float]:
    """Return the hour's twelve 5-minute prices, $/kWh, straight from the simulator's curve."""
    return [prices.comed_price(hour + i * FIVE) / 100 for i in range(1, 13)]


def _held_bounds(hour: datetime) -> tuple[float, float]:
    """Return the lowest and highest 5-minute price a step drawn in `hour` can be held at."""
    # The newest published price stands for "now", so the hour's first steps may be held at
    # the price that closed the hour before.
    held = [prices.comed_price(hour) / 100, *_hour_prices(hour)]
    return min(held), max(held)


class _Meter:
    """The simulator's session energy at each vitals sample, split by the hour it was drawn in."""

    def __init__(self, simulator: WallConnectorSimulator) -> None:
        self.simulator = simulator
        self.samples: list[datetime] = []

    def by_hour(self) -> dict[datetime, float]:
        energy: dict[datetime, float] = {}
        previous = 0.0
        for moment in self.samples:
            elapsed = (moment - FROZEN_TIME).total_seconds()
            if not PLUG_IN <= elapsed < UNPLUG:
                continue
            now = self.simulator.session_energy_wh(self.simulator.moment(elapsed))
            # Samples lie on a 30 s grid, so no step straddles an hour boundary.
            hour = prices.floor_time(moment - timedelta(seconds=1), 60)
            energy[hour] = energy.get(hour, 0.0) + now - previous
            previous = now
        return energy


def _billed(energy: dict[datetime, float]) -> float:
    """Return the sum of (energy in hour h times the mean of hour h's twelve prices), in $."""
    return sum(wh / 1000 * sum(_hour_prices(h)) / 12 for h, wh in energy.items())


async def _walk(hass: HomeAssistant, freezer: FrozenDateTimeFactory, until: datetime) -> None:
    while datetime.now(UTC) < until:
        await advance(hass, freezer, 30)


async def _set_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    wall_connector_entry: MockConfigEntry,
    comed_entry: MockConfigEntry,
    meter: _Meter,
) -> None:
    freezer.move_to(FROZEN_TIME + timedelta(seconds=PLUG_IN - 10))  # 20:12:00, a 30 s grid
    await setup_entry(hass, comed_entry)
    wall_connector_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        wall_connector_entry,
        options={CONF_TARIFF_ENTRY: comed_entry.entry_id, CONF_VITALS_CONNECTED_S: 30},
    )
    assert await hass.config_entries.async_setup(wall_connector_entry.entry_id)
    await hass.async_block_till_done()
    wall_connector_entry.runtime_data.vitals.async_add_listener(
        lambda: meter.samples.append(datetime.now(UTC))
    )


async def test_session_settles_at_hour_averages(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    comed_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Provisional at 5-minute prices during each hour, corrected to its average after it."""
    meter = _Meter(wall_connector_simulator)
    await _set_up(hass, freezer, wall_connector_entry, comed_entry, meter)
    ended: list[Event] = []
    hass.bus.async_listen(EVENT_SESSION_ENDED, ended.append)
    first = datetime(2026, 11, 23, 20, tzinfo=UTC)
    second = first + HOUR

    # Late in the first hour: every step so far is held at a 5-minute price of the hour.
    await _walk(hass, freezer, first + timedelta(minutes=58))
    drawn = meter.by_hour()
    low, high = _held_bounds(first)
    provisional = _sensor(hass, "session_cost")
    assert drawn[first] / 1000 * low <= provisional + 0.005
    assert provisional <= drawn[first] / 1000 * high + 0.005
    # ... and not at the hour's average yet (its prices climb through the hour).
    assert provisional != pytest.approx(_billed(drawn), abs=0.001)

    # Ten minutes into the second hour, the first has settled at its average.
    await _walk(hass, freezer, second + timedelta(minutes=10))
    drawn = meter.by_hour()
    settled_first = _billed({first: drawn[first]})
    running = _sensor(hass, "session_cost") - settled_first
    low, high = _held_bounds(second)
    assert drawn[second] / 1000 * low - 0.005 <= running <= drawn[second] / 1000 * high + 0.005

    # Unplugged before the second hour ends: the event carries the provisional cost.
    await _walk(hass, freezer, FROZEN_TIME + timedelta(seconds=UNPLUG + 60))
    assert len(ended) == 1
    expected = _billed(meter.by_hour())
    assert ended[0].data["currency"] == "USD"
    assert ended[0].data["cost"] != pytest.approx(expected, abs=0.001)

    # Once 22:00's price is in, the second hour settles: session, history and total agree.
    await _walk(hass, freezer, second + HOUR + timedelta(minutes=2))
    vitals = wall_connector_entry.runtime_data.vitals
    (stored,) = vitals.history.between()
    assert stored.cost == pytest.approx(expected, abs=0.001)
    assert stored.average_price == pytest.approx(expected / stored.energy_kwh, rel=1e-3)
    assert _sensor(hass, "last_session_cost") == pytest.approx(stored.cost, abs=0.005)
    assert _sensor(hass, "charging_cost") == pytest.approx(stored.cost, abs=0.005)
    assert vitals.tracker.totals.cost("USD") == pytest.approx(stored.cost, abs=1e-4)
    assert not vitals.tracker.unsettled
    saved = hass_storage[f"{DOMAIN}.session_history.{SERIAL}"]["data"]["sessions"]
    assert saved[-1]["cost"] == stored.cost

    # Later polls settle nothing twice (the simulator's car may plug in again meanwhile).
    await _walk(hass, freezer, second + HOUR + timedelta(minutes=30))
    active = vitals.tracker.active
    assert vitals.tracker.totals.cost("USD") == pytest.approx(
        stored.cost + (active.cost if active else 0.0), abs=1e-4
    )
    assert vitals.history.between()[0].cost == stored.cost


async def test_restart_before_settlement_still_settles(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    comed_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Held hours survive a restart between the hour's end and its settlement."""
    meter = _Meter(wall_connector_simulator)
    await _set_up(hass, freezer, wall_connector_entry, comed_entry, meter)
    second = datetime(2026, 11, 23, 21, tzinfo=UTC)
    await _walk(hass, freezer, FROZEN_TIME + timedelta(seconds=UNPLUG + 60))
    expected = _billed(meter.by_hour())
    vitals = wall_connector_entry.runtime_data.vitals
    assert [held.hour for held in vitals.tracker.unsettled] == [second]
    assert vitals.history.between()[0].cost != pytest.approx(expected, abs=0.001)

    # Home Assistant stops at 21:54:30 and comes back after 22:00, when the average is out
    # (settled before the car plugs in again at 22:03).
    assert await hass.config_entries.async_unload(wall_connector_entry.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 6 * 60)
    assert datetime.now(UTC) > second + HOUR
    assert await hass.config_entries.async_setup(wall_connector_entry.entry_id)
    await hass.async_block_till_done()
    await _walk(hass, freezer, second + HOUR + timedelta(minutes=2))

    vitals = wall_connector_entry.runtime_data.vitals
    (stored,) = vitals.history.between()
    assert stored.cost == pytest.approx(expected, abs=0.001)
    assert _sensor(hass, "last_session_cost") == pytest.approx(stored.cost, abs=0.005)
    assert _sensor(hass, "charging_cost") == pytest.approx(stored.cost, abs=0.005)
    assert vitals.tracker.totals.cost("USD") == pytest.approx(stored.cost, abs=1e-4)
    assert not vitals.tracker.unsettled
