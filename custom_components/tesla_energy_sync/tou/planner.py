"""Plan a Tesla tariff from interval prices (Amber): the next 24 h folded into one day of half hours.

The table has no dates, so each clock half hour holds the price of its next occurrence: the
current slot the live price, later slots today's, earlier slots tomorrow's. Prices are bucketed
by interval start in the Powerwall's own time zone, so DST states line up with the gateway clock.
The planner reads the normalised series of tariff.py; `build_tariff` adapts Amber's own intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import datetime as dt

from ..clients.amber_models import ChannelType, Interval
from ..tariff import PriceInterval, amber_series
from . import buckets as bk
from .errors import MissingPrices, StalePrices
from .models import SLOTS_PER_DAY, PlannedTariff, PlanOptions, SlotPrice, SlotSource
from .tariff import PERIOD_NAMES, build_tariff_content, fingerprint, round_price
from .validate import validate_tariff

SPIKE_MARGIN = 1.0  # $/kWh above the best sell price, so the battery never buys ahead of a spike

__all__ = ["PlanOptions", "PlannedTariff", "build_tariff", "plan_tariff"]


@dataclass(frozen=True, slots=True)
class _Slot:
    """One clock half hour of the fold: its place in the table and the date it stands for."""

    index: int
    key: bk.SlotKey
    other_day: dt.date
    start: dt.datetime


@dataclass(slots=True)
class _Column:
    """One side's prices per kWh in time order, and what may fill its gaps."""

    prices: list[float | None]
    sources: list[SlotSource]
    other_day: dict[int, float]

    def missing(self) -> int:
        """Return how many slots have no price for the date they stand for."""
        return sum(value is None for value in self.prices)

    def filled(self) -> tuple[list[float], list[SlotSource]]:
        """Fill gaps: same clock time on the other day, else carry forward, else back-fill."""
        values = list(self.prices)
        sources = list(self.sources)
        for position, price in self.other_day.items():
            values[position], sources[position] = price, SlotSource.OTHER_DAY
        known = [value for value in values if value is not None]
        # Leading gaps take the first published price; later gaps carry the last one forward.
        last = known[0]
        result: list[float] = []
        for position, value in enumerate(values):
            if value is None:
                sources[position] = SlotSource.CARRIED
            last = last if value is None else value
            result.append(last)
        return result, sources


def _fold(now: dt.datetime, site_tz: dt.tzinfo) -> list[_Slot]:
    """Return the 48 half hours of the next 24 h, in time order from the current one."""
    local = now.astimezone(site_tz)
    today = local.date()
    tomorrow = today + dt.timedelta(days=1)
    current = local.hour * 2 + local.minute // 30
    slots: list[_Slot] = []
    for step in range(SLOTS_PER_DAY):
        index = (current + step) % SLOTS_PER_DAY
        day, other = (today, tomorrow) if index >= current else (tomorrow, today)
        hour, minute = index // 2, 30 * (index % 2)
        start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=site_tz)
        slots.append(_Slot(index, (day, hour, minute), other, start))
    return slots


def _check_fresh(
    intervals: Sequence[PriceInterval], side: bk.Side, now: dt.datetime, options: PlanOptions
) -> None:
    """Raise StalePrices unless the side's newest settled or live price is recent."""
    newest = bk.newest_settled_end(intervals, side)
    if newest is None or newest < now - options.max_age:
        raise StalePrices(newest, now)


def _column(
    intervals: Sequence[PriceInterval],
    side: bk.Side,
    slots: list[_Slot],
    now: dt.datetime,
    site_tz: dt.tzinfo,
    options: PlanOptions,
) -> _Column:
    """Return one side's price for each slot, the live price in the current one."""
    found = bk.points(intervals, side, options.forecast_type)
    table = bk.buckets(found, site_tz)
    column = _Column([], [], {})
    for position, slot in enumerate(slots):
        bucket = table.get(slot.key)
        column.prices.append(None if bucket is None else bucket.price)
        column.sources.append(SlotSource.FORECAST if bucket is None else bucket.source)
        spare = table.get((slot.other_day, slot.key[1], slot.key[2]))
        if bucket is None and spare is not None:
            column.other_day[position] = spare.price
    if options.live_current_slot:
        live = bk.live_price(found, now, slots[0].start)
        if live is not None:
            column.prices[0], column.sources[0] = live, SlotSource.LIVE
            column.other_day.pop(0, None)
    return column


