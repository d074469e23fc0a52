"""validate_tariff and same_rates: Tesla's tariff rules, checked before anything is uploaded."""

from __future__ import annotations

from collections.abc import Callable
import copy
import datetime as dt
from typing import Any

import pytest

from custom_components.tesla_energy_sync.tou.errors import InvalidTariff, PlanError
from custom_components.tesla_energy_sync.tou.planner import build_tariff
from custom_components.tesla_energy_sync.tou.validate import same_rates, validate_tariff

from .test_tou_planner import BRISBANE, day_of_intervals

NOW = dt.datetime(2026, 1, 12, 10, 0, tzinfo=BRISBANE)


def planned() -> dict[str, Any]:
    """Return a tariff the planner built."""
    general, feed_in = day_of_intervals(NOW)
    return copy.deepcopy(build_tariff(general, feed_in, now=NOW, site_tz=BRISBANE).tariff)


def side(seasons: dict[str, Any], rates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return one tariff side from seasons and their rates."""
    return {
        "seasons": seasons,
        "energy_charges": {
            "ALL": {"rates": {"ALL": 0}},
            **{k: {"rates": v} for k, v in rates.items()},
        },
    }


def weekday_weekend() -> dict[str, Any]:
    """Return a two-season tariff: Summer across new year, weekdays (Mon=0..Fri=4) vs weekend."""
    periods = {
        "PEAK": {"periods": [{"fromDayOfWeek": 0, "toDayOfWeek": 4, "fromHour": 16, "toHour": 21}]},
        "OFF_PEAK": {
            "periods": [
                {"fromDayOfWeek": 0, "toDayOfWeek": 4, "fromHour": 21, "toHour": 16},
                {"fromDayOfWeek": 5, "toDayOfWeek": 6},
            ]
        },
    }
    seasons = {
        "Summer": {
            "fromMonth": 10,
            "fromDay": 1,
            "toMonth": 3,
            "toDay": 31,
            "tou_periods": periods,
        },
        "Winter": {
            "fromMonth": 4,
            "fromDay": 1,
            "toMonth": 9,
            "toDay": 30,
            "tou_periods": copy.deepcopy(periods),
        },
        "Spare": {"fromMonth": 0, "fromDay": 0, "toMonth": 0, "toDay": 0, "tou_periods": {}},
    }
    rates = {"PEAK": 0.5, "OFF_PEAK": 0.2}
    buy = side(seasons, {"Summer": rates, "Winter": rates, "Spare": {}})
    return {**buy, "sell_tariff": side(copy.deepcopy(seasons), {"Summer": rates, "Winter": rates})}


def test_planned_and_hand_written_tariffs_pass() -> None:
    validate_tariff(planned())
    validate_tariff(weekday_weekend())


def test_defaults_and_24_00_forms_pass() -> None:
    tariff = weekday_weekend()
    peak = tariff["seasons"]["Summer"]["tou_periods"]["PEAK"]["periods"][0]
    peak.update(toHour=20, toMinute=60)
    # fromHour 0, toHour 0 and toDayOfWeek 6 are what Tesla fills in for absent fields.
    tariff["seasons"]["Winter"]["tou_periods"] = {"FLAT": {"periods": [{}]}}
    tariff["energy_charges"]["Winter"] = {"rates": {"FLAT": 0.3}}
    validate_tariff(tariff)
    week_wrap = weekday_weekend()
    week_wrap["seasons"]["Summer"]["tou_periods"]["OFF_PEAK"]["periods"] = [
        {"fromDayOfWeek": 0, "toDayOfWeek": 4, "fromHour": 21, "toHour": 16},
        {"fromDayOfWeek": 6, "toDayOfWeek": 5, "fromHour": 0, "toHour": 0},
    ]
    with pytest.raises(InvalidTariff, match="overlaps"):
        validate_tariff(week_wrap)


Mutation = Callable[[dict[str, Any]], object]
PERIODS = ("seasons", "AllYear", "tou_periods")


def periods_of(tariff: dict[str, Any]) -> dict[str, Any]:
    """Return the buy side's periods."""
    periods: dict[str, Any] = tariff["seasons"]["AllYear"]["tou_periods"]
    return periods


def first(tariff: dict[str, Any], name: str = "PERIOD_00_00") -> dict[str, Any]:
    """Return the first entry of one period."""
    entry: dict[str, Any] = periods_of(tariff)[name]["periods"][0]
    return entry


def rates_of(tariff: dict[str, Any]) -> dict[str, Any]:
    """Return the buy side's rates."""
    rates: dict[str, Any] = tariff["energy_charges"]["AllYear"]["rates"]
    return rates


CASES: list[tuple[str, Mutation, str]] = [
    (
        "gap",
        lambda t: (periods_of(t).pop("PERIOD_12_00"), rates_of(t).pop("PERIOD_12_00")),
        "no period covers day 0 12:00",
    ),
    ("sunday gap", lambda t: first(t).update(toDayOfWeek=5), "no period covers day 6 00:00"),
    ("overlap", lambda t: first(t).update(toMinute=45), "PERIOD_00_30: overlaps at day 0 00:30"),
    (
        "name mismatch",
        lambda t: rates_of(t).__setitem__("PERIOD_XX", 0.1),
        "price without period \\['PERIOD_XX'\\]",
    ),
    (
        "missing price",
        lambda t: rates_of(t).pop("PERIOD_01_00"),
        "no price for \\['PERIOD_01_00'\\]",
    ),
    ("negative", lambda t: rates_of(t).__setitem__("PERIOD_01_00", -0.01), "negative price"),
    ("nan", lambda t: rates_of(t).__setitem__("PERIOD_01_00", float("nan")), "not finite"),
    (
        "inf sell",
        lambda t: t["sell_tariff"]["energy_charges"]["AllYear"]["rates"].__setitem__(
            "PERIOD_01_00", float("inf")
        ),
        "sell.AllYear.PERIOD_01_00: price is not finite",
    ),
    ("string price", lambda t: rates_of(t).__setitem__("PERIOD_01_00", "0.2"), "not a number"),
    ("bool price", lambda t: rates_of(t).__setitem__("PERIOD_01_00", True), "not a number"),
    (
        "sentinel negative",
        lambda t: t["energy_charges"]["ALL"]["rates"].__setitem__("ALL", -1),
        "buy.ALL.ALL: negative",
    ),
    ("no sell", lambda t: t.pop("sell_tariff"), "sell_tariff missing"),
    ("sell not object", lambda t: t.__setitem__("sell_tariff", []), "sell: expected an object"),
    (
        "sell empty",
        lambda t: t["sell_tariff"]["energy_charges"]["AllYear"].__setitem__("rates", {}),
        "sell.energy_charges.AllYear: rates do not match",
    ),
    ("no seasons", lambda t: t.pop("seasons"), "buy.seasons: expected an object"),
    (
        "no periods",
        lambda t: t["seasons"]["AllYear"].__setitem__("tou_periods", {}),
        "no season holds any period",
    ),
    (
        "periods not object",
        lambda t: t["seasons"]["AllYear"].__setitem__("tou_periods", [1]),
        "tou_periods: expected an object",
    ),
    (
        "season not object",
        lambda t: t["seasons"].__setitem__("Odd", 1),
        "seasons.Odd: expected an object",
    ),
    ("no charges", lambda t: t.pop("energy_charges"), "buy.energy_charges: expected an object"),
    (
        "charge missing",
        lambda t: t["energy_charges"].pop("AllYear"),
        "energy_charges.AllYear: expected an object",
    ),
    (
        "rates missing",
        lambda t: t["energy_charges"]["AllYear"].pop("rates"),
        "AllYear.rates: expected an object",
    ),
    (
        "charge not object",
        lambda t: t["energy_charges"].__setitem__("Other", 3),
        "energy_charges.Other: expected an object",
    ),
    (
        "unknown season",
        lambda t: t["energy_charges"].__setitem__("Winter", {"rates": {"X": 1.0}}),
        "prices for an unknown season",
    ),
    (
        "empty periods list",
        lambda t: periods_of(t)["PERIOD_00_00"].__setitem__("periods", []),
        "non-empty list",
    ),
    (
        "period not object",
        lambda t: periods_of(t)["PERIOD_00_00"].__setitem__("periods", [5]),
        "PERIOD_00_00\\[0\\]: expected an object",
    ),
    ("hour not int", lambda t: first(t).update(fromHour="0"), "fromHour: expected an integer"),
    ("hour bool", lambda t: first(t).update(fromHour=False), "fromHour: expected an integer"),
    (
        "day out of range",
        lambda t: first(t).update(toDayOfWeek=7),
        "toDayOfWeek: 7 is outside 0..6",
    ),
    (
        "past midnight",
        lambda t: first(t, "PERIOD_23_30").update(toMinute=30),
        "ends after midnight",
    ),
    (
        "empty period",
        lambda t: first(t).update(fromMinute=30, toMinute=30),
        "starts where it ends",
    ),
    (
        "season dates",
        lambda t: t["seasons"]["AllYear"].update(toMonth=2, toDay=30),
        "bad season dates",
    ),
    (
        "season date type",
        lambda t: t["seasons"]["AllYear"].pop("fromDay"),
        "fromDay: expected an integer",
    ),
    (
        "part year",
        lambda t: t["seasons"]["AllYear"].update(toMonth=11, toDay=30),
        "days of the year uncovered",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [(m, msg) for _, m, msg in CASES], ids=[c[0] for c in CASES]
)
def test_broken_tariffs_are_refused(mutate: Mutation, message: str) -> None:
    tariff = planned()
    mutate(tariff)
    with pytest.raises(InvalidTariff, match=message) as err:
        validate_tariff(tariff)
    assert isinstance(err.value, PlanError)


def test_overlapping_seasons_are_refused() -> None:
    tariff = weekday_weekend()
    tariff["seasons"]["Winter"]["fromMonth"] = 3
    with pytest.raises(InvalidTariff, match="overlaps season 'Summer' on 03-01"):
        validate_tariff(tariff)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(InvalidTariff, match="tariff: expected an object"):
        validate_tariff([])  # type: ignore[arg-type]


def test_same_rates() -> None:
    uploaded = planned()
    read_back = copy.deepcopy(uploaded)
    assert same_rates(uploaded, read_back)
    # Tesla may drop the ALL sentinel and keep empty placeholder seasons.
    del read_back["energy_charges"]["ALL"]
    del read_back["sell_tariff"]["energy_charges"]["ALL"]
    read_back["energy_charges"]["Winter"] = {}
    read_back["energy_charges"]["Odd"] = 5
    assert same_rates(uploaded, read_back)
    # Ints and floats with noise below 6 dp are the same price.
    rates = read_back["energy_charges"]["AllYear"]["rates"]
    rates["PERIOD_00_00"] += 1e-9
    assert same_rates(uploaded, read_back)
    rates["PERIOD_00_00"] += 0.0001
    assert not same_rates(uploaded, read_back)
    other = copy.deepcopy(uploaded)
    other["sell_tariff"]["energy_charges"]["AllYear"]["rates"]["PERIOD_05_00"] = 9.0
    assert not same_rates(uploaded, other)
    assert not same_rates(uploaded, None)
    assert not same_rates(uploaded, {})
    assert not same_rates(uploaded, {"energy_charges": [], "sell_tariff": 5})
    garbled = copy.deepcopy(uploaded)
    garbled["energy_charges"]["AllYear"]["rates"]["PERIOD_00_00"] = "0.2"
    assert not same_rates(uploaded, garbled)
