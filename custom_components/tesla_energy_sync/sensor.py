"""Sensor platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import RestoreSensor, SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import EntryKind
from .coordinator.base import TesCoordinator
from .coordinator.powerwall import PowerwallCoordinator
from .coordinator.powerwall_combined import (
    COMBINED_DEVICE,
    COMBINED_ID,
    PowerwallCombined,
    powerwall_combined,
)
from .descriptions import TesSensorEntityDescription
from .descriptions.amber import AMBER_SENSORS
from .descriptions.comed import COMED_SENSORS
from .descriptions.powerwall import (
    POWERWALL_COMBINED_SENSORS,
    POWERWALL_SENSORS,
    CombinedSensorEntityDescription,
)
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
    if entry.runtime_data.kind is EntryKind.POWERWALL:
        coordinator = entry.runtime_data.coordinators["powerwall"]
        assert isinstance(coordinator, PowerwallCoordinator)  # noqa: S101 - set up by kind
        combined = powerwall_combined(hass)
        combined.make_entities = _combined_sensors
        combined.join(entry.entry_id, coordinator, async_add_entities)


def _combined_sensors(combined: PowerwallCombined) -> list[CombinedSensor]:
    return [CombinedSensor(combined, description) for description in POWERWALL_COMBINED_SENSORS]


class TesSensor(TesEntity, SensorEntity):
    """A sensor described by a TesSensorEntityDescription."""

    entity_description: TesSensorEntityDescription[Any, Any]
    # 48 h of forecasts, or the 48 rows sent to a Powerwall, would bloat the recorder; the
    # current value is what history needs.
    _unrecorded_attributes = frozenset({"forecasts", "slots"})

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


class CombinedSensor(RestoreSensor):
    """A sensor of the combined Powerwall device (see coordinator/powerwall_combined.py)."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: CombinedSensorEntityDescription

    def __init__(
        self, combined: PowerwallCombined, description: CombinedSensorEntityDescription
    ) -> None:
        """Belong to the combined device."""
        self.combined = combined
        self.entity_description = description
        self._attr_unique_id = f"{COMBINED_ID}_{description.key}"
        self._attr_device_info = COMBINED_DEVICE

    async def async_added_to_hass(self) -> None:
        """Continue an energy counter from its last value (it moved host, or HA restarted)."""
        await super().async_added_to_hass()
        counter = self.entity_description.energy
        if counter is None or counter in self.combined.energy_wh:
            return
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float):
            self.combined.energy_wh[counter] = float(last.native_value)

    @property
    def available(self) -> bool:
        """Return whether every member gateway answered its last poll."""
        return self.combined.complete is not None

    @property
    def native_value(self) -> float | None:
        """Return the combined value."""
        return self.entity_description.value_fn(self.combined)

    def combined_updated(self) -> None:
        """Write the state after a member's poll or a change of members."""
        if self.hass is not None:
            self.async_write_ha_state()
