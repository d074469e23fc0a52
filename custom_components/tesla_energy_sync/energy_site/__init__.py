"""An energy site read through the Tesla cloud: no gateway address needed (Powerwall 3, remote).

Its Tesla account entry lends the session. Live power every 30 s, settings and the tariff the
site holds every 5 minutes, energy counters from the day's history, and, when enabled in the
options, the same control as a local gateway through the cloud.
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from ..const import CONF_ACCOUNT_ENTRY, CONF_CONTROL, EntryKind
from ..runtime import SourceSpec, TesConfigEntry
from ..tesla_account.account import account_client
from .control import SiteControl
from .coordinator import (
    CONF_GATEWAY_DIN,
    EnergySiteHistoryCoordinator,
    EnergySiteInfoCoordinator,
    EnergySiteLiveCoordinator,
    EnergySiteRuntime,
)
from .descriptions import (
    ENERGY_SITE_BINARY_SENSORS,
    ENERGY_SITE_NUMBERS,
    ENERGY_SITE_SELECTS,
    ENERGY_SITE_SENSORS,
    ENERGY_SITE_SWITCHES,
)
from .flow import EnergySiteSteps
from .options import EnergySiteOptionsFlow


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> EnergySiteRuntime:
    """Return the site's coordinators on the account's session; set-up waits for the account."""
    client = account_client(hass, entry.data[CONF_ACCOUNT_ENTRY])
    settings = EnergySiteInfoCoordinator(hass, entry, client)
    return EnergySiteRuntime(
        live=EnergySiteLiveCoordinator(hass, entry, client),
        settings=settings,
        energy=EnergySiteHistoryCoordinator(hass, entry, client),
        control=SiteControl(
            enabled=bool(entry.options.get(CONF_CONTROL, False)), settings=settings
        ),
        gateway_din=entry.data.get(CONF_GATEWAY_DIN),
    )


SPEC = SourceSpec(
    kind=EntryKind.ENERGY_SITE,
    build=async_build,
    descriptions={
        Platform.SENSOR: ENERGY_SITE_SENSORS,
        Platform.BINARY_SENSOR: ENERGY_SITE_BINARY_SENSORS,
        Platform.NUMBER: ENERGY_SITE_NUMBERS,
        Platform.SELECT: ENERGY_SITE_SELECTS,
        Platform.SWITCH: ENERGY_SITE_SWITCHES,
    },
    flow=EnergySiteSteps,
    reconfigure=EnergySiteSteps.energy_site_reconfigure,
    options_flow=EnergySiteOptionsFlow,
    # What names the home and identifies its gateway.
    redact=frozenset({"site_name", CONF_GATEWAY_DIN, "gateway_dins"}),
)
