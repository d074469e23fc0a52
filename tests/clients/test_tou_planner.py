"""The Amber → Tesla tariff planner: real simulator payloads over HTTP, and exact edge cases."""

from __future__ import annotations

from collections.abc import Callable
import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.tesla_energy_sync.clients.amber import AmberClient
from custom_components.tesla_energy_sync.clients.amber_models import (
    ActualInterval,
    AdvancedPrice,
    ChannelType,
    CurrentInterval,
    ForecastInterval,
    Interval,
    IntervalType,
    SpikeStatus,
)
from custom_components.tesla_energy_sync.tou.errors import MissingPrices, PlanError, StalePrices
from custom_components.tesla_energy_sync.tou.models import ForecastType, PlanOptions, SlotSource
from custom_components.tesla_energy_sync.tou.planner import build_tariff
from custom_components.tesla_energy_sync.tou.tariff import PERIOD_NAMES, fingerprint, round_price
from custom_components.tesla_energy_sync.tou.validate import validate_tariff
from simulators import prices
from simulators.amber import SITE_ID, AmberSimulator

if TYPE_CHECKING:
    import aiohttp

    from .conftest import SimClock

from zoneinfo import ZoneInfo

SYDNEY = ZoneInfo("Australia/Sydney")
BRISBANE = ZoneInfo("Australia/Brisbane")
NEM = prices.NEM_TZ
GENERAL = ChannelType.GENERAL
FEED_IN = ChannelType.FEED_IN

type PriceFn = Callable[[dt.datetime], float]


def nem_stamp(start: dt.datetime) -> float:
    """Return a price (c/kWh) that spells the NEM day and clock time: 15th 16:30 → 1516.30."""
    local = start.astimezone(NEM)
    return local.day * 100 + local.hour + local.minute / 100


def make_interval(
    kind: str,
    start: dt.datetime,
    cents: float,
    *,
    minutes: int = 30,
    channel: ChannelType = GENERAL,
    advanced: bool = True,
    spike: SpikeStatus = SpikeStatus.NONE,
) -> Interval:
    """Return an Amber interval as the client parses it; forecasts carry cents as predicted."""
    end = start + dt.timedelta(minutes=minutes)
    fields: dict[str, Any] = {
        "duration": minutes,
        "spot_per_kwh": cents / 2,
        # Amber's perKwh on forecasts is not the planning price; make it obviously wrong.
        "per_kwh": cents if kind == "actual" else -999.0,
        "date": start.astimezone(NEM).date(),
        "nem_time": end.astimezone(NEM),
        "start_time": (start + dt.timedelta(seconds=1)).astimezone(dt.UTC),
        "end_time": end.astimezone(dt.UTC),
        "renewables": 40.0,
        "channel_type": channel,
        "tariff_information": None,
        "spike_status": spike,
        "descriptor": None,
    }
    band = AdvancedPrice(low=cents - 5, predicted=cents, high=cents + 5) if advanced else None
    if kind == "actual":
        return ActualInterval(type=IntervalType.ACTUAL, **fields)
    if kind == "current":
        return CurrentInterval(
            type=IntervalType.CURRENT, range=None, estimate=True, advanced_price=band, **fields
        )
    return ForecastInterval(type=IntervalType.FORECAST, range=None, advanced_price=band, **fields)


def floor30(moment: dt.datetime) -> dt.datetime:
    """Return the start of the NEM half hour containing moment."""
    return prices.floor_time(moment, 30)


def series(
    now: dt.datetime,
    price: PriceFn,
    *,
    channel: ChannelType = GENERAL,
    before: int = 4,
    after: int = 52,
    skip: frozenset[int] = frozenset(),
) -> list[Interval]:
    """Return 30-min actuals before now, the current interval, and forecasts after it."""
    current = floor30(now)
    result: list[Interval] = []
    for step in range(-before, after + 1):
        if step in skip:
            continue
        start = current + step * dt.timedelta(minutes=30)
        kind = "actual" if step < 0 else "current" if step == 0 else "forecast"
        cents = price(start)
        result.append(
            make_interval(kind, start, -cents if channel is FEED_IN else cents, channel=channel)
        )
    return result


def day_of_intervals(
    now: dt.datetime, price: PriceFn = nem_stamp
) -> tuple[list[Interval], list[Interval]]:
    """Return general and feed-in series; feed-in pays the same number Amber-negative."""
    return series(now, price), series(now, price, channel=FEED_IN)


