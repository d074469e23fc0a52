"""`get_charging_sessions` and `get_charging_summary`: a charger's session history as data."""

from __future__ import annotations

from datetime import datetime

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from ..const import (
    ATTR_END,
    ATTR_START,
    DOMAIN,
    SERVICE_GET_CHARGING_SESSIONS,
    SERVICE_GET_CHARGING_SUMMARY,
    EntryKind,
)
from ..services import ENTRY_FIELD, target_entry
from .coordinator import WallConnectorRuntime, WallConnectorVitalsCoordinator
from .history import session_row, summarize

SESSIONS_SCHEMA = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Optional(ATTR_START): cv.datetime,
        probatio.Optional(ATTR_END): cv.datetime,
    }
)


def _vitals(call: ServiceCall) -> WallConnectorVitalsCoordinator:
    """Return the sessions coordinator of the charger the call names (or the only one)."""
    entry = target_entry(
        call, EntryKind.WALL_CONNECTOR, "no_wall_connector_entry", "several_wall_connector_entries"
    )
    runtime = entry.runtime_data
    assert isinstance(runtime, WallConnectorRuntime)  # noqa: S101 - target_entry checked the kind
    return runtime.vitals


def _moment(call: ServiceCall, key: str) -> datetime | None:
    """Return a bound of the range in UTC; one without a time zone is Home Assistant's local time."""
    value: datetime | None = call.data.get(key)
    return dt_util.as_utc(value) if value is not None else None


async def _async_get_charging_sessions(call: ServiceCall) -> ServiceResponse:
    vitals = _vitals(call)
    start, end = _moment(call, ATTR_START), _moment(call, ATTR_END)
    if start is not None and end is not None and start >= end:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_session_range",
            translation_placeholders={"start": str(start), "end": str(end)},
        )
    return {
        "serial_number": vitals.serial,
        "sessions": [session_row(session) for session in vitals.history.between(start, end)],
    }


async def _async_get_charging_summary(call: ServiceCall) -> ServiceResponse:
    vitals = _vitals(call)
    return {
        "serial_number": vitals.serial,
        **summarize(
            vitals.history, vitals.tracker.active, vitals.linked_currency(), dt_util.utcnow()
        ),
    }


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the session services (once, for every Wall Connector)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CHARGING_SESSIONS,
        _async_get_charging_sessions,
        schema=SESSIONS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CHARGING_SUMMARY,
        _async_get_charging_summary,
        schema=probatio.Schema(ENTRY_FIELD),
        supports_response=SupportsResponse.ONLY,
    )
