"""What every tariff source publishes for the rest of the integration (chargers, TOU sync)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Price:
    """The import price in force, per kWh."""

    value: float
    currency: str