def rows_by_period(now: dt.datetime, **kwargs: object) -> dict[str, tuple[float, float]]:
    """Plan over day_of_intervals and return period → (buy, sell)."""
    general, feed_in = day_of_intervals(now)
    planned = build_tariff(general, feed_in, now=now, site_tz=kwargs.pop("tz", BRISBANE))  # type: ignore[arg-type]
    return {slot.period: (slot.buy, slot.sell) for slot in planned.slots}


# ---- real simulator payloads over HTTP ------------------------------------------------------


@pytest.fixture
def amber(session: aiohttp.ClientSession, amber_sim: AmberSimulator) -> AmberClient:
    """Return an Amber client on the simulator."""
    return AmberClient(session, "psk_sim", base_url=amber_sim.base_url)


def expected(channel: str, start: dt.datetime, minutes: int = 30) -> float:
    """Return the simulator's planning price for an interval, in Tesla's sign and $/kWh."""
    predicted = prices.amber_point(channel, start, minutes).advanced[1]
    return round_price((-predicted if channel == prices.FEED_IN else predicted) / 100)


async def test_simulator_payload_30_minute(amber: AmberClient, sim_clock: SimClock) -> None:
    now = sim_clock.now  # 12:10:20 NEM = 13:10:20 AEDT
    intervals = await amber.get_current_prices(SITE_ID, previous=2, next=48, resolution=30)
    planned = build_tariff(intervals, intervals, now=now, site_tz=SYDNEY)
    assert planned.current_period == "PERIOD_13_00"
    assert planned.filled == 0
    assert len(planned.slots) == 48
    nem_start = floor30(now)
    for step, slot in enumerate(planned.slots):
        start = nem_start + step * dt.timedelta(minutes=30)
        assert slot.start == start.astimezone(SYDNEY)
        assert slot.buy == expected(prices.GENERAL, start), slot.period
        assert slot.sell == expected(prices.FEED_IN, start), slot.period
    assert planned.slots[0].buy_source is SlotSource.LIVE
    assert {slot.buy_source for slot in planned.slots[1:]} == {SlotSource.FORECAST}
    rates = planned.tariff["energy_charges"]["AllYear"]["rates"]
    assert list(rates) == list(PERIOD_NAMES)
    assert rates == planned.buy_rates()
    assert (
        planned.tariff["sell_tariff"]["energy_charges"]["AllYear"]["rates"] == planned.sell_rates()
    )
    # The solar trough: Amber asks the customer to pay to export, Tesla sees 0.
    assert planned.sell_rates()["PERIOD_13_30"] == 0.0
    # The evening peak pays to export.
    assert planned.sell_rates()["PERIOD_19_00"] > 0.1


async def test_simulator_payload_spike_protection(amber: AmberClient, sim_clock: SimClock) -> None:
    intervals = await amber.get_current_prices(SITE_ID, next=48, resolution=30)
    options = PlanOptions(spike_protection=True)
    planned = build_tariff(intervals, intervals, now=sim_clock.now, site_tz=SYDNEY, options=options)
    spiking = [slot.period for slot in planned.slots if slot.spike]
    # The simulator flags potential spikes 18:00-18:30 and spikes 18:30-19:00 NEM (+1 h in AEDT).
    assert spiking == ["PERIOD_19_00", "PERIOD_19_30"]
    ceiling = round(max(planned.sell_rates().values()) + 1.0, 4)
    assert planned.buy_rates()["PERIOD_19_00"] == ceiling
    assert planned.buy_rates()["PERIOD_19_30"] == ceiling
    plain = build_tariff(intervals, intervals, now=sim_clock.now, site_tz=SYDNEY)
    assert plain.buy_rates()["PERIOD_19_00"] < ceiling
    assert plain.fingerprint != planned.fingerprint


async def test_simulator_5_minute_today_merged_with_30_minute_horizon(
    amber: AmberClient, sim_clock: SimClock
) -> None:
    sim_clock.now = dt.datetime(2026, 1, 15, 17, 10, 20, tzinfo=NEM)  # prices move by the minute
    today = await amber.get_prices(SITE_ID, resolution=5)
    horizon = await amber.get_current_prices(SITE_ID, next=48, resolution=30)
    merged = [*today, *horizon]
    planned = build_tariff(merged, merged, now=sim_clock.now, site_tz=SYDNEY)
    live_start = prices.floor_time(sim_clock.now, 5)
    assert planned.slots[0].buy == expected(prices.GENERAL, live_start, 5)
    assert planned.slots[0].sell == expected(prices.FEED_IN, live_start, 5)
    assert planned.slots[0].buy != expected(prices.GENERAL, floor30(sim_clock.now))
    for step, slot in enumerate(planned.slots[1:], start=1):
        start = floor30(sim_clock.now) + step * dt.timedelta(minutes=30)
        assert slot.buy == expected(prices.GENERAL, start), slot.period


