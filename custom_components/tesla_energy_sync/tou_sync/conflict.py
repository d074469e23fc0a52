"""Another writer replaced the tariff TOU sync uploaded: spot it, pause, let the user decide.

What TOU sync last left on the site is kept as a digest of its prices (the prices `same_rates`
compares: per season and period, both sides, to 6 decimals, Tesla's "ALL" sentinel left out),
stored so a restart still knows it. When the site later holds other prices, something else
wrote them (the Tesla app, another tool): automatic sync pauses and a fixable repair asks
whether to resume (TOU sync's tariff goes back) or keep the other tariff (automatic sync off).
"""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
import json
from typing import Any, Final

ISSUE_PREFIX: Final = "tou_tariff_replaced_"
_SENTINEL = "ALL"


def replaced_issue_id(entry_id: str) -> str:
    """Return the repair issue of a TOU sync entry whose tariff was replaced."""
    return f"{ISSUE_PREFIX}{entry_id}"


def _side_rates(side: Any) -> dict[str, dict[str, float]]:
    """Return season → period → price of one side, leaving out the ALL sentinel."""
    if not isinstance(side, Mapping) or not isinstance(side.get("energy_charges"), Mapping):
        return {}
    found: dict[str, dict[str, float]] = {}
    for season, charge in side["energy_charges"].items():
        rates = charge.get("rates") if isinstance(charge, Mapping) else None
        if season == _SENTINEL or not isinstance(rates, Mapping) or not rates:
            continue
        found[str(season)] = {
            str(period): round(float(value), 6)
            for period, value in rates.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
    return found


def rates_digest(tariff: Mapping[str, Any] | None) -> str | None:
    """Return a digest equal exactly when two tariffs hold the same prices; None for none."""
    if tariff is None:
        return None
    prices = {"buy": _side_rates(tariff), "sell": _side_rates(tariff.get("sell_tariff"))}
    text = json.dumps(prices, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
