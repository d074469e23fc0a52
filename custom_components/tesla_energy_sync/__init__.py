"""Tesla Energy Sync: tariffs, Tesla chargers, Powerwalls and vehicles in Home Assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_TOKEN,
    CONF_HOST,
    CONF_PASSWORD,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from . import telemetry_config
from .clients.amber import DEFAULT_AMBER_BASE_URL, AmberClient
from .clients.comed import DEFAULT_COMED_BASE_URL, ComEdClient
from .clients.errors import ClientError
from .clients.fleet_telemetry.consumer import TelemetryConsumer
from .clients.powerwall import PowerwallCredentials, PowerwallGateway, PowerwallMode
from .clients.tesla_energy import DEFAULT_TESLA_BASE_URL, TeslaEnergyClient
from .clients.wall_connector import WallConnectorClient
from .const import (
    CONF_BASE_URL,
    CONF_EMAIL,
    CONF_KIND,
    CONF_POWERWALL_MODE,
    DOMAIN,
    POWERWALL_DEFAULT_EMAIL,
    WALL_CONNECTOR_TIMEOUT,
    EntryKind,
)
from .coordinator.amber import AmberCoordinator
from .coordinator.base import TesCoordinator
from .coordinator.comed import ComEdCoordinator
from .coordinator.powerwall import PowerwallCoordinator, powerwall_poll_interval
from .coordinator.powerwall_combined import powerwall_combined
from .coordinator.telemetry import TelemetryHub
from .coordinator.tou_sync import TouSyncCoordinator
from .coordinator.wall_connector import (
    WallConnectorInfoCoordinator,
    WallConnectorLifetimeCoordinator,
    WallConnectorVitalsCoordinator,
)
from .models import TesConfigEntry, TesRuntimeData
from .services import async_setup_services
from .telemetry_config import consumer_config
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


async def _amber(hass: HomeAssistant, entry: TesConfigEntry) -> dict[str, TesCoordinator[Any]]:
    client = AmberClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_TOKEN],
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_AMBER_BASE_URL),
        # The loop's monotonic clock: the request budget must not follow wall-clock jumps.
        clock=hass.loop.time,
    )
    return {"prices": AmberCoordinator(hass, entry, client)}


async def _comed(hass: HomeAssistant, entry: TesConfigEntry) -> dict[str, TesCoordinator[Any]]:
    client = ComEdClient(
        async_get_clientsession(hass),
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_COMED_BASE_URL),
    )
    return {"prices": ComEdCoordinator(hass, entry, client)}


async def _wall_connector(
    hass: HomeAssistant, entry: TesConfigEntry
) -> dict[str, TesCoordinator[Any]]:
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
    return {
        "vitals": WallConnectorVitalsCoordinator(hass, entry, client, version),
        "lifetime": WallConnectorLifetimeCoordinator(hass, entry, client, version),
        "info": WallConnectorInfoCoordinator(hass, entry, client, version),
    }


async def _tou_sync(hass: HomeAssistant, entry: TesConfigEntry) -> dict[str, TesCoordinator[Any]]:
    client = TeslaEnergyClient(
        async_get_clientsession(hass),
        entry.data[CONF_ACCESS_TOKEN],
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL),
    )
    return {"tou": TouSyncCoordinator(hass, entry, client)}


async def _fleet_telemetry(
    hass: HomeAssistant, entry: TesConfigEntry
) -> dict[str, TesCoordinator[Any]]:
    # A push source: no coordinator; the hub is kept in the runtime extras (see setup below).
    return {}


def powerwall_gateway(
    hass: HomeAssistant, data: Mapping[str, Any], storage_dir: Path, poll_s: float
) -> PowerwallGateway:
    """Return the gateway object for an entry's (or a flow's) data; nothing is contacted yet."""
    return PowerwallGateway(
        hass.async_add_executor_job,
        data[CONF_HOST],
        PowerwallCredentials(
            mode=PowerwallMode(data[CONF_POWERWALL_MODE]),
            password=data[CONF_PASSWORD],
            email=data.get(CONF_EMAIL) or POWERWALL_DEFAULT_EMAIL,
        ),
        storage_dir,
        # pypowerwall's per-endpoint cache must expire before the next poll.
        pwcacheexpire=min(5.0, poll_s / 2),
        timezone=str(hass.config.time_zone),
    )


def powerwall_storage(hass: HomeAssistant, name: str) -> Path:
    """Return the directory that holds one gateway's login cookie (made in the executor)."""
    return Path(hass.config.path(".storage", DOMAIN, "powerwall", name))


async def _powerwall(hass: HomeAssistant, entry: TesConfigEntry) -> dict[str, TesCoordinator[Any]]:
    gateway = powerwall_gateway(
        hass,
        entry.data,
        powerwall_storage(hass, entry.entry_id),
        powerwall_poll_interval(entry).total_seconds(),
    )
    return {"powerwall": PowerwallCoordinator(hass, entry, gateway)}


SOURCES = {
    EntryKind.AMBER: _amber,
    EntryKind.COMED: _comed,
    EntryKind.WALL_CONNECTOR: _wall_connector,
    EntryKind.TOU_SYNC: _tou_sync,
    EntryKind.FLEET_TELEMETRY: _fleet_telemetry,
    EntryKind.POWERWALL: _powerwall,
}


async def async_setup_entry(hass: HomeAssistant, entry: TesConfigEntry) -> bool:
    """Set up one source from its config entry."""
    kind = EntryKind(entry.data[CONF_KIND])
    coordinators = await SOURCES[kind](hass, entry)
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
    entry.runtime_data = TesRuntimeData(kind=kind, coordinators=coordinators)
    if kind is EntryKind.FLEET_TELEMETRY:
        _start_telemetry(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _start_telemetry(hass: HomeAssistant, entry: TesConfigEntry) -> None:
    """Start the entry's Kafka consumer; it runs until the entry unloads."""
    consumer = TelemetryConsumer(consumer_config(entry.data), timing=telemetry_config.TIMING)
    hub = TelemetryHub(hass, consumer)
    entry.runtime_data.extras["hub"] = hub
    entry.runtime_data.extras["task"] = entry.async_create_background_task(
        hass, hub.consumer.run(hub.apply), f"{DOMAIN} fleet telemetry {entry.title}"
    )


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


async def _close(coordinators: Mapping[str, TesCoordinator[Any]]) -> None:
    """Close what holds connections of its own (a Powerwall gateway's pypowerwall object)."""
    for coordinator in coordinators.values():
        if isinstance(coordinator, PowerwallCoordinator):
            await coordinator.gateway.close()
