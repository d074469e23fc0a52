"""Shape 48 half-hour buy and sell prices into Tesla's tariff_content_v2, and fingerprint it."""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
import json
from typing import Any

from .models import SLOTS_PER_DAY, PlanOptions

SEASON = "AllYear"
ALL = "ALL"
PRICE_DIGITS = 4


def period_name(hour: int, minute: int) -> str:
    """Return the period name of the half hour starting at hour:minute ("PERIOD_16_30")."""
    return f"PERIOD_{hour:02d}_{minute:02d}"


PERIOD_NAMES: tuple[str, ...] = tuple(
    period_name(index // 2, 30 * (index % 2)) for index in range(SLOTS_PER_DAY)
)


def round_price(value: float) -> float:
    """Round a $/kWh price to Tesla precision, never below zero."""
    # Clamping before rounding turns -0.0 and tiny negatives into a plain 0.0.
    return round(max(0.0, value), PRICE_DIGITS)


def _periods() -> dict[str, Any]:
    """Return the 48 half-hour periods, every day of the week, all fields explicit."""
    periods: dict[str, Any] = {}
    for index, name in enumerate(PERIOD_NAMES):
        start = index * 30
        # The last slot ends at 24:00, the form PowerSync has uploaded for years.
        end = start + 30
        periods[name] = {
            "periods": [
                {
                    "fromDayOfWeek": 0,
                    "toDayOfWeek": 6,
                    "fromHour": start // 60,
                    "fromMinute": start % 60,
                    "toHour": end // 60,
                    "toMinute": end % 60,
                }
            ]
        }
    return periods


def _seasons() -> dict[str, Any]:
    """Return the one season covering the whole year."""
    return {
        SEASON: {
            "fromMonth": 1,
            "fromDay": 1,
            "toMonth": 12,
            "toDay": 31,
            "tou_periods": _periods(),
        }
    }


def _side(name: str, utility: str, rates: Mapping[str, float]) -> dict[str, Any]:
    """Return the charges and seasons one side (buy or sell) of the tariff shares."""
    return {
        "name": name,
        "utility": utility,
        "daily_charges": [{"name": "Charge"}],
        "demand_charges": {ALL: {"rates": {ALL: 0}}, SEASON: {}},
        "energy_charges": {
            ALL: {"rates": {ALL: 0}},
            SEASON: {"rates": {period: rates[period] for period in PERIOD_NAMES}},
        },
        "seasons": _seasons(),
    }


def build_tariff_content(
    buy: Mapping[str, float], sell: Mapping[str, float], options: PlanOptions
) -> dict[str, Any]:
    """Return a tariff_content_v2 dict for 48 buy and sell prices keyed by period name."""
    tariff: dict[str, Any] = {
        "version": 1,
        "code": options.code,
        "currency": options.currency,
        **_side(options.name, options.utility, buy),
    }
    tariff["sell_tariff"] = _side(options.name, options.utility, sell)
    return tariff


def fingerprint(tariff: Mapping[str, Any]) -> str:
    """Return a digest that is equal exactly when two tariffs serialise identically."""
    text = json.dumps(tariff, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()
