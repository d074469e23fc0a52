"""Offering the combined device when a second gateway loads.

The offer is a discovered flow ("Combine your gateways?") the user confirms or ignores.
An installation that already had the combined device (earlier versions made it on the
second gateway's entry) gets its entry straight away, so its entities keep working.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    SOURCE_IMPORT,
    SOURCE_INTEGRATION_DISCOVERY,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from ...const import CONF_KIND, DOMAIN, EntryKind
from ..coordinator import loaded_gateways
from .migration import legacy_combined_exists


@callback
def async_watch_gateways(hass: HomeAssistant) -> None:
    """Consider the offer each time a gateway entry loads (for as long as HA runs)."""
    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, partial(_entry_changed, hass))


@callback
def _entry_changed(hass: HomeAssistant, change: ConfigEntryChange, entry: ConfigEntry[Any]) -> None:
    if (
        entry.domain == DOMAIN
        and entry.state is ConfigEntryState.LOADED
        and entry.data.get(CONF_KIND) == EntryKind.POWERWALL
    ):
        async_offer_combined(hass)


@callback
def async_offer_combined(hass: HomeAssistant) -> None:
    """Start the combined entry's flow unless it exists (or its offer was ignored)."""
    combined = {
        entry.entry_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == EntryKind.POWERWALL_COMBINED
    }
    if combined:
        return
    if legacy_combined_exists(hass, combined):
        hass.async_create_task(
            hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_IMPORT}, data={}),
            eager_start=True,
        )
    elif len(loaded_gateways(hass)) >= 2:
        discovery_flow.async_create_flow(
            hass, DOMAIN, context={"source": SOURCE_INTEGRATION_DISCOVERY}, data={}
        )
