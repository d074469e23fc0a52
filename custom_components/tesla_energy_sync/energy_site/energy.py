"""Energy counters that never drop, from the site's history of the current day.

calendar_history (kind=energy, period=day) answers with the current local day's energy in
5-minute intervals, so its sum starts again from zero every midnight. Each counter here is
that sum plus a base: the totals of the days before, added as each day closes. A day closes
with its final total (the day asked for again by its last second), or, when Tesla cannot give
that, with the highest total seen during the day; within a day a counter never goes down
either. The ledger is stored, so the counters carry on across restarts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import datetime as dt
import math
from typing import Any, Final

from ..clients.tesla_energy_models import EnergyHistory

# Each counter (named as the local gateway's, so both read alike) and the history fields it
# adds up (docs/tesla-energy-api.md#energy-history).
COUNTERS: Final[dict[str, tuple[str, ...]]] = {
    "site_energy_imported": ("grid_energy_imported",),
    "site_energy_exported": (
        "grid_energy_exported_from_solar",
        "grid_energy_exported_from_battery",
        "grid_energy_exported_from_generator",
    ),
    "solar_energy_exported": ("solar_energy_exported",),
    "battery_energy_imported": (
        "battery_energy_imported_from_grid",
        "battery_energy_imported_from_solar",
        "battery_energy_imported_from_generator",
    ),
    "battery_energy_exported": ("battery_energy_exported",),
    "load_energy_imported": (
        "consumer_energy_imported_from_grid",
        "consumer_energy_imported_from_solar",
        "consumer_energy_imported_from_battery",
        "consumer_energy_imported_from_generator",
    ),
}
# Days missed while Home Assistant was down are fetched one by one, up to this many.
MAX_CATCH_UP_DAYS: Final = 7


@dataclass(frozen=True, slots=True)
class DayTotals:
    """One local day's energy so far, per counter (Wh), and the negative readings left out."""

    day: dt.date
    wh: Mapping[str, float]
    negative: int = 0


def day_totals(history: EnergyHistory) -> DayTotals | None:
    """Sum an answer's intervals per counter; None when it holds no interval yet.

    The day is the local date of the first interval (its timestamp carries the site's offset).
    A negative reading cannot be energy that flowed one way, so it is left out and counted.
    """
    if not history.time_series:
        return None
    wh = dict.fromkeys(COUNTERS, 0.0)
    negative = 0
    for entry in history.time_series:
        for counter, names in COUNTERS.items():
            for name in names:
                value = entry.values.get(name, 0.0)
                if value < 0:
                    negative += 1
                else:
                    wh[counter] += value
    return DayTotals(day=history.time_series[0].timestamp.date(), wh=wh, negative=negative)


def _finite_map(data: Any) -> dict[str, float]:
    """Return the stored counters that are known and finite, non-negative numbers."""
    if not isinstance(data, Mapping):
        return {}
    return {
        name: float(value)
        for name, value in data.items()
        if name in COUNTERS
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    }


@dataclass(slots=True)
class EnergyLedger:
    """The day being counted, what it has reached, and the totals of the days before it."""

    day: dt.date | None = None
    today: dict[str, float] = field(default_factory=dict)
    base: dict[str, float] = field(default_factory=dict)

    def totals(self) -> dict[str, float]:
        """Return each counter: closed days plus the day being counted."""
        return {name: self.base.get(name, 0.0) + self.today.get(name, 0.0) for name in COUNTERS}

    def same_day(self, totals: DayTotals) -> None:
        """Take a newer answer for the day being counted; no counter goes down."""
        for name, wh in totals.wh.items():
            self.today[name] = max(self.today.get(name, 0.0), wh)

    def close(self, final: DayTotals | None) -> None:
        """Add the day being counted to the base: its final total, or the most it was seen at."""
        for name in COUNTERS:
            reached = self.today.get(name, 0.0)
            if final is not None:
                reached = max(reached, final.wh.get(name, 0.0))
            self.base[name] = self.base.get(name, 0.0) + reached
        self.today = {}

    def add_missed(self, totals: DayTotals) -> None:
        """Add a whole day that passed while nothing was counted (Home Assistant was down)."""
        for name, wh in totals.wh.items():
            self.base[name] = self.base.get(name, 0.0) + wh

    def start(self, totals: DayTotals) -> None:
        """Begin counting a new day."""
        self.day = totals.day
        self.today = dict(totals.wh)

    def as_dict(self) -> dict[str, Any]:
        """Return what is stored (and shown in diagnostics)."""
        return {
            "day": self.day.isoformat() if self.day else None,
            "today": dict(self.today),
            "base": dict(self.base),
        }

    @classmethod
    def from_dict(cls, data: Any) -> EnergyLedger:
        """Restore a stored ledger; anything unreadable starts a fresh one."""
        if not isinstance(data, Mapping) or not isinstance(data.get("day"), str):
            return cls()
        try:
            day = dt.date.fromisoformat(data["day"])
        except ValueError:
            return cls()
        return cls(
            day=day, today=_finite_map(data.get("today")), base=_finite_map(data.get("base"))
        )
