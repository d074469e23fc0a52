"""Plan a Tesla tariff from ComEd's 5-minute prices: hourly averages folded into one day.

ComEd bills hourly pricing customers the average of the twelve 5-minute prices of each
America/Chicago clock hour, so each hour becomes one price for both of its half-hour periods.
ComEd publishes no day-ahead price that our client reads (the 5-minute feed holds the last 24 h
of real-time prices), so the table is a persistence forecast: every clock hour takes the same
hour's price one day before the date the fold says it stands for. The current hour takes its
running average; the hours already past today stand for tomorrow and take today's averages; the
hours still to come today have no price yet and take yesterday's. ComEd has no export price, so
every sell price is 0, and negative averages are clamped to 0 like Amber's. The planner reads
the normalised series of tariff.py; `build_comed_tariff` adapts ComEd's own prices.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from ..clients.comed import ComEdPrice
from ..tariff import PriceInterval, comed_series
from .errors import MissingPrices, StalePrices
from .models import SLOTS_PER_DAY, PlannedTariff, PlanOptions, SlotPrice, SlotSource
from .tariff import PERIOD_NAMES, build_tariff_content, fingerprint, round_price
from .validate import validate_tariff

CHICAGO = ZoneInfo("America/Chicago")
INTERVAL = dt.timedelta(minutes=5)
HOUR = dt.timedelta(hours=1)

# Only max_missing and max_age of the options are read; the names say where the tariff came from.
COMED_OPTIONS = PlanOptions(
    code="TESLA_ENERGY_SYNC:COMED",
    name="ComEd Hourly Pricing (Tesla Energy Sync)",
    utility="ComEd",
    currency="USD",
)

__all__ = ["CHICAGO", "COMED_OPTIONS", "build_comed_tariff", "plan_hourly_tariff"]

type HourKey = tuple[dt.date, int]


def _hour_key(moment: dt.datetime) -> HourKey:
    """Return the Chicago (date, hour) a moment falls in; a repeated DST hour shares one key."""
    local = moment.astimezone(CHICAGO)
    return local.date(), local.hour


def _hourly_averages(published: dict[dt.datetime, float]) -> dict[HourKey, float]:
    """Return the mean price per kWh of every Chicago hour that has any 5-minute price."""
    groups: dict[HourKey, list[float]] = {}
    for end, price in published.items():
        groups.setdefault(_hour_key(end - INTERVAL), []).append(price)
    return {key: sum(found) / len(found) for key, found in groups.items()}


def _running_average(published: dict[dt.datetime, float], now: dt.datetime) -> float:
    """Return the current hour's average so far, or the newest price before its first interval ends.

    Chicago's offsets are whole hours, so the local hour starts where the UTC hour does; a
    repeated DST hour's running average therefore holds only the hour in progress.
    """
    hour_start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    done = [price for end, price in published.items() if end - INTERVAL >= hour_start]
    if done:
        return sum(done) / len(done)
    # ComEd's own current-hour average shows the newest price (the previous hour's last) then.
    return published[max(published)]


def _fill(prices: list[float | None]) -> list[float]:
    """Carry the last known hour forward in fold order; leading gaps take the first known price."""
    known = [value for value in prices if value is not None]
    last = known[0]
    result: list[float] = []
    for value in prices:
        last = last if value is None else value
        result.append(last)
    return result


def build_comed_tariff(
    prices: Sequence[ComEdPrice],
    *,
    now: dt.datetime,
    options: PlanOptions | None = None,
) -> PlannedTariff:
    """Return the tariff planned from ComEd's own 5-minute prices (see `plan_hourly_tariff`)."""
    return plan_hourly_tariff(comed_series(prices).intervals, now=now, options=options)


def plan_hourly_tariff(
    intervals: Sequence[PriceInterval],
    *,
    now: dt.datetime,
    options: PlanOptions | None = None,
) -> PlannedTariff:
    """Return the USD tariff for the 24 h from now, or raise PlanError when the prices can't be trusted.

    Args:
        intervals: the normalised 5-minute intervals (ideally the last 24 h) of the import price.
        now: the aware current time.
        options: abort thresholds and names; COMED_OPTIONS when None. The currency is always USD.

    Raises:
        StalePrices: the newest price ended more than max_age before now.
        MissingPrices: more than max_missing of the 96 values have no price for their hour (each
            missing hour is two values; sell prices are never missing).
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    options = dataclasses.replace(options or COMED_OPTIONS, currency="USD")
    # Only intervals that ended by now are real; a price stamped twice (overlapping fetches)
    # counts once.
    published = {
        interval.end: interval.import_price
        for interval in intervals
        if interval.end <= now and interval.import_price is not None
    }
    newest = max(published, default=None)
    if newest is None or newest < now - options.max_age:
        raise StalePrices(newest, now)
    hours = _hourly_averages(published)
    running = _running_average(published, now)
    local = now.astimezone(CHICAGO)
    today = local.date()
    current_slot = local.hour * 2 + local.minute // 30
    first = dt.datetime.combine(today, dt.time(current_slot // 2, 30 * (current_slot % 2)))
    current_hour = (today, local.hour)
    values: list[float | None] = []
    sources: list[SlotSource] = []
    starts: list[dt.datetime] = []
    for step in range(SLOTS_PER_DAY):
        wall = first + step * dt.timedelta(minutes=30)
        starts.append(wall.replace(tzinfo=CHICAGO))
        # The fold: this clock hour stands for its next occurrence (today, or tomorrow when it
        # is already past) and takes the same hour one day earlier.
        stands_for = (wall.date(), wall.hour)
        source = (wall.date() - dt.timedelta(days=1), wall.hour)
        if current_hour in (stands_for, source):
            # Both halves of the current hour (after half past, the first half stands for
            # tomorrow's, whose source is this very hour): the running average.
            values.append(running)
            sources.append(SlotSource.LIVE)
            continue
        value = hours.get(source)
        values.append(value)
        sources.append(
            SlotSource.CARRIED
            if value is None
            else SlotSource.ACTUAL
            if wall.date() > today
            else SlotSource.OTHER_DAY
        )
    missing = sum(value is None for value in values)
    if missing > options.max_missing:
        raise MissingPrices(missing, options.max_missing)
    buys = [round_price(value) for value in _fill(values)]
    rows = tuple(
        SlotPrice(
            period=PERIOD_NAMES[(current_slot + step) % SLOTS_PER_DAY],
            start=starts[step],
            buy=buys[step],
            sell=0.0,
            buy_source=sources[step],
            sell_source=SlotSource.NO_CHANNEL,
            spike=False,
        )
        for step in range(SLOTS_PER_DAY)
    )
    tariff = build_tariff_content(
        {row.period: row.buy for row in rows}, {row.period: row.sell for row in rows}, options
    )
    validate_tariff(tariff)
    return PlannedTariff(
        tariff=tariff,
        slots=rows,
        fingerprint=fingerprint(tariff),
        current_period=rows[0].period,
        filled=missing,
    )
