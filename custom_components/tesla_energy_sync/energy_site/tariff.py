"""The tariff an energy site holds, read from site_info: which price applies at a given moment.

Both shapes Tesla serves are read (docs/tesla-energy-api.md#read-back): `tariff_content_v2`,
whose prices sit under `rates` and periods under `periods`, and the legacy `tariff_content`
without those wrappers. Periods follow docs/tou-sync.md#periods: Monday = 0, absent fields
default to 0 (`toDayOfWeek` to 6), an end of 0:00, 24:00 or minute 60 means midnight, and a
period that wraps covers the end and the start of each of its days. A tariff that cannot be
read whole is refused (TariffShapeError), never half read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
import math
from typing import Any, Self

_DAY_MINUTES = 1440


class TariffShapeError(ValueError):
    """The site's tariff is not one this module can read."""


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TariffShapeError(f"{where}: expected an object")
    return value


def _int(entry: Mapping[str, Any], key: str, default: int, top: int, where: str) -> int:
    value: object = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise TariffShapeError(f"{where}.{key}: expected an integer in 0..{top}")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class PeriodSpan:
    """One entry of a period: the days of week it applies to and its minutes of the day."""

    days: frozenset[int]
    start: int
    end: int  # exclusive; 1440 for midnight; below start when it wraps

    @classmethod
    def parse(cls, data: Any, where: str) -> Self:
        """Read one period entry."""
        entry = _mapping(data, where)
        first = _int(entry, "fromDayOfWeek", 0, 6, where)
        last = _int(entry, "toDayOfWeek", 6, 6, where)
        days = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        start = _int(entry, "fromHour", 0, 23, where) * 60 + _int(entry, "fromMinute", 0, 59, where)
        end = _int(entry, "toHour", 0, 24, where) * 60 + _int(entry, "toMinute", 0, 60, where)
        end = end or _DAY_MINUTES
        if end > _DAY_MINUTES or end == start:
            raise TariffShapeError(f"{where}: bad end time")
        return cls(days=frozenset(days), start=start, end=end)

    def covers(self, weekday: int, minute: int) -> bool:
        """Return whether the span holds this minute of this day of week."""
        if weekday not in self.days:
            return False
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True, slots=True)
class Season:
    """A season: the dates it runs (inclusive, possibly across new year) and its periods."""

    name: str
    first: tuple[int, int]
    last: tuple[int, int]
    periods: tuple[tuple[str, tuple[PeriodSpan, ...]], ...]

    def holds(self, day: dt.date) -> bool:
        """Return whether the season runs on this date."""
        key = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= key <= self.last
        return key >= self.first or key <= self.last

    def period_at(self, weekday: int, minute: int) -> str | None:
        """Return the name of the period in force at this minute of this day of week."""
        for name, spans in self.periods:
            if any(span.covers(weekday, minute) for span in spans):
                return name
        return None


def _date(season: Mapping[str, Any], month: str, day: str, where: str) -> tuple[int, int]:
    pair = (_int(season, month, 0, 12, where), _int(season, day, 0, 31, where))
    try:
        dt.date(2024, *pair)  # a leap year: 29 February is a day
    except ValueError:
        raise TariffShapeError(f"{where}: bad season date {pair}") from None
    return pair


def _season(name: str, data: Any, where: str) -> Season | None:
    """Read a season; one without periods (a placeholder such as an empty Winter) is None."""
    body = _mapping(data, where)
    tou_periods = body.get("tou_periods") or {}
    if not _mapping(tou_periods, f"{where}.tou_periods"):
        return None
    periods: list[tuple[str, tuple[PeriodSpan, ...]]] = []
    for period, group in tou_periods.items():
        # v2 wraps the entries as {"periods": [...]}; v1 gives the list itself.
        entries = group.get("periods") if isinstance(group, Mapping) else group
        if not isinstance(entries, list) or not entries:
            raise TariffShapeError(f"{where}.{period}: expected a list of periods")
        spans = tuple(
            PeriodSpan.parse(entry, f"{where}.{period}[{i}]") for i, entry in enumerate(entries)
        )
        periods.append((str(period), spans))
    return Season(
        name=name,
        first=_date(body, "fromMonth", "fromDay", where),
        last=_date(body, "toMonth", "toDay", where),
        periods=tuple(periods),
    )


