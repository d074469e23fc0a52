"""Amber Electric entities: prices per channel, forecasts, descriptor, renewables, spikes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import PERCENTAGE
from homeassistant.util import dt as dt_util

from ..clients.amber_models import (
    ChannelType,
    CurrentInterval,
    ForecastInterval,
    PriceDescriptor,
    SpikeStatus,
)
from ..const import AUD_PER_KWH
from ..description import TesBinarySensorEntityDescription, TesSensorEntityDescription
from ..tariff import PriceInterval, amber_interval_price, amber_price, shown
from .coordinator import AmberChannelPrices, AmberCoordinator, AmberData, prices_of

type AmberSensorDescription = TesSensorEntityDescription[AmberData, AmberCoordinator]
type AmberBinarySensorDescription = TesBinarySensorEntityDescription[AmberData, AmberCoordinator]

DESCRIPTOR_STATES: dict[PriceDescriptor, str] = {
    PriceDescriptor.NEGATIVE: "negative",
    PriceDescriptor.EXTREMELY_LOW: "extremely_low",
    PriceDescriptor.VERY_LOW: "very_low",
    PriceDescriptor.LOW: "low",
    PriceDescriptor.NEUTRAL: "neutral",
    PriceDescriptor.HIGH: "high",
    PriceDescriptor.SPIKE: "spike",
}


def _now() -> datetime:
    return dt_util.utcnow()


def _optional_price(cents: float | None, channel: ChannelType) -> float | None:
    return None if cents is None else shown(amber_price(cents, channel))


def _interval_attrs(interval: CurrentInterval | ForecastInterval) -> dict[str, Any]:
    channel = interval.channel_type
    advanced = interval.advanced_price
    tariff = interval.tariff_information
    return {
        "start_time": interval.start_time.isoformat(),
        "end_time": interval.end_time.isoformat(),
        "spot_price": shown(amber_price(interval.spot_per_kwh, channel)),
        "descriptor": DESCRIPTOR_STATES.get(interval.descriptor) if interval.descriptor else None,
        "spike_status": str(interval.spike_status),
        "renewables": interval.renewables,
        "tariff_period": str(tariff.period) if tariff and tariff.period else None,
        "demand_window": tariff.demand_window if tariff else None,
        "advanced_price_low": _optional_price(advanced.low if advanced else None, channel),
        "advanced_price_predicted": _optional_price(
            advanced.predicted if advanced else None, channel
        ),
        "advanced_price_high": _optional_price(advanced.high if advanced else None, channel),
    }


def _in_force(data: AmberData, channel: ChannelType) -> CurrentInterval | ForecastInterval | None:
    """Return Amber's interval of a channel that is in force now (None once it has ended)."""
    prices = data.channels.get(channel)
    return None if prices is None else prices.in_force(_now())


def _current(data: AmberData, channel: ChannelType) -> PriceInterval | None:
    """Return the normalised interval of a channel in force now."""
    if channel not in data.channels:
        return None
    if channel is ChannelType.CONTROLLED_LOAD:
        series = data.controlled_load
        return None if series is None else series.current(_now())
    return data.series.current(_now())


def _current_price(data: AmberData, channel: ChannelType) -> float | None:
    interval = _current(data, channel)
    if interval is None:
        return None
    return shown(interval.export_price if channel is ChannelType.FEED_IN else interval.import_price)


def _current_attrs(data: AmberData, channel: ChannelType) -> dict[str, Any]:
    interval, raw = _current(data, channel), _in_force(data, channel)
    if interval is None or raw is None:
        return {}
    return {"estimate": interval.estimate, **_interval_attrs(raw)}


def _upcoming(prices: AmberChannelPrices | None) -> list[ForecastInterval]:
    """Return the forecasts that have not ended yet (an old answer's first ones may have)."""
    if prices is None:
        return []
    now = _now()
    return [forecast for forecast in prices.forecasts if forecast.nem_time > now]


def _forecast_attrs(prices: AmberChannelPrices | None) -> dict[str, Any]:
    if prices is None:
        return {}
    return {
        "forecasts": [
            {"price": shown(amber_interval_price(f)), **_interval_attrs(f)}
            for f in _upcoming(prices)
        ]
    }


def _next_forecast(prices: AmberChannelPrices | None) -> float | None:
    upcoming = _upcoming(prices)
    return shown(amber_interval_price(upcoming[0])) if upcoming else None


def _general_now(data: AmberData) -> CurrentInterval | ForecastInterval | None:
    return _in_force(data, ChannelType.GENERAL)


def _has(channel: ChannelType) -> Any:
    return lambda coordinator: coordinator.site.has_channel(channel)


def _price_sensors(channel: ChannelType, key: str) -> tuple[AmberSensorDescription, ...]:
    return (
        TesSensorEntityDescription(
            coordinator_fn=prices_of,
            key=f"{key}_price",
            translation_key=f"{key}_price",
            native_unit_of_measurement=AUD_PER_KWH,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=4,
            value_fn=lambda data: _current_price(data, channel),
            attr_fn=lambda data: _current_attrs(data, channel),
            exists_fn=_has(channel),
        ),
        TesSensorEntityDescription(
            coordinator_fn=prices_of,
            key=f"{key}_forecast",
            translation_key=f"{key}_forecast",
            native_unit_of_measurement=AUD_PER_KWH,
            suggested_display_precision=4,
            value_fn=lambda data: _next_forecast(data.channels.get(channel)),
            attr_fn=lambda data: _forecast_attrs(data.channels.get(channel)),
            exists_fn=_has(channel),
        ),
    )


AMBER_SENSORS: tuple[AmberSensorDescription, ...] = (
    *_price_sensors(ChannelType.GENERAL, "general"),
    *_price_sensors(ChannelType.FEED_IN, "feed_in"),
    *_price_sensors(ChannelType.CONTROLLED_LOAD, "controlled_load"),
    TesSensorEntityDescription(
        coordinator_fn=prices_of,
        key="price_descriptor",
        translation_key="price_descriptor",
        device_class=SensorDeviceClass.ENUM,
        options=list(DESCRIPTOR_STATES.values()),
        value_fn=lambda data: (
            DESCRIPTOR_STATES.get(interval.descriptor)
            if (interval := _general_now(data)) and interval.descriptor
            else None
        ),
    ),
    TesSensorEntityDescription(
        coordinator_fn=prices_of,
        key="renewables",
        translation_key="renewables",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda data: interval.renewables if (interval := _general_now(data)) else None,
    ),
)

AMBER_BINARY_SENSORS: tuple[AmberBinarySensorDescription, ...] = (
    TesBinarySensorEntityDescription(
        coordinator_fn=prices_of,
        key="price_spike",
        translation_key="price_spike",
        is_on_fn=lambda data: (
            interval.spike_status is SpikeStatus.SPIKE if (interval := _general_now(data)) else None
        ),
        attr_fn=lambda data: (
            {"spike_status": str(interval.spike_status)} if (interval := _general_now(data)) else {}
        ),
    ),
    TesBinarySensorEntityDescription(
        coordinator_fn=prices_of,
        key="demand_window",
        translation_key="demand_window",
        is_on_fn=lambda data: (
            info.demand_window
            if (interval := _general_now(data)) and (info := interval.tariff_information)
            else None
        ),
    ),
)
