"""Climate platform: vehicle controls on Fleet Telemetry (with a Tesla account)."""

from __future__ import annotations

from homeassistant.const import Platform

from .entity import source_platform

# Commands to one car go one at a time: a second would race the first one's wake-up.
PARALLEL_UPDATES = 1

# The entities come from the sources that make them (a vehicle's cabin and its overheat protection).
async_setup_entry = source_platform(Platform.CLIMATE)