def _no_channel() -> _Column:
    """Return the sell side of an import-only plan: 0 everywhere, as Tesla needs a sell table."""
    return _Column([0.0] * SLOTS_PER_DAY, [SlotSource.NO_CHANNEL] * SLOTS_PER_DAY, {})


def build_tariff(
    general: Sequence[Interval],
    feed_in: Sequence[Interval] | None,
    *,
    now: dt.datetime,
    site_tz: dt.tzinfo,
    options: PlanOptions | None = None,
) -> PlannedTariff:
    """Return the tariff planned from Amber's own intervals (see `plan_tariff`).

    Args:
        general: Amber intervals of the general channel (other channels are ignored).
        feed_in: intervals of the feed-in channel, or None when the site has none (sell 0).
        now: the aware current time.
        site_tz: the Powerwall's installation_time_zone.
        options: forecast band, spike protection and abort thresholds.
    """
    buy = _channel(general, ChannelType.GENERAL)
    sell = [] if feed_in is None else _channel(feed_in, ChannelType.FEED_IN)
    series = amber_series([*buy, *sell], exports=feed_in is not None)
    return plan_tariff(
        series.intervals, exports=series.exports, now=now, site_tz=site_tz, options=options
    )


def _channel(intervals: Sequence[Interval], channel: ChannelType) -> list[Interval]:
    """Return the intervals of one channel; other channels in the list are ignored."""
    return [interval for interval in intervals if interval.channel_type is channel]


def plan_tariff(
    intervals: Sequence[PriceInterval],
    *,
    exports: bool,
    now: dt.datetime,
    site_tz: dt.tzinfo,
    options: PlanOptions | None = None,
) -> PlannedTariff:
    """Return the tariff for the 24 h from now, or raise PlanError when the prices can't be trusted.

    Args:
        intervals: the tariff's normalised intervals: buy from import prices, sell from export.
        exports: whether the tariff pays for export; without it every sell price is 0.
        now: the aware current time.
        site_tz: the Powerwall's installation_time_zone.
        options: forecast band, spike protection and abort thresholds.

    Raises:
        StalePrices: the newest settled or live price ended more than max_age before now.
        MissingPrices: more than max_missing of the 96 values have no price for their slot.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    options = options or PlanOptions()
    _check_fresh(intervals, bk.Side.BUY, now, options)
    if exports:
        _check_fresh(intervals, bk.Side.SELL, now, options)
    slots = _fold(now, site_tz)
    buy = _column(intervals, bk.Side.BUY, slots, now, site_tz, options)
    sell = (
        _column(intervals, bk.Side.SELL, slots, now, site_tz, options) if exports else _no_channel()
    )
    missing = buy.missing() + sell.missing()
    if missing > options.max_missing:
        raise MissingPrices(missing, options.max_missing)
    buy_prices, buy_sources = buy.filled()
    sell_prices, sell_sources = sell.filled()
    sells = [round_price(price) for price in sell_prices]
    buys = [round_price(price) for price in buy_prices]
    spiking = bk.spike_slots(intervals, site_tz) if options.spike_protection else set()
    ceiling = round_price(max(sells) + SPIKE_MARGIN)
    rows = [
        SlotPrice(
            period=PERIOD_NAMES[slot.index],
            start=slot.start,
            # Never lower a price that is already above the ceiling (a real spike).
            buy=max(ceiling, buys[position]) if slot.key in spiking else buys[position],
            sell=sells[position],
            buy_source=buy_sources[position],
            sell_source=sell_sources[position],
            spike=slot.key in spiking,
        )
        for position, slot in enumerate(slots)
    ]
    tariff = build_tariff_content(
        {row.period: row.buy for row in rows}, {row.period: row.sell for row in rows}, options
    )
    validate_tariff(tariff)
    return PlannedTariff(
        tariff=tariff,
        slots=tuple(rows),
        fingerprint=fingerprint(tariff),
        current_period=rows[0].period,
        filled=missing,
    )
