"""Parsing of Amber JSON into models: published examples (docs/amber.md#intervals), bad shapes."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from custom_components.tesla_energy_sync.clients.amber_models import (
    ActualInterval,
    AdvancedPrice,
    ChannelType,
    CurrentInterval,
    ForecastInterval,
    Interval,
    IntervalType,
    PriceDescriptor,
    PriceRange,
    RateLimitStatus,
    Site,
    SpikeStatus,
    TariffPeriod,
    Usage,
    UsageQuality,
    parse_interval,
)
from custom_components.tesla_energy_sync.clients.errors import ResponseError

# Real ForecastInterval from amberelectric/public-api#193.
FORECAST: dict[str, Any] = {
    "type": "ForecastInterval",
    "channelType": "general",
    "date": "2024-03-01",
    "duration": 30,
    "startTime": "2024-02-29T20:30:01Z",
    "endTime": "2024-02-29T21:00:00Z",
    "nemTime": "2024-03-01T07:00:00+10:00",
    "perKwh": 39.39479,
    "spotPerKwh": 29.53254,
    "range": {"min": 12.80394, "max": 33.1361},
    "renewables": 20.18,
    "spikeStatus": "none",
    "descriptor": "low",
    "tariffInformation": {"demandWindow": False},
}
# Current 5-min feed-in interval in the current spec's shape.
CURRENT: dict[str, Any] = {
    "type": "CurrentInterval",
    "channelType": "feedIn",
    "duration": 5,
    "date": "2025-11-23",
    "startTime": "2025-11-23T11:05:01Z",
    "endTime": "2025-11-23T11:10:00Z",
    "nemTime": "2025-11-23T21:10:00+10:00",
    "perKwh": -13.02,
    "spotPerKwh": 12.9,
    "renewables": 36,
    "spikeStatus": "none",
    "descriptor": "high",
    "estimate": True,
    "advancedPrice": {"low": -11.5, "predicted": -13.0, "high": -15.2},
    "tariffInformation": {"period": "peak", "demandWindow": False},
}
# A feed-in Usage in the published schema's shape (amberelectric/public-api swagger.json).
USAGE: dict[str, Any] = {
    "type": "Usage",
    "duration": 30,
    "date": "2021-05-05",
    "startTime": "2021-05-05T02:00:01Z",
    "endTime": "2021-05-05T02:30:00Z",
    "nemTime": "2021-05-05T12:30:00+10:00",
    "perKwh": -6.12,
    "spotPerKwh": 6.12,
    "renewables": 45,
    "channelType": "feedIn",
    "channelIdentifier": "B1",
    "spikeStatus": "none",
    "descriptor": "low",
    "kwh": 1.5,
    "cost": -9.18,
    "quality": "billable",
}
SITE: dict[str, Any] = {
    "id": "01ABC",
    "nmi": "6001234567",
    "channels": [{"identifier": "E1", "type": "general", "tariff": "A100"}],
    "network": "Jemena",
    "status": "closed",
    "activeFrom": "2022-01-01",
    "closedOn": "2024-06-30",
    "intervalLength": 30,
}


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Return a copy with fields replaced; a value of ... removes the field."""
    data = copy.deepcopy(base)
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return data


def test_real_forecast_interval() -> None:
    interval = parse_interval(FORECAST)
    assert isinstance(interval, ForecastInterval)
    assert interval.type is IntervalType.FORECAST
    assert interval.channel_type is ChannelType.GENERAL
    assert interval.date == dt.date(2024, 3, 1)
    assert interval.duration == 30
    assert interval.start_time == dt.datetime(2024, 2, 29, 20, 30, 1, tzinfo=dt.UTC)
    assert interval.end_time == dt.datetime(2024, 2, 29, 21, 0, tzinfo=dt.UTC)
    assert interval.nem_time == interval.end_time
    assert interval.nem_time.utcoffset() == dt.timedelta(hours=10)
    assert interval.per_kwh == 39.39479
    assert interval.spot_per_kwh == 29.53254
    assert interval.range == PriceRange(min=12.80394, max=33.1361)
    assert interval.renewables == 20.18
    assert interval.spike_status is SpikeStatus.NONE
    assert interval.descriptor is PriceDescriptor.LOW
    assert interval.tariff_information is not None
    assert interval.tariff_information.period is None
    assert interval.tariff_information.season is None
    assert interval.tariff_information.block is None
    assert interval.tariff_information.demand_window is False
    assert interval.advanced_price is None


