"""The tariff seam: every price source publishes one normalised series that the rest reads.

Sensors, charging-session cost and the TOU planners read `PriceSeries` and `PriceInterval`, never
a source's own wire format. This module is the only place that turns a source's cents into
currency per kWh, fixes the sign of export prices (positive = paid to you) and adds a tariff
entry's fixed per-kWh adder (delivery or network charges the source's price leaves out) to
import prices. It imports nothing of Home Assistant, so the HA-free planners in tou/ read the
same types.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
import datetime as dt
from enum import StrEnum
from itertools import pairwise
from typing import Protocol

from .clients.amber_models import (
    ActualInterval,
    ChannelType,
    CurrentInterval,
    ForecastInterval,
    Interval,
    SpikeStatus,
)
from .clients.comed import ComEdPrice

AMBER_CURRENCY = "AUD"
COMED_CURRENCY = "USD"
COMED_INTERVAL = dt.timedelta(minutes=5)
# The stretch an hourly-average tariff bills at one price: a clock hour (Chicago's offsets are
# whole hours, so its clock hours are UTC hours too).
BILLING_HOUR = dt.timedelta(hours=1)
# Entities show prices to 0.001 c, the precision the sources quote.
SHOWN_DECIMALS = 5
# ComEd publishes each 5-minute price after its interval ends, so its newest price stands for
# "now" until it is this old (docs/comed.md#polling); after that it is stale, not current.
COMED_HOLDS_FOR = dt.timedelta(minutes=15)

_AMBER_SPIKING = frozenset({SpikeStatus.POTENTIAL, SpikeStatus.SPIKE})


def billing_hour(moment: dt.datetime) -> dt.datetime:
    """Return the start of the clock hour (UTC) that `moment` falls in."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def from_cents(cents: float) -> float:
    """Return a price in cents as currency units: the package's one conversion from cents."""
    # Unrounded: the planners round their averages once, to Tesla's 4 decimals; rounding here
    # too would move prices that sit on a half (57.895 c) to the other side.
    return cents / 100


def shown(price: float | None) -> float | None:
    """Return a price as entities show it: to 0.001 c, without the float tail of the division."""
    return None if price is None else round(price, SHOWN_DECIMALS)


class PriceKind(StrEnum):
    """Whether an interval's price is settled, in force now, or forecast."""

    ACTUAL = "actual"
    CURRENT = "current"
    FORECAST = "forecast"


class Billing(StrEnum):
    """How the tariff turns its prices into a bill, which decides how a tariff is planned."""

    # Each interval is billed at its own price (Amber).
    INTERVAL = "interval"
    # Each clock hour is billed at the mean of its 5-minute prices (ComEd hourly pricing).
    HOURLY_AVERAGE = "hourly_average"


