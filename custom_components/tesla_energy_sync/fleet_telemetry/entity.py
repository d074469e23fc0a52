"""Vehicle entities fed by the Fleet Telemetry hub (push, not polled).

Each entity belongs to one VIN and reads one or more telemetry fields. They are created the
first time a vehicle sends a field they read, and recreated from the entity registry at start-up
so that their last state is restored before the first record arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
import time
from typing import Any, Final

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.device_tracker.const import SourceType
from homeassistant.components.device_tracker.entity import TrackerEntity
from homeassistant.components.sensor import RestoreSensor, SensorEntity
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE, STATE_ON
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity
from homeassistant.helpers.typing import StateType

from ..const import DOMAIN
from ..runtime import TesConfigEntry
from .descriptions import (
    BROKER_CONNECTED,
    HEALTH_SENSORS,
    TRACKERS,
    VEHICLE_BINARY_SENSORS,
    VEHICLE_SENSORS,
    HealthBinarySensorDescription,
    HealthSensorDescription,
    TelemetryEntityDescription,
    VehicleBinarySensorDescription,
    VehicleSensorDescription,
    VehicleTrackerDescription,
    field_value,
)
from .hub import FleetTelemetryRuntime, TelemetryHub, VehicleState

# docs/fleet-telemetry.md#vin: Tesla's VIN position 4 names the model, position 10 the year.
VIN_MODELS: Final = {
    "S": "Model S",
    "3": "Model 3",
    "X": "Model X",
    "Y": "Model Y",
    "C": "Cybertruck",
    "R": "Roadster",
    "T": "Semi",
}
# ISO 3779 year codes from 2008 (Tesla's first cars): 8, 9, then letters without I O Q U Z.
VIN_YEARS: Final = {code: year for year, code in enumerate("89ABCDEFGHJKLMNPRSTVWXY", start=2008)}


def vin_model(vin: str) -> str | None:
    """Return the model a Tesla VIN encodes, with its model year when that is known."""
    model = VIN_MODELS.get(vin[3:4])
    if model is None:
        return None
    year = VIN_YEARS.get(vin[9:10])
    return model if year is None else f"{model} ({year})"


def vehicle_device(hub: TelemetryHub, vin: str) -> DeviceInfo:
    """Return the device of one vehicle (one per VIN seen on the stream).

    Named after the car when it sent its name; until then a device already registered keeps
    its name, so entities restored at start-up do not rename it back to the VIN.
    """
    name = hub.vehicle_name(vin)
    if name is None:
        known = dr.async_get(hub.hass).async_get_device_by_identifier((DOMAIN, vin), hub.entry_id)
        name = known.name if known is not None and known.name else f"Tesla {vin[-6:]}"
    return DeviceInfo(
        identifiers={(DOMAIN, vin)},
        name=name,
        manufacturer="Tesla",
        model=vin_model(vin),
        serial_number=vin,
    )


def hub_device(entry: TesConfigEntry) -> DeviceInfo:
    """Return the entry's own service device, which holds the stream's health entities."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer="Tesla",
        model="Fleet Telemetry",
        entry_type=DeviceEntryType.SERVICE,
    )


