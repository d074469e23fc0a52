"""Tesla Energy Sync: tariffs, Tesla chargers, Powerwalls and vehicles in Home Assistant."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .registry import SOURCES, spec_of
from .runtime import TesConfigEntry

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CLIMATE,
    Platform.COVER,
    Platform.DEVICE_TRACKER,
    Platform.LOCK,
    Platform.MEDIA_PLAYER,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register what belongs to the integration rather than to one entry (services, views)."""
    for spec in SOURCES.values():
        if spec.setup is not None:
            spec.setup(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TesConfigEntry) -> bool:
    """Set up one source from its config entry.

    Coordinators close their clients in their own shutdown, which Home Assistant runs when
    set-up fails as well as on unload.
    """
    runtime = await spec_of(entry).build(hass, entry)
    await runtime.async_first_refresh()
    entry.runtime_data = runtime
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TesConfigEntry) -> bool:
    """Unload a config entry (a push consumer stops first, committing what it applied)."""
    await entry.runtime_data.async_stop()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: TesConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device the source allows (a vehicle that stopped reporting)."""
    remove = spec_of(entry).remove_device
    return remove is not None and remove(entry, device)
