"""Read Amber intervals into half-hour buckets of the site's local time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import datetime as dt
import math

from ..clients.amber_models import (
    ActualInterval,
    ChannelType,
    CurrentInterval,
    Interval,
    SpikeStatus,
)
from .models import ForecastType, SlotSource

# When the same interval comes twice (a merged fetch), the settled price wins over the live
# one, and the live one over a forecast.
_RANK = {ActualInterval: 2, CurrentInterval: 1}
_SPIKING = frozenset({SpikeStatus.POTENTIAL, SpikeStatus.SPIKE})

type SlotKey = tuple[dt.date, int, int]


@dataclass(frozen=True, slots=True)
class Point:
    """One usable price: the interval's true start and end, its price in c/kWh and its kind."""

    start: dt.datetime
    end: dt.datetime
    cents: float
    actual: bool
    current: bool


@dataclass(frozen=True, slots=True)
class Bucket:
    """The averaged price of one local half hour and where it came from."""

    cents: float
    source: SlotSource


def interval_start(interval: Interval) -> dt.datetime:
    """Return when an interval really starts: nemTime is its END, startTime is one second late."""
    return interval.nem_time - dt.timedelta(minutes=interval.duration)


def interval_price(interval: Interval, forecast_type: ForecastType) -> float | None:
    """Return the price to plan with in c/kWh, or None when the interval has none usable."""
    if isinstance(interval, ActualInterval):
        value = interval.per_kwh
    elif interval.advanced_price is None:
        # Amber's perKwh on a forecast is wholesale-like and misleading; skip and fill instead.
        return None
    else:
        value = getattr(interval.advanced_price, forecast_type.value)
    return value if math.isfinite(value) else None


def slot_key(moment: dt.datetime, site_tz: dt.tzinfo) -> SlotKey:
    """Return (local date, hour, 0|30) of the half hour containing moment."""
    local = moment.astimezone(site_tz)
    return local.date(), local.hour, 30 * (local.minute // 30)


def channel_intervals(intervals: Iterable[Interval], channel: ChannelType) -> list[Interval]:
    """Return the intervals of one channel; other channels in the list are ignored."""
    return [interval for interval in intervals if interval.channel_type is channel]


def points(intervals: Iterable[Interval], forecast_type: ForecastType) -> list[Point]:
    """Return one usable price per interval, duplicates resolved by kind."""
    best: dict[tuple[dt.datetime, int], tuple[int, Point]] = {}
    for interval in intervals:
        cents = interval_price(interval, forecast_type)
        if cents is None:
            continue
        start = interval_start(interval)
        rank = _RANK.get(type(interval), 0)
        key = (start, interval.duration)
        if key in best and best[key][0] >= rank:
            continue
        point = Point(
            start=start,
            end=start + dt.timedelta(minutes=interval.duration),
            cents=cents,
            actual=isinstance(interval, ActualInterval),
            current=isinstance(interval, CurrentInterval),
        )
        best[key] = (rank, point)
    return [point for _, point in best.values()]


def _average(group: list[Point]) -> Bucket:
    """Average one half hour: a whole-slot price wins, else a duration-weighted mean of parts."""
    whole = [point for point in group if point.end - point.start >= dt.timedelta(minutes=30)]
    chosen = whole or group
    weights = [(point.end - point.start).total_seconds() for point in chosen]
    cents = sum(p.cents * w for p, w in zip(chosen, weights, strict=True)) / sum(weights)
    source = SlotSource.ACTUAL if all(point.actual for point in chosen) else SlotSource.FORECAST
    return Bucket(cents, source)


def buckets(found: Iterable[Point], site_tz: dt.tzinfo) -> dict[SlotKey, Bucket]:
    """Return the average price of every local half hour that has any point."""
    groups: dict[SlotKey, list[Point]] = {}
    for point in found:
        groups.setdefault(slot_key(point.start, site_tz), []).append(point)
    return {key: _average(group) for key, group in groups.items()}


def spike_slots(intervals: Iterable[Interval], site_tz: dt.tzinfo) -> set[SlotKey]:
    """Return the half hours in which any interval is flagged as a (potential) spike."""
    return {
        slot_key(interval_start(interval), site_tz)
        for interval in intervals
        if interval.spike_status in _SPIKING
    }


def live_price(found: Iterable[Point], now: dt.datetime, slot_start: dt.datetime) -> float | None:
    """Return the live price: the current interval at now, else the newest actual in this slot."""
    candidates = list(found)
    running = [p for p in candidates if p.current and p.start <= now < p.end]
    if running:
        return max(running, key=lambda p: p.start).cents
    settled = [p for p in candidates if p.actual and slot_start <= p.start and p.end <= now]
    if settled:
        return max(settled, key=lambda p: p.start).cents
    return None


def newest_settled_end(intervals: Iterable[Interval]) -> dt.datetime | None:
    """Return when the newest actual or current interval ends: how fresh the payload is."""
    ends = [
        interval.nem_time
        for interval in intervals
        if isinstance(interval, ActualInterval | CurrentInterval)
    ]
    return max(ends, default=None)
