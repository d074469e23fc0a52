"""ComEd → Tesla tariff: hourly averages, the 24 h fold from yesterday's data, abort rules, DST."""

from __future__ import annotations

from collections.abc import Callable
import datetime as dt
from typing import TYPE_CHECKING

import pytest

from custom_components.tesla_energy_sync.clients.comed import ComEdClient, ComEdPrice
from custom_components.tesla_energy_sync.tou.comed import CHICAGO, COMED_OPTIONS, build_comed_tariff
from custom_components.tesla_energy_sync.tou.errors import MissingPrices, PlanError, StalePrices
from custom_components.tesla_energy_sync.tou.models import PlannedTariff, PlanOptions, SlotSource
from custom_components.tesla_energy_sync.tou.tariff import PERIOD_NAMES, round_price
from custom_components.tesla_energy_sync.tou.validate import validate_tariff
from simulators import prices

if TYPE_CHECKING:
    import aiohttp

    from simulators.comed import ComEdSimulator

    from .conftest import SimClock

FIVE = dt.timedelta(minutes=5)
# A Wednesday in daylight time: 16:37:20 CDT; the newest price ended at 16:35.
NOW = dt.datetime(2026, 7, 15, 16, 37, 20, tzinfo=CHICAGO)

type PriceFn = Callable[[dt.datetime], float]


def feed(
    now: dt.datetime,
    price: PriceFn = prices.comed_price,
    *,
    hours: float = 24,
    skip: Callable[[dt.datetime], bool] = lambda _end: False,
) -> list[ComEdPrice]:
    """Return ComEd's 5-minute feed at now, newest first: `hours` of interval ends."""
    latest = prices.floor_time(now, 5)
    ends = [latest - i * FIVE for i in range(int(hours * 12))]
    return [ComEdPrice(time=end, cents_per_kwh=price(end)) for end in ends if not skip(end)]


def chicago(day: int, hour: int, minute: int = 0, *, month: int = 7, fold: int = 0) -> dt.datetime:
    """Return a Chicago wall time in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CHICAGO, fold=fold)


def hour_mean(start: dt.datetime, price: PriceFn = prices.comed_price) -> float:
    """Return the mean of the twelve 5-minute prices of the real hour starting at start."""
    ends = [start.astimezone(dt.UTC) + i * FIVE for i in range(1, 13)]
    return sum(price(end) for end in ends) / 12


def dollars(cents: float) -> float:
    """Return Tesla's price for a c/kWh value."""
    return round_price(cents / 100)


def by_period(planned: PlannedTariff) -> dict[str, tuple[float, SlotSource]]:
    """Return period → (buy, source)."""
    return {slot.period: (slot.buy, slot.buy_source) for slot in planned.slots}


def flat(cents: float) -> PriceFn:
    """Return a constant price."""
    return lambda _end: cents


# ---- the fold and the hourly averages ------------------------------------------------------


def test_fold_at_16_37() -> None:
    planned = build_comed_tariff(feed(NOW), now=NOW)
    rows = by_period(planned)
    validate_tariff(planned.tariff)
    assert planned.current_period == "PERIOD_16_30"
    assert [slot.period for slot in planned.slots[:3]] == [
        "PERIOD_16_30",
        "PERIOD_17_00",
        "PERIOD_17_30",
    ]
    assert planned.slots[-1].period == "PERIOD_16_00"
    assert planned.filled == 0
    # The current hour: the running average of 16:00-16:35 (seven prices), in both halves.
    running = sum(prices.comed_price(chicago(15, 16, m)) for m in range(5, 40, 5)) / 7
    assert rows["PERIOD_16_30"] == (dollars(running), SlotSource.LIVE)
    assert rows["PERIOD_16_00"] == (dollars(running), SlotSource.LIVE)
    # It is what ComEd's own current-hour average shows (rounded to 0.1 c there).
    assert round(running, 1) == prices.comed_hour_average(NOW)[1]
    # Hours still to come today: yesterday's hour; hours already past: today's, for tomorrow.
    assert rows["PERIOD_17_00"] == (dollars(hour_mean(chicago(14, 17))), SlotSource.OTHER_DAY)
    assert rows["PERIOD_23_30"] == (dollars(hour_mean(chicago(14, 23))), SlotSource.OTHER_DAY)
    assert rows["PERIOD_00_00"] == (dollars(hour_mean(chicago(15, 0))), SlotSource.ACTUAL)
    assert rows["PERIOD_15_30"] == (dollars(hour_mean(chicago(15, 15))), SlotSource.ACTUAL)
    # Each hour fills both of its half hours.
    for hour in range(24):
        assert rows[PERIOD_NAMES[2 * hour]] == rows[PERIOD_NAMES[2 * hour + 1]]
    starts = {slot.period: slot.start for slot in planned.slots}
    assert starts["PERIOD_17_00"] == chicago(15, 17)
    assert starts["PERIOD_16_00"] == chicago(16, 16)


