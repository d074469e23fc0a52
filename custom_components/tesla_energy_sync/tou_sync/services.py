"""`sync_tou`: plan and upload a TOU entry's tariff now (or only plan it, `dry_run`)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import probatio

from ..const import ATTR_DRY_RUN, DOMAIN, SERVICE_SYNC_TOU, EntryKind
from ..services import ENTRY_FIELD, target_entry
from .coordinator import TouSyncRuntime

SYNC_TOU_SCHEMA = probatio.Schema(
    {**ENTRY_FIELD, probatio.Optional(ATTR_DRY_RUN, default=False): cv.boolean}
)


async def _async_sync_tou(call: ServiceCall) -> ServiceResponse:
    entry = target_entry(call, EntryKind.TOU_SYNC, "no_tou_entry", "several_tou_entries")
    runtime = entry.runtime_data
    assert isinstance(runtime, TouSyncRuntime)  # noqa: S101 - target_entry checked the kind
    result = await runtime.tou.async_sync(dry_run=call.data[ATTR_DRY_RUN])
    response: dict[str, Any] = result.as_dict()
    return response


def async_setup_services(hass: HomeAssistant) -> None:
    """Register `sync_tou` (once, for every TOU sync entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SYNC_TOU,
        _async_sync_tou,
        schema=SYNC_TOU_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
