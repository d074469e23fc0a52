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

from .models import TesConfigEntry
from .telemetry_config import LEGACY_SSL_FILES, SSL_PEMS

# Credentials, and what identifies a home or a device: meter number, serials, addresses, Wi-Fi.
TO_REDACT = {
    CONF_ACCESS_TOKEN,
    CONF_API_TOKEN,
    CONF_HOST,
    "nmi",
    "title",
    "unique_id",
    "serial_number",
    "wifi_ssid",
    "wifi_mac",
    "wifi_infra_ip",
    CONF_PASSWORD,
    CONF_USERNAME,
    "vin",
    "vins",
    "fields",
    "din",
    "site_name",
    "email",
    # Fleet Telemetry TLS material (the key above all) and where a legacy entry keeps it.
    *SSL_PEMS,
    *LEGACY_SSL_FILES.values(),
}


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
            "telemetry": hub.diagnostics()
            if (hub := entry.runtime_data.extras.get("hub"))
            else None,
        },
        TO_REDACT,
    )
