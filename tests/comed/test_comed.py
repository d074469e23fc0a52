"""ComEd entities and coordinator: values, publication lag, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_energy_sync.const import COMED_UNIQUE_ID
from simulators import prices
from simulators.comed import ComEdSimulator

from ..conftest import FROZEN_TIME, setup_entry
from ..helpers import advance, entity_id, fire_early


def _value(hass: HomeAssistant, key: str) -> float:
    state = hass.states.get(entity_id(hass, "sensor", f"{COMED_UNIQUE_ID}_{key}"))
    assert state is not None
    return float(state.state)


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen")
async def test_entities(
    hass: HomeAssistant,
    comed_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Both ComEd sensors, snapshotted."""
    await setup_entry(hass, comed_entry)
    await snapshot_platform(hass, entity_registry, snapshot, comed_entry.entry_id)


async def test_prices_in_dollars(
    hass: HomeAssistant, comed_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Cents strings become USD/kWh; the newest 5-minute price and the hour average."""
    moment = datetime(2026, 11, 23, 21, 37, 30, tzinfo=UTC)
    freezer.move_to(moment)
    await setup_entry(hass, comed_entry)
    latest = prices.comed_latest_end(moment)
    assert _value(hass, "five_minute_price") == pytest.approx(
        prices.comed_price(latest) / 100, abs=1e-6
    )
    # The hour average is computed here from the twelve 5-minute prices, not read back.
    hour_start = moment.replace(minute=0, second=0)
    ends = [hour_start + timedelta(minutes=5 * i) for i in range(1, 13)]
    done = [prices.comed_price(end) for end in ends if end <= latest]
    assert _value(hass, "current_hour_average_price") == pytest.approx(
        round(sum(done) / len(done), 1) / 100, abs=1e-6
    )


async def test_negative_price(
    hass: HomeAssistant, comed_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """ComEd prices can go negative and are shown as such."""
    # 03:15-03:20 Chicago (CST, UTC-6) is the simulator's negative interval; it ends 09:20 UTC.
    freezer.move_to(datetime(2026, 11, 23, 9, 20, 30, tzinfo=UTC))
    await setup_entry(hass, comed_entry)
    assert _value(hass, "five_minute_price") < 0


async def test_repolls_until_published(
    hass: HomeAssistant,
    comed_entry: MockConfigEntry,
    comed_simulator: ComEdSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """If the newest interval is not out yet, poll again soon instead of waiting 5 minutes."""
    boundary = datetime(2026, 11, 23, 21, 40, tzinfo=UTC)
    freezer.move_to(boundary - timedelta(seconds=40))
    await setup_entry(hass, comed_entry)
    coordinator = comed_entry.runtime_data.prices
    assert coordinator.update_interval == timedelta(seconds=60)  # until boundary + 20 s

    # The simulator lags publication by serving the previous clock for a while.
    lag = timedelta(seconds=60)
    comed_simulator._clock = lambda: datetime.now(UTC) - lag
    await advance(hass, freezer, 60)
    assert coordinator.update_interval == timedelta(seconds=30)
    comed_simulator._clock = None
    await advance(hass, freezer, 30)
    assert coordinator.data is not None
    newest = coordinator.data.series.newest_actual()
    assert newest is not None
    assert newest.end == boundary
    assert coordinator.update_interval == timedelta(seconds=270)


async def test_failure_and_recovery(
    hass: HomeAssistant,
    comed_entry: MockConfigEntry,
    comed_simulator: ComEdSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unavailable while ComEd fails, back when it answers."""
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, comed_entry)
    sensor = entity_id(hass, "sensor", f"{COMED_UNIQUE_ID}_five_minute_price")
    comed_simulator.fault = "server_error"
    await advance(hass, freezer, 300)
    assert hass.states.get(sensor).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    comed_simulator.fault = None
    await advance(hass, freezer, 30)
    assert hass.states.get(sensor).state != STATE_UNAVAILABLE  # type: ignore[union-attr]


@pytest.mark.usefixtures("frozen")
async def test_setup_retry(
    hass: HomeAssistant, comed_entry: MockConfigEntry, comed_simulator: ComEdSimulator
) -> None:
    """ComEd down at start-up: the entry retries later."""
    comed_simulator.fault = "server_error"
    await setup_entry(hass, comed_entry)
    assert comed_entry.state is ConfigEntryState.SETUP_RETRY


async def test_an_early_timer_polls_its_boundary_once(
    hass: HomeAssistant,
    comed_entry: MockConfigEntry,
    comed_simulator: ComEdSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A refresh that fires 5 ms before its moment (+20 s) stands for it: both feeds once."""
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, comed_entry)
    assert comed_simulator.request_count == 2
    await fire_early(hass, freezer, boundary + timedelta(seconds=20))
    assert comed_simulator.request_count == 4
    coordinator = comed_entry.runtime_data.prices
    newest = coordinator.data.series.newest_actual()
    assert newest is not None
    assert newest.end == boundary
    await advance(hass, freezer, 297)  # up to a second before the next boundary's moment
    assert comed_simulator.request_count == 4


async def test_stale_prices_are_not_current(
    hass: HomeAssistant,
    comed_entry: MockConfigEntry,
    comed_simulator: ComEdSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A newest 5-minute price that ended more than 15 minutes ago is no current price."""
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, comed_entry)
    coordinator = comed_entry.runtime_data.prices
    assert coordinator.stale_answers == 0

    # Ten minutes behind: the newest price ended 10 min 20 s ago and still stands for now.
    comed_simulator.lag = timedelta(minutes=10)
    await advance(hass, freezer, (boundary - FROZEN_TIME).total_seconds() + 20)
    assert _value(hass, "five_minute_price") == pytest.approx(
        prices.comed_price(boundary - timedelta(minutes=10)) / 100, abs=1e-6
    )
    assert coordinator.stale_answers == 0

    # Twenty minutes behind: 20 min 20 s old, so neither sensor shows it; the answer is counted.
    comed_simulator.lag = timedelta(minutes=20)
    await advance(hass, freezer, 300)
    assert coordinator.last_update_success
    assert coordinator.stale_answers >= 1
    assert coordinator.current() is None
    for key in ("five_minute_price", "current_hour_average_price"):
        state = hass.states.get(entity_id(hass, "sensor", f"{COMED_UNIQUE_ID}_{key}"))
        assert state is not None
        assert state.state == STATE_UNKNOWN, key
