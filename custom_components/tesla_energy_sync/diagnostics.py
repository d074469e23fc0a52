"""Diagnostics, with credentials and the meter identifier redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant

from .models import TesConfigEntry

TO_REDACT = {CONF_API_TOKEN, "nmi", "title"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TesConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    return async_redact_data(
        {
            "entry": entry.as_dict(),
            "kind": str(entry.runtime_data.kind),
            "coordinators": {
                name: coordinator.diagnostics()
                for name, coordinator in entry.runtime_data.coordinators.items()
            },
        },
        TO_REDACT,
    )
