"""Control services: backup reserve, operating mode, grid charging and export rule of a gateway."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from ..clients.powerwall import GridExportRule, OperatingMode
from ..const import (
    ATTR_ENABLED,
    ATTR_MODE,
    ATTR_PERCENT,
    ATTR_RULE,
    DOMAIN,
    SERVICE_SET_BACKUP_RESERVE,
    SERVICE_SET_GRID_CHARGING,
    SERVICE_SET_GRID_EXPORT,
    SERVICE_SET_OPERATING_MODE,
    EntryKind,
)
from ..services import ENTRY_FIELD, target_entry
from .control import PowerwallControl
from .coordinator import PowerwallRuntime


async def _async_control(
    command: Callable[[PowerwallControl, Any], Awaitable[None]], key: str, call: ServiceCall
) -> None:
    """Run a control command on the named gateway, if its owner enabled control."""
    entry = target_entry(
        call, EntryKind.POWERWALL, "no_powerwall_entry", "several_powerwall_entries"
    )
    runtime = entry.runtime_data
    assert isinstance(runtime, PowerwallRuntime)  # noqa: S101 - target_entry checked the kind
    if not runtime.control.enabled:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="powerwall_control_disabled",
            translation_placeholders={"title": entry.title},
        )
    await command(runtime.control, call.data[key])


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
    """Register the four control services (once, for every gateway)."""
    for name, (key, validator, command) in _CONTROL.items():
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_async_control, command, key),
            schema=probatio.Schema({**ENTRY_FIELD, probatio.Required(key): validator}),
        )
