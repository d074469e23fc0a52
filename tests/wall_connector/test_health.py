"""Charger health: alerts and not-ready reasons, the problem sensor, and the alert event."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.tesla_energy_sync.const import (
    CONF_KIND,
    CONF_SERIAL,
    DOMAIN,
    EVENT_CHARGER_ALERT,
    EntryKind,
)
from simulators.wall_connector import BOOT_SECONDS, FIRMWARES, WallConnectorSimulator

from ..conftest import FROZEN_TIME, WALL_CONNECTOR_SERIAL, setup_entry
from ..helpers import advance, entity_id

SERIAL = WALL_CONNECTOR_SERIAL
PLUG_IN = 600  # seconds into the simulator's script


def _state(hass: HomeAssistant, platform: str, key: str) -> str:
    state = hass.states.get(entity_id(hass, platform, f"{SERIAL}_{key}"))
    assert state is not None
    return state.state


def _attribute(hass: HomeAssistant, platform: str, key: str, name: str) -> object:
    state = hass.states.get(entity_id(hass, platform, f"{SERIAL}_{key}"))
    assert state is not None
    return state.attributes[name]


async def test_alerts_raise_problem_and_fire_once(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new alert fires one event and raises the problem sensor until it clears."""
    sim = wall_connector_simulator
    sim.alerts = [23]  # there before Home Assistant: recorded, not announced
    events = async_capture_events(hass, EVENT_CHARGER_ALERT)
    await setup_entry(hass, wall_connector_entry)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, SERIAL), wall_connector_entry.entry_id
    )
    assert device is not None
    assert _state(hass, "binary_sensor", "problem") == STATE_ON
    assert _state(hass, "sensor", "alerts") == "1"
    assert _attribute(hass, "sensor", "alerts", "alerts") == [23]
    # Unplugged, 2025 firmware lists reasons 4 and 8 (docs/wall-connector.md#alerts).
    assert _state(hass, "sensor", "not_ready_reasons") == "2"
    assert _attribute(hass, "sensor", "not_ready_reasons", "reasons") == [4, 8]
    assert events == []

    sim.alerts = [23, 31]
    await advance(hass, freezer, 30)
    await advance(hass, freezer, 30)  # still there: no second event
    assert len(events) == 1
    assert events[0].data == {
        "device_id": device.id,
        "serial_number": SERIAL,
        "alert": 31,
        "alerts": [23, 31],
        "evse_state": "not_connected",
    }
    assert _state(hass, "sensor", "alerts") == "2"

    sim.alerts = []
    await advance(hass, freezer, 30)
    assert _state(hass, "binary_sensor", "problem") == STATE_OFF
    assert _state(hass, "sensor", "alerts") == "0"
    sim.alerts = [31]  # back again: a new occurrence
    await advance(hass, freezer, 30)
    assert [event.data["alert"] for event in events] == [31, 31]

    # A reboot lists no alerts while booting; that is not the alert clearing and coming back.
    await advance(hass, freezer, 10)
    sim.reboot()
    await advance(hass, freezer, 20)  # the next poll, 20 s into the boot
    assert _state(hass, "sensor", "status") == "booting"
    assert _state(hass, "sensor", "alerts") == "0"
    await advance(hass, freezer, BOOT_SECONDS + 30)
    assert _state(hass, "sensor", "status") == "not_connected"
    # Nor is a Home Assistant restart: the alerts it knew are stored.
    assert await hass.config_entries.async_unload(wall_connector_entry.entry_id)
    sim.alerts = [31, "ground_fault"]
    assert await hass.config_entries.async_setup(wall_connector_entry.entry_id)
    await hass.async_block_till_done()
    assert [event.data["alert"] for event in events] == [31, 31, "ground_fault"]
    assert events[-1].data["device_id"] == device.id


async def test_error_state_and_routine_alert(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    wall_connector_simulator: WallConnectorSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The error state is a problem; the alert every plugged-in, waiting unit lists is not."""
    sim = wall_connector_simulator
    events = async_capture_events(hass, EVENT_CHARGER_ALERT)
    await setup_entry(hass, wall_connector_entry)
    assert _state(hass, "binary_sensor", "problem") == STATE_OFF

    freezer.move_to(FROZEN_TIME + timedelta(seconds=PLUG_IN))
    await advance(hass, freezer, 20)
    assert _state(hass, "binary_sensor", "vehicle_connected") == STATE_ON
    assert _attribute(hass, "sensor", "alerts", "alerts") == [49]
    assert _state(hass, "binary_sensor", "problem") == STATE_OFF
    assert _state(hass, "sensor", "not_ready_reasons") == "1"
    assert events == []

    sim.fault = "error"
    await advance(hass, freezer, 10)
    assert _state(hass, "sensor", "status") == "error"
    assert _state(hass, "binary_sensor", "problem") == STATE_ON
    sim.fault = None
    await advance(hass, freezer, 10)
    assert _state(hass, "binary_sensor", "problem") == STATE_OFF


async def test_firmware_without_not_ready_reasons(
    hass: HomeAssistant, wall_connector_simulator: WallConnectorSimulator
) -> None:
    """Firmware from before 2025 sends no not-ready reasons: no entity for them."""
    old = WallConnectorSimulator(serial="PGT2190000001", firmware=FIRMWARES[0])
    await old.start()
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=old.serial,
            data={
                CONF_KIND: EntryKind.WALL_CONNECTOR,
                CONF_HOST: old.host,
                CONF_SERIAL: old.serial,
            },
        )
        await setup_entry(hass, entry)
        registry = er.async_get(hass)
        assert registry.async_get_entity_id("sensor", DOMAIN, f"{old.serial}_alerts")
        assert (
            registry.async_get_entity_id("sensor", DOMAIN, f"{old.serial}_not_ready_reasons")
            is None
        )
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await old.stop()
