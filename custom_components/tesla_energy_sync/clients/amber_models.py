"""Typed models of the Amber Electric public API (v1), parsed strictly from its JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
import datetime as dt
from enum import Enum, StrEnum
import math
from typing import Any, Self

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


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    """Return data when it is a JSON object."""
    if not isinstance(data, Mapping):
        raise ResponseError(f"{what}: expected an object, got {type(data).__name__}")
    return data


def _field(data: Mapping[str, Any], key: str) -> Any:
    """Return a required field."""
    if key not in data or data[key] is None:
        raise ResponseError(f"missing field {key!r}")
    return data[key]


def _str(data: Mapping[str, Any], key: str) -> str:
    """Return a required string field."""
    value = _field(data, key)
    if not isinstance(value, str):
        raise ResponseError(f"field {key!r}: expected a string")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    """Return a required integer field."""
    value = _field(data, key)
    # bool is an int subclass; a true/false here means the shape is wrong.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ResponseError(f"field {key!r}: expected an integer")
    return value


def _float(data: Mapping[str, Any], key: str) -> float:
    """Return a required finite number field."""
    value = _field(data, key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ResponseError(f"field {key!r}: expected a number")
    return float(value)


def _bool(data: Mapping[str, Any], key: str) -> bool:
    """Return a required boolean field."""
    value = _field(data, key)
    if not isinstance(value, bool):
        raise ResponseError(f"field {key!r}: expected a boolean")
    return value


def _enum[E: StrEnum](data: Mapping[str, Any], key: str, enum: type[E]) -> E:
    """Return a required enum field; an unknown value is a shape error."""
    value = _str(data, key)
    try:
        return enum(value)
    except ValueError:
        raise ResponseError(f"field {key!r}: unknown value {value!r}") from None


def _lenient_enum[E: StrEnum](data: Mapping[str, Any], key: str, enum: type[E]) -> E | None:
    """Return an optional enum field; values Amber adds later become None instead of failing."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ResponseError(f"field {key!r}: expected a string")
    try:
        return enum(value)
    except ValueError:
        return None


def _date(data: Mapping[str, Any], key: str) -> dt.date:
    """Return a required ISO date field."""
    value = _str(data, key)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ResponseError(f"field {key!r}: bad date {value!r}") from None


def _optional_date(data: Mapping[str, Any], key: str) -> dt.date | None:
    """Return an optional ISO date field."""
    return None if data.get(key) is None else _date(data, key)


def _datetime(data: Mapping[str, Any], key: str, *, utc: bool) -> dt.datetime:
    """Return a required ISO timestamp that carries an offset, optionally converted to UTC."""
    value = _str(data, key)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ResponseError(f"field {key!r}: bad timestamp {value!r}") from None
    if moment.tzinfo is None:
        raise ResponseError(f"field {key!r}: timestamp without offset {value!r}")
    return moment.astimezone(dt.UTC) if utc else moment


def _optional_object(data: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """Return an optional nested object."""
    value = data.get(key)
    return None if value is None else _mapping(value, key)


@dataclass(frozen=True, slots=True)
class Channel:
    """One meter channel of a site."""

    identifier: str
    type: ChannelType
    tariff: str

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a channel object."""
        obj = _mapping(data, "channel")
        return cls(
            identifier=_str(obj, "identifier"),
            type=_enum(obj, "type", ChannelType),
            tariff=_str(obj, "tariff"),
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
        obj = _mapping(data, "site")
        channels = _field(obj, "channels")
        if not isinstance(channels, list):
            raise ResponseError("field 'channels': expected a list")
        return cls(
            id=_str(obj, "id"),
            nmi=_str(obj, "nmi"),
            channels=tuple(Channel.from_dict(item) for item in channels),
            network=_str(obj, "network"),
            status=_enum(obj, "status", SiteStatus),
            active_from=_optional_date(obj, "activeFrom"),
            closed_on=_optional_date(obj, "closedOn"),
            interval_length=_int(obj, "intervalLength"),
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
        obj = _mapping(data, "tariffInformation")
        season = obj.get("season")
        if season is not None and not isinstance(season, str):
            raise ResponseError("field 'season': expected a string")
        return cls(
            period=_lenient_enum(obj, "period", TariffPeriod),
            season=season,
            block=None if obj.get("block") is None else _int(obj, "block"),
            demand_window=None if obj.get("demandWindow") is None else _bool(obj, "demandWindow"),
        )


@dataclass(frozen=True, slots=True)
class PriceRange:
    """Spread of the spot price in volatile intervals (c/kWh)."""

    min: float
    max: float

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a range object."""
        obj = _mapping(data, "range")
        return cls(min=_float(obj, "min"), max=_float(obj, "max"))


@dataclass(frozen=True, slots=True)
class AdvancedPrice:
    """Amber's forecast band for the all-in price (c/kWh)."""

    low: float
    predicted: float
    high: float

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse an advancedPrice object."""
        obj = _mapping(data, "advancedPrice")
        return cls(
            low=_float(obj, "low"), predicted=_float(obj, "predicted"), high=_float(obj, "high")
        )


def _base_fields(obj: Mapping[str, Any], expected: IntervalType) -> dict[str, Any]:
    """Parse the fields every interval type shares."""
    interval_type = _enum(obj, "type", IntervalType)
    if interval_type is not expected:
        raise ResponseError(f"expected a {expected.value}, got {interval_type.value}")
    tariff = _optional_object(obj, "tariffInformation")
    return {
        "type": interval_type,
        "duration": _int(obj, "duration"),
        "spot_per_kwh": _float(obj, "spotPerKwh"),
        "per_kwh": _float(obj, "perKwh"),
        "date": _date(obj, "date"),
        "nem_time": _datetime(obj, "nemTime", utc=False),
        "start_time": _datetime(obj, "startTime", utc=True),
        "end_time": _datetime(obj, "endTime", utc=True),
        "renewables": _float(obj, "renewables"),
        "channel_type": _enum(obj, "channelType", ChannelType),
        "tariff_information": None if tariff is None else TariffInformation.from_dict(tariff),
        "spike_status": _enum(obj, "spikeStatus", SpikeStatus),
        "descriptor": _lenient_enum(obj, "descriptor", PriceDescriptor),
    }


def _range(obj: Mapping[str, Any]) -> PriceRange | None:
    """Parse the optional range."""
    value = _optional_object(obj, "range")
    return None if value is None else PriceRange.from_dict(value)


def _advanced(obj: Mapping[str, Any]) -> AdvancedPrice | None:
    """Parse the optional advancedPrice."""
    value = _optional_object(obj, "advancedPrice")
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
        obj = _mapping(data, "interval")
        return cls(**_base_fields(obj, IntervalType.ACTUAL))


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrentInterval(BaseInterval):
    """The interval in progress; `estimate` stays true until the price is locked in."""

    range: PriceRange | None
    estimate: bool
    advanced_price: AdvancedPrice | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a CurrentInterval object."""
        obj = _mapping(data, "interval")
        return cls(
            **_base_fields(obj, IntervalType.CURRENT),
            range=_range(obj),
            estimate=_bool(obj, "estimate"),
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
        obj = _mapping(data, "interval")
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
    obj = _mapping(data, "interval")
    return _INTERVAL_CLASSES[_enum(obj, "type", IntervalType)].from_dict(obj)


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    """Return a numeric header, or None when absent or unreadable."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


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
