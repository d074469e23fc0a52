"""Powerwall gateways on the local network (pypowerwall), and control (combined/: their sum)."""

from __future__ import annotations

from homeassistant.const import CONF_ACCESS_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..clients.tesla_energy import DEFAULT_TESLA_BASE_URL, TeslaEnergyClient
from ..const import CONF_ACCOUNT_ENTRY, CONF_BASE_URL, CONF_CONTROL, CONF_ENERGY_SITE_ID, EntryKind
from ..runtime import SourceSpec, TesConfigEntry
from ..tesla_account.account import AccountEnergyClient
from .cloud import PowerwallCloudCoordinator
from .control import PowerwallControl
from .coordinator import PowerwallCoordinator, PowerwallRuntime, powerwall_poll_interval
from .descriptions import (
    POWERWALL_BINARY_SENSORS,
    POWERWALL_NUMBERS,
    POWERWALL_SELECTS,
    POWERWALL_SENSORS,
    POWERWALL_SWITCHES,
)
from .flow import PowerwallSteps
from .gateway import powerwall_gateway, powerwall_storage
from .options import PowerwallOptionsFlow
from .services import async_setup_services
from .views import async_register_views


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> PowerwallRuntime:
    """Return the gateway's coordinator, the cloud half when control has credentials, and control."""
    gateway = powerwall_gateway(
        hass,
        entry.data,
        powerwall_storage(hass, entry.entry_id),
        powerwall_poll_interval(entry).total_seconds(),
    )
    coordinator = PowerwallCoordinator(hass, entry, gateway)
    options = entry.options
    enabled = bool(options.get(CONF_CONTROL, False))
    cloud: PowerwallCloudCoordinator | None = None
    client: TeslaEnergyClient | None = None
    account = hass.config_entries.async_get_entry(options.get(CONF_ACCOUNT_ENTRY, ""))
    if enabled and account is not None:
        # A Tesla account's session; while it is not loaded only the cloud half waits.
        client = AccountEnergyClient(hass, account)
    elif enabled and options.get(CONF_ACCESS_TOKEN):
        client = TeslaEnergyClient(
            async_get_clientsession(hass),
            options[CONF_ACCESS_TOKEN],
            base_url=options.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL),
        )
    if client is not None:
        cloud = PowerwallCloudCoordinator(
            hass, entry, client, options[CONF_ENERGY_SITE_ID], coordinator.din
        )
    control = PowerwallControl(
        title=entry.title,
        enabled=enabled,
        gateway=gateway,
        cloud=cloud,
        refresh=coordinator.async_refresh,
    )
    return PowerwallRuntime(gateway=coordinator, control=control, cloud=cloud)


def async_setup(hass: HomeAssistant) -> None:
    """Register the control services and the proxy-compatible views."""
    async_setup_services(hass)
    async_register_views(hass)


SPEC = SourceSpec(
    kind=EntryKind.POWERWALL,
    build=async_build,
    descriptions={
        Platform.SENSOR: POWERWALL_SENSORS,
        Platform.BINARY_SENSOR: POWERWALL_BINARY_SENSORS,
        Platform.NUMBER: POWERWALL_NUMBERS,
        Platform.SELECT: POWERWALL_SELECTS,
        Platform.SWITCH: POWERWALL_SWITCHES,
    },
    flow=PowerwallSteps,
    reauth=PowerwallSteps.async_step_powerwall_reauth,
    reconfigure=PowerwallSteps.async_step_powerwall,
    options_flow=PowerwallOptionsFlow,
    redact=frozenset({"din", "site_name", "email"}),
    setup=async_setup,
)