async def test_simulator_5_minute_only_averages_each_half_hour(
    amber: AmberClient, sim_clock: SimClock
) -> None:
    intervals = await amber.get_current_prices(SITE_ID, previous=2, next=288, resolution=5)
    planned = build_tariff(intervals, intervals, now=sim_clock.now, site_tz=SYDNEY)
    assert planned.filled == 0
    for step, slot in enumerate(planned.slots[1:], start=1):
        start = floor30(sim_clock.now) + step * dt.timedelta(minutes=30)
        parts = [
            prices.amber_point(prices.GENERAL, part, 5).advanced[1]
            for part in prices.five_minute_starts(start, 30)
        ]
        assert slot.buy == pytest.approx(round_price(sum(parts) / 6 / 100), abs=1.5e-4), slot.period


async def test_simulator_today_only_payload_aborts(amber: AmberClient, sim_clock: SimClock) -> None:
    # The tesla-amber-sync bug: /prices without dates returns only today, so tomorrow is empty.
    today = await amber.get_prices(SITE_ID, resolution=30)
    with pytest.raises(MissingPrices) as err:
        build_tariff(today, today, now=sim_clock.now, site_tz=SYDNEY)
    # Tomorrow 01:00-12:30 AEDT (after the NEM day ends) for buy and sell.
    assert err.value.missing == 48
    assert "48 of 96" in str(err.value)


async def test_simulator_payload_goes_stale(amber: AmberClient, sim_clock: SimClock) -> None:
    intervals = await amber.get_current_prices(SITE_ID, next=96, resolution=30)
    later = sim_clock.now + dt.timedelta(hours=1)
    with pytest.raises(StalePrices) as err:
        build_tariff(intervals, intervals, now=later, site_tz=SYDNEY)
    assert err.value.newest == dt.datetime(2026, 1, 15, 12, 30, tzinfo=NEM)
    assert "before now" in str(err.value)


async def test_simulator_import_only(amber: AmberClient, sim_clock: SimClock) -> None:
    intervals = await amber.get_current_prices(SITE_ID, next=48, resolution=30)
    planned = build_tariff(intervals, None, now=sim_clock.now, site_tz=SYDNEY)
    assert set(planned.sell_rates().values()) == {0.0}
    assert {slot.sell_source for slot in planned.slots} == {SlotSource.NO_CHANNEL}
    assert planned.buy_rates()["PERIOD_18_00"] > 0.3


# ---- time alignment --------------------------------------------------------------------------


def test_nem_time_is_the_end_of_the_interval() -> None:
    now = dt.datetime(2026, 1, 15, 9, 5, tzinfo=BRISBANE)
    general = [
        make_interval("current", dt.datetime(2026, 1, 15, 9, 0, tzinfo=NEM), 30.0),
        # nemTime 18:00 = the 17:30-18:00 interval.
        make_interval("forecast", dt.datetime(2026, 1, 15, 17, 30, tzinfo=NEM), 77.0),
    ]
    assert general[1].nem_time.hour == 18
    options = PlanOptions(max_missing=100)
    planned = build_tariff(general, None, now=now, site_tz=BRISBANE, options=options)
    assert planned.buy_rates()["PERIOD_17_30"] == 0.77
    sources = {slot.period: slot.buy_source for slot in planned.slots}
    assert sources["PERIOD_17_30"] is SlotSource.FORECAST
    assert sources["PERIOD_18_00"] is SlotSource.CARRIED
    assert planned.buy_rates()["PERIOD_18_00"] == 0.77


def test_fold_at_16_37() -> None:
    now = dt.datetime(2026, 1, 15, 16, 37, 20, tzinfo=BRISBANE)
    general, feed_in = day_of_intervals(now)
    # A live 5-min price inside the current half hour beats the half-hour average.
    general.append(
        make_interval("current", dt.datetime(2026, 1, 15, 16, 35, tzinfo=NEM), 999.0, minutes=5)
    )
    planned = build_tariff(general, feed_in, now=now, site_tz=BRISBANE)
    buy = planned.buy_rates()
    assert planned.current_period == "PERIOD_16_30"
    assert buy["PERIOD_16_30"] == 9.99
    assert planned.sell_rates()["PERIOD_16_30"] == 15.163
    assert buy["PERIOD_17_00"] == 15.17  # today
    assert buy["PERIOD_23_30"] == 15.2330
    assert buy["PERIOD_00_00"] == 16.0  # tomorrow
    assert buy["PERIOD_16_00"] == 16.16  # tomorrow, the last half hour of the window
    assert [slot.period for slot in planned.slots[:2]] == ["PERIOD_16_30", "PERIOD_17_00"]
    assert planned.slots[-1].period == "PERIOD_16_00"
    assert planned.slots[-1].start == dt.datetime(2026, 1, 16, 16, 0, tzinfo=BRISBANE)


