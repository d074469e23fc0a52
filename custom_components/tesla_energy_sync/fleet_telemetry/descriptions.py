"""Vehicle entities from Fleet Telemetry fields (native units as the car sends them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.device_tracker.entity import TrackerEntityDescription
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfLength,
    UnitOfPower,
    UnitOfPressure,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.typing import StateType

from .hub import ONLINE, TelemetryHub, VehicleState


@dataclass(frozen=True, kw_only=True)
class TelemetryEntityDescription(EntityDescription):
    """Which telemetry fields an entity reads (any of them makes it exist)."""

    fields: tuple[str, ...]


def field_value(vehicle: VehicleState | None, name: str) -> Any:
    """Return a field's value (None when the car has not sent it or sent `invalid`)."""
    return None if vehicle is None else vehicle.fields.get(name)


@dataclass(frozen=True, kw_only=True)
class VehicleSensorDescription(SensorEntityDescription, TelemetryEntityDescription):
    """A vehicle sensor: by default the value of its first field."""

    value_fn: Callable[[VehicleState | None], StateType] | None = None


@dataclass(frozen=True, kw_only=True)
class VehicleBinarySensorDescription(BinarySensorEntityDescription, TelemetryEntityDescription):
    """A vehicle binary sensor computed from its fields."""

    is_on_fn: Callable[[VehicleState | None], bool | None]


GEARS = ["p", "r", "n", "d", "sna", "invalid", "unknown"]
CHARGE_STATES = [
    "unknown",
    "disconnected",
    "no_power",
    "starting",
    "charging",
    "complete",
    "stopped",
]


def _charging_power(vehicle: VehicleState | None) -> StateType:
    ac, dc = field_value(vehicle, "ACChargingPower"), field_value(vehicle, "DCChargingPower")
    if ac is None and dc is None:
        return None
    return round(float(ac or 0.0) + float(dc or 0.0), 3)


def _driving(vehicle: VehicleState | None) -> bool | None:
    gear = field_value(vehicle, "Gear")
    speed = field_value(vehicle, "VehicleSpeed")
    if gear is None and speed is None:
        return None
    return gear in {"d", "r"} or (isinstance(speed, (int, float)) and speed > 0)


# HvacPower states in which the cabin climate runs (docs/fleet-telemetry.md#fields): on, and
# the car running it by itself to precondition or to keep a parked cabin from overheating.
CLIMATE_RUNNING = frozenset({"on", "precondition", "overheat_protect"})


def _climate_on(vehicle: VehicleState | None) -> bool | None:
    state = field_value(vehicle, "HvacPower")
    return None if state is None or state == "unknown" else state in CLIMATE_RUNNING


def _flag(name: str) -> Callable[[VehicleState | None], bool | None]:
    def is_on(vehicle: VehicleState | None) -> bool | None:
        value = field_value(vehicle, name)
        return value if isinstance(value, bool) else None

    return is_on


def _tyre(key: str, field: str) -> VehicleSensorDescription:
    return VehicleSensorDescription(
        key=key,
        translation_key=key,
        fields=(field,),
        device_class=SensorDeviceClass.PRESSURE,
        native_unit_of_measurement=UnitOfPressure.BAR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
    )


def _charging(vehicle: VehicleState | None) -> bool | None:
    state = field_value(vehicle, "DetailedChargeState")
    return None if state is None else state in {"charging", "starting"}


