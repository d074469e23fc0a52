"""How each kind of config entry is built: its clients, coordinators and push hubs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from homeassistant.const import CONF_ACCESS_TOKEN, CONF_API_TOKEN, CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from . import telemetry_config
from .clients.amber import DEFAULT_AMBER_BASE_URL, AmberClient
from .clients.comed import DEFAULT_COMED_BASE_URL, ComEdClient
from .clients.errors import ClientError
from .clients.fleet_telemetry.config import TlsMaterialError
from .clients.fleet_telemetry.consumer import TelemetryConsumer
from .clients.powerwall import PowerwallCredentials, PowerwallGateway, PowerwallMode
from .clients.tesla_energy import DEFAULT_TESLA_BASE_URL, TeslaEnergyClient
from .clients.wall_connector import WallConnectorClient
from .const import (
    CONF_BASE_URL,
    CONF_CONTROL,
    CONF_EMAIL,
    CONF_ENERGY_SITE_ID,
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
from .coordinator.powerwall_cloud import PowerwallCloudCoordinator
from .coordinator.telemetry import TelemetryHub
from .coordinator.tou_sync import TouSyncCoordinator
from .coordinator.wall_connector import (
    WallConnectorInfoCoordinator,
    WallConnectorLifetimeCoordinator,
    WallConnectorVitalsCoordinator,
)
from .models import TesConfigEntry, TesRuntimeData
from .telemetry_config import async_consumer_config


async def _amber(hass: HomeAssistant, entry: TesConfigEntry) -> TesRuntimeData:
    client = AmberClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_TOKEN],
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_AMBER_BASE_URL),
        # The loop's monotonic clock: the request budget must not follow wall-clock jumps.
        clock=hass.loop.time,
    )
    return TesRuntimeData(
        kind=EntryKind.AMBER, coordinators={"prices": AmberCoordinator(hass, entry, client)}
    )


async def _comed(hass: HomeAssistant, entry: TesConfigEntry) -> TesRuntimeData:
    client = ComEdClient(
        async_get_clientsession(hass),
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_COMED_BASE_URL),
    )
    return TesRuntimeData(
        kind=EntryKind.COMED, coordinators={"prices": ComEdCoordinator(hass, entry, client)}
    )


async def _wall_connector(hass: HomeAssistant, entry: TesConfigEntry) -> TesRuntimeData:
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
    return TesRuntimeData(
        kind=EntryKind.WALL_CONNECTOR,
        coordinators={
            "vitals": WallConnectorVitalsCoordinator(hass, entry, client, version),
            "lifetime": WallConnectorLifetimeCoordinator(hass, entry, client, version),
            "info": WallConnectorInfoCoordinator(hass, entry, client, version),
        },
    )


async def _tou_sync(hass: HomeAssistant, entry: TesConfigEntry) -> TesRuntimeData:
    client = TeslaEnergyClient(
        async_get_clientsession(hass),
        entry.data[CONF_ACCESS_TOKEN],
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL),
    )
    return TesRuntimeData(
        kind=EntryKind.TOU_SYNC, coordinators={"tou": TouSyncCoordinator(hass, entry, client)}
    )


async def _fleet_telemetry(hass: HomeAssistant, entry: TesConfigEntry) -> TesRuntimeData:
    """A push source: no coordinator; the hub runs the Kafka consumer until the entry unloads."""
    try:
        config = await async_consumer_config(hass, entry.data)
    except TlsMaterialError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="tls_material",
            translation_placeholders={"error": str(err)},
        ) from err
    except OSError as err:  # a legacy entry's PEM file (perhaps on a share not mounted yet)
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="tls_file",
            translation_placeholders={"error": str(err)},
        ) from err
    consumer = TelemetryConsumer(config, timing=telemetry_config.TIMING)
    hub = TelemetryHub(hass, consumer)
    task = entry.async_create_background_task(
        hass, consumer.run(hub.apply), f"{DOMAIN} fleet telemetry {entry.title}"
    )
    return TesRuntimeData(
        kind=EntryKind.FLEET_TELEMETRY, coordinators={}, extras={"hub": hub, "task": task}
    )


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


async def _powerwall(hass: HomeAssistant, entry: TesConfigEntry) -> TesRuntimeData:
    gateway = powerwall_gateway(
        hass,
        entry.data,
        powerwall_storage(hass, entry.entry_id),
        powerwall_poll_interval(entry).total_seconds(),
    )
    coordinator = PowerwallCoordinator(hass, entry, gateway)
    coordinators: dict[str, TesCoordinator[Any]] = {"powerwall": coordinator}
    options = entry.options
    if options.get(CONF_CONTROL) and options.get(CONF_ACCESS_TOKEN):
        client = TeslaEnergyClient(
            async_get_clientsession(hass),
            options[CONF_ACCESS_TOKEN],
            base_url=options.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL),
        )
        cloud = PowerwallCloudCoordinator(
            hass, entry, client, options[CONF_ENERGY_SITE_ID], coordinator
        )
        coordinator.attach_cloud(cloud)
        coordinators["powerwall_cloud"] = cloud
    return TesRuntimeData(kind=EntryKind.POWERWALL, coordinators=coordinators)


SOURCES: dict[EntryKind, Callable[[HomeAssistant, TesConfigEntry], Awaitable[TesRuntimeData]]] = {
    EntryKind.AMBER: _amber,
    EntryKind.COMED: _comed,
    EntryKind.WALL_CONNECTOR: _wall_connector,
    EntryKind.TOU_SYNC: _tou_sync,
    EntryKind.FLEET_TELEMETRY: _fleet_telemetry,
    EntryKind.POWERWALL: _powerwall,
}
