"""Amber Electric: live and forecast prices of one Amber site (Australia)."""

from __future__ import annotations

from homeassistant.components.recorder.const import DOMAIN as RECORDER_DOMAIN
from homeassistant.const import CONF_API_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..clients.amber import DEFAULT_AMBER_BASE_URL, AmberClient
from ..const import CONF_BASE_URL, EntryKind
from ..runtime import SourceSpec, TesConfigEntry
from .cheap_window import setup_cheap_window
from .coordinator import AmberCoordinator, AmberRuntime
from .descriptions import AMBER_BINARY_SENSORS, AMBER_SENSORS
from .flow import AmberSteps
from .options import AmberOptionsFlow
from .services import async_setup_services
from .usage import AmberUsageImporter


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> AmberRuntime:
    """Return the entry's client, its prices coordinator and (with the recorder) usage import."""
    client = AmberClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_TOKEN],
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_AMBER_BASE_URL),
        # The loop's monotonic clock: the request budget must not follow wall-clock jumps.
        clock=hass.loop.time,
    )
    prices = AmberCoordinator(hass, entry, client)
    usage = (
        AmberUsageImporter(hass, entry, client, prices)
        if RECORDER_DOMAIN in hass.config.components
        else None
    )
    return AmberRuntime(prices=prices, usage=usage)


SPEC = SourceSpec(
    kind=EntryKind.AMBER,
    build=async_build,
    descriptions={Platform.SENSOR: AMBER_SENSORS, Platform.BINARY_SENSOR: AMBER_BINARY_SENSORS},
    platform_setup={Platform.BINARY_SENSOR: setup_cheap_window},
    flow=AmberSteps,
    reauth=AmberSteps.async_step_reauth_confirm,
    reconfigure=AmberSteps.amber_reconfigure,
    options_flow=AmberOptionsFlow,
    setup=async_setup_services,
    # The National Metering Identifier names the home.
    redact=frozenset({"nmi"}),
)
