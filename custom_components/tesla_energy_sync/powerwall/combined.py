"""The combined Powerwall view: one device summing every loaded gateway, while there are two or more.

Power is the sum of the gateways' power; battery level is weighted by each gateway's
capacity (nominal full pack energy). Energy counters do not sum lifetime counters: a
gateway joining or leaving would make the sum jump or drop, and the Energy Dashboard
would count a drop as a meter reset. Instead the combined counters add what each
gateway's counters advance while it is a member, and keep their value over restarts.

The combined entities live on one member entry (the first one loaded); when that entry
unloads, they are removed and recreated, with the same unique ids, on the next member.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol

from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..clients.powerwall import PowerwallSnapshot
from ..const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import PowerwallCoordinator

COMBINED_ID: Final = "powerwall_combined"
METERS: Final = ("site", "solar", "battery", "load")
DIRECTIONS: Final = ("imported", "exported")
_DATA_KEY: Final = f"{DOMAIN}_powerwall_combined"

COMBINED_DEVICE: Final = DeviceInfo(
    identifiers={(DOMAIN, COMBINED_ID)},
    name="Powerwall combined",
    manufacturer="Tesla",
    model="Combined Powerwall gateways",
)


class PowerwallCombined:
    """Follows the loaded gateway entries and feeds the combined device's entities."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no members."""
        self.hass = hass
        self.members: dict[str, PowerwallCoordinator] = {}
        self._adders: dict[str, AddConfigEntryEntitiesCallback] = {}
        self._unsubscribe: dict[str, Callable[[], None]] = {}
        self._last: dict[tuple[str, str, str], float] = {}
        self.energy_wh: dict[str, float] = {}
        self.host: str | None = None
        self.entities: list[Any] = []
        self.make_entities: Callable[[PowerwallCombined], list[Any]] | None = None

    # Values.

    @property
    def snapshots(self) -> list[PowerwallSnapshot | None]:
        """Return each member's latest snapshot (None while it has none or is failing)."""
        return [
            member.data if member.last_update_success else None for member in self.members.values()
        ]

    @property
    def complete(self) -> list[PowerwallSnapshot] | None:
        """Return every member's snapshot, or None when any member has none."""
        snapshots = self.snapshots
        if any(snapshot is None for snapshot in snapshots):
            return None
        return [snapshot for snapshot in snapshots if snapshot is not None]

    def power_w(self, meter: str) -> float | None:
        """Return the summed power of a meter, or None when a member's is unknown."""
        snapshots = self.complete
        if snapshots is None:
            return None
        powers: list[float | None] = [getattr(snapshot, meter).power_w for snapshot in snapshots]
        if any(power is None for power in powers):
            return None
        return round(sum(power for power in powers if power is not None), 1)

    def battery_level_pct(self) -> float | None:
        """Return the capacity-weighted battery level, or None when a member's is unknown."""
        snapshots = self.complete
        if snapshots is None:
            return None
        pairs = [
            (snapshot.battery_level_pct, snapshot.nominal_full_pack_energy_wh)
            for snapshot in snapshots
        ]
        total = 0.0
        weighted = 0.0
        for level, capacity in pairs:
            if level is None or capacity is None:
                return None
            total += capacity
            weighted += level * capacity
        return weighted / total if total > 0 else None

    def capacity_wh(self) -> float | None:
        """Return the summed nominal capacity."""
        snapshots = self.complete
        if snapshots is None:
            return None
        capacities = [snapshot.nominal_full_pack_energy_wh for snapshot in snapshots]
        if any(capacity is None for capacity in capacities):
            return None
        return sum(capacity for capacity in capacities if capacity is not None)

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

    # Membership.

    def join(
        self,
        entry_id: str,
        coordinator: PowerwallCoordinator,
        add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        """Add a loaded gateway; the combined device appears with the second one."""
        self.members[entry_id] = coordinator
        self._adders[entry_id] = add_entities
        if coordinator.data is not None:
            self._accumulate(entry_id, coordinator.data)
        self._unsubscribe[entry_id] = coordinator.async_add_listener(
            lambda: self._member_updated(entry_id)
        )
        self._sync()

    async def leave(self, entry_id: str) -> None:
        """Remove an unloading gateway; below two members the combined device goes."""
        if entry_id not in self.members:
            return
        del self.members[entry_id]
        del self._adders[entry_id]
        self._unsubscribe.pop(entry_id)()
        for key in [key for key in self._last if key[0] == entry_id]:
            del self._last[key]
        if self.host == entry_id or len(self.members) < 2:
            await self._remove_entities(forget=len(self.members) < 2)
        self._sync()

    def _member_updated(self, entry_id: str) -> None:
        coordinator = self.members[entry_id]
        if coordinator.last_update_success:
            self._accumulate(entry_id, coordinator.data)
        for entity in self.entities:
            entity.combined_updated()

    def _sync(self) -> None:
        """Create the entities on a host when there are two members or more, or refresh them."""
        if len(self.members) < 2 or self.make_entities is None:
            return
        if self.host is None:
            self.host = next(iter(self.members))
            self.entities = self.make_entities(self)
            self._adders[self.host](self.entities)
            return
        for entity in self.entities:
            entity.combined_updated()

    async def _remove_entities(self, *, forget: bool) -> None:
        """Remove the entities from their host; forget them and the device when none remain."""
        entities, self.entities, self.host = self.entities, [], None
        for entity in entities:
            # Entities disabled in the registry were never added.
            if entity.hass is not None:
                await entity.async_remove()
        if not forget:
            return
        self.energy_wh.clear()
        registry = er.async_get(self.hass)
        for entity in entities:
            if entity_id := registry.async_get_entity_id("sensor", DOMAIN, entity.unique_id):
                registry.async_remove(entity_id)
        devices = dr.async_get(self.hass)
        for device in list(devices.devices):
            if (DOMAIN, COMBINED_ID) in device.identifiers:
                devices.async_remove_device(device.id)


class CombinedListener(Protocol):
    """What the combined view needs of its entities."""

    hass: HomeAssistant | None
    unique_id: str | None

    def combined_updated(self) -> None:
        """Write the new state."""

    async def async_remove(self, *, force_remove: bool = False) -> None:
        """Remove the entity from Home Assistant."""


def powerwall_combined(hass: HomeAssistant) -> PowerwallCombined:
    """Return the installation's combined view, made on first use."""
    combined: PowerwallCombined | None = hass.data.get(_DATA_KEY)
    if combined is None:
        combined = hass.data[_DATA_KEY] = PowerwallCombined(hass)
    return combined