def test_fold_at_midnight_and_just_before() -> None:
    midnight = dt.datetime(2026, 1, 16, 0, 0, 5, tzinfo=BRISBANE)
    rows = rows_by_period(midnight)
    assert rows["PERIOD_00_00"][0] == 16.0
    assert rows["PERIOD_23_30"][0] == 16.2330
    late = dt.datetime(2026, 1, 15, 23, 59, 59, tzinfo=BRISBANE)
    rows = rows_by_period(late)
    assert rows["PERIOD_23_30"][0] == 15.2330
    assert rows["PERIOD_23_00"][0] == 16.23


def test_spring_forward_in_sydney() -> None:
    # 4 Oct 2026: 02:00 AEST jumps to 03:00 AEDT; tomorrow's 02:00 and 02:30 never happen.
    now = dt.datetime(2026, 10, 3, 12, 10, tzinfo=SYDNEY)
    planned = build_tariff(*day_of_intervals(now), now=now, site_tz=SYDNEY)
    buy = planned.buy_rates()
    sources = {slot.period: slot.buy_source for slot in planned.slots}
    assert buy["PERIOD_01_30"] == 4.0130
    # NEM 02:00 (fixed +10) is 03:00 AEDT: a fixed +10 mapping would shift this by an hour.
    assert buy["PERIOD_03_00"] == 4.02
    assert buy["PERIOD_11_30"] == 4.1030  # tomorrow 11:30 AEDT = 10:30 NEM
    assert buy["PERIOD_12_00"] == 3.12  # now
    assert sources["PERIOD_02_00"] is SlotSource.CARRIED
    assert sources["PERIOD_02_30"] is SlotSource.CARRIED
    assert buy["PERIOD_02_00"] == buy["PERIOD_02_30"] == 4.0130
    assert planned.filled == 4


def test_fall_back_in_sydney() -> None:
    # 5 Apr 2026: 03:00 AEDT falls back to 02:00 AEST; 02:00-03:00 happens twice and averages.
    now = dt.datetime(2026, 4, 4, 12, 10, tzinfo=SYDNEY)
    planned = build_tariff(*day_of_intervals(now), now=now, site_tz=SYDNEY)
    buy = planned.buy_rates()
    assert planned.filled == 0
    assert buy["PERIOD_01_30"] == 5.0030  # NEM 00:30 = 01:30 AEDT
    assert buy["PERIOD_02_00"] == round((501.00 + 502.00) / 2 / 100, 4)
    assert buy["PERIOD_02_30"] == round((501.30 + 502.30) / 2 / 100, 4)
    assert buy["PERIOD_03_00"] == 5.03  # AEST = NEM again
    assert buy["PERIOD_13_00"] == 4.12  # today, still AEDT
    assert buy["PERIOD_11_30"] == 5.1130  # tomorrow, AEST


def test_other_zone_for_same_nem_prices() -> None:
    now = dt.datetime(2026, 1, 15, 12, 10, tzinfo=NEM)
    brisbane = rows_by_period(now, tz=BRISBANE)
    sydney = rows_by_period(now, tz=SYDNEY)
    assert brisbane["PERIOD_14_00"] == sydney["PERIOD_15_00"]


# ---- prices, signs and rounding --------------------------------------------------------------


def flat(cents: float) -> PriceFn:
    """Return a constant price."""
    return lambda _start: cents


NOW = dt.datetime(2026, 1, 12, 10, 0, tzinfo=BRISBANE)  # a Monday


def test_negative_prices_clamp_to_zero_and_feed_in_flips_sign() -> None:
    general = series(NOW, flat(-3.5))
    paid = series(NOW, flat(12.3456789), channel=FEED_IN)  # Amber: -12.3456789 = customer paid
    planned = build_tariff(general, paid, now=NOW, site_tz=BRISBANE)
    assert set(planned.buy_rates().values()) == {0.0}
    assert set(planned.sell_rates().values()) == {0.1235}
    charging = series(NOW, flat(-4.0), channel=FEED_IN)  # Amber: +4 = customer pays to export
    planned = build_tariff(general, charging, now=NOW, site_tz=BRISBANE)
    assert set(planned.sell_rates().values()) == {0.0}
    assert all(math.copysign(1.0, value) == 1.0 for value in planned.sell_rates().values())


