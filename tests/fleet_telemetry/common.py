"""Constants and helpers shared by the Fleet Telemetry tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_BOOTSTRAP_SERVERS,
    CONF_GROUP_ID,
    CONF_KIND,
    CONF_OFFSET_RESET,
    CONF_TOPIC_PREFIX,
    CONF_VINS,
    DOMAIN,
    EntryKind,
)

PREFIX = "ha"
VIN = "5YJ3E1EA0PF000001"
OTHER_VIN = "7SAYGDEE0PF000002"


def telemetry_data(bootstrap: str) -> dict[str, Any]:
    """Return an entry's data for PREFIX on `bootstrap`, read from the start of the topics."""
    return {
        CONF_KIND: EntryKind.FLEET_TELEMETRY,
        CONF_BOOTSTRAP_SERVERS: bootstrap,
        CONF_TOPIC_PREFIX: PREFIX,
        CONF_GROUP_ID: "ha",
        CONF_OFFSET_RESET: "earliest",
        CONF_VINS: [],
    }


async def until(hass: HomeAssistant, condition: Callable[[], bool], wait: float = 10) -> None:
    """Let the real consumer work (`wait` seconds at most) until condition holds."""
    async with asyncio.timeout(wait):
        while not condition():
            await asyncio.sleep(0.05)
            await hass.async_block_till_done()


def vehicle_state(hass: HomeAssistant, platform: str, vin: str, key: str) -> State | None:
    """Return the state of one vehicle entity, None while it does not exist."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{vin}_{key}")
    return hass.states.get(found) if found else None


async def setup_connected(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up the entry, then wait until its consumer reached the broker."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hub = entry.runtime_data.hub
    await until(hass, lambda: hub.connected)


def state_of(hass: HomeAssistant, platform: str, vin: str, key: str) -> State:
    """Return the state of one vehicle entity that must exist."""
    state = vehicle_state(hass, platform, vin, key)
    assert state is not None, f"no {platform} {key} for {vin}"
    return state


def value_of(hass: HomeAssistant, platform: str, vin: str, key: str) -> str | None:
    """Return the state string of one vehicle entity, None while it does not exist."""
    state = vehicle_state(hass, platform, vin, key)
    return None if state is None else state.state