VEHICLE_SENSORS: tuple[VehicleSensorDescription, ...] = (
    VehicleSensorDescription(
        key="speed",
        translation_key="speed",
        fields=("VehicleSpeed",),
        device_class=SensorDeviceClass.SPEED,
        native_unit_of_measurement=UnitOfSpeed.MILES_PER_HOUR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
    ),
    VehicleSensorDescription(
        key="shift_state",
        translation_key="shift_state",
        fields=("Gear",),
        device_class=SensorDeviceClass.ENUM,
        options=GEARS,
    ),
    VehicleSensorDescription(
        key="battery_level",
        translation_key="battery_level",
        fields=("BatteryLevel",),
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
    ),
    VehicleSensorDescription(
        key="range",
        translation_key="range",
        fields=("EstBatteryRange",),
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.MILES,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
    ),
    VehicleSensorDescription(
        key="charging_state",
        translation_key="charging_state",
        fields=("DetailedChargeState",),
        device_class=SensorDeviceClass.ENUM,
        options=CHARGE_STATES,
    ),
    VehicleSensorDescription(
        key="charging_power",
        translation_key="charging_power",
        fields=("ACChargingPower", "DCChargingPower"),
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_charging_power,
    ),
    VehicleSensorDescription(
        key="charge_limit",
        translation_key="charge_limit",
        fields=("ChargeLimitSoc",),
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
    ),
    VehicleSensorDescription(
        key="charge_energy_added",
        translation_key="charge_energy_added",
        fields=("ACChargingEnergyIn",),
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
    ),
    VehicleSensorDescription(
        key="odometer",
        translation_key="odometer",
        fields=("Odometer",),
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.MILES,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,
    ),
    VehicleSensorDescription(
        key="inside_temperature",
        translation_key="inside_temperature",
        fields=("InsideTemp",),
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
    ),
    VehicleSensorDescription(
        key="outside_temperature",
        translation_key="outside_temperature",
        fields=("OutsideTemp",),
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
    ),
    VehicleSensorDescription(
        key="charger_voltage",
        translation_key="charger_voltage",
        fields=("ChargerVoltage",),
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
    ),
    VehicleSensorDescription(
        # docs/fleet-telemetry.md#fields: no ChargerActualCurrent; ChargeAmps is the line current.
        key="charger_current",
        translation_key="charger_current",
        fields=("ChargeAmps",),
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
    ),
    VehicleSensorDescription(
        key="time_to_full_charge",
        translation_key="time_to_full_charge",
        fields=("TimeToFullCharge",),
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=2,
    ),
    _tyre("tyre_pressure_front_left", "TpmsPressureFl"),
    _tyre("tyre_pressure_front_right", "TpmsPressureFr"),
    _tyre("tyre_pressure_rear_left", "TpmsPressureRl"),
    _tyre("tyre_pressure_rear_right", "TpmsPressureRr"),
)

VEHICLE_BINARY_SENSORS: tuple[VehicleBinarySensorDescription, ...] = (
    VehicleBinarySensorDescription(
        key="driving",
        translation_key="driving",
        fields=("Gear", "VehicleSpeed"),
        device_class=BinarySensorDeviceClass.MOVING,
        is_on_fn=_driving,
    ),
    VehicleBinarySensorDescription(
        key="charging",
        translation_key="vehicle_charging",
        fields=("DetailedChargeState",),
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        is_on_fn=_charging,
    ),
    VehicleBinarySensorDescription(
        key="locked",
        translation_key="locked",
        fields=("Locked",),
        device_class=BinarySensorDeviceClass.LOCK,
        # The LOCK device class reads "on" as unlocked.
        is_on_fn=lambda vehicle: (
            None if field_value(vehicle, "Locked") is None else not field_value(vehicle, "Locked")
        ),
    ),
    VehicleBinarySensorDescription(
        key="online",
        translation_key="online",
        fields=(ONLINE,),
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        is_on_fn=lambda vehicle: field_value(vehicle, ONLINE),
    ),
    VehicleBinarySensorDescription(
        key="charge_port_door",
        translation_key="charge_port_door",
        fields=("ChargePortDoorOpen",),
        device_class=BinarySensorDeviceClass.DOOR,
        is_on_fn=_flag("ChargePortDoorOpen"),
    ),
    VehicleBinarySensorDescription(
        key="climate_on",
        translation_key="climate_on",
        fields=("HvacPower",),
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=_climate_on,
    ),
)


@dataclass(frozen=True, kw_only=True)
class VehicleTrackerDescription(TrackerEntityDescription, TelemetryEntityDescription):
    """The vehicle's position."""


TRACKER = VehicleTrackerDescription(
    key="location", translation_key="location", fields=("Location",)
)


@dataclass(frozen=True, kw_only=True)
class HealthSensorDescription(SensorEntityDescription):
    """A figure of the stream itself, on the entry's service device."""

    value_fn: Callable[[TelemetryHub], StateType | datetime]


@dataclass(frozen=True, kw_only=True)
class HealthBinarySensorDescription(BinarySensorEntityDescription):
    """A flag of the stream itself, on the entry's service device."""

    is_on_fn: Callable[[TelemetryHub], bool | None]


HEALTH_SENSORS: tuple[HealthSensorDescription, ...] = (
    HealthSensorDescription(
        # A timestamp, not an age: it changes at most once a health tick, not every second.
        key="telemetry_last_record",
        translation_key="telemetry_last_record",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda hub: hub.last_record,
    ),
    HealthSensorDescription(
        key="telemetry_records_per_minute",
        translation_key="telemetry_records_per_minute",
        native_unit_of_measurement="records/min",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda hub: hub.records_per_minute,
    ),
    HealthSensorDescription(
        key="telemetry_malformed_records",
        translation_key="telemetry_malformed_records",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda hub: hub.consumer.malformed,
    ),
)

BROKER_CONNECTED = HealthBinarySensorDescription(
    key="broker_connected",
    translation_key="broker_connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    is_on_fn=lambda hub: hub.connected,
)
