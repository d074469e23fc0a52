"""TOU sync: live prices of a tariff entry become an energy site's time-of-use tariff."""

from __future__ import annotations

from homeassistant.const import CONF_ACCESS_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..clients.tesla_energy import DEFAULT_TESLA_BASE_URL, TeslaEnergyClient
from ..const import CONF_ACCOUNT_ENTRY, CONF_BASE_URL, EntryKind
from ..runtime import SourceSpec, TesConfigEntry
from ..tesla_account.account import account_client
from .coordinator import TouSyncCoordinator, TouSyncRuntime
from .descriptions import TOU_SYNC_SENSORS, TOU_SYNC_SWITCHES
from .flow import TouSyncSteps
from .services import async_setup_services


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> TouSyncRuntime:
    """Return the entry's Tesla energy client and its coordinator."""
    client: TeslaEnergyClient
    if CONF_ACCOUNT_ENTRY in entry.data:
        # The Tesla account's session: its token, refreshed, and its region's base URL.
        client = account_client(hass, entry.data[CONF_ACCOUNT_ENTRY])
    else:
        client = TeslaEnergyClient(
            async_get_clientsession(hass),
            entry.data[CONF_ACCESS_TOKEN],
            base_url=entry.data.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL),
        )
    return TouSyncRuntime(tou=TouSyncCoordinator(hass, entry, client))


SPEC = SourceSpec(
    kind=EntryKind.TOU_SYNC,
    build=async_build,
    descriptions={Platform.SENSOR: TOU_SYNC_SENSORS, Platform.SWITCH: TOU_SYNC_SWITCHES},
    flow=TouSyncSteps,
    reauth=TouSyncSteps.async_step_tou_reauth,
    reconfigure=TouSyncSteps.tou_reconfigure,
    redact=frozenset({"site_name"}),
    setup=async_setup_services,
)