def test_current_feed_in_interval() -> None:
    interval = CurrentInterval.from_dict(CURRENT)
    assert interval.channel_type is ChannelType.FEED_IN
    assert interval.per_kwh == -13.02
    assert interval.renewables == 36.0
    assert interval.estimate is True
    assert interval.advanced_price == AdvancedPrice(low=-11.5, predicted=-13.0, high=-15.2)
    assert interval.range is None
    assert interval.tariff_information is not None
    assert interval.tariff_information.period is TariffPeriod.PEAK


def test_actual_interval_without_optional_parts() -> None:
    data = changed(
        CURRENT, type="ActualInterval", estimate=..., advancedPrice=..., tariffInformation=None
    )
    data["descriptor"] = None
    interval = parse_interval(data)
    assert isinstance(interval, ActualInterval)
    assert interval.tariff_information is None
    assert interval.descriptor is None


def test_tariff_information_season_and_block() -> None:
    data = changed(CURRENT, tariffInformation={"season": "summer", "block": 2})
    interval = CurrentInterval.from_dict(data)
    assert interval.tariff_information is not None
    assert interval.tariff_information.season == "summer"
    assert interval.tariff_information.block == 2
    assert interval.tariff_information.demand_window is None


def test_values_amber_adds_later_become_none() -> None:
    data = changed(CURRENT, descriptor="ultraLow", tariffInformation={"period": "superPeak"})
    interval = CurrentInterval.from_dict(data)
    assert interval.descriptor is None
    assert interval.tariff_information is not None
    assert interval.tariff_information.period is None


def test_retired_negative_descriptor_still_parses() -> None:
    assert CurrentInterval.from_dict(changed(CURRENT, descriptor="negative")).descriptor is (
        PriceDescriptor.NEGATIVE
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "PastInterval"},
        {"type": ...},
        {"channelType": "battery"},
        {"spikeStatus": "extreme"},
        {"spikeStatus": ...},
        {"perKwh": "1.0"},
        {"perKwh": True},
        {"perKwh": float("nan")},
        {"duration": 5.0},
        {"duration": True},
        {"estimate": "yes"},
        {"estimate": ...},
        {"date": "01/03/2024"},
        {"date": 20240301},
        {"nemTime": "2024-03-01T07:00:00"},
        {"startTime": "yesterday"},
        {"tariffInformation": []},
        {"tariffInformation": {"season": 3}},
        {"tariffInformation": {"block": "2"}},
        {"tariffInformation": {"demandWindow": "no"}},
        {"tariffInformation": {"period": 1}},
        {"descriptor": 7},
        {"range": {"min": 1.0}},
        {"advancedPrice": {"low": 1, "predicted": 2}},
        {"advancedPrice": "high"},
    ],
)
def test_bad_shapes_are_response_errors(changes: dict[str, Any]) -> None:
    with pytest.raises(ResponseError):
        parse_interval(changed(CURRENT, **changes))


@pytest.mark.parametrize("data", [None, [], "interval", 5])
def test_non_objects_are_response_errors(data: Any) -> None:
    with pytest.raises(ResponseError):
        parse_interval(data)


def test_interval_class_checks_its_type() -> None:
    with pytest.raises(ResponseError, match="expected a ActualInterval"):
        ActualInterval.from_dict(CURRENT)
    with pytest.raises(ResponseError):
        ForecastInterval.from_dict(CURRENT)