def _price(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TariffShapeError(f"{where}: price is not a finite number")
    return float(value)


@dataclass(frozen=True, slots=True)
class TariffSide:
    """One side (buy or sell): its seasons and each season's price per period."""

    seasons: tuple[Season, ...]
    rates: Mapping[str, Mapping[str, float]]

    @classmethod
    def parse(cls, data: Any, where: str) -> Self:
        """Read the seasons and energy charges of one side."""
        body = _mapping(data, where)
        seasons = [
            season
            for name, raw in _mapping(body.get("seasons"), f"{where}.seasons").items()
            if (season := _season(str(name), raw, f"{where}.seasons.{name}")) is not None
        ]
        charges = _mapping(body.get("energy_charges"), f"{where}.energy_charges")
        rates: dict[str, dict[str, float]] = {}
        for season in seasons:
            charge = _mapping(charges.get(season.name), f"{where}.energy_charges.{season.name}")
            # v2 wraps the prices as {"rates": {...}}; v1 gives the mapping itself.
            table = _mapping(charge.get("rates", charge), f"{where}.{season.name}.rates")
            rates[season.name] = {
                period: _price(table.get(period), f"{where}.{season.name}.{period}")
                for period, _ in season.periods
            }
        if not seasons:
            raise TariffShapeError(f"{where}: no season holds any period")
        return cls(seasons=tuple(seasons), rates=rates)

    def price_at(self, local: dt.datetime) -> tuple[float, str, str] | None:
        """Return (price, period, season) at a moment in the site's zone, if the tariff covers it."""
        season = next((s for s in self.seasons if s.holds(local.date())), None)
        if season is None:
            return None
        period = season.period_at(local.weekday(), local.hour * 60 + local.minute)
        if period is None:
            return None
        return self.rates[season.name][period], period, season.name

    def boundaries(self) -> frozenset[int]:
        """Return every minute of the day at which a period may start or end."""
        found = {
            minute
            for season in self.seasons
            for _, spans in season.periods
            for span in spans
            for minute in (span.start, span.end % _DAY_MINUTES)
        }
        return frozenset(found)


@dataclass(frozen=True, slots=True)
class TariffRate:
    """The price in force now on one side, and where it comes from."""

    price: float
    period: str
    season: str


@dataclass(frozen=True, slots=True)
class SiteTariff:
    """The tariff a site holds: buy side, sell side (if any), currency and names."""

    name: str | None
    utility: str | None
    code: str | None
    currency: str | None
    buy: TariffSide
    sell: TariffSide | None
    legacy: bool

    @classmethod
    def parse(cls, data: Any, *, legacy: bool = False) -> Self:
        """Read a tariff_content_v2 (or, with `legacy`, a tariff_content)."""
        body = _mapping(data, "tariff")
        sell = body.get("sell_tariff")
        return cls(
            name=_text(body.get("name")),
            utility=_text(body.get("utility")),
            code=_text(body.get("code")),
            currency=_text(body.get("currency")),
            buy=TariffSide.parse(body, "buy"),
            sell=None if sell is None else TariffSide.parse(sell, "sell"),
            legacy=legacy,
        )

    def rate_at(self, local: dt.datetime, *, sell: bool = False) -> TariffRate | None:
        """Return the buy (or sell) rate in force at a moment given in the site's zone."""
        side = self.sell if sell else self.buy
        found = None if side is None else side.price_at(local)
        return None if found is None else TariffRate(*found)

    def next_change(self, local: dt.datetime) -> dt.datetime:
        """Return the next moment a period may start or end (midnight at the latest)."""
        minute = local.hour * 60 + local.minute
        sides = (self.buy,) if self.sell is None else (self.buy, self.sell)
        later = [b for side in sides for b in side.boundaries() if b > minute]
        day = local.date() + dt.timedelta(days=0 if later else 1)
        at = min(later) if later else 0
        return dt.datetime.combine(day, dt.time(at // 60, at % 60), local.tzinfo)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe summary for diagnostics."""
        return {
            "name": self.name,
            "utility": self.utility,
            "code": self.code,
            "currency": self.currency,
            "legacy": self.legacy,
            "buy": {season: dict(rates) for season, rates in self.buy.rates.items()},
            "sell": (
                None
                if self.sell is None
                else {season: dict(rates) for season, rates in self.sell.rates.items()}
            ),
        }
