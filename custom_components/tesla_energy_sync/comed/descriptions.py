"""ComEd hourly pricing entities: the newest 5-minute price and the current-hour average."""

from __future__ import annotations

from homeassistant.components.sensor import SensorStateClass

from ..const import USD_PER_KWH
from ..description import TesSensorEntityDescription
from .coordinator import ComEdCoordinator, ComEdData, prices_of

type ComEdSensorDescription = TesSensorEntityDescription[ComEdData, ComEdCoordinator]


def _dollars(cents: float) -> float:
    return round(cents / 100, 5)


COMED_SENSORS: tuple[ComEdSensorDescription, ...] = (
    TesSensorEntityDescription(
        coordinator_fn=prices_of,
        key="five_minute_price",
        translation_key="five_minute_price",
        native_unit_of_measurement=USD_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: _dollars(data.five_minute.cents_per_kwh),
        attr_fn=lambda data: {"interval_end": data.five_minute.time.isoformat()},
    ),
    TesSensorEntityDescription(
        coordinator_fn=prices_of,
        key="current_hour_average_price",
        translation_key="current_hour_average_price",
        native_unit_of_measurement=USD_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: _dollars(data.hour_average.cents_per_kwh),
    ),
)
