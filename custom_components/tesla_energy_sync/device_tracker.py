"""Device tracker platform: vehicles on Fleet Telemetry."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EntryKind
from .descriptions.telemetry import TRACKER
from .models import TesConfigEntry
from .telemetry_entity import setup_telemetry_platform
from .telemetry_platforms import VehicleTracker

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a tracker for each vehicle that sends its location."""
    if entry.runtime_data.kind is EntryKind.FLEET_TELEMETRY:
        setup_telemetry_platform(
            entry, "device_tracker", (TRACKER,), VehicleTracker, async_add_entities
        )
