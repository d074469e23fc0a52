"""Price services: Amber forecasts per channel, and the cheapest window of a tariff's forecast.

`get_forecasts` is Home Assistant core's amberelectric service. `find_cheapest_window` reads any
tariff entry's normalised series (tariff.py), so it answers for ComEd too: that it has no
forward prices.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util
import probatio

from ..clients.amber_models import ChannelType, ForecastInterval
from ..const import CONF_KIND, CURRENCY_BY_KIND, DOMAIN, EntryKind
from ..runtime import TesConfigEntry
from ..services import ENTRY_FIELD, target_entry
from ..tariff import (
    PriceInterval,
    PriceKind,
    PriceSeries,
    amber_band,
    amber_interval_price,
    amber_price,
    amber_start,
    cheapest_window,
    price_timeline,
    shown,
)
from .coordinator import AmberData, AmberRuntime
from .descriptions import DESCRIPTOR_STATES

SERVICE_GET_FORECASTS: Final = "get_forecasts"
ATTR_CHANNEL_TYPE: Final = "channel_type"
# The channel names of Home Assistant core's amberelectric, so its automations carry over.
CHANNELS: Final = {
    "general": ChannelType.GENERAL,
    "controlled_load": ChannelType.CONTROLLED_LOAD,
    "feed_in": ChannelType.FEED_IN,
}

GET_FORECASTS_SCHEMA = probatio.Schema(
    {**ENTRY_FIELD, probatio.Required(ATTR_CHANNEL_TYPE): probatio.In(list(CHANNELS))}
)

SERVICE_FIND_CHEAPEST_WINDOW: Final = "find_cheapest_window"
ATTR_DURATION: Final = "duration"
ATTR_LATEST_FINISH: Final = "latest_finish"
ATTR_CHANNEL: Final = "channel"
GENERAL: Final = "general"
FIND_CHEAPEST_WINDOW_SCHEMA = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Required(ATTR_DURATION): probatio.All(
            cv.positive_time_period, probatio.Range(min=timedelta(minutes=1))
        ),
        probatio.Optional(ATTR_LATEST_FINISH): cv.datetime,
        probatio.Optional(ATTR_CHANNEL, default=GENERAL): probatio.In(list(CHANNELS)),
    }
)


def amber_prices(call: ServiceCall) -> tuple[str, AmberData]:
    """Return the title and the current data of the Amber entry a call names."""
    entry = target_entry(call, EntryKind.AMBER, "no_amber_entry", "several_amber_entries")
    runtime = entry.runtime_data
    assert isinstance(runtime, AmberRuntime)  # noqa: S101 - target_entry checked the kind
    return _amber_data(entry.title, runtime)


def _amber_data(title: str, runtime: AmberRuntime) -> tuple[str, AmberData]:
    """Return an Amber entry's data while its prices are current."""
    coordinator = runtime.prices
    if not coordinator.last_update_success or coordinator.data is None:
        # Last answered prices would be presented as today's: refuse instead.
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="prices_unavailable",
            translation_placeholders={"title": title},
        )
    return title, coordinator.data


def forecast_item(interval: ForecastInterval, adder: float) -> dict[str, Any]:
    """Return one forecast in $/kWh, feed-in positive when paid, import prices with the adder."""
    channel = interval.channel_type
    band = amber_band(interval, adder)
    item: dict[str, Any] = {
        # The true start (nemTime - duration), not Amber's startTime a second later.
        "start_time": amber_start(interval).isoformat(),
        "end_time": interval.nem_time.astimezone(dt_util.UTC).isoformat(),
        "duration": interval.duration,
        "date": interval.date.isoformat(),
        "nem_date": interval.nem_time.isoformat(),
        # The price this integration plans with: Amber's predicted all-in price where it
        # gives one (docs/amber.md#prices).
        "per_kwh": shown(amber_interval_price(interval, adder)),
        "spot_per_kwh": shown(amber_price(interval.spot_per_kwh, channel)),
        "renewables": round(interval.renewables),
        "spike_status": str(interval.spike_status),
        "descriptor": DESCRIPTOR_STATES.get(interval.descriptor) if interval.descriptor else None,
    }
    if interval.range is not None:
        item["range_min"] = shown(amber_price(interval.range.min, channel))
        item["range_max"] = shown(amber_price(interval.range.max, channel))
    if band is not None:
        item["advanced_price_low"] = shown(band.low)
        item["advanced_price_predicted"] = shown(band.predicted)
        item["advanced_price_high"] = shown(band.high)
    return item


