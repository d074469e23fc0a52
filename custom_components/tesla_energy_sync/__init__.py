"""Tesla Energy Sync: tariffs, Tesla chargers, Powerwalls and vehicles in Home Assistant."""

from __future__ import annotations

from homeassistant.const import CONF_API_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .clients.amber import DEFAULT_AMBER_BASE_URL, AmberClient
from .clients.comed import DEFAULT_COMED_BASE_URL, ComEdClient
from .const import CONF_BASE_URL, CONF_KIND, EntryKind
from .coordinator.amber import AmberCoordinator
from .coordinator.comed import ComEdCoordinator
from .models import TesConfigEntry, TesRuntimeData

PLATFORMS = [Platform.BINARY_SENSOR, Platform.SENSOR]


def _price_coordinator(
    hass: HomeAssistant, entry: TesConfigEntry, kind: EntryKind
) -> AmberCoordinator | ComEdCoordinator:
    session = async_get_clientsession(hass)
    if kind is EntryKind.AMBER:
        client = AmberClient(
            session,
            entry.data[CONF_API_TOKEN],
            base_url=entry.data.get(CONF_BASE_URL, DEFAULT_AMBER_BASE_URL),
            # The loop's monotonic clock: the request budget must not follow wall-clock jumps.
            clock=hass.loop.time,
        )
        return AmberCoordinator(hass, entry, client)
    return ComEdCoordinator(
        hass,
        entry,
        ComEdClient(session, base_url=entry.data.get(CONF_BASE_URL, DEFAULT_COMED_BASE_URL)),
    )


async def async_setup_entry(hass: HomeAssistant, entry: TesConfigEntry) -> bool:
    """Set up one source from its config entry."""
    kind = EntryKind(entry.data[CONF_KIND])
    coordinator = _price_coordinator(hass, entry, kind)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = TesRuntimeData(kind=kind, coordinators={"prices": coordinator})
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TesConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
