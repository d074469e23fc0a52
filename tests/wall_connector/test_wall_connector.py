"""Wall Connector: entities, a priced session end to end, reboots, restarts, outages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

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
PLUG_IN = 600  # seconds into the simulator's script
CHARGING = 660
UNPLUG = 6660


def _state(hass: HomeAssistant, platform: str, key: str) -> str:
    state = hass.states.get(entity_id(hass, platform, f"{SERIAL}_{key}"))
    assert state is not None
    return state.state


async def _walk(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, until: datetime, step: float = 10
) -> None:
    while datetime.now(UTC) < until:
        await advance(hass, freezer, step)


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    amber_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
    platform: Platform,
) -> None:
    """Every Wall Connector entity while charging, with a tariff linked, snapshotted."""
    freezer.move_to(FROZEN_TIME + timedelta(seconds=CHARGING + 600))
    await setup_entry(hass, amber_entry)
    wall_connector_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        wall_connector_entry, options={CONF_TARIFF_ENTRY: amber_entry.entry_id}
    )
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await hass.config_entries.async_setup(wall_connector_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, wall_connector_entry.entry_id)


async def test_values_while_charging(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Power is grid voltage x vehicle current on split phase; energy in the right units."""
    freezer.move_to(FROZEN_TIME + timedelta(seconds=CHARGING + 600))
    await setup_entry(hass, wall_connector_entry)
    vitals = wall_connector_simulator.vitals()
    # Reported in W, shown in kW (suggested unit).
    assert float(_state(hass, "sensor", "power")) == pytest.approx(
        vitals["grid_v"] * vitals["vehicle_current_a"] / 1000, abs=0.001
    )
    assert _state(hass, "sensor", "status") == "charging"
    assert _state(hass, "binary_sensor", "vehicle_connected") == "on"
    assert _state(hass, "binary_sensor", "charging") == "on"
    assert float(_state(hass, "sensor", "lifetime_energy")) == pytest.approx(
        wall_connector_simulator.energy_wh() / 1000
    )
    # No tariff linked: no cost sensors.
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{SERIAL}_session_cost") is None


async def test_priced_session_end_to_end(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    amber_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A whole session, priced minute by minute at Amber's price; the event carries the cost."""
    start = FROZEN_TIME + timedelta(seconds=PLUG_IN - 10)  # 20:12:00, a 30 s grid
    freezer.move_to(start)
    await setup_entry(hass, amber_entry)
    wall_connector_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        wall_connector_entry,
        options={CONF_TARIFF_ENTRY: amber_entry.entry_id, CONF_VITALS_CONNECTED_S: 30},
    )
    await hass.config_entries.async_setup(wall_connector_entry.entry_id)
    await hass.async_block_till_done()
    vitals = wall_connector_entry.runtime_data.vitals
    samples: list[datetime] = []
    vitals.async_add_listener(lambda: samples.append(datetime.now(UTC)))
    ended: list[Event] = []
    hass.bus.async_listen(EVENT_SESSION_ENDED, ended.append)
    lifetime_before = wall_connector_simulator.energy_wh()

    await _walk(hass, freezer, FROZEN_TIME + timedelta(seconds=UNPLUG + 60))

    assert len(ended) == 1
    event = ended[0].data
    # Independently: the simulator's closed-form session energy at each sample, each step
    # priced at the Amber simulator's general price for the interval it was drawn in.
    sim = wall_connector_simulator
    expected_cost = 0.0
    previous = 0.0
    for moment in samples:
        elapsed = (moment - FROZEN_TIME).total_seconds()
        if not PLUG_IN <= elapsed < UNPLUG:
            continue
        energy = sim.session_energy_wh(sim.moment(elapsed))
        drawn_in = prices.floor_time(moment - timedelta(seconds=1), 5)
        expected_cost += (energy - previous) / 1000 * prices.general_price(drawn_in) / 100
        previous = energy
    delivered_kwh = (sim.energy_wh() - lifetime_before) / 1000
    assert event["serial_number"] == SERIAL
    assert event["energy_kwh"] == pytest.approx(delivered_kwh, abs=0.002)
    assert event["currency"] == "AUD"
    assert event["cost"] == pytest.approx(expected_cost, abs=0.001)
    assert event["average_price"] == pytest.approx(expected_cost / event["energy_kwh"], rel=1e-3)
    assert event["unpriced_energy_kwh"] == 0
    assert event["duration_s"] == pytest.approx(UNPLUG - PLUG_IN, abs=40)
    assert float(_state(hass, "sensor", "last_session_cost")) == pytest.approx(
        event["cost"], abs=0.005
    )
    assert float(_state(hass, "sensor", "last_session_energy")) == pytest.approx(
        event["energy_kwh"], abs=0.005
    )
    assert _state(hass, "sensor", "session_cost") == STATE_UNKNOWN