class TelemetryEntity(Entity):
    """An entity of one vehicle, updated when the hub applies records for it."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: TelemetryEntityDescription

    def __init__(
        self, hub: TelemetryHub, vin: str, description: TelemetryEntityDescription
    ) -> None:
        """Identify the entity by VIN and key."""
        self.hub = hub
        self.vin = vin
        self.entity_description = description
        self._attr_unique_id = f"{vin}_{description.key}"

    @property
    def device_info(self) -> DeviceInfo:
        """Return the vehicle's device, built when asked (once, as the entity is added).

        Not kept per entity: with a dozen entities a car and hundreds of cars, a stored copy
        each is a measurable share of the memory a vehicle costs.
        """
        return vehicle_device(self.hub, self.vin)

    @property
    def available(self) -> bool:
        """Unavailable once the Kafka broker was found unreachable, until it answers again."""
        return self.hub.available

    @property
    def vehicle(self) -> VehicleState | None:
        """Return what the hub knows of this vehicle (None before its first record)."""
        return self.hub.vehicles.get(self.vin)

    @property
    def listens_to(self) -> tuple[str, ...] | None:
        """Return the fields whose change this entity must show (None: any field)."""
        return self.entity_description.fields

    def has_data(self) -> bool:
        """Return whether the hub holds any of this entity's fields for the vehicle."""
        vehicle = self.vehicle
        return vehicle is not None and any(
            name in vehicle.fields for name in self.entity_description.fields
        )

    async def async_added_to_hass(self) -> None:
        """Follow the hub."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hub.async_add_listener(self.vin, self._async_hub_updated, self.listens_to)
        )
        if self.has_data():
            self._update_from_hub()

    @callback
    def _async_hub_updated(self) -> None:
        if self.has_data():
            self._update_from_hub()
        self.async_write_ha_state()

    def _update_from_hub(self) -> None:
        """Copy the hub's values into the entity's attributes."""
        raise NotImplementedError


class HealthEntity(Entity):
    """A figure of the entry's stream; refreshed on connection changes and every minute."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: TesConfigEntry, hub: TelemetryHub, key: str) -> None:
        """Identify the entity by entry and key."""
        self.hub = hub
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = hub_device(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the hub's health ticks."""
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_add_health_listener(self.async_write_ha_state))


class HealthSensor(HealthEntity, SensorEntity):
    """A number or time describing the stream."""

    entity_description: HealthSensorDescription

    def __init__(
        self, entry: TesConfigEntry, hub: TelemetryHub, description: HealthSensorDescription
    ) -> None:
        """Keep the description."""
        self.entity_description = description
        super().__init__(entry, hub, description.key)

    @property
    def native_value(self) -> StateType | datetime:
        """Return the figure from the hub."""
        return self.entity_description.value_fn(self.hub)


class HealthBinarySensor(HealthEntity, BinarySensorEntity):
    """Whether the consumer is connected to the broker; never unavailable, off when down."""

    entity_description: HealthBinarySensorDescription

    def __init__(
        self, entry: TesConfigEntry, hub: TelemetryHub, description: HealthBinarySensorDescription
    ) -> None:
        """Keep the description."""
        self.entity_description = description
        super().__init__(entry, hub, description.key)

    @property
    def is_on(self) -> bool | None:
        """Return the flag from the hub."""
        return self.entity_description.is_on_fn(self.hub)


def _hub_of(entry: TesConfigEntry) -> TelemetryHub:
    runtime = entry.runtime_data
    assert isinstance(runtime, FleetTelemetryRuntime)  # noqa: S101 - the registry routes by kind
    return runtime.hub


