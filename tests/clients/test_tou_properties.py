"""Property tests of the TOU planner: invariants over random prices, clocks, zones and DST days."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import math
import random
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, event, given, settings, strategies as st
import pytest

from custom_components.tesla_energy_sync.clients.amber_models import (
    ChannelType,
    Interval,
    SpikeStatus,
)
from custom_components.tesla_energy_sync.tou.errors import MissingPrices, StalePrices
from custom_components.tesla_energy_sync.tou.models import PlannedTariff, PlanOptions, SlotSource
from custom_components.tesla_energy_sync.tou.planner import build_tariff
from custom_components.tesla_energy_sync.tou.tariff import PERIOD_NAMES, round_price
from custom_components.tesla_energy_sync.tou.validate import validate_tariff
from simulators.prices import floor_time

from .test_tou_planner import make_interval

GENERAL = ChannelType.GENERAL
FEED_IN = ChannelType.FEED_IN
HALF_HOUR = dt.timedelta(minutes=30)
ZONES = (
    "Australia/Sydney",
    "Australia/Brisbane",
    "Australia/Adelaide",
    "Australia/Perth",
    "America/Chicago",
    "UTC",
)
# DST changes in UTC: Sydney/Adelaide April and October 2026, Chicago March and November 2026.
TRANSITIONS = {
    "Australia/Sydney": (
        dt.datetime(2026, 4, 4, 16, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 3, 16, 0, tzinfo=dt.UTC),
    ),
    "Australia/Adelaide": (
        dt.datetime(2026, 4, 4, 16, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 3, 16, 30, tzinfo=dt.UTC),
    ),
    "America/Chicago": (
        dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 1, 7, 0, tzinfo=dt.UTC),
    ),
}
BEFORE_BLOCKS = 6  # half hours of actuals before the current one
AFTER_BLOCKS = 52  # half hours of forecasts after it: the fold spans at most 25 h
PROFILE = AFTER_BLOCKS + BEFORE_BLOCKS + 1

# Hypothesis 6.148 on Python 3.14 warns about its own global PRNG; nothing in these tests.
pytestmark = pytest.mark.filterwarnings("ignore:It looks like `register_random`")

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
    derandomize=True,
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One random planning situation: the clock, the zone and both channels' intervals."""

    now: dt.datetime
    tz: ZoneInfo
    minutes: int
    general: list[Interval]
    feed_in: list[Interval] | None
    # (channel, interval start) → the planning price in Amber's c/kWh and sign.
    cents: dict[tuple[ChannelType, dt.datetime], float]


@st.composite
def moments(draw: st.DrawFn) -> tuple[dt.datetime, ZoneInfo]:
    """Return an aware now and a site zone; half the time the fold crosses a DST change."""
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(TRANSITIONS)))
        change = draw(st.sampled_from(TRANSITIONS[name]))
        now = change + dt.timedelta(seconds=draw(st.integers(-26 * 3600, 2 * 3600)))
    else:
        name = draw(st.sampled_from(ZONES))
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
            seconds=draw(st.integers(0, 365 * 86400 - 1))
        )
    return now, ZoneInfo(name)


# Everyday prices, negative ones, and the spikes the market cap allows (c/kWh).
PRICES = st.one_of(
    st.floats(-60.0, 80.0, allow_nan=False),
    st.floats(-2000.0, 2100.0, allow_nan=False),
    st.sampled_from([0.0, -0.0, 0.004, -0.004, 0.005, 12.34449, 2030.0, -1000.0]),
)


@st.composite
def channel_plan(draw: st.DrawFn) -> tuple[list[float], frozenset[int], frozenset[int]]:
    """Return per-half-hour price levels, dropped half hours, and spiking half hours."""
    levels = draw(st.lists(PRICES, min_size=PROFILE, max_size=PROFILE))
    gaps = draw(st.frozensets(st.integers(1, AFTER_BLOCKS), max_size=draw(st.integers(0, 8))))
    spikes = draw(st.frozensets(st.integers(-BEFORE_BLOCKS, AFTER_BLOCKS), max_size=4))
    return levels, gaps, spikes