def test_usd_no_sell_and_names() -> None:
    planned = build_comed_tariff(feed(NOW), now=NOW)
    tariff = planned.tariff
    assert tariff["currency"] == "USD"
    assert tariff["code"] == "TESLA_ENERGY_SYNC:COMED"
    assert tariff["utility"] == "ComEd"
    assert set(planned.sell_rates().values()) == {0.0}
    assert {slot.sell_source for slot in planned.slots} == {SlotSource.NO_CHANNEL}
    assert not any(slot.spike for slot in planned.slots)
    assert tariff["energy_charges"]["AllYear"]["rates"] == planned.buy_rates()
    assert list(planned.buy_rates()) != list(PERIOD_NAMES)  # fold order in slots
    assert list(tariff["energy_charges"]["AllYear"]["rates"]) == list(PERIOD_NAMES)
    # Options keep their names and thresholds; the currency is always ComEd's.
    custom = build_comed_tariff(feed(NOW), now=NOW, options=PlanOptions(code="X"))
    assert (custom.tariff["code"], custom.tariff["currency"]) == ("X", "USD")


def test_negative_hours_clamp_to_zero() -> None:
    # The simulator's one negative 5-min print (03:15) leaves the 03:00 hour positive.
    assert prices.comed_price(chicago(15, 3, 20)) < 0
    rows = by_period(build_comed_tariff(feed(NOW), now=NOW))
    assert rows["PERIOD_03_00"][0] == dollars(hour_mean(chicago(15, 3))) > 0
    # A whole negative hour (yesterday 20:00) clamps to 0, as Time-Based Control would anyway.
    night = chicago(14, 20).astimezone(dt.UTC)

    def price(end: dt.datetime) -> float:
        return -2.5 if night < end <= night + dt.timedelta(hours=1) else 4.0

    planned = build_comed_tariff(feed(NOW, price), now=NOW)
    rows = by_period(planned)
    assert rows["PERIOD_20_00"][0] == rows["PERIOD_20_30"][0] == 0.0
    assert rows["PERIOD_21_00"][0] == 0.04
    validate_tariff(planned.tariff)


def test_rounding_to_four_places() -> None:
    planned = build_comed_tariff(feed(NOW, flat(3.456789)), now=NOW)
    assert set(planned.buy_rates().values()) == {0.0346}


def test_first_minutes_of_an_hour_show_the_newest_price() -> None:
    now = chicago(15, 17, 3)  # no interval of the 17:00 hour has ended yet
    planned = build_comed_tariff(feed(now), now=now)
    newest = prices.comed_price(chicago(15, 17))  # the 16:55-17:00 price
    assert planned.slots[0].period == "PERIOD_17_00"
    assert planned.slots[0].buy == dollars(newest)
    assert by_period(planned)["PERIOD_17_30"][0] == dollars(newest)
    assert newest == prices.comed_hour_average(now)[1]


def test_future_and_duplicate_prices() -> None:
    base = feed(NOW, flat(3.0))
    # A price stamped after now has not happened; the same interval twice counts once.
    future = ComEdPrice(time=chicago(15, 16, 40), cents_per_kwh=90.0)
    twice = ComEdPrice(time=chicago(15, 16, 35), cents_per_kwh=3.0)
    planned = build_comed_tariff([future, twice, *base], now=NOW)
    assert planned.slots[0].buy == 0.03
    assert planned.fingerprint == build_comed_tariff(list(reversed(base)), now=NOW).fingerprint


# ---- abort rules ---------------------------------------------------------------------------


def test_five_missing_hours_fill_and_six_abort() -> None:
    def lost(first: int, count: int) -> Callable[[dt.datetime], bool]:
        start = chicago(14, first).astimezone(dt.UTC)
        return lambda end: start < end <= start + dt.timedelta(hours=count)

    planned = build_comed_tariff(feed(NOW, skip=lost(18, 5)), now=NOW)
    assert planned.filled == 10
    rows = by_period(planned)
    # 18:00-22:59 today have no yesterday: the 17:00 price carries forward.
    for period in PERIOD_NAMES[36:46]:
        assert rows[period] == (rows["PERIOD_17_00"][0], SlotSource.CARRIED)
    assert rows["PERIOD_23_00"][1] is SlotSource.OTHER_DAY
    with pytest.raises(MissingPrices) as err:
        build_comed_tariff(feed(NOW, skip=lost(18, 6)), now=NOW)
    assert (err.value.missing, err.value.allowed) == (12, 10)
    assert isinstance(err.value, PlanError)
    options = PlanOptions(max_missing=12)
    assert build_comed_tariff(feed(NOW, skip=lost(18, 6)), now=NOW, options=options).filled == 12