def setup_telemetry_platform[DescriptionT: TelemetryEntityDescription](
    entry: TesConfigEntry,
    platform: str,
    descriptions: tuple[DescriptionT, ...],
    build: Callable[[TelemetryHub, str, DescriptionT], TelemetryEntity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create entities from the registry now and for new fields as they arrive."""
    runtime = entry.runtime_data
    assert isinstance(runtime, FleetTelemetryRuntime)  # noqa: S101 - the registry routes by kind
    hub = runtime.hub
    by_key = {description.key: description for description in descriptions}
    created: set[tuple[str, str]] = set()

    def add(vin: str, keys: list[str]) -> None:
        new = [key for key in keys if (vin, key) not in created]
        created.update((vin, key) for key in new)
        if new:
            async_add_entities(build(hub, vin, by_key[key]) for key in new)

    # Vehicles seen before a restart: recreate their entities so they restore their state.
    registry = er.async_get(hub.hass)
    known: dict[str, list[str]] = {}
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        if registered.domain != platform or registered.unique_id is None:
            continue
        vin, _, key = registered.unique_id.partition("_")
        if key in by_key:
            known.setdefault(vin, []).append(key)
    # A slice a loop turn, as the hub's flush does: hundreds of cars' entities added in one
    # go would hold the event loop for a quarter of a second at every start.
    waiting = list(known.items())
    later: asyncio.Handle | None = None

    @callback
    def restore_some() -> None:
        nonlocal later
        deadline = time.perf_counter() + hub.flush_budget
        while waiting:
            add(*waiting.pop(0))
            if time.perf_counter() >= deadline:
                break
        later = hub.hass.loop.call_soon(restore_some) if waiting else None

    @callback
    def stop_restoring() -> None:
        if later is not None:
            later.cancel()

    restore_some()
    entry.async_on_unload(stop_restoring)

    @callback
    def new_fields(vin: str, names: set[str]) -> None:
        add(vin, [d.key for d in descriptions if names.intersection(d.fields)])

    @callback
    def forget(vin: str) -> None:
        created.difference_update({(vin, key) for key in by_key})

    entry.async_on_unload(hub.async_add_new_field_listener(new_fields))
    entry.async_on_unload(hub.async_add_forget_listener(forget))
    for vin, vehicle in hub.vehicles.items():
        new_fields(vin, set(vehicle.fields))


ATTR_HEADING = "heading"


class VehicleSensor(TelemetryEntity, RestoreSensor):
    """A vehicle value; the last one is restored after a restart."""

    entity_description: VehicleSensorDescription

    async def async_added_to_hass(self) -> None:
        """Restore the last value, then follow the hub."""
        if (last := await self.async_get_last_sensor_data()) is not None:
            self._attr_native_value = last.native_value
        await super().async_added_to_hass()

    def _update_from_hub(self) -> None:
        description = self.entity_description
        if description.value_fn is not None:
            self._attr_native_value = description.value_fn(self.vehicle)
        else:
            self._attr_native_value = field_value(self.vehicle, description.fields[0])


class VehicleBinarySensor(TelemetryEntity, BinarySensorEntity, RestoreEntity):
    """A vehicle flag; the last one is restored after a restart."""

    entity_description: VehicleBinarySensorDescription

    async def async_added_to_hass(self) -> None:
        """Restore the last state, then follow the hub."""
        if (last := await self.async_get_last_state()) is not None:
            self._attr_is_on = last.state == STATE_ON
        await super().async_added_to_hass()

    def _update_from_hub(self) -> None:
        self._attr_is_on = self.entity_description.is_on_fn(self.vehicle)


class VehicleTracker(TelemetryEntity, TrackerEntity, RestoreEntity):
    """Where the vehicle is (GPS); zones and the map follow it. Restored after a restart."""

    entity_description: VehicleTrackerDescription
    _attr_source_type = SourceType.GPS
    _attr_location_accuracy = 0

    async def async_added_to_hass(self) -> None:
        """Restore the last position, then follow the hub."""
        if (last := await self.async_get_last_state()) is not None:
            self._attr_latitude = last.attributes.get(ATTR_LATITUDE)
            self._attr_longitude = last.attributes.get(ATTR_LONGITUDE)
            self._heading = last.attributes.get(ATTR_HEADING)
        await super().async_added_to_hass()

    _heading: Any = None

    @property
    def listens_to(self) -> tuple[str, ...]:
        """Follow the position, and the heading the car's own tracker shows beside it."""
        fields = self.entity_description.fields
        return (*fields, "GpsHeading") if self.entity_description.keeps_last_position else fields

    def _update_from_hub(self) -> None:
        description = self.entity_description
        position = field_value(self.vehicle, description.fields[0])
        if isinstance(position, tuple):
            self._attr_latitude, self._attr_longitude = position
        elif not description.keeps_last_position:
            self._attr_latitude = self._attr_longitude = None
        if description.keeps_last_position:
            self._heading = field_value(self.vehicle, "GpsHeading")

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the heading (degrees) when the car sends it."""
        return {ATTR_HEADING: self._heading} if self._heading is not None else {}


def setup_sensors(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the stream's health sensors, and each vehicle's sensors as their fields appear."""
    hub = _hub_of(entry)
    async_add_entities(HealthSensor(entry, hub, description) for description in HEALTH_SENSORS)
    setup_telemetry_platform(entry, "sensor", VEHICLE_SENSORS, VehicleSensor, async_add_entities)


def setup_binary_sensors(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the broker's connectivity, and each vehicle's binary sensors as fields appear."""
    async_add_entities([HealthBinarySensor(entry, _hub_of(entry), BROKER_CONNECTED)])
    setup_telemetry_platform(
        entry, "binary_sensor", VEHICLE_BINARY_SENSORS, VehicleBinarySensor, async_add_entities
    )


def setup_trackers(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add each vehicle's trackers (location, route) as the car sends their positions."""
    setup_telemetry_platform(entry, "device_tracker", TRACKERS, VehicleTracker, async_add_entities)
