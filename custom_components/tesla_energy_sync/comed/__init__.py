"""ComEd hourly pricing: Chicago's real-time 5-minute prices and the hour's running average."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..clients.comed import DEFAULT_COMED_BASE_URL, ComEdClient
from ..const import CONF_BASE_URL, EntryKind
from ..runtime import SourceSpec, TesConfigEntry
from .coordinator import ComEdCoordinator, ComEdRuntime
from .descriptions import COMED_SENSORS
from .flow import ComEdSteps
from .options import ComEdOptionsFlow


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> ComEdRuntime:
    """Return the entry's client and prices coordinator."""
    client = ComEdClient(
        async_get_clientsession(hass),
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_COMED_BASE_URL),
    )
    return ComEdRuntime(prices=ComEdCoordinator(hass, entry, client))


SPEC = SourceSpec(
    kind=EntryKind.COMED,
    build=async_build,
    descriptions={Platform.SENSOR: COMED_SENSORS},
    flow=ComEdSteps,
    reconfigure=ComEdSteps.async_step_comed,
    options_flow=ComEdOptionsFlow,
)
