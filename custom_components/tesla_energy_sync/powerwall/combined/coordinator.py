"""The combined entry's coordinator: follows the loaded gateway entries and counts their energy.

Energy counters do not sum lifetime counters: a gateway joining or leaving would make the
sum jump or drop, and the Energy dashboard would count a drop as a meter reset. Instead
each combined counter adds how far each member's counter advances while it is a member;
a member's counter that goes backwards (a replaced meter) is a new baseline, never a drop.
The counters continue from their last state after a restart (the entities restore them).
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any, Final

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from ...clients.powerwall import PowerwallSnapshot
from ...const import DOMAIN
from ...runtime import SourceRuntime
from ..coordinator import PowerwallCoordinator, PowerwallRuntime, loaded_gateways
from ..descriptions import DIRECTIONS, METERS
from .values import PowerwallCombined

COMBINED_ID: Final = "powerwall_combined"
COMBINED_DEVICE: Final = DeviceInfo(
    identifiers={(DOMAIN, COMBINED_ID)},
    name="Powerwall combined",
    manufacturer="Tesla",
    model="Combined Powerwall gateways",
)


class CombinedCoordinator(PowerwallCombined):
    """Pushes the combined readings to its entities after every member's poll."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no members and no energy counted."""
        super().__init__()
        self.hass = hass
        self.energy_wh: dict[str, float] = {}
        self._last: dict[tuple[str, str, str], float] = {}
        self._restored: set[str] = set()
        self._unsubscribe: dict[str, CALLBACK_TYPE] = {}
        self._listeners: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Join the loaded gateways, then follow entries as they load and unload; return stop."""
        for entry_id, coordinator in loaded_gateways(self.hass).items():
            self._join(entry_id, coordinator)
        unwatch = async_dispatcher_connect(
            self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._async_entry_changed
        )

        @callback
        def stop() -> None:
            unwatch()
            for entry_id in list(self.members):
                self._leave(entry_id)

        return stop

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` after each member's poll and each change of members."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    def restore(self, counter: str, value: float | None) -> None:
        """Continue a counter from its state before the restart (once per counter)."""
        if counter in self._restored:
            return
        self._restored.add(counter)
        if value is not None and math.isfinite(value) and value >= 0:
            self.energy_wh[counter] = value + self.energy_wh.get(counter, 0.0)

    @callback
    def _async_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry[Any]) -> None:
        """Join a gateway entry as it loads; leave it as it starts to unload or fails."""
        if entry.domain != DOMAIN:
            return
        runtime = getattr(entry, "runtime_data", None)
        if entry.state is ConfigEntryState.LOADED and isinstance(runtime, PowerwallRuntime):
            if self.members.get(entry.entry_id) is runtime.gateway:
                return
            self._leave(entry.entry_id)
            self._join(entry.entry_id, runtime.gateway)
        elif entry.entry_id in self.members:
            self._leave(entry.entry_id)
        else:
            return
        self._notify()

    def _join(self, entry_id: str, coordinator: PowerwallCoordinator) -> None:
        self.members[entry_id] = coordinator
        if coordinator.last_update_success and coordinator.data is not None:
            self._accumulate(entry_id, coordinator.data)
        self._unsubscribe[entry_id] = coordinator.async_add_listener(
            lambda: self._member_updated(entry_id)
        )

    def _leave(self, entry_id: str) -> None:
        if self.members.pop(entry_id, None) is None:
            return
        self._unsubscribe.pop(entry_id)()
        # A member that comes back starts from a new baseline: what it counted meanwhile is
        # not known to have happened while it was a member.
        for key in [key for key in self._last if key[0] == entry_id]:
            del self._last[key]

    def _member_updated(self, entry_id: str) -> None:
        coordinator = self.members[entry_id]
        if coordinator.last_update_success and coordinator.data is not None:
            self._accumulate(entry_id, coordinator.data)
        self._notify()

    def _accumulate(self, entry_id: str, snapshot: PowerwallSnapshot) -> None:
        """Add how far each of a member's counters advanced since its last reading."""
        for meter in METERS:
            reading = getattr(snapshot, meter)
            for direction in DIRECTIONS:
                value = getattr(reading, f"energy_{direction}_wh")
                if value is None:
                    continue
                key = (entry_id, meter, direction)
                last = self._last.get(key)
                if last is not None and value >= last:
                    name = f"{meter}_{direction}"
                    self.energy_wh[name] = self.energy_wh.get(name, 0.0) + value - last
                self._last[key] = value

    def _notify(self) -> None:
        for update in list(self._listeners):
            update()


@dataclass(kw_only=True)
class PowerwallCombinedRuntime(SourceRuntime):
    """The combined device: one coordinator over whichever gateway entries are loaded."""

    combined: CombinedCoordinator

    def diagnostics(self) -> dict[str, Any]:
        """Return how many gateways are members and what the counters hold."""
        return {
            "members": len(self.combined.members),
            "available": self.combined.available,
            "energy_wh": {
                counter: round(wh, 3) for counter, wh in sorted(self.combined.energy_wh.items())
            },
        }
