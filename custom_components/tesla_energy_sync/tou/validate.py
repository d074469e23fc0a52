"""Check a tariff_content_v2 dict against Tesla's rules before it is uploaded, and compare read-backs."""

from __future__ import annotations

from collections.abc import Mapping
import datetime as dt
import math
from typing import Any

from .errors import InvalidTariff

_DAY_MINUTES = 1440
_DAYS_OF_WEEK = 7
_SENTINEL = "ALL"
# A leap year, so a season ending on 29 February is checked too.
_YEAR = 2024


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    """Return value when it is a JSON object."""
    if not isinstance(value, Mapping):
        raise InvalidTariff(f"{where}: expected an object")
    return value


def _number(value: Any, where: str) -> int:
    """Return an integer field (a bool is not one)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidTariff(f"{where}: expected an integer")
    return value


def _field(period: Mapping[str, Any], key: str, default: int, top: int, where: str) -> int:
    """Return a period field in [0, top]; Tesla fills absent fields with the default."""
    value = _number(period.get(key, default), f"{where}.{key}")
    if not 0 <= value <= top:
        raise InvalidTariff(f"{where}.{key}: {value} is outside 0..{top}")
    return value


def _span(first: int, last: int, size: int) -> list[int]:
    """Return first..last inclusive on a cycle of this size (wrapping past the end)."""
    if first <= last:
        return list(range(first, last + 1))
    return [*range(first, size), *range(last + 1)]


def _period_cover(period: Any, where: str) -> tuple[list[int], list[int]]:
    """Return the days of week and minutes of the day one period entry covers."""
    entry = _mapping(period, where)
    days = _span(
        _field(entry, "fromDayOfWeek", 0, 6, where), _field(entry, "toDayOfWeek", 6, 6, where), 7
    )
    start = _field(entry, "fromHour", 0, 23, where) * 60 + _field(entry, "fromMinute", 0, 59, where)
    end = _field(entry, "toHour", 0, 24, where) * 60 + _field(entry, "toMinute", 0, 60, where)
    if end == 0:
        end = _DAY_MINUTES
    if end > _DAY_MINUTES:
        raise InvalidTariff(f"{where}: ends after midnight")
    if start == end:
        raise InvalidTariff(f"{where}: starts where it ends")
    minutes = list(range(start, end)) if start < end else [*range(start, _DAY_MINUTES), *range(end)]
    return days, minutes


def _check_tiling(name: str, tou_periods: Mapping[str, Any]) -> None:
    """Raise unless the periods cover every minute of every day of the week exactly once."""
    cover = [bytearray(_DAY_MINUTES) for _ in range(_DAYS_OF_WEEK)]
    for period_name, body in tou_periods.items():
        where = f"{name}.{period_name}"
        entries = _mapping(body, where).get("periods")
        if not isinstance(entries, list) or not entries:
            raise InvalidTariff(f"{where}: expected a non-empty list of periods")
        for index, entry in enumerate(entries):
            days, minutes = _period_cover(entry, f"{where}[{index}]")
            for day in days:
                for minute in minutes:
                    if cover[day][minute]:
                        raise InvalidTariff(f"{where}: overlaps at {_clock(day, minute)}")
                    cover[day][minute] = 1
    for day, minutes_of_day in enumerate(cover):
        gap = minutes_of_day.find(0)
        if gap >= 0:
            raise InvalidTariff(f"{name}: no period covers {_clock(day, gap)}")


def _clock(day: int, minute: int) -> str:
    """Return "day 0 13:05" for error messages."""
    return f"day {day} {minute // 60:02d}:{minute % 60:02d}"


def _season_days(season: Mapping[str, Any], where: str) -> list[dt.date]:
    """Return the dates of the model year a season covers (inclusive, possibly across new year)."""
    try:
        first = dt.date(
            _YEAR,
            _number(season.get("fromMonth"), f"{where}.fromMonth"),
            _number(season.get("fromDay"), f"{where}.fromDay"),
        )
        last = dt.date(
            _YEAR,
            _number(season.get("toMonth"), f"{where}.toMonth"),
            _number(season.get("toDay"), f"{where}.toDay"),
        )
    except ValueError as err:
        raise InvalidTariff(f"{where}: bad season dates ({err})") from None
    year = [dt.date(_YEAR, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    if first <= last:
        return [day for day in year if first <= day <= last]
    return [day for day in year if day >= first or day <= last]


def _check_prices(rates: Mapping[str, Any], where: str) -> None:
    """Raise unless every rate is a finite, non-negative number."""
    for period, value in rates.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidTariff(f"{where}.{period}: price is not a number")
        if not math.isfinite(value):
            raise InvalidTariff(f"{where}.{period}: price is not finite")
        if value < 0:
            raise InvalidTariff(f"{where}.{period}: negative price {value}")


def _active_seasons(side: Mapping[str, Any], label: str) -> dict[str, Mapping[str, Any]]:
    """Return the seasons that hold periods; empty placeholder seasons are legal and skipped."""
    seasons = _mapping(side.get("seasons"), f"{label}.seasons")
    active: dict[str, Mapping[str, Any]] = {}
    for name, season in seasons.items():
        body = _mapping(season, f"{label}.seasons.{name}")
        periods = body.get("tou_periods") or {}
        if _mapping(periods, f"{label}.seasons.{name}.tou_periods"):
            active[name] = body
    if not active:
        raise InvalidTariff(f"{label}: no season holds any period")
    return active


def _check_side(side: Any, label: str) -> None:
    """Check seasons, periods and prices of one side (buy or sell)."""
    body = _mapping(side, label)
    active = _active_seasons(body, label)
    charges = _mapping(body.get("energy_charges"), f"{label}.energy_charges")
    seen: dict[dt.date, str] = {}
    for name, season in active.items():
        where = f"{label}.seasons.{name}"
        for day in _season_days(season, where):
            if day in seen:
                raise InvalidTariff(f"{where}: overlaps season {seen[day]!r} on {day:%m-%d}")
            seen[day] = name
        periods = _mapping(season["tou_periods"], f"{where}.tou_periods")
        _check_tiling(where, periods)
        rates = _mapping(
            _mapping(charges.get(name), f"{label}.energy_charges.{name}").get("rates"),
            f"{label}.energy_charges.{name}.rates",
        )
        if set(rates) != set(periods):
            missing = sorted(set(periods) - set(rates))
            extra = sorted(set(rates) - set(periods))
            raise InvalidTariff(
                f"{label}.energy_charges.{name}: rates do not match the season's periods "
                f"(no price for {missing}, price without period {extra})"
            )
    if len(seen) < 366:
        raise InvalidTariff(f"{label}: seasons leave days of the year uncovered")
    for name, charge in charges.items():
        rates_of = _mapping(charge, f"{label}.energy_charges.{name}").get("rates", {})
        if name != _SENTINEL and name not in active and rates_of:
            raise InvalidTariff(f"{label}.energy_charges.{name}: prices for an unknown season")
        _check_prices(_mapping(rates_of, f"{label}.energy_charges.{name}.rates"), f"{label}.{name}")


def validate_tariff(tariff: Mapping[str, Any]) -> None:
    """Raise InvalidTariff unless both buy and sell sides would be accepted and tile every day."""
    body = _mapping(tariff, "tariff")
    _check_side(body, "buy")
    if "sell_tariff" not in body:
        raise InvalidTariff("sell_tariff missing")
    _check_side(body["sell_tariff"], "sell")


def _season_rates(side: Any) -> dict[str, dict[str, float]]:
    """Return season → period → price, leaving out the ALL sentinel Tesla may drop."""
    if not isinstance(side, Mapping) or not isinstance(side.get("energy_charges"), Mapping):
        return {}
    result: dict[str, dict[str, float]] = {}
    for season, charge in side["energy_charges"].items():
        rates = charge.get("rates") if isinstance(charge, Mapping) else None
        if season == _SENTINEL or not isinstance(rates, Mapping) or not rates:
            continue
        result[season] = {
            period: round(float(value), 6)
            for period, value in rates.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
    return result


def same_rates(uploaded: Mapping[str, Any], read_back: Mapping[str, Any] | None) -> bool:
    """Return whether a read-back holds the uploaded buy and sell prices (to 6 dp)."""
    if read_back is None:
        return False
    return _season_rates(uploaded) == _season_rates(read_back) and _season_rates(
        uploaded.get("sell_tariff")
    ) == _season_rates(read_back.get("sell_tariff"))
