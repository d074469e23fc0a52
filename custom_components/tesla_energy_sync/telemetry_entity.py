"""Vehicle entities fed by the Fleet Telemetry hub (push, not polled).

Each entity belongs to one VIN and reads one or more telemetry fields. They are created the
first time a vehicle sends a field they read, and recreated from the entity registry at start-up
so that their last state is restored before the first record arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator.telemetry import TelemetryHub, VehicleState
from .models import TesConfigEntry


@dataclass(frozen=True, kw_only=True)
class TelemetryEntityDescription(EntityDescription):
    """Which telemetry fields an entity reads (any of them makes it exist)."""

    fields: tuple[str, ...]


def vehicle_device(vin: str) -> DeviceInfo:
    """Return the device of one vehicle (one per VIN seen on the stream)."""
    return DeviceInfo(
        identifiers={(DOMAIN, vin)},
        name=f"Tesla {vin[-6:]}",
        manufacturer="Tesla",
        serial_number=vin,
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
        self._attr_device_info = vehicle_device(vin)

    @property
    def available(self) -> bool:
        """Unavailable while the Kafka consumer is disconnected."""
        return self.hub.connected

    @property
    def vehicle(self) -> VehicleState | None:
        """Return what the hub knows of this vehicle (None before its first record)."""
        return self.hub.vehicles.get(self.vin)

    def has_data(self) -> bool:
        """Return whether the hub holds any of this entity's fields for the vehicle."""
        vehicle = self.vehicle
        return vehicle is not None and any(
            name in vehicle.fields or (name == "online" and vehicle.online is not None)
            for name in self.entity_description.fields
        )

    async def async_added_to_hass(self) -> None:
        """Follow the hub."""
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_add_listener(self.vin, self._async_hub_updated))
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


def setup_telemetry_platform[DescriptionT: TelemetryEntityDescription](
    entry: TesConfigEntry,
    platform: str,
    descriptions: tuple[DescriptionT, ...],
    build: Callable[[TelemetryHub, str, DescriptionT], TelemetryEntity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create entities from the registry now and for new fields as they arrive."""
    hub: TelemetryHub = entry.runtime_data.extras["hub"]
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
    for vin, keys in known.items():
        add(vin, keys)

    @callback
    def new_fields(vin: str, names: set[str]) -> None:
        add(vin, [d.key for d in descriptions if names.intersection(d.fields)])

    @callback
    def forget(vin: str) -> None:
        created.difference_update({(vin, key) for key in by_key})

    entry.async_on_unload(hub.async_add_new_field_listener(new_fields))
    entry.async_on_unload(hub.async_add_forget_listener(forget))
    for vin, vehicle in hub.vehicles.items():
        names = set(vehicle.fields) | ({"online"} if vehicle.online is not None else set())
        new_fields(vin, names)


def field_value(vehicle: VehicleState | None, name: str) -> Any:
    """Return a field's value (None when the car has not sent it or sent `invalid`)."""
    return None if vehicle is None else vehicle.fields.get(name)
