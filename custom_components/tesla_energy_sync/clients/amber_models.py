"""Typed models of the Amber Electric public API (v1), parsed strictly from its JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
import datetime as dt
from enum import Enum, StrEnum
from typing import Any, Self

from ._json import Fields, finite_text
from .errors import ResponseError


class ChannelType(StrEnum):
    """Meter channel an interval belongs to."""

    GENERAL = "general"
    CONTROLLED_LOAD = "controlledLoad"
    FEED_IN = "feedIn"


class IntervalType(StrEnum):
    """Whether a price is settled, live or forecast."""

    ACTUAL = "ActualInterval"
    CURRENT = "CurrentInterval"
    FORECAST = "ForecastInterval"


class SpikeStatus(StrEnum):
    """Amber's price spike flag."""

    NONE = "none"
    POTENTIAL = "potential"
    SPIKE = "spike"


class PriceDescriptor(StrEnum):
    """Amber's plain-words rating of a price."""

    NEGATIVE = "negative"
    EXTREMELY_LOW = "extremelyLow"
    VERY_LOW = "veryLow"
    LOW = "low"
    NEUTRAL = "neutral"
    HIGH = "high"
    SPIKE = "spike"


class SiteStatus(StrEnum):
    """Lifecycle state of a site."""

    PENDING = "pending"
    ACTIVE = "active"
    CLOSED = "closed"


class TariffPeriod(StrEnum):
    """Network tariff period of an interval."""

    OFF_PEAK = "offPeak"
    SHOULDER = "shoulder"
    SOLAR_SPONGE = "solarSponge"
    PEAK = "peak"


