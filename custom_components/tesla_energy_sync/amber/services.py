"""`get_forecasts`: an Amber site's price forecasts per channel, as Home Assistant core offers."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import probatio

from ..clients.amber_models import ChannelType, ForecastInterval
from ..const import DOMAIN, EntryKind
from ..services import ENTRY_FIELD, target_entry
from ..tariff import amber_band, amber_interval_price, amber_price, amber_start, shown
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


def amber_prices(call: ServiceCall) -> tuple[str, AmberData]:
    """Return the title and the current data of the Amber entry a call names."""
    entry = target_entry(call, EntryKind.AMBER, "no_amber_entry", "several_amber_entries")
    runtime = entry.runtime_data
    assert isinstance(runtime, AmberRuntime)  # noqa: S101 - target_entry checked the kind
    coordinator = runtime.prices
    if not coordinator.last_update_success or coordinator.data is None:
        # Last answered prices would be presented as today's: refuse instead.
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="prices_unavailable",
            translation_placeholders={"title": entry.title},
        )
    return entry.title, coordinator.data


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
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="channel_not_found",
            translation_placeholders={"channel_type": name},
        )
    now = dt_util.utcnow()
    return {
        "forecasts": [
            forecast_item(interval, data.adder)
            for interval in prices.forecasts
            if interval.nem_time > now
        ]
    }


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the Amber services (once, for every Amber entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_FORECASTS,
        _async_get_forecasts,
        schema=GET_FORECASTS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
