"""Sensor platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import EntryKind
from .coordinator.base import TesCoordinator
from .descriptions import TesSensorEntityDescription
from .descriptions.amber import AMBER_SENSORS
from .descriptions.comed import COMED_SENSORS
from .descriptions.powerwall import POWERWALL_SENSORS
from .descriptions.telemetry import VEHICLE_SENSORS
from .descriptions.tou_sync import TOU_SYNC_SENSORS
from .descriptions.wall_connector import WALL_CONNECTOR_SENSORS
from .entity import TesEntity, entities_for
from .models import TesConfigEntry
from .telemetry_entity import setup_telemetry_platform
from .telemetry_platforms import VehicleSensor

PARALLEL_UPDATES = 0

SENSORS: dict[EntryKind, tuple[TesSensorEntityDescription[Any, Any], ...]] = {
    EntryKind.AMBER: AMBER_SENSORS,
    EntryKind.COMED: COMED_SENSORS,
    EntryKind.WALL_CONNECTOR: WALL_CONNECTOR_SENSORS,
    EntryKind.TOU_SYNC: TOU_SYNC_SENSORS,
    EntryKind.POWERWALL: POWERWALL_SENSORS,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the entry's source provides."""
    if entry.runtime_data.kind is EntryKind.FLEET_TELEMETRY:
        setup_telemetry_platform(
            entry, "sensor", VEHICLE_SENSORS, VehicleSensor, async_add_entities
        )
        return
    async_add_entities(entities_for(entry, SENSORS, TesSensor))


class TesSensor(TesEntity, SensorEntity):
    """A sensor described by a TesSensorEntityDescription."""

    entity_description: TesSensorEntityDescription[Any, Any]
    # 48 h of forecasts would bloat the recorder; the current value is what history needs.
    _unrecorded_attributes = frozenset({"forecasts"})

    def __init__(
        self, coordinator: TesCoordinator[Any], description: TesSensorEntityDescription[Any, Any]
    ) -> None:
        """Resolve a unit that depends on the entry's set-up."""
        super().__init__(coordinator, description)
        if description.unit_fn is not None:
            self._attr_native_unit_of_measurement = description.unit_fn(coordinator)

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value from the coordinator's data."""
        return self.entity_description.value_fn(self.coordinator.data)
