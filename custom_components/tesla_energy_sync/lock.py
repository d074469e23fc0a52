"""Lock platform: vehicle controls on Fleet Telemetry (with a Tesla account)."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .registry import spec_of
from .runtime import TesConfigEntry

# Commands to one car go one at a time: a second would race the first one's wake-up.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the locks (a vehicle's doors and charge cable) the entry's source makes."""
    if (setup := spec_of(entry).platform_setup.get(Platform.LOCK)) is not None:
        setup(hass, entry, async_add_entities)
