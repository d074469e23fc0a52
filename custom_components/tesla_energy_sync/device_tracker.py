"""Device tracker platform: vehicles on Fleet Telemetry."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .registry import spec_of
from .runtime import TesConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the trackers the entry's source makes (a vehicle's, once it sends its location)."""
    if (setup := spec_of(entry).platform_setup.get(Platform.DEVICE_TRACKER)) is not None:
        setup(hass, entry, async_add_entities)
