"""Sensor platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import TesCoordinator
from .description import TesSensorEntityDescription
from .entity import TesEntity, async_setup_platform
from .runtime import TesConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the entry's source provides."""
    async_setup_platform(hass, entry, async_add_entities, Platform.SENSOR, TesSensor)


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