def _json_safe(value: Any) -> Any:
    """Turn a model value into something json.dumps accepts."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):  # datetime is a date too
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: _json_safe(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, tuple | list):
        return [_json_safe(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class Channel:
    """One meter channel of a site."""

    identifier: str
    type: ChannelType
    tariff: str

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a channel object."""
        obj = Fields(data, "channel")
        return cls(
            identifier=obj.text("identifier"),
            type=obj.enum("type", ChannelType),
            tariff=obj.text("tariff"),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for diagnostics."""
        return dict(_json_safe(self))


@dataclass(frozen=True, slots=True)
class Site:
    """An Amber site (one NMI) and its channels."""

    id: str
    nmi: str
    channels: tuple[Channel, ...]
    network: str
    status: SiteStatus
    active_from: dt.date | None
    closed_on: dt.date | None
    interval_length: int

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a site object."""
        obj = Fields(data, "site")
        return cls(
            id=obj.text("id"),
            nmi=obj.text("nmi"),
            channels=tuple(Channel.from_dict(item) for item in obj.array("channels")),
            network=obj.text("network"),
            status=obj.enum("status", SiteStatus),
            active_from=obj.opt_date("activeFrom"),
            closed_on=obj.opt_date("closedOn"),
            interval_length=obj.integer("intervalLength"),
        )

    def has_channel(self, channel_type: ChannelType) -> bool:
        """Return whether the site has a channel of this type."""
        return any(channel.type is channel_type for channel in self.channels)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for diagnostics."""
        return dict(_json_safe(self))


@dataclass(frozen=True, slots=True)
class TariffInformation:
    """Network tariff details of an interval; Amber fills only what applies to the site."""

    period: TariffPeriod | None
    season: str | None
    block: int | None
    demand_window: bool | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a tariffInformation object."""
        obj = Fields(data, "tariffInformation")
        return cls(
            period=obj.opt_enum("period", TariffPeriod),
            season=obj.opt_text("season"),
            block=obj.opt_integer("block"),
            demand_window=obj.opt_flag("demandWindow"),
        )


@dataclass(frozen=True, slots=True)
class PriceRange:
    """Spread of the spot price in volatile intervals (c/kWh)."""

    min: float
    max: float

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a range object."""
        obj = Fields(data, "range")
        return cls(min=obj.number("min"), max=obj.number("max"))


@dataclass(frozen=True, slots=True)
class AdvancedPrice:
    """Amber's forecast band for the all-in price (c/kWh)."""

    low: float
    predicted: float
    high: float

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse an advancedPrice object."""
        obj = Fields(data, "advancedPrice")
        return cls(
            low=obj.number("low"), predicted=obj.number("predicted"), high=obj.number("high")
        )


def _base_fields(obj: Fields, expected: IntervalType) -> dict[str, Any]:
    """Parse the fields every interval type shares."""
    interval_type = obj.enum("type", IntervalType)
    if interval_type is not expected:
        raise ResponseError(f"expected a {expected.value}, got {interval_type.value}")
    tariff = obj.opt_object("tariffInformation")
    return {
        "type": interval_type,
        "duration": obj.integer("duration"),
        "spot_per_kwh": obj.number("spotPerKwh"),
        "per_kwh": obj.number("perKwh"),
        "date": obj.date("date"),
        "nem_time": obj.timestamp("nemTime"),
        "start_time": obj.timestamp("startTime", utc=True),
        "end_time": obj.timestamp("endTime", utc=True),
        "renewables": obj.number("renewables"),
        "channel_type": obj.enum("channelType", ChannelType),
        "tariff_information": None if tariff is None else TariffInformation.from_dict(tariff),
        "spike_status": obj.enum("spikeStatus", SpikeStatus),
        "descriptor": obj.opt_enum("descriptor", PriceDescriptor),
    }


def _range(obj: Fields) -> PriceRange | None:
    """Parse the optional range."""
    value = obj.opt_object("range")
    return None if value is None else PriceRange.from_dict(value)


def _advanced(obj: Fields) -> AdvancedPrice | None:
    """Parse the optional advancedPrice."""
    value = obj.opt_object("advancedPrice")
    return None if value is None else AdvancedPrice.from_dict(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseInterval:
    """Fields every Amber price interval carries; prices in c/kWh incl. GST."""

    type: IntervalType
    duration: int
    spot_per_kwh: float
    per_kwh: float
    date: dt.date
    nem_time: dt.datetime
    start_time: dt.datetime
    end_time: dt.datetime
    renewables: float
    channel_type: ChannelType
    tariff_information: TariffInformation | None
    spike_status: SpikeStatus
    descriptor: PriceDescriptor | None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for diagnostics."""
        return dict(_json_safe(self))


@dataclass(frozen=True, slots=True, kw_only=True)
class ActualInterval(BaseInterval):
    """A settled past interval."""

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse an ActualInterval object."""
        return cls(**_base_fields(Fields(data, "interval"), IntervalType.ACTUAL))


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrentInterval(BaseInterval):
    """The interval in progress; `estimate` stays true until the price is locked in."""

    range: PriceRange | None
    estimate: bool
    advanced_price: AdvancedPrice | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a CurrentInterval object."""
        obj = Fields(data, "interval")
        return cls(
            **_base_fields(obj, IntervalType.CURRENT),
            range=_range(obj),
            estimate=obj.flag("estimate"),
            advanced_price=_advanced(obj),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastInterval(BaseInterval):
    """A future interval."""

    range: PriceRange | None
    advanced_price: AdvancedPrice | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a ForecastInterval object."""
        obj = Fields(data, "interval")
        return cls(
            **_base_fields(obj, IntervalType.FORECAST),
            range=_range(obj),
            advanced_price=_advanced(obj),
        )


Interval = ActualInterval | CurrentInterval | ForecastInterval

_INTERVAL_CLASSES: dict[IntervalType, type[Interval]] = {
    IntervalType.ACTUAL: ActualInterval,
    IntervalType.CURRENT: CurrentInterval,
    IntervalType.FORECAST: ForecastInterval,
}


def parse_interval(data: Any) -> Interval:
    """Parse any interval object by its `type`."""
    obj = Fields(data, "interval")
    return _INTERVAL_CLASSES[obj.enum("type", IntervalType)].from_dict(obj.data)


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    """Return a numeric header, or None when absent or unreadable."""
    raw = headers.get(name)
    return None if raw is None else finite_text(raw)


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The IETF draft RateLimit-* headers of the last Amber response."""

    limit: int | None
    remaining: int | None
    reset: float | None
    policy: str | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Self:
        """Read the headers; unreadable values become None."""
        # A plain dict is case-sensitive, unlike aiohttp's headers; normalise once.
        lowered = {key.lower(): value for key, value in headers.items()}
        limit = _header_number(lowered, "ratelimit-limit")
        remaining = _header_number(lowered, "ratelimit-remaining")
        return cls(
            limit=None if limit is None else int(limit),
            remaining=None if remaining is None else int(remaining),
            reset=_header_number(lowered, "ratelimit-reset"),
            policy=lowered.get("ratelimit-policy"),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for diagnostics."""
        return dict(_json_safe(self))
