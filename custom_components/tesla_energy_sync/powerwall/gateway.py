"""The pypowerwall-backed gateway object of an entry or a flow, and where its login cookie lives."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant

from ..clients.powerwall import PowerwallCredentials, PowerwallGateway, PowerwallMode
from ..const import CONF_EMAIL, CONF_POWERWALL_MODE, DOMAIN, POWERWALL_DEFAULT_EMAIL


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
