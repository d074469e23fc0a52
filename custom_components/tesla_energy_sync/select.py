"""Select platform: Powerwall operating mode (only with control enabled)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.select import SelectEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EntryKind
from .descriptions.powerwall import POWERWALL_SELECTS, PowerwallSelectEntityDescription
from .entity import TesEntity, entities_for
from .models import TesConfigEntry

PARALLEL_UPDATES = 1

SELECTS: dict[EntryKind, tuple[PowerwallSelectEntityDescription, ...]] = {
    EntryKind.POWERWALL: POWERWALL_SELECTS,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the selects the entry's source provides."""
    async_add_entities(entities_for(entry, SELECTS, TesSelect))


class TesSelect(TesEntity, SelectEntity):
    """A select described by a PowerwallSelectEntityDescription."""

    entity_description: PowerwallSelectEntityDescription

    @property
    def current_option(self) -> str | None:
        """Return the option from the coordinator's data."""
        return self.entity_description.current_fn(self.coordinator.data)

    async def async_select_option(self, option: str) -> None:
        """Write the option; a refusal raises a translated error."""
        coordinator: Any = self.coordinator
        await self.entity_description.select_fn(coordinator, option)