async def test_reboot_and_restart_mid_session(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A charger reboot and a Home Assistant restart mid-session lose no energy."""
    freezer.move_to(FROZEN_TIME + timedelta(seconds=PLUG_IN - 10))
    await setup_entry(hass, wall_connector_entry)
    ended: list[Event] = []
    hass.bus.async_listen(EVENT_SESSION_ENDED, ended.append)
    lifetime_before = wall_connector_simulator.energy_wh()

    await _walk(hass, freezer, FROZEN_TIME + timedelta(seconds=CHARGING + 1200))
    wall_connector_simulator.reboot()
    await _walk(hass, freezer, FROZEN_TIME + timedelta(seconds=CHARGING + 1800))
    assert _state(hass, "binary_sensor", "charging") == "on"  # back after booting

    # A restart: unload (state saved) and set up again while the car keeps charging.
    assert await hass.config_entries.async_unload(wall_connector_entry.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 120)
    assert await hass.config_entries.async_setup(wall_connector_entry.entry_id)
    await hass.async_block_till_done()

    await _walk(hass, freezer, FROZEN_TIME + timedelta(seconds=UNPLUG + 60), step=5)
    assert len(ended) == 1
    delivered_kwh = (wall_connector_simulator.energy_wh() - lifetime_before) / 1000
    assert ended[0].data["energy_kwh"] == pytest.approx(delivered_kwh, abs=0.002)
    assert ended[0].data["cost"] is None  # no tariff linked
    assert ended[0].data["unpriced_energy_kwh"] == pytest.approx(delivered_kwh, abs=0.002)


async def test_offline_and_back(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unreachable charger goes unavailable and comes back by itself."""
    await setup_entry(hass, wall_connector_entry)
    wall_connector_simulator.fault = "offline"
    await advance(hass, freezer, 60)
    assert _state(hass, "sensor", "power") == STATE_UNAVAILABLE
    assert _state(hass, "sensor", "lifetime_energy") == STATE_UNAVAILABLE
    wall_connector_simulator.fault = None
    await advance(hass, freezer, 60)
    assert _state(hass, "sensor", "power") != STATE_UNAVAILABLE
    assert caplog.text.count(f"Error fetching Wall Connector {SERIAL} vitals") == 1
    assert f"Fetching Wall Connector {SERIAL} vitals data recovered" in caplog.text


@pytest.mark.parametrize("fault", ["truncated", "nan"])
async def test_quirky_bodies(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    fault: str,
) -> None:
    """Bodies real units send (bare nan, a missing brace) are read, not rejected."""
    wall_connector_simulator.fault = fault
    await setup_entry(hass, wall_connector_entry)
    assert wall_connector_entry.state is ConfigEntryState.LOADED
    assert _state(hass, "sensor", "grid_voltage") != STATE_UNAVAILABLE


async def test_lifetime_energy_never_goes_backwards(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A unit reporting less lifetime energy than before (reset, swap) is held at the high mark."""
    freezer.move_to(FROZEN_TIME + timedelta(seconds=UNPLUG + 60))
    await setup_entry(hass, wall_connector_entry)
    high = wall_connector_simulator.energy_wh() / 1000  # shown in kWh
    assert float(_state(hass, "sensor", "lifetime_energy")) == pytest.approx(high)

    fresh = WallConnectorSimulator(serial=SERIAL)  # same unit, counters from the start
    await fresh.start()
    try:
        assert fresh.energy_wh() / 1000 < high
        hass.config_entries.async_update_entry(
            wall_connector_entry, data={**wall_connector_entry.data, CONF_HOST: fresh.host}
        )
        await hass.config_entries.async_reload(wall_connector_entry.entry_id)
        await hass.async_block_till_done()
        assert float(_state(hass, "sensor", "lifetime_energy")) == pytest.approx(high)
        await advance(hass, freezer, 60)
        assert float(_state(hass, "sensor", "lifetime_energy")) == pytest.approx(high)
        assert caplog.text.count("keeping the higher value") == 1
        assert await hass.config_entries.async_unload(wall_connector_entry.entry_id)
    finally:
        await fresh.stop()


async def test_unreachable_at_setup_retries(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
) -> None:
    """A charger that cannot be reached at start-up is retried later."""
    wall_connector_simulator.fault = "offline"
    await setup_entry(hass, wall_connector_entry)
    assert wall_connector_entry.state is ConfigEntryState.SETUP_RETRY
