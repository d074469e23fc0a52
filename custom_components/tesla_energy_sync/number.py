"""Number platform: the Powerwall backup reserve (only with control enabled)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.number import NumberEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .description import TesNumberEntityDescription
from .entity import TesEntity, async_setup_platform
from .runtime import TesConfigEntry

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the numbers the entry's source provides."""
    async_setup_platform(hass, entry, async_add_entities, Platform.NUMBER, TesNumber)


class TesNumber(TesEntity, NumberEntity):
    """A number described by a TesNumberEntityDescription."""

    entity_description: TesNumberEntityDescription[Any, Any]

    @property
    def native_value(self) -> float | None:
        """Return the value from the coordinator's data."""
        return self.entity_description.value_fn(self.coordinator.data)

    async def async_set_native_value(self, value: float) -> None:
        """Write the value; a refusal raises a translated error."""
        await self.entity_description.set_fn(self.coordinator, value)
