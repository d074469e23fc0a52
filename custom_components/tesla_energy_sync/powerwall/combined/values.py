"""What a set of gateways adds up to: summed power, capacity-weighted level, summed capacity.

Pure values over the members' latest snapshots; the combined entry's coordinator and the
proxy-compatible views both read them.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...clients.powerwall import PowerwallSnapshot
from ..coordinator import PowerwallCoordinator


class PowerwallCombined:
    """The combined readings of the member gateways (keyed by their config entry id)."""

    def __init__(self, members: Mapping[str, PowerwallCoordinator] | None = None) -> None:
        """Start with the given members (none by default)."""
        self.members: dict[str, PowerwallCoordinator] = dict(members or {})

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

    @property
    def available(self) -> bool:
        """Return whether there is something to combine: two members or more, all answering."""
        return len(self.members) >= 2 and self.complete is not None

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
        total = 0.0
        weighted = 0.0
        for snapshot in snapshots:
            level, capacity = snapshot.battery_level_pct, snapshot.nominal_full_pack_energy_wh
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