@pytest.mark.parametrize(
    ("cents", "dollars"),
    [
        (12.345, 0.1235),
        (12.34449, 0.1234),
        (0.004, 0.0),
        (-0.0, 0.0),
        (99999.0, 999.99),
        (20.0, 0.2),
    ],
)
def test_rounding_to_four_decimals(cents: float, dollars: float) -> None:
    planned = build_tariff(series(NOW, flat(cents)), None, now=NOW, site_tz=BRISBANE)
    assert set(planned.buy_rates().values()) == {dollars}


def test_forecast_band_option() -> None:
    general = series(NOW, flat(30.0))
    for band, dollars in [
        (ForecastType.LOW, 0.25),
        (ForecastType.PREDICTED, 0.3),
        (ForecastType.HIGH, 0.35),
    ]:
        options = PlanOptions(forecast_type=band)
        planned = build_tariff(general, None, now=NOW, site_tz=BRISBANE, options=options)
        assert planned.buy_rates()["PERIOD_11_00"] == dollars
        assert planned.buy_rates()["PERIOD_10_00"] == dollars  # the live price is a band too


def test_actuals_use_per_kwh_and_win_over_duplicates() -> None:
    start = dt.datetime(2026, 1, 12, 9, 30, tzinfo=NEM)
    general = [
        *series(NOW, flat(30.0), skip=frozenset({-1})),
        make_interval("forecast", start, 70.0),
        make_interval("actual", start, 50.0),
        make_interval("forecast", start, 80.0),
        make_interval("current", start, 60.0),
    ]
    now = dt.datetime(2026, 1, 12, 10, 0, tzinfo=BRISBANE)
    planned = build_tariff(general, None, now=now, site_tz=BRISBANE)
    slot = next(s for s in planned.slots if s.period == "PERIOD_09_30")
    # 09:30 today is behind now: the fold shows tomorrow's 09:30 (flat 30).
    assert slot.buy == 0.3
    options = PlanOptions(live_current_slot=False)
    planned = build_tariff(
        general, None, now=now + dt.timedelta(minutes=-25), site_tz=BRISBANE, options=options
    )
    assert planned.buy_rates()["PERIOD_09_30"] == 0.5
    assert planned.slots[0].buy_source is SlotSource.ACTUAL


def test_forecast_without_advanced_price_is_skipped_not_per_kwh() -> None:
    general = series(NOW, flat(30.0))
    start = dt.datetime(2026, 1, 12, 14, 0, tzinfo=NEM)
    general = [i for i in general if i.nem_time - dt.timedelta(minutes=30) != start]
    general.append(make_interval("forecast", start, 90.0, advanced=False))
    planned = build_tariff(general, None, now=NOW, site_tz=BRISBANE)
    assert planned.buy_rates()["PERIOD_14_00"] == 0.3
    assert planned.slots[8].buy_source is SlotSource.CARRIED
    assert planned.filled == 1


def test_non_finite_prices_count_as_missing() -> None:
    general = series(NOW, lambda start: math.nan if start.hour == 3 else 30.0)
    planned = build_tariff(general, None, now=NOW, site_tz=BRISBANE)
    assert planned.filled == 2
    assert planned.buy_rates()["PERIOD_13_00"] == 0.3


def test_live_price_without_advanced_falls_back_to_latest_actual() -> None:
    now = dt.datetime(2026, 1, 12, 10, 12, tzinfo=BRISBANE)
    general = series(now, flat(30.0))
    general += [
        make_interval("actual", dt.datetime(2026, 1, 12, 10, 0, tzinfo=NEM), 41.0, minutes=5),
        make_interval("actual", dt.datetime(2026, 1, 12, 10, 5, tzinfo=NEM), 42.0, minutes=5),
        make_interval(
            "current", dt.datetime(2026, 1, 12, 10, 10, tzinfo=NEM), 43.0, minutes=5, advanced=False
        ),
    ]
    # Drop the half-hour current so the slot has only the 5-min parts.
    general = [i for i in general if not (isinstance(i, CurrentInterval) and i.duration == 30)]
    planned = build_tariff(general, None, now=now, site_tz=BRISBANE)
    assert planned.slots[0].buy == 0.42
    assert planned.slots[0].buy_source is SlotSource.LIVE


