"""Diagnostics, with credentials and what identifies a home or a device redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_TOKEN,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant

from .registry import SOURCES, spec_of
from .runtime import TesConfigEntry

# Credentials and addresses, whatever the source; each source adds what identifies its home
# or device. Every source's keys apply to every entry: a key that is secret for one source is
# never worth showing for another.
TO_REDACT = frozenset(
    {
        CONF_ACCESS_TOKEN,
        CONF_API_TOKEN,
        CONF_HOST,
        CONF_PASSWORD,
        CONF_USERNAME,
        "title",
        "unique_id",
    }
).union(*(spec.redact for spec in SOURCES.values()))


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TesConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    return async_redact_data(
        {
            "entry": entry.as_dict(),
            "kind": str(spec_of(entry).kind),
            **entry.runtime_data.diagnostics(),
        },
        TO_REDACT,
    )
