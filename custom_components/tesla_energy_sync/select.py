"""Select platform: Powerwall operating mode and export rule (only with control enabled)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.select import SelectEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .description import TesSelectEntityDescription
from .entity import TesEntity, async_setup_platform
from .runtime import TesConfigEntry

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the selects the entry's source provides."""
    async_setup_platform(hass, entry, async_add_entities, Platform.SELECT, TesSelect)


class TesSelect(TesEntity, SelectEntity):
    """A select described by a TesSelectEntityDescription."""

    entity_description: TesSelectEntityDescription[Any, Any]

    @property
    def current_option(self) -> str | None:
        """Return the option from the coordinator's data."""
        return self.entity_description.current_fn(self.coordinator.data)

    async def async_select_option(self, option: str) -> None:
        """Write the option; a refusal raises a translated error."""
        await self.entity_description.select_fn(self.coordinator, option)