def test_current_slot_average_when_nothing_live() -> None:
    now = dt.datetime(2026, 1, 12, 10, 3, tzinfo=BRISBANE)
    general: list[Interval] = [
        i for i in series(now, flat(30.0)) if not isinstance(i, CurrentInterval)
    ]
    general += [
        make_interval("actual", dt.datetime(2026, 1, 12, 9, 55, tzinfo=NEM), 11.0, minutes=5),
        make_interval("forecast", dt.datetime(2026, 1, 12, 10, 0, tzinfo=NEM), 20.0, minutes=5),
        make_interval("forecast", dt.datetime(2026, 1, 12, 10, 5, tzinfo=NEM), 40.0, minutes=5),
    ]
    planned = build_tariff(general, None, now=now, site_tz=BRISBANE)
    assert planned.slots[0].buy == 0.3  # no whole-slot price: 5-min parts
    assert planned.slots[0].buy_source is SlotSource.FORECAST


def test_whole_slot_price_beats_five_minute_parts() -> None:
    general = series(NOW, flat(30.0))
    general += [
        make_interval("forecast", dt.datetime(2026, 1, 12, 12, 0, tzinfo=NEM), 90.0, minutes=5),
        make_interval("forecast", dt.datetime(2026, 1, 12, 12, 5, tzinfo=NEM), 90.0, minutes=5),
    ]
    planned = build_tariff(general, None, now=NOW, site_tz=BRISBANE)
    assert planned.buy_rates()["PERIOD_12_00"] == 0.3


def test_five_minute_parts_are_averaged() -> None:
    general = [
        i
        for i in series(NOW, flat(30.0))
        if i.nem_time != dt.datetime(2026, 1, 12, 12, 30, tzinfo=NEM)
    ]
    general += [
        make_interval(
            "forecast", dt.datetime(2026, 1, 12, 12, minute, tzinfo=NEM), cents, minutes=5
        )
        for minute, cents in zip(range(0, 30, 5), [10.0, 20.0, 30.0, 40.0, 50.0, 60.0], strict=True)
    ]
    planned = build_tariff(general, None, now=NOW, site_tz=BRISBANE)
    assert planned.buy_rates()["PERIOD_12_00"] == 0.35


def test_other_channels_are_ignored() -> None:
    general = series(NOW, flat(30.0))
    controlled = series(NOW, flat(5.0), channel=ChannelType.CONTROLLED_LOAD)
    feed_in = series(NOW, flat(8.0), channel=FEED_IN)
    mixed = [*general, *controlled, *feed_in]
    planned = build_tariff(mixed, mixed, now=NOW, site_tz=BRISBANE)
    assert set(planned.buy_rates().values()) == {0.3}
    assert set(planned.sell_rates().values()) == {0.08}


# ---- abort rules -----------------------------------------------------------------------------


def test_exactly_ten_missing_fills_and_eleven_aborts() -> None:
    feed_in = series(NOW, flat(5.0), channel=FEED_IN)
    general = series(NOW, flat(30.0), skip=frozenset(range(38, 48)))
    planned = build_tariff(general, feed_in, now=NOW, site_tz=BRISBANE)
    assert planned.filled == 10
    sources = [slot.buy_source for slot in planned.slots[38:]]
    # Tomorrow 08:00-09:30 borrow today's actuals at the same clock time; the rest carry forward.
    assert sources == [SlotSource.CARRIED] * 6 + [SlotSource.OTHER_DAY] * 4
    general = series(NOW, flat(30.0), skip=frozenset(range(37, 48)))
    with pytest.raises(MissingPrices) as err:
        build_tariff(general, feed_in, now=NOW, site_tz=BRISBANE)
    assert err.value.missing == 11
    assert err.value.allowed == 10
    assert isinstance(err.value, PlanError)


def test_missing_counts_buy_and_sell_together() -> None:
    general = series(NOW, flat(30.0), skip=frozenset(range(40, 46)))
    feed_in = series(NOW, flat(5.0), channel=FEED_IN, skip=frozenset(range(20, 26)))
    with pytest.raises(MissingPrices) as err:
        build_tariff(general, feed_in, now=NOW, site_tz=BRISBANE)
    assert err.value.missing == 12


def test_threshold_is_an_option() -> None:
    general = series(NOW, flat(30.0), skip=frozenset(range(1, 48)))
    with pytest.raises(MissingPrices):
        build_tariff(general, None, now=NOW, site_tz=BRISBANE)
    options = PlanOptions(max_missing=47)
    planned = build_tariff(general, None, now=NOW, site_tz=BRISBANE, options=options)
    assert set(planned.buy_rates().values()) == {0.3}


