"""Options for planning a tariff and the planned result."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from enum import StrEnum
from typing import Any

SLOTS_PER_DAY = 48


class ForecastType(StrEnum):
    """Which of Amber's advancedPrice bands a forecast price is read from."""

    LOW = "low"
    PREDICTED = "predicted"
    HIGH = "high"


class SlotSource(StrEnum):
    """Where one slot's price came from, for display and diagnostics."""

    LIVE = "live"
    ACTUAL = "actual"
    FORECAST = "forecast"
    OTHER_DAY = "other_day"
    CARRIED = "carried"
    NO_CHANNEL = "no_channel"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanOptions:
    """How prices become a tariff; the defaults follow PowerSync and Netzero."""

    forecast_type: ForecastType = ForecastType.PREDICTED
    live_current_slot: bool = True
    spike_protection: bool = False
    max_missing: int = 10
    max_age: dt.timedelta = dt.timedelta(minutes=15)
    code: str = "TESLA_ENERGY_SYNC:AMBER"
    name: str = "Amber Electric (Tesla Energy Sync)"
    utility: str = "Amber Electric"
    currency: str = "AUD"


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotPrice:
    """One row of the folded table: the half hour it stands for and its prices in $/kWh."""

    period: str
    start: dt.datetime
    buy: float
    sell: float
    buy_source: SlotSource
    sell_source: SlotSource
    spike: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for attributes and diagnostics."""
        return {
            "period": self.period,
            "start": self.start.isoformat(),
            "buy": self.buy,
            "sell": self.sell,
            "buy_source": self.buy_source.value,
            "sell_source": self.sell_source.value,
            "spike": self.spike,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedTariff:
    """A tariff ready to upload, the table it was built from and its fingerprint."""

    tariff: dict[str, Any]
    slots: tuple[SlotPrice, ...]
    fingerprint: str
    current_period: str
    filled: int

    def buy_rates(self) -> dict[str, float]:
        """Return period name → buy price."""
        return {slot.period: slot.buy for slot in self.slots}

    def sell_rates(self) -> dict[str, float]:
        """Return period name → sell price."""
        return {slot.period: slot.sell for slot in self.slots}
