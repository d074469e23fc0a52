"""Switch platform."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EntryKind
from .descriptions import TesSwitchEntityDescription
from .descriptions.powerwall import POWERWALL_SWITCHES
from .descriptions.tou_sync import TOU_SYNC_SWITCHES
from .entity import TesEntity, entities_for
from .models import TesConfigEntry

PARALLEL_UPDATES = 1

SWITCHES: dict[EntryKind, tuple[TesSwitchEntityDescription, ...]] = {
    EntryKind.TOU_SYNC: TOU_SYNC_SWITCHES,
    EntryKind.POWERWALL: POWERWALL_SWITCHES,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches the entry's source provides."""
    async_add_entities(entities_for(entry, SWITCHES, TesSwitch))


class TesSwitch(TesEntity, SwitchEntity):
    """A switch described by a TesSwitchEntityDescription."""

    entity_description: TesSwitchEntityDescription

    @property
    def is_on(self) -> bool:
        """Return the state from the coordinator."""
        return self.entity_description.is_on_fn(self.coordinator)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn on."""
        await self.entity_description.set_fn(self.coordinator, True)
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn off."""
        await self.entity_description.set_fn(self.coordinator, False)
        self.async_write_ha_state()