def test_leading_gap_is_back_filled_and_other_day_is_preferred() -> None:
    now = dt.datetime(2026, 1, 12, 10, 5, tzinfo=BRISBANE)
    general = series(now, nem_stamp, skip=frozenset({0, 1, 46}), before=48)
    planned = build_tariff(
        general, None, now=now, site_tz=BRISBANE, options=PlanOptions(live_current_slot=False)
    )
    by_period = {slot.period: slot for slot in planned.slots}
    # The current and next slot have no price for today: tomorrow's same clock time stands in.
    assert by_period["PERIOD_10_00"].buy_source is SlotSource.OTHER_DAY
    assert by_period["PERIOD_10_00"].buy == 13.10
    assert by_period["PERIOD_10_30"].buy == 13.1030
    # Tomorrow 09:00 missing: today's 09:00 actual stands in.
    assert by_period["PERIOD_09_00"].buy_source is SlotSource.OTHER_DAY
    assert by_period["PERIOD_09_00"].buy == 12.09
    assert planned.filled == 3


def test_all_slots_missing_back_fill_from_first() -> None:
    now = dt.datetime(2026, 1, 12, 10, 5, tzinfo=BRISBANE)
    general = series(now, flat(30.0), skip=frozenset({0, 1}), after=47)
    planned = build_tariff(
        general, None, now=now, site_tz=BRISBANE, options=PlanOptions(live_current_slot=False)
    )
    assert [slot.buy_source for slot in planned.slots[:3]] == [
        SlotSource.CARRIED,
        SlotSource.CARRIED,
        SlotSource.FORECAST,
    ]
    assert planned.slots[0].buy == 0.3


def test_stale_payload_aborts() -> None:
    general, feed_in = day_of_intervals(NOW)
    later = NOW + dt.timedelta(minutes=45)  # the current half hour ended 15 min ago
    assert build_tariff(general, feed_in, now=later, site_tz=BRISBANE).filled == 0
    with pytest.raises(StalePrices):
        build_tariff(general, feed_in, now=later + dt.timedelta(seconds=1), site_tz=BRISBANE)
    options = PlanOptions(max_age=dt.timedelta(hours=1))
    build_tariff(
        general, feed_in, now=later + dt.timedelta(minutes=30), site_tz=BRISBANE, options=options
    )


def test_stale_feed_in_aborts_too() -> None:
    general = series(NOW, flat(30.0))
    old_feed_in = series(NOW - dt.timedelta(hours=2), flat(5.0), channel=FEED_IN, after=60)
    with pytest.raises(StalePrices):
        build_tariff(general, old_feed_in, now=NOW, site_tz=BRISBANE)


def test_forecast_only_or_empty_payload_aborts() -> None:
    forecasts = [i for i in series(NOW, flat(30.0)) if isinstance(i, ForecastInterval)]
    with pytest.raises(StalePrices, match="no prices at all"):
        build_tariff(forecasts, None, now=NOW, site_tz=BRISBANE)
    with pytest.raises(StalePrices):
        build_tariff([], None, now=NOW, site_tz=BRISBANE)
    with pytest.raises(StalePrices):
        build_tariff(series(NOW, flat(30.0)), [], now=NOW, site_tz=BRISBANE)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_tariff([], None, now=dt.datetime(2026, 1, 12, 10, 0), site_tz=BRISBANE)  # noqa: DTZ001


# ---- the tariff it emits ---------------------------------------------------------------------


