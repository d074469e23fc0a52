"""Amber Electric entities: prices per channel, forecasts, descriptor, renewables, spikes."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import PERCENTAGE

from ..clients.amber_models import (
    ChannelType,
    CurrentInterval,
    ForecastInterval,
    PriceDescriptor,
    SpikeStatus,
)
from ..const import AUD_PER_KWH
from ..description import TesBinarySensorEntityDescription, TesSensorEntityDescription
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

# Amber reports feed-in as a cost (negative when the customer is paid); we show it the way the
# Energy Dashboard expects export compensation: positive when the customer is paid.
_SIGN = {ChannelType.GENERAL: 1, ChannelType.CONTROLLED_LOAD: 1, ChannelType.FEED_IN: -1}


def _dollars(cents: float, channel: ChannelType) -> float:
    return round(_SIGN[channel] * cents / 100, 5)


def _optional_dollars(cents: float | None, channel: ChannelType) -> float | None:
    return None if cents is None else _dollars(cents, channel)


def _forecast_price(interval: ForecastInterval) -> float:
    """Amber's own predicted price when it gives one; `perKwh` otherwise."""
    if interval.advanced_price is not None:
        return _dollars(interval.advanced_price.predicted, interval.channel_type)
    return _dollars(interval.per_kwh, interval.channel_type)


def _interval_attrs(interval: CurrentInterval | ForecastInterval) -> dict[str, Any]:
    channel = interval.channel_type
    advanced = interval.advanced_price
    tariff = interval.tariff_information
    return {
        "start_time": interval.start_time.isoformat(),
        "end_time": interval.end_time.isoformat(),
        "spot_price": _dollars(interval.spot_per_kwh, channel),
        "descriptor": DESCRIPTOR_STATES.get(interval.descriptor) if interval.descriptor else None,
        "spike_status": str(interval.spike_status),
        "renewables": interval.renewables,
        "tariff_period": str(tariff.period) if tariff and tariff.period else None,
        "demand_window": tariff.demand_window if tariff else None,
        "advanced_price_low": _optional_dollars(advanced.low if advanced else None, channel),
        "advanced_price_predicted": _optional_dollars(
            advanced.predicted if advanced else None, channel
        ),
        "advanced_price_high": _optional_dollars(advanced.high if advanced else None, channel),
    }


def _current_attrs(prices: AmberChannelPrices | None) -> dict[str, Any]:
    if prices is None:
        return {}
    return {"estimate": prices.current.estimate, **_interval_attrs(prices.current)}


def _forecast_attrs(prices: AmberChannelPrices | None) -> dict[str, Any]:
    if prices is None:
        return {}
    return {
        "forecasts": [{"price": _forecast_price(f), **_interval_attrs(f)} for f in prices.forecasts]
    }


def _current_price(prices: AmberChannelPrices | None) -> float | None:
    if prices is None:
        return None
    return _dollars(prices.current.per_kwh, prices.current.channel_type)


def _next_forecast(prices: AmberChannelPrices | None) -> float | None:
    if prices is None or not prices.forecasts:
        return None
    return _forecast_price(prices.forecasts[0])


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
            value_fn=lambda data: _current_price(data.channels.get(channel)),
            attr_fn=lambda data: _current_attrs(data.channels.get(channel)),
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
            DESCRIPTOR_STATES.get(data.general.current.descriptor)
            if data.general.current.descriptor
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
        value_fn=lambda data: data.general.current.renewables,
    ),
)

AMBER_BINARY_SENSORS: tuple[AmberBinarySensorDescription, ...] = (
    TesBinarySensorEntityDescription(
        coordinator_fn=prices_of,
        key="price_spike",
        translation_key="price_spike",
        is_on_fn=lambda data: data.general.current.spike_status is SpikeStatus.SPIKE,
        attr_fn=lambda data: {"spike_status": str(data.general.current.spike_status)},
    ),
    TesBinarySensorEntityDescription(
        coordinator_fn=prices_of,
        key="demand_window",
        translation_key="demand_window",
        is_on_fn=lambda data: (
            info.demand_window if (info := data.general.current.tariff_information) else None
        ),
    ),
)
