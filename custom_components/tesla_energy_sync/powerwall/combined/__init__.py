"""The combined Powerwall device: its own entry, summing whichever gateway entries are loaded.

Power is the sum of the gateways' power; battery level is weighted by each gateway's
capacity (nominal full pack energy); energy counters add what each gateway's counters
advance while it is a member (coordinator.py). Below two loaded gateways the entities are
unavailable, never removed; deleting the entry removes them.
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from ...const import EntryKind
from ...runtime import SourceSpec, TesConfigEntry
from .coordinator import CombinedCoordinator, PowerwallCombinedRuntime
from .entity import setup_combined_sensors
from .flow import PowerwallCombinedSteps
from .migration import async_adopt_legacy_combined
from .offer import async_watch_gateways


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> PowerwallCombinedRuntime:
    """Adopt an earlier version's combined entities, then follow the loaded gateways."""
    # Before the platforms add the entities, so they find their registry entries here.
    async_adopt_legacy_combined(hass, entry)
    combined = CombinedCoordinator(hass)
    entry.async_on_unload(combined.async_start())
    return PowerwallCombinedRuntime(combined=combined)


SPEC = SourceSpec(
    kind=EntryKind.POWERWALL_COMBINED,
    build=async_build,
    platform_setup={Platform.SENSOR: setup_combined_sensors},
    flow=PowerwallCombinedSteps,
    reconfigure=PowerwallCombinedSteps.async_step_powerwall_combined_reconfigure,
    setup=async_watch_gateways,
)