def build_channel(
    channel: ChannelType,
    now: dt.datetime,
    minutes: int,
    plan: tuple[list[float], frozenset[int], frozenset[int]],
    rnd: random.Random,
    cents: dict[tuple[ChannelType, dt.datetime], float],
) -> list[Interval]:
    """Return actuals, the current interval and forecasts at this resolution, with gaps."""
    levels, gaps, spikes = plan
    base = floor_time(now, 30)
    result: list[Interval] = []
    for block in range(-BEFORE_BLOCKS, AFTER_BLOCKS + 1):
        if block in gaps:
            continue
        block_start = base + block * HALF_HOUR
        level = levels[block + BEFORE_BLOCKS]
        starts = [block_start + dt.timedelta(minutes=m) for m in range(0, 30, minutes)]
        # Five-minute data may also lose some parts of a half hour; never the live one.
        lost = {s for s in starts if rnd.random() < 0.15 and not s <= now < s + HALF_HOUR / 6}
        if len(lost) == len(starts):
            lost.pop()
        for start in starts:
            if start in lost:
                continue
            end = start + dt.timedelta(minutes=minutes)
            kind = "actual" if end <= now else "current" if start <= now else "forecast"
            price = level if minutes == 30 else level + rnd.uniform(-3.0, 3.0)
            cents[channel, start] = price
            spike = SpikeStatus.SPIKE if block in spikes else SpikeStatus.NONE
            result.append(
                make_interval(kind, start, price, minutes=minutes, channel=channel, spike=spike)
            )
    return result


@st.composite
def scenarios(draw: st.DrawFn, *, feed_in: bool | None = None) -> Scenario:
    """Return a random planning situation; feed_in None means either kind of site."""
    now, tz = draw(moments())
    minutes = draw(st.sampled_from([5, 30]))
    # A seeded generator for the bulk detail (5-min jitter, lost parts); hypothesis draws the rest.
    rnd = random.Random(draw(st.integers(0, 2**32)))
    cents: dict[tuple[ChannelType, dt.datetime], float] = {}
    general = build_channel(GENERAL, now, minutes, draw(channel_plan()), rnd, cents)
    with_feed_in = draw(st.booleans()) if feed_in is None else feed_in
    sell = (
        build_channel(FEED_IN, now, minutes, draw(channel_plan()), rnd, cents)
        if with_feed_in
        else None
    )
    return Scenario(now, tz, minutes, general, sell, cents)


# ---- oracles, written independently of the planner ------------------------------------------


