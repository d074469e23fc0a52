"""Tesla Energy Sync: tariffs, Tesla chargers, Powerwalls and vehicles in Home Assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import CONF_KIND, DOMAIN, EntryKind
from .coordinator.base import TesCoordinator
from .coordinator.powerwall import PowerwallCoordinator
from .coordinator.powerwall_combined import powerwall_combined
from .models import TesConfigEntry
from .services import async_setup_services
from .sources import SOURCES
from .views import async_register_views

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.DEVICE_TRACKER,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services, which belong to the integration rather than to one entry."""
    async_setup_services(hass)
    async_register_views(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TesConfigEntry) -> bool:
    """Set up one source from its config entry."""
    kind = EntryKind(entry.data[CONF_KIND])
    runtime = await SOURCES[kind](hass, entry)
    coordinators = runtime.coordinators
    # Concurrently: one slow endpoint (a charger can take seconds) must not hold the others.
    try:
        await asyncio.gather(
            *(
                coordinator.async_config_entry_first_refresh()
                for coordinator in coordinators.values()
            )
        )
    except Exception:
        await _close(coordinators)
        raise
    entry.runtime_data = runtime
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TesConfigEntry) -> bool:
    """Unload a config entry (a Kafka consumer is stopped cleanly, committing what it applied)."""
    if (hub := entry.runtime_data.extras.get("hub")) is not None:
        await hub.consumer.stop()
        await entry.runtime_data.extras["task"]
    if entry.runtime_data.kind is EntryKind.POWERWALL:
        await powerwall_combined(hass).leave(entry.entry_id)
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await _close(entry.runtime_data.coordinators)
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: TesConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a vehicle that stopped reporting; other devices are live sources.

    The vehicle comes back, as new, if the stream carries its VIN again.
    """
    hub = entry.runtime_data.extras.get("hub")
    if hub is None:
        return False
    for domain, vin in device.identifiers:
        if domain == DOMAIN:
            hub.async_forget(vin)
    return True


async def _close(coordinators: Mapping[str, TesCoordinator[Any]]) -> None:
    """Close what holds connections of its own (a Powerwall gateway's pypowerwall object)."""
    for coordinator in coordinators.values():
        if isinstance(coordinator, PowerwallCoordinator):
            await coordinator.gateway.close()