def test_tariff_shape_monday_is_day_zero() -> None:
    planned = build_tariff(series(NOW, flat(30.0)), None, now=NOW, site_tz=BRISBANE)
    tariff = planned.tariff
    validate_tariff(tariff)
    assert tariff["version"] == 1
    assert tariff["currency"] == "AUD"
    assert tariff["code"] == "TESLA_ENERGY_SYNC:AMBER"
    assert tariff["daily_charges"] == [{"name": "Charge"}]
    assert tariff["energy_charges"]["ALL"] == {"rates": {"ALL": 0}}
    season = tariff["seasons"]["AllYear"]
    assert (season["fromMonth"], season["fromDay"], season["toMonth"], season["toDay"]) == (
        1,
        1,
        12,
        31,
    )
    periods = season["tou_periods"]
    assert len(periods) == 48
    assert periods["PERIOD_00_00"] == {
        "periods": [
            {
                "fromDayOfWeek": 0,
                "toDayOfWeek": 6,
                "fromHour": 0,
                "fromMinute": 0,
                "toHour": 0,
                "toMinute": 30,
            }
        ]
    }
    assert periods["PERIOD_23_30"]["periods"][0]["toHour"] == 24
    assert all(
        p["periods"][0]["fromDayOfWeek"] == 0 and p["periods"][0]["toDayOfWeek"] == 6
        for p in periods.values()
    )
    assert NOW.weekday() == 0
    sell = tariff["sell_tariff"]
    assert sell["seasons"] == tariff["seasons"]
    assert set(sell) == {
        "name",
        "utility",
        "daily_charges",
        "demand_charges",
        "energy_charges",
        "seasons",
    }
    custom = PlanOptions(code="X", name="N", utility="U", currency="USD")
    tariff = build_tariff(
        series(NOW, flat(30.0)), None, now=NOW, site_tz=BRISBANE, options=custom
    ).tariff
    assert (tariff["code"], tariff["name"], tariff["utility"], tariff["currency"]) == (
        "X",
        "N",
        "U",
        "USD",
    )


def test_fingerprint_is_stable() -> None:
    general, feed_in = day_of_intervals(NOW, flat(30.0))
    first = build_tariff(general, feed_in, now=NOW, site_tz=BRISBANE)
    # Same prices a few minutes later, and given in another order: same upload.
    again = build_tariff(
        list(reversed(general)), feed_in, now=NOW + dt.timedelta(minutes=7), site_tz=BRISBANE
    )
    assert again.fingerprint == first.fingerprint
    assert len(first.fingerprint) == 64
    assert fingerprint(dict(reversed(list(first.tariff.items())))) == first.fingerprint
    # A price change below Tesla's precision is no change; one above it is.
    tiny, _ = day_of_intervals(NOW, flat(30.00001))
    assert build_tariff(tiny, feed_in, now=NOW, site_tz=BRISBANE).fingerprint == first.fingerprint
    moved, _ = day_of_intervals(NOW, flat(30.01))
    assert build_tariff(moved, feed_in, now=NOW, site_tz=BRISBANE).fingerprint != first.fingerprint


def test_slot_rows_for_display() -> None:
    planned = build_tariff(series(NOW, flat(30.0)), None, now=NOW, site_tz=BRISBANE)
    row = planned.slots[0].as_dict()
    assert row == {
        "period": "PERIOD_10_00",
        "start": "2026-01-12T10:00:00+10:00",
        "buy": 0.3,
        "sell": 0.0,
        "buy_source": "live",
        "sell_source": "no_channel",
        "spike": False,
    }


def test_spike_flag_uses_the_date_the_slot_stands_for() -> None:
    # A spike today at 09:00 (already past) must not mark tomorrow's 09:00.
    general = series(NOW, flat(30.0), before=4)
    general.append(
        make_interval(
            "actual", dt.datetime(2026, 1, 12, 9, 0, tzinfo=NEM), 300.0, spike=SpikeStatus.SPIKE
        )
    )
    general.append(
        make_interval(
            "forecast",
            dt.datetime(2026, 1, 12, 15, 0, tzinfo=NEM),
            30.0,
            spike=SpikeStatus.POTENTIAL,
            minutes=5,
        )
    )
    planned = build_tariff(
        general,
        series(NOW, flat(10.0), channel=FEED_IN),
        now=NOW,
        site_tz=BRISBANE,
        options=PlanOptions(spike_protection=True),
    )
    spiking = [slot.period for slot in planned.slots if slot.spike]
    assert spiking == ["PERIOD_15_00"]
    assert planned.buy_rates()["PERIOD_15_00"] == 1.1
    # A spike already above the ceiling keeps its own price.
    general.append(
        make_interval(
            "forecast",
            dt.datetime(2026, 1, 12, 16, 0, tzinfo=NEM),
            250.0,
            spike=SpikeStatus.SPIKE,
        )
    )
    general = [
        i
        for i in general
        if not (
            i.nem_time.hour == 16
            and i.nem_time.minute == 30
            and i.duration == 30
            and i.spike_status is SpikeStatus.NONE
        )
    ]
    planned = build_tariff(
        general,
        series(NOW, flat(10.0), channel=FEED_IN),
        now=NOW,
        site_tz=BRISBANE,
        options=PlanOptions(spike_protection=True),
    )
    assert planned.buy_rates()["PERIOD_16_00"] == 2.5
    assert planned.buy_rates()["PERIOD_15_00"] == 1.1
