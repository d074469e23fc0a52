"""ComEd hourly pricing entities: the newest 5-minute price and the current-hour average."""

from __future__ import annotations

from homeassistant.components.sensor import SensorStateClass
from homeassistant.util import dt as dt_util

from ..const import USD_PER_KWH
from ..description import TesSensorEntityDescription
from ..tariff import shown
from .coordinator import ComEdCoordinator, ComEdData, prices_of

type ComEdSensorDescription = TesSensorEntityDescription[ComEdData, ComEdCoordinator]


def _five_minute(data: ComEdData) -> float | None:
    """Return the newest 5-minute price while it stands for now (None once it is stale)."""
    interval = data.series.current(dt_util.utcnow())
    return None if interval is None else shown(interval.import_price)


def _five_minute_attrs(data: ComEdData) -> dict[str, str]:
    interval = data.series.current(dt_util.utcnow())
    return {} if interval is None else {"interval_end": interval.end.isoformat()}


def _hour_average(data: ComEdData) -> float | None:
    interval = data.hour_average_at(dt_util.utcnow())
    return None if interval is None else shown(interval.import_price)


COMED_SENSORS: tuple[ComEdSensorDescription, ...] = (
    TesSensorEntityDescription(
        coordinator_fn=prices_of,
        key="five_minute_price",
        translation_key="five_minute_price",
        native_unit_of_measurement=USD_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=_five_minute,
        attr_fn=_five_minute_attrs,
    ),
    TesSensorEntityDescription(
        coordinator_fn=prices_of,
        key="current_hour_average_price",
        translation_key="current_hour_average_price",
        native_unit_of_measurement=USD_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=_hour_average,
    ),
)