def test_interval_as_dict_is_json_safe() -> None:
    data = parse_interval(CURRENT).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["channel_type"] == "feedIn"
    assert data["nem_time"] == "2025-11-23T21:10:00+10:00"
    assert data["start_time"] == "2025-11-23T11:05:01+00:00"
    assert data["advanced_price"] == {"low": -11.5, "predicted": -13.0, "high": -15.2}
    assert data["tariff_information"]["period"] == "peak"


def test_site_parsing_and_as_dict() -> None:
    site = Site.from_dict(SITE)
    assert site.closed_on == dt.date(2024, 6, 30)
    assert not site.has_channel(ChannelType.FEED_IN)
    data = site.as_dict()
    assert data == {
        "id": "01ABC",
        "nmi": "6001234567",
        "channels": [{"identifier": "E1", "type": "general", "tariff": "A100"}],
        "network": "Jemena",
        "status": "closed",
        "active_from": "2022-01-01",
        "closed_on": "2024-06-30",
        "interval_length": 30,
    }
    assert site.channels[0].as_dict() == {"identifier": "E1", "type": "general", "tariff": "A100"}


@pytest.mark.parametrize(
    "changes",
    [
        {"channels": {"E1": "general"}},
        {"channels": [{"identifier": "E1", "type": "solar", "tariff": "A100"}]},
        {"channels": [{"identifier": 1, "type": "general", "tariff": "A100"}]},
        {"channels": ["E1"]},
        {"status": "suspended"},
        {"activeFrom": "soon"},
        {"intervalLength": "30"},
        {"id": ...},
    ],
)
def test_bad_sites_are_response_errors(changes: dict[str, Any]) -> None:
    with pytest.raises(ResponseError):
        Site.from_dict(changed(SITE, **changes))


def test_rate_limit_headers() -> None:
    status = RateLimitStatus.from_headers(
        {
            "ratelimit-limit": "50",
            "RateLimit-Remaining": "7",
            "RATELIMIT-RESET": "12.5",
            "RateLimit-Policy": "50;w=300",
        }
    )
    assert status == RateLimitStatus(limit=50, remaining=7, reset=12.5, policy="50;w=300")
    assert status.as_dict() == {"limit": 50, "remaining": 7, "reset": 12.5, "policy": "50;w=300"}


def test_unreadable_rate_limit_headers_are_none() -> None:
    status = RateLimitStatus.from_headers({"RateLimit-Limit": "many", "RateLimit-Reset": "inf"})
    assert status == RateLimitStatus(limit=None, remaining=None, reset=None, policy=None)


def test_interval_union_works_with_isinstance() -> None:
    assert isinstance(parse_interval(FORECAST), Interval)


def test_usage_parses_what_the_import_reads() -> None:
    usage = Usage.from_dict(USAGE)
    assert usage.channel_identifier == "B1"
    assert usage.channel_type is ChannelType.FEED_IN
    assert usage.kwh == 1.5
    assert usage.cost == -9.18
    assert usage.quality is UsageQuality.BILLABLE
    assert usage.start == dt.datetime(2021, 5, 5, 2, 0, tzinfo=dt.UTC)
    data = usage.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["quality"] == "billable"


def test_a_quality_amber_adds_later_is_none() -> None:
    assert Usage.from_dict(changed(USAGE, quality="substituted")).quality is None


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "ActualInterval"},
        {"type": ...},
        {"quality": ...},
        {"quality": 1},
        {"kwh": ...},
        {"kwh": "1.5"},
        {"kwh": float("inf")},
        {"cost": None},
        {"channelIdentifier": ...},
        {"channelType": "battery"},
        {"duration": 0},
        {"duration": -30},
        {"nemTime": "2021-05-05T12:30:00"},
        {"date": "5/5/2021"},
    ],
)
def test_bad_usage_is_a_response_error(changes: dict[str, Any]) -> None:
    with pytest.raises(ResponseError):
        Usage.from_dict(changed(USAGE, **changes))