def test_a_partial_hour_averages_what_there_is() -> None:
    start = chicago(14, 19).astimezone(dt.UTC)
    planned = build_comed_tariff(
        feed(NOW, lambda end: (end - start) / FIVE, skip=lambda end: end == start + FIVE),
        now=NOW,
    )
    # 19:05 is gone: the mean of the eleven interval ends 19:10..20:00 (steps 2..12).
    assert by_period(planned)["PERIOD_19_00"] == (dollars(7.0), SlotSource.OTHER_DAY)
    assert planned.filled == 0


def test_only_todays_prices_abort() -> None:
    # Half a day of data (from 04:35): tonight's 17:00-23:00 have no yesterday to stand in,
    # and 00:00-03:00 tomorrow no today; 04:00 keeps its last five minutes.
    with pytest.raises(MissingPrices) as err:
        build_comed_tariff(feed(NOW, hours=12), now=NOW)
    assert err.value.missing == 2 * (7 + 4)


def test_stale_and_empty_prices_abort() -> None:
    prices_now = feed(NOW)
    newest = chicago(15, 16, 35)
    assert build_comed_tariff(prices_now, now=newest + dt.timedelta(minutes=15)).filled == 0
    with pytest.raises(StalePrices) as err:
        build_comed_tariff(prices_now, now=newest + dt.timedelta(minutes=15, seconds=1))
    assert err.value.newest == newest
    with pytest.raises(StalePrices, match="no prices at all"):
        build_comed_tariff([], now=NOW)
    # Prices that all end after now are no prices.
    with pytest.raises(StalePrices, match="no prices at all"):
        build_comed_tariff(prices_now, now=NOW - dt.timedelta(days=2))
    options = PlanOptions(max_age=dt.timedelta(hours=1))
    build_comed_tariff(prices_now, now=newest + dt.timedelta(minutes=50), options=options)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_comed_tariff(feed(NOW), now=NOW.replace(tzinfo=None))


# ---- daylight saving -----------------------------------------------------------------------


def test_spring_forward_hour_is_missing_and_carried() -> None:
    # 8 Mar 2026: 02:00 CST jumps to 03:00 CDT. At 10:10 CDT the 02:00 hour stands for
    # tomorrow and takes today's 02:00, which never happened.
    now = chicago(8, 10, 10, month=3)
    planned = build_comed_tariff(feed(now), now=now)
    rows = by_period(planned)
    assert planned.filled == 2
    assert rows["PERIOD_02_00"] == (rows["PERIOD_01_30"][0], SlotSource.CARRIED)
    assert rows["PERIOD_02_30"][1] is SlotSource.CARRIED
    assert rows["PERIOD_01_00"][0] == dollars(hour_mean(chicago(8, 1, month=3)))
    assert rows["PERIOD_03_00"][0] == dollars(hour_mean(chicago(8, 3, month=3)))
    validate_tariff(planned.tariff)


def test_fall_back_hour_averages_both_occurrences() -> None:
    # 1 Nov 2026: 02:00 CDT falls back to 01:00 CST; 01:00-02:00 happens twice.
    now = chicago(1, 10, 10, month=11)
    rows = by_period(build_comed_tariff(feed(now), now=now))
    first = hour_mean(chicago(1, 1, month=11))
    second = hour_mean(chicago(1, 1, month=11, fold=1))
    assert rows["PERIOD_01_00"][0] == dollars((first + second) / 2)
    assert rows["PERIOD_02_00"][0] == dollars(hour_mean(chicago(1, 2, month=11)))


def test_running_average_in_the_repeated_hour_is_only_this_hour() -> None:
    now = chicago(1, 1, 22, month=11, fold=1)  # 01:22 CST, the second 01:00 hour
    planned = build_comed_tariff(feed(now), now=now)
    hour_start = chicago(1, 1, month=11, fold=1).astimezone(dt.UTC)
    done = [prices.comed_price(hour_start + i * FIVE) for i in range(1, 5)]
    assert planned.current_period == "PERIOD_01_00"
    assert planned.slots[0].buy == dollars(sum(done) / 4)


# ---- real simulator payload over loopback ---------------------------------------------------


async def test_simulator_feed(
    session: aiohttp.ClientSession, comed_sim: ComEdSimulator, sim_clock: SimClock
) -> None:
    sim_clock.now = NOW
    client = ComEdClient(session, base_url=comed_sim.base_url)
    feed_prices = await client.get_five_minute_prices()
    planned = build_comed_tariff(feed_prices, now=NOW, options=COMED_OPTIONS)
    assert planned.filled == 0
    assert planned.fingerprint == build_comed_tariff(feed(NOW), now=NOW).fingerprint
    average = await client.get_current_hour_average()
    assert round(planned.slots[0].buy, 3) == round(average.cents_per_kwh / 100, 3)
    # The afternoon peak (16:30 spike, 17:00 curve top) is the dearest part of the table.
    assert max(planned.buy_rates(), key=planned.buy_rates().__getitem__) in {
        "PERIOD_16_00",
        "PERIOD_16_30",
        "PERIOD_17_00",
        "PERIOD_17_30",
    }
