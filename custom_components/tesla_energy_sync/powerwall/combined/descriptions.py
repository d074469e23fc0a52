"""Sensors of the combined Powerwall device: the gateways' sensors, added up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy

from ..descriptions import DIRECTIONS, METERS, energy_sensor, power_sensor
from .coordinator import CombinedCoordinator


@dataclass(frozen=True, kw_only=True)
class CombinedSensorEntityDescription(SensorEntityDescription):
    """A sensor of the combined device; `energy` names the counter it accumulates, if any."""

    value_fn: Callable[[CombinedCoordinator], float | None]
    energy: str | None = None


def _combined_power(name: str) -> CombinedSensorEntityDescription:
    base = power_sensor(name)
    return CombinedSensorEntityDescription(
        key=base.key,
        translation_key=base.translation_key,
        device_class=base.device_class,
        native_unit_of_measurement=base.native_unit_of_measurement,
        state_class=base.state_class,
        suggested_display_precision=0,
        value_fn=lambda combined: combined.power_w(name),
    )


def _combined_energy(name: str, direction: str) -> CombinedSensorEntityDescription:
    base = energy_sensor(name, direction)
    counter = f"{name}_{direction}"
    return CombinedSensorEntityDescription(
        key=base.key,
        translation_key=base.translation_key,
        device_class=base.device_class,
        native_unit_of_measurement=base.native_unit_of_measurement,
        suggested_unit_of_measurement=base.suggested_unit_of_measurement,
        state_class=base.state_class,
        suggested_display_precision=2,
        entity_registry_enabled_default=base.entity_registry_enabled_default,
        energy=counter,
        value_fn=lambda combined: combined.energy_wh.get(counter, 0.0),
    )


POWERWALL_COMBINED_SENSORS: tuple[CombinedSensorEntityDescription, ...] = (
    *(_combined_power(name) for name in METERS),
    CombinedSensorEntityDescription(
        key="battery_level",
        translation_key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda combined: combined.battery_level_pct(),
    ),
    CombinedSensorEntityDescription(
        key="battery_capacity",
        translation_key="battery_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda combined: combined.capacity_wh(),
    ),
    *(_combined_energy(name, direction) for name in METERS for direction in DIRECTIONS),
)
