"""Binary sensor platform."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .description import TesBinarySensorEntityDescription
from .entity import TesEntity, async_setup_platform
from .runtime import TesConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors the entry's source provides."""
    async_setup_platform(hass, entry, async_add_entities, Platform.BINARY_SENSOR, TesBinarySensor)


class TesBinarySensor(TesEntity, BinarySensorEntity):
    """A binary sensor described by a TesBinarySensorEntityDescription."""

    entity_description: TesBinarySensorEntityDescription[Any, Any]

    @property
    def is_on(self) -> bool | None:
        """Return the state from the coordinator's data."""
        return self.entity_description.is_on_fn(self.coordinator.data)
