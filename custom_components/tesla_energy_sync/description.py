"""Entity descriptions: what each source exposes, as data rather than entity subclasses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.number import NumberEntityDescription
from homeassistant.components.select import SelectEntityDescription
from homeassistant.components.sensor import SensorEntityDescription
from homeassistant.components.switch import SwitchEntityDescription
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.typing import StateType


def _always(_: Any) -> bool:
    return True


@dataclass(frozen=True, kw_only=True)
class TesEntityDescription[DataT, CoordinatorT = Any](EntityDescription):
    """What every description adds: extra attributes, and whether the source has the value."""

    # Which of the entry's coordinators feeds the entity (None: this entry lacks that half).
    coordinator_fn: Callable[[Any], CoordinatorT | None]
    attr_fn: Callable[[DataT], dict[str, Any]] | None = None
    exists_fn: Callable[[CoordinatorT], bool] = _always


@dataclass(frozen=True, kw_only=True)
class TesSensorEntityDescription[DataT, CoordinatorT = Any](
    SensorEntityDescription, TesEntityDescription[DataT, CoordinatorT]
):
    """A sensor read from a coordinator's data by `value_fn`."""

    value_fn: Callable[[DataT], StateType | datetime]
    # A unit known only once the entry is set up (for example the linked tariff's currency).
    unit_fn: Callable[[CoordinatorT], str | None] | None = None


@dataclass(frozen=True, kw_only=True)
class TesBinarySensorEntityDescription[DataT, CoordinatorT = Any](
    BinarySensorEntityDescription, TesEntityDescription[DataT, CoordinatorT]
):
    """A binary sensor read from a coordinator's data by `is_on_fn`."""

    is_on_fn: Callable[[DataT], bool | None]


@dataclass(frozen=True, kw_only=True)
class TesSwitchEntityDescription(SwitchEntityDescription, TesEntityDescription[Any, Any]):
    """A switch whose state and action live on its coordinator."""

    is_on_fn: Callable[[Any], bool]
    set_fn: Callable[[Any, bool], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class TesNumberEntityDescription[DataT, CoordinatorT = Any](
    NumberEntityDescription, TesEntityDescription[DataT, CoordinatorT]
):
    """A number read from a coordinator's data and written through the coordinator."""

    value_fn: Callable[[DataT], float | None]
    set_fn: Callable[[CoordinatorT, float], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class TesSelectEntityDescription[DataT, CoordinatorT = Any](
    SelectEntityDescription, TesEntityDescription[DataT, CoordinatorT]
):
    """A select read from a coordinator's data and written through the coordinator."""

    current_fn: Callable[[DataT], str | None]
    select_fn: Callable[[CoordinatorT, str], Awaitable[None]]
