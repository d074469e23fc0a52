"""Services: `sync_tou` syncs a TOU entry now (or plans only, with dry_run)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DRY_RUN,
    CONF_KIND,
    DOMAIN,
    SERVICE_SYNC_TOU,
    EntryKind,
)
from .coordinator.tou_sync import TouSyncCoordinator

SYNC_TOU_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)


def _tou_coordinator(hass: HomeAssistant, entry_id: str | None) -> TouSyncCoordinator:
    """Find the loaded TOU sync entry the call targets (the only one when none is named)."""
    entries = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == EntryKind.TOU_SYNC
        and (entry_id is None or entry.entry_id == entry_id)
    ]
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_tou_entry")
    if len(entries) > 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="several_tou_entries"
        )
    entry = entries[0]
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    coordinator: TouSyncCoordinator = entry.runtime_data.coordinators["tou"]
    return coordinator


async def _async_sync_tou(call: ServiceCall) -> ServiceResponse:
    coordinator = _tou_coordinator(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    result = await coordinator.async_sync(dry_run=call.data[ATTR_DRY_RUN])
    response: dict[str, Any] = result.as_dict()
    return response


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's services (once, for all entries)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SYNC_TOU,
        _async_sync_tou,
        schema=SYNC_TOU_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
