"""Test helpers shared across modules."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import RANDOM_MICROSECOND_MAX
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_fire_time_changed_exact,
)

from custom_components.tesla_energy_sync.const import DOMAIN


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the clock forward and let every timer that fell due run."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    # Scheduled coordinator refreshes run as background tasks; wait for their HTTP round trip.
    await hass.async_block_till_done(wait_background_tasks=True)


async def fire_early(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    moment: datetime,
    early: timedelta = timedelta(milliseconds=5),
) -> None:
    """Run the timers due at `moment` while the clock still reads `early` before it.

    Home Assistant starts a coordinator's refresh up to a second before the moment it was
    scheduled for (loop clock truncated to whole seconds); this plays that out exactly.
    """
    freezer.move_to(moment - early)
    async_fire_time_changed_exact(hass, moment + timedelta(microseconds=RANDOM_MICROSECOND_MAX))
    await hass.async_block_till_done(wait_background_tasks=True)


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the entity id registered for one of our unique ids."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity with unique id {unique_id}"
    return found
