"""Services: `sync_tou` syncs a TOU entry now; the Powerwall ones change a gateway's settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from .clients.powerwall import GridExportRule, OperatingMode
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DRY_RUN,
    ATTR_ENABLED,
    ATTR_MODE,
    ATTR_PERCENT,
    ATTR_RULE,
    CONF_KIND,
    DOMAIN,
    SERVICE_SET_BACKUP_RESERVE,
    SERVICE_SET_GRID_CHARGING,
    SERVICE_SET_GRID_EXPORT,
    SERVICE_SET_OPERATING_MODE,
    SERVICE_SYNC_TOU,
    EntryKind,
)
from .coordinator.powerwall import PowerwallCoordinator
from .coordinator.powerwall_control import PowerwallControl
from .coordinator.tou_sync import TouSyncCoordinator

SYNC_TOU_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)


def _powerwall_schema(key: str, validator: Any) -> probatio.Schema:
    return probatio.Schema(
        {probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string, probatio.Required(key): validator}
    )


# The translated errors for "no such entry" and "name one of several", per kind.
_LOOKUP_ERRORS: dict[EntryKind, tuple[str, str]] = {
    EntryKind.TOU_SYNC: ("no_tou_entry", "several_tou_entries"),
    EntryKind.POWERWALL: ("no_powerwall_entry", "several_powerwall_entries"),
}


def _target(hass: HomeAssistant, kind: EntryKind, entry_id: str | None) -> ConfigEntry[Any]:
    """Find the loaded entry of `kind` the call names (the only one when it names none)."""
    entries = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == kind and (entry_id is None or entry.entry_id == entry_id)
    ]
    none, several = _LOOKUP_ERRORS[kind]
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key=none)
    if len(entries) > 1:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key=several)
    entry = entries[0]
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


async def _async_sync_tou(call: ServiceCall) -> ServiceResponse:
    entry = _target(call.hass, EntryKind.TOU_SYNC, call.data.get(ATTR_CONFIG_ENTRY_ID))
    coordinator: TouSyncCoordinator = entry.runtime_data.coordinators["tou"]
    result = await coordinator.async_sync(dry_run=call.data[ATTR_DRY_RUN])
    response: dict[str, Any] = result.as_dict()
    return response


async def _async_control(
    command: Callable[[PowerwallControl, Any], Awaitable[None]], key: str, call: ServiceCall
) -> None:
    """Run a control command on the named gateway, if its owner enabled control."""
    entry = _target(call.hass, EntryKind.POWERWALL, call.data.get(ATTR_CONFIG_ENTRY_ID))
    coordinator: PowerwallCoordinator = entry.runtime_data.coordinators["powerwall"]
    if not coordinator.control_enabled:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="powerwall_control_disabled",
            translation_placeholders={"title": entry.title},
        )
    await command(coordinator.control, call.data[key])


_CONTROL: dict[str, tuple[str, Any, Callable[[PowerwallControl, Any], Awaitable[None]]]] = {
    SERVICE_SET_BACKUP_RESERVE: (
        ATTR_PERCENT,
        probatio.All(probatio.Coerce(float), probatio.Range(min=0, max=100)),
        PowerwallControl.set_backup_reserve,
    ),
    SERVICE_SET_OPERATING_MODE: (
        ATTR_MODE,
        probatio.Coerce(OperatingMode),
        PowerwallControl.set_operating_mode,
    ),
    SERVICE_SET_GRID_CHARGING: (ATTR_ENABLED, cv.boolean, PowerwallControl.set_grid_charging),
    SERVICE_SET_GRID_EXPORT: (
        ATTR_RULE,
        probatio.Coerce(GridExportRule),
        PowerwallControl.set_grid_export,
    ),
}


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's services (once, for all entries)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SYNC_TOU,
        _async_sync_tou,
        schema=SYNC_TOU_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    for service, (key, validator, command) in _CONTROL.items():
        hass.services.async_register(
            DOMAIN,
            service,
            partial(_async_control, command, key),
            schema=_powerwall_schema(key, validator),
        )
