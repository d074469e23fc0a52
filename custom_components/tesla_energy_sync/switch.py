"""Switch platform."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .description import TesSwitchEntityDescription
from .entity import TesEntity, async_setup_platform
from .runtime import TesConfigEntry

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches the entry's source provides."""
    async_setup_platform(hass, entry, async_add_entities, Platform.SWITCH, TesSwitch)


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