@dataclass(frozen=True, slots=True)
class PriceBand:
    """A forecast's low, predicted and high scenarios, per kWh, in the side's own sign."""

    low: float
    predicted: float
    high: float

    def pick(self, scenario: str) -> float:
        """Return the price of one scenario: "low", "predicted" or "high"."""
        value: float = getattr(self, scenario)
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceInterval:
    """One interval of a tariff: its import and export price per kWh, in `currency`."""

    start: dt.datetime
    end: dt.datetime
    kind: PriceKind
    # What importing costs; None only when the source's answer lacked it for this interval.
    import_price: float | None
    # What exporting pays (positive = paid to you, negative = exporting costs money); None
    # when the tariff has no export price or the answer lacked it.
    export_price: float | None
    # True until the price is final: a live price not locked in yet, or any forecast.
    estimate: bool
    currency: str
    # The forecast band of each side, where the source publishes one (Amber's advancedPrice).
    import_band: PriceBand | None = None
    export_band: PriceBand | None = None
    # The source flags a (potential) price spike in this interval.
    spike: bool = False

    @property
    def duration(self) -> dt.timedelta:
        """Return how long the interval lasts."""
        return self.end - self.start

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-safe dict for attributes and diagnostics."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kind": self.kind.value,
            "import_price": self.import_price,
            "export_price": self.export_price,
            "estimate": self.estimate,
            "currency": self.currency,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceSeries:
    """A tariff's prices as one source last answered them, in time order."""

    currency: str
    intervals: tuple[PriceInterval, ...]
    billing: Billing
    # Whether the tariff pays for export at all (a site without a feed-in channel does not).
    exports: bool
    # How long after its interval ends the newest settled price still stands for "now"
    # (sources that publish after the fact); zero when the source publishes a live price.
    holds_for: dt.timedelta = dt.timedelta()
    # The fixed per-kWh adder already in every import price (and band) of the series.
    import_adder: float = 0.0

    def current(self, now: dt.datetime) -> PriceInterval | None:
        """Return the interval whose price is in force at `now`, or None when none is.

        That is the settled or live interval running at `now` (the settled one for a moment
        already past); once the live one has ended, the forecast of the interval after it
        while the live price of that one is on its way; for a source that publishes after the
        fact, its newest price until `holds_for` after that ended. An interval that has ended
        is never current.
        """
        running = [
            i for i in self.intervals if i.kind is not PriceKind.FORECAST and i.start <= now < i.end
        ]
        if running:
            # A settled price beats the live one it replaced.
            return min(running, key=lambda i: i.kind is not PriceKind.ACTUAL)
        live = [i for i in self.intervals if i.kind is PriceKind.CURRENT]
        if live:
            last = max(live, key=lambda i: i.end)
            for interval in self.intervals:
                if (
                    interval.kind is PriceKind.FORECAST
                    and interval.start == last.end
                    and interval.duration == last.duration
                    and interval.start <= now < interval.end
                ):
                    return interval
            return None
        if self.holds_for:
            settled = [i for i in self.intervals if i.kind is PriceKind.ACTUAL and i.end <= now]
            if settled:
                newest = max(settled, key=lambda i: i.end)
                if now < newest.end + self.holds_for:
                    return newest
        return None

    def current_until(self, now: dt.datetime) -> dt.datetime | None:
        """Return when the interval in force at `now` stops being current (None: none is)."""
        interval = self.current(now)
        if interval is None:
            return None
        # Running at `now`, it ends with its interval; held after the fact, when it is too old.
        return interval.end if now < interval.end else interval.end + self.holds_for

    def newest_actual(self) -> PriceInterval | None:
        """Return the newest settled interval."""
        settled = [i for i in self.intervals if i.kind is PriceKind.ACTUAL]
        return max(settled, key=lambda i: i.end, default=None)

    def hour_average(self, hour: dt.datetime) -> float | None:
        """Return the settled import price of the clock hour starting at `hour`, once final.

        ComEd bills each hour at the mean of its twelve 5-minute prices (docs/comed.md#billing);
        None until all twelve are in the series (or when one lacks its import price).
        """
        end = hour + BILLING_HOUR
        prices = [
            i.import_price
            for i in self.intervals
            if i.kind is PriceKind.ACTUAL and hour <= i.start and i.end <= end
        ]
        if len(prices) != BILLING_HOUR // COMED_INTERVAL or None in prices:
            return None
        return sum(p for p in prices if p is not None) / len(prices)

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-safe summary for diagnostics."""
        return {
            "currency": self.currency,
            "billing": self.billing.value,
            "exports": self.exports,
            "interval_count": len(self.intervals),
            "import_adder": self.import_adder,
        }


@dataclass(frozen=True, slots=True)
class PriceSegment:
    """A stretch of time with one price; a timeline is a sorted list of them."""

    start: dt.datetime
    end: dt.datetime
    price: float


@dataclass(frozen=True, slots=True)
class PriceWindow:
    """A contiguous stretch of time and its time-weighted average price."""

    start: dt.datetime
    end: dt.datetime
    average: float


# Where intervals overlap, a settled price beats a live one, which beats a forecast.
_KIND_RANK = {PriceKind.ACTUAL: 0, PriceKind.CURRENT: 1, PriceKind.FORECAST: 2}


def price_timeline(
    intervals: Sequence[PriceInterval],
    price: Callable[[PriceInterval], float | None],
    since: dt.datetime,
) -> list[PriceSegment]:
    """Return the prices from `since` on as sorted, non-overlapping segments.

    Where intervals overlap (a 5-minute live price inside a 30-minute forecast) the shortest
    one wins, then the settled over the live over the forecast. Time no interval covers, or
    whose interval has no price (`price` returns None), is a gap: no segment.
    """
    priced = [(i, value) for i in intervals if (value := price(i)) is not None]
    points = sorted({since} | {t for i, _ in priced for t in (i.start, i.end) if t > since})
    segments: list[PriceSegment] = []
    for start, end in pairwise(points):
        covering = [(i, value) for i, value in priced if i.start <= start and end <= i.end]
        if covering:
            _, value = min(covering, key=lambda pair: (pair[0].duration, _KIND_RANK[pair[0].kind]))
            segments.append(PriceSegment(start, end, value))
    return segments


def window_average(
    segments: Sequence[PriceSegment], start: dt.datetime, end: dt.datetime
) -> float | None:
    """Return the time-weighted average price of [start, end), or None if a gap falls in it."""
    if end <= start:
        return None
    # The last segment starting at or before `start`: the one that may cover it.
    first = max(0, bisect_right([s.start for s in segments], start) - 1)
    cursor, total = start, 0.0
    for segment in segments[first:]:
        if segment.end <= cursor:
            continue
        if segment.start > cursor:
            return None
        until = min(segment.end, end)
        total += segment.price * (until - cursor).total_seconds()
        cursor = until
        if cursor >= end:
            return total / (end - start).total_seconds()
    return None


def cheapest_window(
    segments: Sequence[PriceSegment],
    duration: dt.timedelta,
    *,
    latest_finish: dt.datetime | None = None,
) -> PriceWindow | None:
    """Return the contiguous window of `duration` with the lowest average price, if one fits.

    It starts no earlier than the timeline and ends by `latest_finish` (default: the end of
    the known prices). Over a piecewise-constant price the average is piecewise linear in the
    start, so the best window starts at the timeline's start or a segment's start, or ends at
    a segment's end; those candidates are all tried. The earliest of equal windows wins.
    """
    if not segments or duration <= dt.timedelta():
        return None
    earliest, known = segments[0].start, segments[-1].end
    latest = known if latest_finish is None else min(latest_finish, known)
    candidates = sorted(
        start
        for start in {earliest} | {s.start for s in segments} | {s.end - duration for s in segments}
        if earliest <= start and start + duration <= latest
    )
    best: PriceWindow | None = None
    for start in candidates:
        average = window_average(segments, start, start + duration)
        # Float sums of equal windows differ in their last bits: keep the earlier one.
        if average is not None and (best is None or average < best.average - 1e-12):
            best = PriceWindow(start, start + duration, average)
    return best


class TariffSource(Protocol):
    """What a tariff entry offers chargers and TOU sync: its series, and news of updates."""

    @property
    def series(self) -> PriceSeries | None:
        """Return the series of the last successful answer (None while the source fails)."""
        ...

    def current(self, now: dt.datetime | None = None) -> PriceInterval | None:
        """Return the interval in force at `now` (default: the present), if any."""
        ...

    def async_add_listener(
        self, update_callback: Callable[[], None], context: object = None
    ) -> Callable[[], None]:
        """Call `update_callback` after each update; return the function that stops it."""
        ...


# Amber ------------------------------------------------------------------------------------------

# Amber's feed-in channel quotes the cost of exporting (negative when the customer is paid);
# the series quotes what exporting pays, so its sign is flipped here and nowhere else.
_AMBER_SIGN = {ChannelType.GENERAL: 1, ChannelType.CONTROLLED_LOAD: 1, ChannelType.FEED_IN: -1}
_AMBER_KIND = {
    ActualInterval: PriceKind.ACTUAL,
    CurrentInterval: PriceKind.CURRENT,
    ForecastInterval: PriceKind.FORECAST,
}


def amber_price(cents: float, channel: ChannelType, adder: float = 0.0) -> float:
    """Return an Amber c/kWh figure of a channel in the series' unit and sign.

    `adder` (currency per kWh) is added on the import channels only: delivery charges are paid
    on energy bought, not on energy exported. Leave it out for figures that are not the
    customer's price (the spot price).
    """
    price = from_cents(_AMBER_SIGN[channel] * cents)
    return price if channel is ChannelType.FEED_IN else price + adder


def amber_start(interval: Interval) -> dt.datetime:
    """Return when an Amber interval really starts: nemTime is its END, startTime 1 s late."""
    return (interval.nem_time - dt.timedelta(minutes=interval.duration)).astimezone(dt.UTC)


def amber_band(interval: Interval, adder: float = 0.0) -> PriceBand | None:
    """Return an interval's advancedPrice band in the series' unit and sign, if it has one."""
    if isinstance(interval, ActualInterval) or interval.advanced_price is None:
        return None
    advanced, channel = interval.advanced_price, interval.channel_type
    return PriceBand(
        low=amber_price(advanced.low, channel, adder),
        predicted=amber_price(advanced.predicted, channel, adder),
        high=amber_price(advanced.high, channel, adder),
    )


def amber_interval_price(interval: Interval, adder: float = 0.0) -> float:
    """Return the price an Amber interval stands for, in the series' unit and sign.

    Settled and live intervals: `perKwh`. Forecasts: Amber's predicted price where it gives
    one, since a forecast's `perKwh` is wholesale-like (docs/amber.md#prices).
    """
    band = amber_band(interval, adder)
    if isinstance(interval, ForecastInterval) and band is not None:
        return band.predicted
    return amber_price(interval.per_kwh, interval.channel_type, adder)


def amber_series(
    intervals: Iterable[Interval],
    *,
    exports: bool,
    import_channel: ChannelType = ChannelType.GENERAL,
    adder: float = 0.0,
) -> PriceSeries:
    """Return Amber intervals as one series: `import_channel` buys, the feed-in channel sells.

    Intervals of the two channels that cover the same time with the same kind become one;
    other channels are left out. When an interval comes twice in one channel the first wins.
    `adder` is added to every import price and band (not to export prices).
    """
    merged: dict[tuple[dt.datetime, int, PriceKind], dict[ChannelType, Interval]] = {}
    for interval in intervals:
        channel = interval.channel_type
        if channel is not import_channel and channel is not ChannelType.FEED_IN:
            continue
        key = (amber_start(interval), interval.duration, _AMBER_KIND[type(interval)])
        merged.setdefault(key, {}).setdefault(channel, interval)
    result: list[PriceInterval] = []
    for (start, minutes, kind), sides in merged.items():
        buy, sell = sides.get(import_channel), sides.get(ChannelType.FEED_IN)
        result.append(
            PriceInterval(
                start=start,
                end=start + dt.timedelta(minutes=minutes),
                kind=kind,
                import_price=None if buy is None else amber_interval_price(buy, adder),
                export_price=None if sell is None else amber_interval_price(sell),
                estimate=any(_amber_estimate(side) for side in sides.values()),
                currency=AMBER_CURRENCY,
                import_band=None if buy is None else amber_band(buy, adder),
                export_band=None if sell is None else amber_band(sell),
                spike=buy is not None and buy.spike_status in _AMBER_SPIKING,
            )
        )
    result.sort(key=lambda i: (i.start, i.end))
    return PriceSeries(
        currency=AMBER_CURRENCY,
        intervals=tuple(result),
        billing=Billing.INTERVAL,
        exports=exports,
        import_adder=adder,
    )


def _amber_estimate(interval: Interval) -> bool:
    if isinstance(interval, CurrentInterval):
        return interval.estimate
    return isinstance(interval, ForecastInterval)


# ComEd ------------------------------------------------------------------------------------------


def comed_interval(
    price: ComEdPrice, *, start: dt.datetime | None = None, adder: float = 0.0
) -> PriceInterval:
    """Return one ComEd price, plus `adder`, as a settled interval ending at its `millisUTC`.

    A 5-minute price covers the five minutes before it; the current-hour average covers the
    hour so far, from `start`.
    """
    return PriceInterval(
        start=price.time - COMED_INTERVAL if start is None else start,
        end=price.time,
        kind=PriceKind.ACTUAL,
        import_price=from_cents(price.cents_per_kwh) + adder,
        export_price=None,
        estimate=False,
        currency=COMED_CURRENCY,
    )


def comed_series(prices: Sequence[ComEdPrice], *, adder: float = 0.0) -> PriceSeries:
    """Return ComEd's 5-minute prices, plus the per-kWh `adder`, as a series (no export price)."""
    intervals = sorted(
        {price.time: comed_interval(price, adder=adder) for price in prices}.values(),
        key=lambda i: i.end,
    )
    return PriceSeries(
        currency=COMED_CURRENCY,
        intervals=tuple(intervals),
        billing=Billing.HOURLY_AVERAGE,
        exports=False,
        holds_for=COMED_HOLDS_FOR,
        import_adder=adder,
    )
