"""Binary sensor platform."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EntryKind
from .descriptions import TesBinarySensorEntityDescription
from .descriptions.amber import AMBER_BINARY_SENSORS
from .descriptions.powerwall import POWERWALL_BINARY_SENSORS
from .descriptions.telemetry import VEHICLE_BINARY_SENSORS
from .descriptions.wall_connector import WALL_CONNECTOR_BINARY_SENSORS
from .entity import TesEntity, entities_for
from .models import TesConfigEntry
from .telemetry_entity import setup_telemetry_platform
from .telemetry_platforms import VehicleBinarySensor

PARALLEL_UPDATES = 0

BINARY_SENSORS: dict[EntryKind, tuple[TesBinarySensorEntityDescription[Any, Any], ...]] = {
    EntryKind.AMBER: AMBER_BINARY_SENSORS,
    EntryKind.WALL_CONNECTOR: WALL_CONNECTOR_BINARY_SENSORS,
    EntryKind.POWERWALL: POWERWALL_BINARY_SENSORS,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors the entry's source provides."""
    if entry.runtime_data.kind is EntryKind.FLEET_TELEMETRY:
        setup_telemetry_platform(
            entry, "binary_sensor", VEHICLE_BINARY_SENSORS, VehicleBinarySensor, async_add_entities
        )
        return
    async_add_entities(entities_for(entry, BINARY_SENSORS, TesBinarySensor))


class TesBinarySensor(TesEntity, BinarySensorEntity):
    """A binary sensor described by a TesBinarySensorEntityDescription."""

    entity_description: TesBinarySensorEntityDescription[Any, Any]

    @property
    def is_on(self) -> bool | None:
        """Return the state from the coordinator's data."""
        return self.entity_description.is_on_fn(self.coordinator.data)