async def _async_get_forecasts(call: ServiceCall) -> ServiceResponse:
    name = call.data[ATTR_CHANNEL_TYPE]
    _, data = amber_prices(call)
    prices = data.channels.get(CHANNELS[name])
    if prices is None:
        raise _no_channel(name)
    now = dt_util.utcnow()
    return {
        "forecasts": [
            forecast_item(interval, data.adder)
            for interval in prices.forecasts
            if interval.nem_time > now
        ]
    }


def tariff_entry(call: ServiceCall) -> TesConfigEntry:
    """Return the loaded tariff entry (Amber or ComEd) a call names, or the only one."""
    if (entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID)) is not None:
        entry: TesConfigEntry = service.async_get_config_entry(call.hass, DOMAIN, entry_id)
        if entry.data.get(CONF_KIND) not in CURRENCY_BY_KIND:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_tariff_entry"
            )
        return entry
    entries: list[TesConfigEntry] = [
        entry
        for entry in call.hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) in CURRENCY_BY_KIND
    ]
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_tariff_entry")
    if len(entries) > 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="several_tariff_entries"
        )
    if entries[0].state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entries[0].title},
        )
    return entries[0]


def channel_series(entry: TesConfigEntry, channel: str) -> PriceSeries:
    """Return the series that holds a channel's prices, as the entry last answered them."""
    runtime = entry.runtime_data
    if isinstance(runtime, AmberRuntime):
        _, data = _amber_data(entry.title, runtime)
        if CHANNELS[channel] not in data.channels:
            raise _no_channel(channel)
        controlled = (
            data.controlled_load if CHANNELS[channel] is ChannelType.CONTROLLED_LOAD else None
        )
        return controlled or data.series
    source = runtime.tariff()
    series = None if source is None else source.series
    if series is None:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="prices_unavailable",
            translation_placeholders={"title": entry.title},
        )
    if channel != GENERAL:
        raise _no_channel(channel)
    return series


def channel_cost(channel: str) -> Callable[[PriceInterval], float | None]:
    """Return what a kWh on the channel costs you: the import price, or minus the export price."""
    if CHANNELS[channel] is ChannelType.FEED_IN:
        # Exporting when it pays most is the cheapest for you.
        return lambda interval: None if interval.export_price is None else -interval.export_price
    return lambda interval: interval.import_price


async def _async_find_cheapest_window(call: ServiceCall) -> ServiceResponse:
    entry = tariff_entry(call)
    channel: str = call.data[ATTR_CHANNEL]
    duration: timedelta = call.data[ATTR_DURATION]
    series = channel_series(entry, channel)
    if not any(interval.kind is PriceKind.FORECAST for interval in series.intervals):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_forward_prices",
            translation_placeholders={"title": entry.title},
        )
    latest = call.data.get(ATTR_LATEST_FINISH)
    latest_finish = None if latest is None else _aware(latest)
    now = dt_util.utcnow()
    segments = price_timeline(series.intervals, channel_cost(channel), now)
    window = cheapest_window(segments, duration, latest_finish=latest_finish)
    if window is None:
        known = segments[-1].end if segments else now
        bound = known if latest_finish is None else min(latest_finish, known)
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_window",
            translation_placeholders={
                "duration": str(duration),
                "latest_finish": dt_util.as_local(bound).isoformat(timespec="minutes"),
            },
        )
    sign = -1 if CHANNELS[channel] is ChannelType.FEED_IN else 1
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "average_price": shown(sign * window.average),
        "currency": series.currency,
        "channel": channel,
    }


def _aware(moment: datetime) -> datetime:
    """Return a datetime from a call in UTC; one without an offset is Home Assistant's local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(moment)


def _no_channel(channel: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="channel_not_found",
        translation_placeholders={"channel_type": channel},
    )


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the price services (once, for every tariff entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_FORECASTS,
        _async_get_forecasts,
        schema=GET_FORECASTS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_FIND_CHEAPEST_WINDOW,
        _async_find_cheapest_window,
        schema=FIND_CHEAPEST_WINDOW_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
