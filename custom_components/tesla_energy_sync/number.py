"""Number platform: the Powerwall backup reserve (only with control enabled)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.number import NumberEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EntryKind
from .descriptions import TesNumberEntityDescription
from .descriptions.powerwall import POWERWALL_NUMBERS
from .entity import TesEntity, entities_for
from .models import TesConfigEntry

PARALLEL_UPDATES = 1

NUMBERS: dict[EntryKind, tuple[TesNumberEntityDescription[Any, Any], ...]] = {
    EntryKind.POWERWALL: POWERWALL_NUMBERS,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the numbers the entry's source provides."""
    async_add_entities(entities_for(entry, NUMBERS, TesNumber))


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
