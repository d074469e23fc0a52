"""Read one side (buy or sell) of a normalised price series into half-hour buckets of local time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import datetime as dt
from enum import StrEnum
import math

from ..tariff import PriceInterval, PriceKind
from .models import ForecastType, SlotSource

# When the same interval comes twice (a merged fetch), the settled price wins over the live
# one, and the live one over a forecast.
_RANK = {PriceKind.ACTUAL: 2, PriceKind.CURRENT: 1, PriceKind.FORECAST: 0}

type SlotKey = tuple[dt.date, int, int]


class Side(StrEnum):
    """Which price of an interval a column is made of."""

    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True)
class Point:
    """One usable price: the interval's start and end, its price per kWh and its kind."""

    start: dt.datetime
    end: dt.datetime
    price: float
    actual: bool
    current: bool


@dataclass(frozen=True, slots=True)
class Bucket:
    """The averaged price of one local half hour and where it came from."""

    price: float
    source: SlotSource


def side_price(interval: PriceInterval, side: Side) -> float | None:
    """Return the interval's published price on one side (None when it has none)."""
    return interval.import_price if side is Side.BUY else interval.export_price


def interval_price(
    interval: PriceInterval, side: Side, forecast_type: ForecastType
) -> float | None:
    """Return the price to plan with on one side, or None when the interval has none usable."""
    if interval.kind is PriceKind.ACTUAL:
        value = side_price(interval, side)
    else:
        # A live or forecast price plans from its band: without one (Amber's perKwh on a
        # forecast is wholesale-like and misleading) skip it and fill the slot instead.
        band = interval.import_band if side is Side.BUY else interval.export_band
        value = None if band is None else band.pick(forecast_type.value)
    return value if value is not None and math.isfinite(value) else None


def slot_key(moment: dt.datetime, site_tz: dt.tzinfo) -> SlotKey:
    """Return (local date, hour, 0|30) of the half hour containing moment."""
    local = moment.astimezone(site_tz)
    return local.date(), local.hour, 30 * (local.minute // 30)


def points(
    intervals: Iterable[PriceInterval], side: Side, forecast_type: ForecastType
) -> list[Point]:
    """Return one usable price per interval, duplicates resolved by kind."""
    best: dict[tuple[dt.datetime, dt.datetime], tuple[int, Point]] = {}
    for interval in intervals:
        price = interval_price(interval, side, forecast_type)
        if price is None:
            continue
        rank = _RANK[interval.kind]
        key = (interval.start, interval.end)
        if key in best and best[key][0] >= rank:
            continue
        point = Point(
            start=interval.start,
            end=interval.end,
            price=price,
            actual=interval.kind is PriceKind.ACTUAL,
            current=interval.kind is PriceKind.CURRENT,
        )
        best[key] = (rank, point)
    return [point for _, point in best.values()]


def _average(group: list[Point]) -> Bucket:
    """Average one half hour: a whole-slot price wins, else a duration-weighted mean of parts."""
    whole = [point for point in group if point.end - point.start >= dt.timedelta(minutes=30)]
    chosen = whole or group
    source = SlotSource.ACTUAL if all(point.actual for point in chosen) else SlotSource.FORECAST
    if len(chosen) == 1:
        # One price is its own average; weighing it would move a price that sits on a half
        # cent to the other side of Tesla's rounding.
        return Bucket(chosen[0].price, source)
    weights = [(point.end - point.start).total_seconds() for point in chosen]
    price = sum(p.price * w for p, w in zip(chosen, weights, strict=True)) / sum(weights)
    return Bucket(price, source)


def buckets(found: Iterable[Point], site_tz: dt.tzinfo) -> dict[SlotKey, Bucket]:
    """Return the average price of every local half hour that has any point."""
    groups: dict[SlotKey, list[Point]] = {}
    for point in found:
        groups.setdefault(slot_key(point.start, site_tz), []).append(point)
    return {key: _average(group) for key, group in groups.items()}


def spike_slots(intervals: Iterable[PriceInterval], site_tz: dt.tzinfo) -> set[SlotKey]:
    """Return the half hours in which any interval is flagged as a (potential) spike."""
    return {slot_key(interval.start, site_tz) for interval in intervals if interval.spike}


def live_price(found: Iterable[Point], now: dt.datetime, slot_start: dt.datetime) -> float | None:
    """Return the live price: the current interval at now, else the newest actual in this slot."""
    candidates = list(found)
    running = [p for p in candidates if p.current and p.start <= now < p.end]
    if running:
        return max(running, key=lambda p: p.start).price
    settled = [p for p in candidates if p.actual and slot_start <= p.start and p.end <= now]
    if settled:
        return max(settled, key=lambda p: p.start).price
    return None


def newest_settled_end(intervals: Iterable[PriceInterval], side: Side) -> dt.datetime | None:
    """Return when the newest actual or current interval of one side ends: how fresh it is."""
    ends = [
        interval.end
        for interval in intervals
        if interval.kind is not PriceKind.FORECAST and side_price(interval, side) is not None
    ]
    return max(ends, default=None)