def fold_keys(now: dt.datetime, tz: ZoneInfo) -> list[tuple[dt.date, int, int]]:
    """Return the 48 local (date, hour, minute) half hours from the current one, by clock."""
    local = now.astimezone(tz).replace(tzinfo=None)
    first = local.replace(minute=30 * (local.minute // 30), second=0, microsecond=0)
    clocks = [first + step * HALF_HOUR for step in range(48)]
    return [(clock.date(), clock.hour, clock.minute) for clock in clocks]


def local_key(start: dt.datetime, tz: ZoneInfo) -> tuple[dt.date, int, int]:
    """Return the local half hour an interval start falls in."""
    local = start.astimezone(tz)
    return local.date(), local.hour, 30 * (local.minute // 30)


def expected_missing(scenario: Scenario, channel: ChannelType) -> int:
    """Return how many of the 48 slots after the live one have no interval of this channel."""
    have = {local_key(start, scenario.tz) for (ch, start) in scenario.cents if ch is channel}
    return sum(key not in have for key in fold_keys(scenario.now, scenario.tz)[1:])


def total_missing(scenario: Scenario) -> int:
    """Return the expected missing count over buy and sell."""
    sell = 0 if scenario.feed_in is None else expected_missing(scenario, FEED_IN)
    return expected_missing(scenario, GENERAL) + sell


def plain_clock(tz: ZoneInfo, naive: dt.datetime) -> bool:
    """Return whether this local clock time happens exactly once (not skipped, not repeated)."""
    return tz.utcoffset(naive.replace(fold=0)) == tz.utcoffset(naive.replace(fold=1))


def dst_in_fold(scenario: Scenario) -> bool:
    """Return whether the local clock skips or repeats a half hour in the folded day."""
    keys = fold_keys(scenario.now, scenario.tz)
    return not all(
        plain_clock(scenario.tz, dt.datetime.combine(d, dt.time(h, m))) for d, h, m in keys
    )


def slot_cents(scenario: Scenario, channel: ChannelType, start: dt.datetime) -> list[float]:
    """Return the prices of a channel's intervals that start inside one real half hour."""
    end = start + HALF_HOUR
    return [
        price for (ch, at), price in scenario.cents.items() if ch is channel and start <= at < end
    ]


def plan(scenario: Scenario, **options: object) -> PlannedTariff:
    """Run the planner on a scenario."""
    return build_tariff(
        scenario.general,
        scenario.feed_in,
        now=scenario.now,
        site_tz=scenario.tz,
        options=PlanOptions(**options),  # type: ignore[arg-type]
    )


# ---- invariants of every tariff the planner returns -----------------------------------------


def assert_tiles(tou_periods: dict[str, object]) -> None:
    """Assert the 48 PERIOD_HH_MM periods cover every minute of every weekday exactly once."""
    assert list(tou_periods) == list(PERIOD_NAMES)
    assert len(tou_periods) == 48
    covered = [0] * 1440
    for name, body in tou_periods.items():
        assert isinstance(body, dict)
        (entry,) = body["periods"]
        assert entry["fromDayOfWeek"] == 0
        assert entry["toDayOfWeek"] == 6
        start = entry["fromHour"] * 60 + entry["fromMinute"]
        end = entry["toHour"] * 60 + entry["toMinute"]
        assert name == f"PERIOD_{start // 60:02d}_{start % 60:02d}"
        assert end - start == 30
        for minute in range(start, end):
            covered[minute] += 1
    assert covered == [1] * 1440


def assert_price(value: float) -> None:
    """Assert a tariff price is a finite, non-negative float at Tesla's 4 dp."""
    assert isinstance(value, float)
    assert math.isfinite(value)
    assert value >= 0.0
    assert math.copysign(1.0, value) == 1.0
    assert round(value, 4) == value


def assert_invariants(scenario: Scenario, planned: PlannedTariff) -> None:
    """Assert everything that holds for every tariff the planner builds."""
    validate_tariff(planned.tariff)
    tariff = planned.tariff
    for side in (tariff, tariff["sell_tariff"]):
        assert_tiles(side["seasons"]["AllYear"]["tou_periods"])
    buy = tariff["energy_charges"]["AllYear"]["rates"]
    sell = tariff["sell_tariff"]["energy_charges"]["AllYear"]["rates"]
    assert buy == planned.buy_rates()
    assert sell == planned.sell_rates()
    for value in [*buy.values(), *sell.values()]:
        assert_price(value)
    if scenario.feed_in is None:
        assert set(sell.values()) == {0.0}
        assert {slot.sell_source for slot in planned.slots} == {SlotSource.NO_CHANNEL}
    # The fold: the current half hour first, then 47 more by local clock, 24 h in all.
    local = scenario.now.astimezone(scenario.tz)
    keys = fold_keys(scenario.now, scenario.tz)
    assert [slot.period for slot in planned.slots] == [
        f"PERIOD_{hour:02d}_{minute:02d}" for _, hour, minute in keys
    ]
    assert sorted(slot.period for slot in planned.slots) == list(PERIOD_NAMES)
    assert planned.current_period == planned.slots[0].period
    assert planned.current_period == f"PERIOD_{local.hour:02d}_{30 * (local.minute // 30):02d}"
    walls = [slot.start.replace(tzinfo=None) for slot in planned.slots]
    assert walls == [dt.datetime.combine(day, dt.time(h, m)) for day, h, m in keys]
    assert walls[-1] - walls[0] == dt.timedelta(hours=23, minutes=30)
    assert walls[0] <= local.replace(tzinfo=None) < walls[0] + HALF_HOUR
    assert all(slot.start.tzinfo is scenario.tz for slot in planned.slots)
    # In real time too, except clock times a spring-forward skips: their start is a time that
    # never happens (02:00+10:00 is the same instant as 03:00+11:00).
    real = [
        slot.start.astimezone(dt.UTC)
        for slot in planned.slots
        if plain_clock(scenario.tz, slot.start.replace(tzinfo=None))
    ]
    assert real == sorted(set(real))
    assert planned.filled == total_missing(scenario)


def assert_prices_follow_intervals(scenario: Scenario, planned: PlannedTariff) -> None:
    """Assert slots whose clock time happens once carry their intervals' price, signs applied."""
    for position, slot in enumerate(planned.slots):
        wall = slot.start.replace(tzinfo=None)
        if not plain_clock(scenario.tz, wall):
            continue
        start = slot.start.astimezone(dt.UTC)
        for channel, value, source in (
            (GENERAL, slot.buy, slot.buy_source),
            (FEED_IN, slot.sell, slot.sell_source),
        ):
            if channel is FEED_IN and scenario.feed_in is None:
                continue
            if source in {SlotSource.CARRIED, SlotSource.OTHER_DAY} or slot.spike:
                continue
            if position == 0 and source is SlotSource.LIVE:
                live = floor_time(scenario.now, scenario.minutes)
                found = [scenario.cents[channel, live]]
            else:
                found = slot_cents(scenario, channel, start)
            mean = sum(found) / len(found)
            cents = -mean if channel is FEED_IN else mean
            assert value == pytest.approx(round_price(cents / 100), abs=1.01e-4), slot.period


# ---- the properties ------------------------------------------------------------------------


@SETTINGS
@given(scenarios())
def test_built_tariffs_hold_every_invariant(scenario: Scenario) -> None:
    missing = total_missing(scenario)
    event(f"{scenario.minutes}-minute data")
    event("aborts" if missing > PlanOptions().max_missing else "builds")
    event("fold crosses a DST change" if dst_in_fold(scenario) else "no DST change in the fold")
    if missing > PlanOptions().max_missing:
        with pytest.raises(MissingPrices) as err:
            plan(scenario)
        assert err.value.missing == missing
        return
    planned = plan(scenario)
    assert_invariants(scenario, planned)
    assert_prices_follow_intervals(scenario, planned)


@SETTINGS
@given(scenarios(), st.integers(0, 20))
def test_missing_prices_abort_exactly_above_the_threshold(scenario: Scenario, allowed: int) -> None:
    missing = total_missing(scenario)
    if missing > allowed:
        with pytest.raises(MissingPrices) as err:
            plan(scenario, max_missing=allowed)
        assert (err.value.missing, err.value.allowed) == (missing, allowed)
    else:
        assert_invariants(scenario, plan(scenario, max_missing=allowed))


@st.composite
def gappy(draw: st.DrawFn) -> tuple[Scenario, int]:
    """Return a scenario whose general channel lost more half hours than allowed."""
    scenario = draw(scenarios())
    allowed = draw(st.integers(0, 10))
    lost = draw(st.frozensets(st.integers(1, 47), min_size=allowed + 3, max_size=47))
    base = floor_time(scenario.now, 30)
    drop = {base + block * HALF_HOUR for block in lost}
    general = [
        i
        for i in scenario.general
        if floor_time(i.nem_time - dt.timedelta(minutes=i.duration), 30) not in drop
    ]
    cents = {
        (ch, at): price
        for (ch, at), price in scenario.cents.items()
        if ch is not GENERAL or floor_time(at, 30) not in drop
    }
    return Scenario(
        scenario.now, scenario.tz, scenario.minutes, general, scenario.feed_in, cents
    ), allowed


@SETTINGS
@given(gappy())
def test_too_many_gaps_never_return_a_tariff(case: tuple[Scenario, int]) -> None:
    scenario, allowed = case
    # A repeated DST hour can merge two lost half hours into one local slot: at most two pairs.
    assume(total_missing(scenario) > allowed)
    with pytest.raises(MissingPrices):
        plan(scenario, max_missing=allowed)


@SETTINGS
@given(scenarios(), st.integers(1, 3 * 86400), st.booleans())
def test_stale_prices_always_abort(scenario: Scenario, late: int, stale_sell: bool) -> None:
    newest = floor_time(scenario.now, scenario.minutes) + dt.timedelta(minutes=scenario.minutes)
    later = newest + dt.timedelta(minutes=15, seconds=late)
    if stale_sell and scenario.feed_in is not None:
        # Fresh general prices re-based on the later clock; only the feed-in is old.
        flat = ([20.0] * PROFILE, frozenset[int](), frozenset[int]())
        rnd = random.Random(late)
        general = build_channel(GENERAL, later, scenario.minutes, flat, rnd, {})
    else:
        general = scenario.general
    with pytest.raises(StalePrices) as err:
        build_tariff(general, scenario.feed_in, now=later, site_tz=scenario.tz)
    assert err.value.now == later


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_same_input_same_fingerprint(scenario: Scenario, rnd: random.Random) -> None:
    assume(total_missing(scenario) <= PlanOptions().max_missing)
    first = plan(scenario)
    general = list(scenario.general)
    rnd.shuffle(general)
    feed_in = None if scenario.feed_in is None else list(scenario.feed_in)
    if feed_in is not None:
        rnd.shuffle(feed_in)
    again = build_tariff(general, feed_in, now=scenario.now, site_tz=scenario.tz)
    assert again.fingerprint == first.fingerprint
    assert again.slots == first.slots
    assert plan(scenario).tariff == first.tariff


@SETTINGS
@given(scenarios())
def test_spike_protection_never_lowers_a_buy_price(scenario: Scenario) -> None:
    assume(total_missing(scenario) <= PlanOptions().max_missing)
    plain = plan(scenario)
    guarded = plan(scenario, spike_protection=True)
    assert_invariants(scenario, guarded)
    ceiling = round_price(max(plain.sell_rates().values()) + 1.0)
    for before, after in zip(plain.slots, guarded.slots, strict=True):
        assert after.period == before.period
        assert after.sell == before.sell
        assert after.buy >= before.buy
        if after.spike:
            assert after.buy == max(ceiling, before.buy)
        else:
            assert after.buy == before.buy


@SETTINGS
@given(scenarios(feed_in=True), st.floats(0.5, 2000.0), st.booleans())
def test_feed_in_sign(scenario: Scenario, paid: float, customer_paid: bool) -> None:
    # Every feed-in interval at one price: Amber-negative (the customer is paid) or positive.
    amber = -paid if customer_paid else paid
    assert scenario.feed_in is not None
    feed_in = [
        make_interval(
            "actual"
            if i.nem_time <= scenario.now
            else "current"
            if i.nem_time - dt.timedelta(minutes=i.duration) <= scenario.now
            else "forecast",
            i.nem_time - dt.timedelta(minutes=i.duration),
            amber,
            minutes=i.duration,
            channel=FEED_IN,
        )
        for i in scenario.feed_in
    ]
    options = PlanOptions(max_missing=96)
    planned = build_tariff(
        scenario.general, feed_in, now=scenario.now, site_tz=scenario.tz, options=options
    )
    sells = set(planned.sell_rates().values())
    assert sells == ({round_price(paid / 100)} if customer_paid else {0.0})
    if customer_paid:
        assert min(sells) > 0.0
