"""Tesla Wall Connector Gen3 on the local network: vitals, lifetime counters, sessions and cost."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..clients.errors import ClientError
from ..clients.wall_connector import WallConnectorClient
from ..const import DOMAIN, WALL_CONNECTOR_TIMEOUT, EntryKind
from ..runtime import SourceSpec, TesConfigEntry
from .coordinator import (
    WallConnectorInfoCoordinator,
    WallConnectorLifetimeCoordinator,
    WallConnectorRuntime,
    WallConnectorVitalsCoordinator,
)
from .descriptions import WALL_CONNECTOR_BINARY_SENSORS, WALL_CONNECTOR_SENSORS
from .flow import WallConnectorSteps
from .options import WallConnectorOptionsFlow
from .services import async_setup_services
from .views import async_register_views


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> WallConnectorRuntime:
    """Read the unit's version (its identity), then make one coordinator per endpoint."""
    client = WallConnectorClient(
        async_get_clientsession(hass), entry.data[CONF_HOST], request_timeout=WALL_CONNECTOR_TIMEOUT
    )
    try:
        version = await client.get_version()
    except ClientError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    return WallConnectorRuntime(
        vitals=WallConnectorVitalsCoordinator(hass, entry, client, version),
        lifetime=WallConnectorLifetimeCoordinator(hass, entry, client, version),
        info=WallConnectorInfoCoordinator(hass, entry, client, version),
    )


def async_setup(hass: HomeAssistant) -> None:
    """Register the session services and the CSV export."""
    async_setup_services(hass)
    async_register_views(hass)


SPEC = SourceSpec(
    kind=EntryKind.WALL_CONNECTOR,
    build=async_build,
    descriptions={
        Platform.SENSOR: WALL_CONNECTOR_SENSORS,
        Platform.BINARY_SENSOR: WALL_CONNECTOR_BINARY_SENSORS,
    },
    flow=WallConnectorSteps,
    reconfigure=WallConnectorSteps.async_step_wall_connector,
    options_flow=WallConnectorOptionsFlow,
    redact=frozenset({"serial_number", "wifi_ssid", "wifi_mac", "wifi_infra_ip"}),
    setup=async_setup,
)
