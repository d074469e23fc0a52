"""A Home Assistant restart: vehicles come back as they were, never through unavailable."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from simulators.fleet_telemetry import START_TIME, FleetProducer

from .common import VIN, until, value_of

HOME = (-33.86, 151.21)
BATTERY = "sensor.tesla_000001_battery_level"
TRACKER = "device_tracker.tesla_000001_location"
ONLINE = "binary_sensor.tesla_000001_online"


def _registered(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry, platform: str, key: str
) -> str:
    """Register one of the car's entities as the run before the restart had left it."""
    return entity_registry.async_get_or_create(
        platform,
        "tesla_energy_sync",
        f"{VIN}_{key}",
        config_entry=entry,
        suggested_object_id=f"tesla_000001_{key}",
    ).entity_id


async def test_a_restart_restores_vehicles_without_passing_through_unavailable(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
    entity_registry: er.EntityRegistry,
) -> None:
    """Last states come back at once, before the broker answers; an arrival does not fire."""
    telemetry_entry.add_to_hass(hass)
    registered = {
        _registered(entity_registry, telemetry_entry, "sensor", "battery_level"),
        _registered(entity_registry, telemetry_entry, "device_tracker", "location"),
        _registered(entity_registry, telemetry_entry, "binary_sensor", "online"),
    }
    assert registered == {BATTERY, TRACKER, ONLINE}
    mock_restore_cache_with_extra_data(
        hass,
        [
            (State(BATTERY, "55.0"), {"native_value": 55.0, "native_unit_of_measurement": "%"}),
            (State(TRACKER, "home", {"latitude": HOME[0], "longitude": HOME[1]}), {}),
            (State(ONLINE, "on"), {}),
        ],
    )
    hass.config.latitude, hass.config.longitude = HOME
    assert await async_setup_component(
        hass,
        "zone",
        {"zone": {"name": "Home", "latitude": HOME[0], "longitude": HOME[1], "radius": 150}},
    )
    seen: dict[str, list[str]] = {entity_id: [] for entity_id in registered}

    def record(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None and new.entity_id in seen:
            seen[new.entity_id].append(new.state)

    hass.bus.async_listen("state_changed", record)

    assert await hass.config_entries.async_setup(telemetry_entry.entry_id)
    await hass.async_block_till_done()
    # Before any record, and whether or not the consumer has joined its group yet.
    assert (
        value_of(hass, "sensor", VIN, "battery_level"),
        value_of(hass, "binary_sensor", VIN, "online"),
    ) == ("55.0", "on")
    assert value_of(hass, "device_tracker", VIN, "location") == "home"

    # Home Assistant turns automations on once started, after the integrations were set up.
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {"platform": "state", "entity_id": TRACKER, "to": "home"},
                "action": {"event": "welcome_home"},
            }
        },
    )
    arrivals: list[Event] = []
    hass.bus.async_listen("welcome_home", arrivals.append)

    hub = telemetry_entry.runtime_data.hub
    await until(hass, lambda: hub.connected)
    await producer.send_vehicle_data(
        VIN, START_TIME + timedelta(minutes=1), {"BatteryLevel": 56.0, "Location": HOME}
    )
    await until(hass, lambda: value_of(hass, "sensor", VIN, "battery_level") == "56.0")

    assert seen[BATTERY] == ["55.0", "56.0"]
    assert seen[TRACKER][0] == "home"
    assert STATE_UNAVAILABLE not in {state for states in seen.values() for state in states}
    assert arrivals == []
