"""Vehicle entities from Fleet Telemetry fields (native units as the car sends them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.device_tracker.entity import TrackerEntityDescription
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    DEGREE,
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

from ..clients.fleet_telemetry.schema import enum_values
from ..clients.fleet_telemetry.values import FIELD_KINDS, enum_label
from .hub import NETWORK, ONLINE, TelemetryHub, VehicleState


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

    value_fn: Callable[[VehicleState | None], StateType | datetime] | None = None


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


DIAGNOSTIC: Final = EntityCategory.DIAGNOSTIC
MEASUREMENT: Final = SensorStateClass.MEASUREMENT
TOTAL_INCREASING: Final = SensorStateClass.TOTAL_INCREASING


def _measure(
    key: str,
    field: str,
    device_class: SensorDeviceClass | None,
    unit: str | None,
    *,
    precision: int | None = None,
    state_class: SensorStateClass | None = MEASUREMENT,
    category: EntityCategory | None = DIAGNOSTIC,
    enabled: bool = False,
    translation_key: str | None = None,
) -> VehicleSensorDescription:
    """Describe a number the car sends in `unit`; most are diagnostics, off by default."""
    return VehicleSensorDescription(
        key=key,
        translation_key=translation_key or key,
        fields=(field,),
        device_class=device_class,
        native_unit_of_measurement=unit,
        state_class=state_class,
        suggested_display_precision=precision,
        entity_category=category,
        entity_registry_enabled_default=enabled,
    )


def enum_options(field: str) -> list[str]:
    """Return every label the decoder can give an enum field, in the enum's order."""
    kind = FIELD_KINDS[field]
    assert isinstance(kind, str)  # noqa: S101 - only enum fields are passed
    return [enum_label(kind, number) for number in range(len(enum_values(kind)))]


def _enum_sensor(
    key: str, field: str, *, category: EntityCategory | None = DIAGNOSTIC, enabled: bool = False
) -> VehicleSensorDescription:
    """Describe an enum field; a label its enum lacks arrives as None, i.e. unknown."""
    return VehicleSensorDescription(
        key=key,
        translation_key=key,
        fields=(field,),
        device_class=SensorDeviceClass.ENUM,
        options=enum_options(field),
        entity_category=category,
        entity_registry_enabled_default=enabled,
    )


def _arrival(vehicle: VehicleState | None) -> datetime | None:
    # A time, not a countdown: computed from when the car said it, so it stays put between
    # records instead of drifting with the clock here.
    minutes = field_value(vehicle, "MinutesToArrival")
    said = None if vehicle is None else vehicle.created.get("MinutesToArrival")
    if not isinstance(minutes, float) or said is None:
        return None
    try:
        return (said + timedelta(minutes=minutes)).replace(microsecond=0)
    except OverflowError:
        return None


def _follow_distance(vehicle: VehicleState | None) -> int | None:
    # FollowDistance labels are the setting's number ("1"-"7"), read as seconds of headway.
    label = field_value(vehicle, "CruiseFollowDistance")
    return int(label) if isinstance(label, str) and label.isdigit() else None


def _flag_count(field: str) -> Callable[[VehicleState | None], StateType]:
    """Count the flags set in a flags field (the tyres a TPMS warning names)."""

    def count(vehicle: VehicleState | None) -> StateType:
        flags = field_value(vehicle, field)
        return sum(bool(v) for v in flags.values()) if isinstance(flags, Mapping) else None

    return count


def _flag_of(field: str, name: str) -> Callable[[VehicleState | None], bool | None]:
    """Read one named flag of a flags field (a door of DoorState, a tyre of a TPMS warning)."""

    def is_on(vehicle: VehicleState | None) -> bool | None:
        flags = field_value(vehicle, field)
        value = flags.get(name) if isinstance(flags, Mapping) else None
        return value if isinstance(value, bool) else None

    return is_on


def _label_in(
    field: str, on: frozenset[str], off: frozenset[str]
) -> Callable[[VehicleState | None], bool | None]:
    """Read an enum field as a flag: on for `on` labels, off for `off`, else unknown."""

    def is_on(vehicle: VehicleState | None) -> bool | None:
        label = field_value(vehicle, field)
        return True if label in on else False if label in off else None

    return is_on


# WindowState: partially open counts as open, as for any window sensor.
_WINDOW_OPEN: Final = frozenset({"opened", "partially_open"})
_WINDOW_CLOSED: Final = frozenset({"closed"})
# HvacPower labels other than unknown, for flags read from it.
_HVAC_KNOWN: Final = frozenset({"off", "on", "precondition", "overheat_protect"})
# DetailedChargeState labels meaning a cable is plugged in (anything but disconnected).
_PLUGGED: Final = frozenset({"no_power", "starting", "charging", "complete", "stopped"})


def _on_network(kind: str) -> Callable[[VehicleState | None], bool | None]:
    """Whether the car's stream is open over `kind` (wifi, cellular), from connectivity records."""

    def is_on(vehicle: VehicleState | None) -> bool | None:
        online = field_value(vehicle, ONLINE)
        if online is None:
            return None
        return bool(online) and field_value(vehicle, NETWORK) == kind

    return is_on


def _more_than_one_phase(vehicle: VehicleState | None) -> bool | None:
    phases = field_value(vehicle, "ChargerPhases")
    return None if not isinstance(phases, int) else phases > 1


# Drive units by the suffix their fields carry: front, rear, and rear left / right (Plaid, Cybertruck).
_DRIVE_UNITS: Final = ("F", "R", "REL", "RER")


def _drive_unit_sensors() -> tuple[VehicleSensorDescription, ...]:
    """Describe each drive unit's figures, one entity per unit that the car reports."""
    per_unit: list[VehicleSensorDescription] = []
    for unit in _DRIVE_UNITS:
        low = unit.lower()
        per_unit += [
            _measure(f"di_axle_speed_{low}", f"DiAxleSpeed{unit}", None, "rad/s", precision=0),
            _measure(
                f"di_heatsink_t{low}",
                f"DiHeatsinkT{unit}",
                SensorDeviceClass.TEMPERATURE,
                UnitOfTemperature.CELSIUS,
                precision=0,
            ),
            _measure(
                f"di_inverter_t{low}",
                f"DiInverterT{unit}",
                SensorDeviceClass.TEMPERATURE,
                UnitOfTemperature.CELSIUS,
                precision=0,
            ),
            _measure(
                f"di_motor_current_{low}",
                f"DiMotorCurrent{unit}",
                SensorDeviceClass.CURRENT,
                UnitOfElectricCurrent.AMPERE,
                precision=0,
            ),
            _enum_sensor(f"di_state_{low}", f"DiState{unit}"),
            _measure(
                f"di_stator_temp_{low}",
                f"DiStatorTemp{unit}",
                SensorDeviceClass.TEMPERATURE,
                UnitOfTemperature.CELSIUS,
                precision=0,
            ),
            _measure(f"di_torque_actual_{low}", f"DiTorqueActual{unit}", None, "Nm", precision=0),
            _measure(
                f"di_vbat_{low}",
                f"DiVBat{unit}",
                SensorDeviceClass.VOLTAGE,
                UnitOfElectricPotential.VOLT,
                precision=0,
            ),
        ]
    return (
        *per_unit,
        _measure("di_slave_torque_cmd", "DiSlaveTorqueCmd", None, "Nm", precision=0),
        _measure("di_torquemotor", "DiTorquemotor", None, "Nm", precision=0),
    )


def _flag_sensor(
    key: str,
    field: str,
    device_class: BinarySensorDeviceClass | None = None,
    category: EntityCategory | None = None,
    *,
    enabled: bool = False,
) -> VehicleBinarySensorDescription:
    """Describe a boolean field as it is; off by default unless it is one most owners want."""
    return VehicleBinarySensorDescription(
        key=key,
        translation_key=key,
        fields=(field,),
        device_class=device_class,
        entity_category=category,
        entity_registry_enabled_default=enabled,
        is_on_fn=_flag(field),
    )


VEHICLE_SENSORS: tuple[VehicleSensorDescription, ...] = (
    VehicleSensorDescription(
        key="speed",
        translation_key="speed",
        fields=("VehicleSpeed",),
        device_class=SensorDeviceClass.SPEED,
        native_unit_of_measurement=UnitOfSpeed.MILES_PER_HOUR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        # Speed, gear and odometer change with every record of a moving car: disabled by
        # default as in core's teslemetry (the *Driving* binary sensor follows the gear).
        entity_registry_enabled_default=False,
    ),
    VehicleSensorDescription(
        key="shift_state",
        translation_key="shift_state",
        fields=("Gear",),
        device_class=SensorDeviceClass.ENUM,
        options=GEARS,
        entity_registry_enabled_default=False,
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
        entity_registry_enabled_default=False,
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
    # Read values that Home Assistant's teslemetry and tesla_fleet integrations also offer, from
    # the Fleet Telemetry field carrying each (README: compared with ... (vehicles)).
    _measure(
        "usable_battery_level",
        "Soc",
        SensorDeviceClass.BATTERY,
        PERCENTAGE,
        precision=0,
        category=None,
    ),
    _enum_sensor("charge_cable", "ChargingCableType"),
    _enum_sensor("fast_charger_type", "FastChargerType"),
    _measure(
        "ideal_range",
        "IdealBatteryRange",
        SensorDeviceClass.DISTANCE,
        UnitOfLength.MILES,
        precision=0,
        category=None,
        enabled=True,
    ),
    _measure(
        "rated_range", "RatedRange", SensorDeviceClass.DISTANCE, UnitOfLength.MILES, precision=0
    ),
    _measure(
        "driver_temperature_setting",
        "HvacLeftTemperatureRequest",
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        precision=1,
    ),
    _measure(
        "passenger_temperature_setting",
        "HvacRightTemperatureRequest",
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        precision=1,
    ),
    VehicleSensorDescription(
        key="destination",
        translation_key="destination",
        fields=("DestinationName",),
        entity_registry_enabled_default=False,
    ),
    _measure(
        "traffic_delay",
        "RouteTrafficMinutesDelay",
        SensorDeviceClass.DURATION,
        UnitOfTime.MINUTES,
        precision=0,
        category=None,
    ),
    _measure(
        "energy_at_arrival",
        "ExpectedEnergyPercentAtTripArrival",
        SensorDeviceClass.BATTERY,
        PERCENTAGE,
        precision=0,
    ),
    _measure(
        "distance_to_arrival",
        "MilesToArrival",
        SensorDeviceClass.DISTANCE,
        UnitOfLength.MILES,
        precision=1,
        category=None,
        enabled=True,
    ),
    VehicleSensorDescription(
        key="arrival_time",
        translation_key="arrival_time",
        fields=("MinutesToArrival",),
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_arrival,
    ),
    _enum_sensor("bms_state", "BMSState"),
    _measure("brake_pedal_position", "BrakePedalPos", None, PERCENTAGE, precision=0),
    _measure(
        "brick_voltage_max",
        "BrickVoltageMax",
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        precision=3,
    ),
    _measure(
        "brick_voltage_min",
        "BrickVoltageMin",
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        precision=3,
    ),
    VehicleSensorDescription(
        key="cruise_follow_distance",
        translation_key="cruise_follow_distance",
        fields=("CruiseFollowDistance",),
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_follow_distance,
    ),
    _measure(
        "cruise_set_speed",
        "CruiseSetSpeed",
        SensorDeviceClass.SPEED,
        UnitOfSpeed.MILES_PER_HOUR,
        precision=0,
    ),
    _measure(
        "speed_limit",
        "CurrentLimitMph",
        SensorDeviceClass.SPEED,
        UnitOfSpeed.MILES_PER_HOUR,
        precision=0,
    ),
    _measure(
        "dc_charge_energy_added",
        "DCChargingEnergyIn",
        SensorDeviceClass.ENERGY,
        UnitOfEnergy.KILO_WATT_HOUR,
        precision=2,
        state_class=TOTAL_INCREASING,
    ),
    _measure(
        "dc_charging_power",
        "DCChargingPower",
        SensorDeviceClass.POWER,
        UnitOfPower.KILO_WATT,
        precision=1,
    ),
    *_drive_unit_sensors(),
    _enum_sensor("sentry_mode", "SentryMode", category=None, enabled=True),
    _measure(
        "energy_remaining",
        "EnergyRemaining",
        SensorDeviceClass.ENERGY_STORAGE,
        UnitOfEnergy.KILO_WATT_HOUR,
        precision=1,
    ),
    _measure(
        "hours_to_charge_termination",
        "EstimatedHoursToChargeTermination",
        SensorDeviceClass.DURATION,
        UnitOfTime.HOURS,
        precision=2,
    ),
    _enum_sensor("forward_collision_warning", "ForwardCollisionWarning"),
    _measure("heading", "GpsHeading", None, DEGREE, precision=0, state_class=None),
    _enum_sensor("guest_mode_mobile_access", "GuestModeMobileAccessState"),
    _measure("homelink_device_count", "HomelinkDeviceCount", None, None),
    _measure("hvac_fan_speed", "HvacFanSpeed", None, PERCENTAGE, state_class=None),
    _measure("hvac_fan_status", "HvacFanStatus", None, PERCENTAGE, state_class=None),
    # The car reports the pack's isolation in kilo-ohms; Home Assistant has no resistance unit.
    _measure("isolation_resistance", "IsolationResistance", None, "kΩ", precision=0),
    _enum_sensor("lane_departure_avoidance", "LaneDepartureAvoidance"),
    _measure("lateral_acceleration", "LateralAcceleration", None, "g", precision=2),
    _measure("longitudinal_acceleration", "LongitudinalAcceleration", None, "g", precision=2),
    _measure(
        "lifetime_energy_gained_regen",
        "LifetimeEnergyGainedRegen",
        SensorDeviceClass.ENERGY,
        UnitOfEnergy.KILO_WATT_HOUR,
        precision=0,
        state_class=TOTAL_INCREASING,
    ),
    _measure(
        "lifetime_energy_used",
        "LifetimeEnergyUsed",
        SensorDeviceClass.ENERGY,
        UnitOfEnergy.KILO_WATT_HOUR,
        precision=0,
        state_class=TOTAL_INCREASING,
    ),
    _measure(
        "miles_since_reset",
        "MilesSinceReset",
        SensorDeviceClass.DISTANCE,
        UnitOfLength.MILES,
        precision=0,
        state_class=TOTAL_INCREASING,
    ),
    _measure(
        "self_driving_miles_since_reset",
        "SelfDrivingMilesSinceReset",
        SensorDeviceClass.DISTANCE,
        UnitOfLength.MILES,
        precision=0,
        state_class=TOTAL_INCREASING,
    ),
    _measure(
        "module_temp_max",
        "ModuleTempMax",
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        precision=1,
    ),
    _measure(
        "module_temp_min",
        "ModuleTempMin",
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        precision=1,
    ),
    _measure(
        "pack_current",
        "PackCurrent",
        SensorDeviceClass.CURRENT,
        UnitOfElectricCurrent.AMPERE,
        precision=1,
        translation_key="vehicle_pack_current",
    ),
    _measure(
        "pack_voltage",
        "PackVoltage",
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        precision=1,
        translation_key="vehicle_pack_voltage",
    ),
    _measure("paired_keys", "PairedPhoneKeyAndKeyFobQty", None, None),
    _measure("pedal_position", "PedalPosition", None, PERCENTAGE, precision=0),
    _measure(
        "powershare_hours_left",
        "PowershareHoursLeft",
        SensorDeviceClass.DURATION,
        UnitOfTime.HOURS,
        precision=1,
    ),
    _measure(
        "powershare_power",
        "PowershareInstantaneousPowerKW",
        SensorDeviceClass.POWER,
        UnitOfPower.KILO_WATT,
        precision=1,
    ),
    _enum_sensor("powershare_status", "PowershareStatus"),
    _enum_sensor("powershare_stop_reason", "PowershareStopReason"),
    _enum_sensor("powershare_type", "PowershareType"),
    _enum_sensor("scheduled_charging_mode", "ScheduledChargingMode"),
    _measure(
        "software_update_duration",
        "SoftwareUpdateExpectedDurationMinutes",
        SensorDeviceClass.DURATION,
        UnitOfTime.MINUTES,
        precision=0,
    ),
    _enum_sensor("speed_limit_warning", "SpeedLimitWarning"),
    _enum_sensor("tonneau_tent_mode", "TonneauTentMode"),
    VehicleSensorDescription(
        key="tpms_hard_warnings",
        translation_key="tpms_hard_warnings",
        fields=("TpmsHardWarnings",),
        state_class=MEASUREMENT,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_flag_count("TpmsHardWarnings"),
    ),
    VehicleSensorDescription(
        key="tpms_soft_warnings",
        translation_key="tpms_soft_warnings",
        fields=("TpmsSoftWarnings",),
        state_class=MEASUREMENT,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_flag_count("TpmsSoftWarnings"),
    ),
    _enum_sensor("turn_signal", "LightsTurnSignal"),
    _measure(
        "charge_rate",
        "ChargeRateMilePerHour",
        SensorDeviceClass.SPEED,
        UnitOfSpeed.MILES_PER_HOUR,
        precision=0,
    ),
    _enum_sensor("hvac_power", "HvacPower"),
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
    # Read flags that Home Assistant's teslemetry and tesla_fleet integrations also offer.
    VehicleBinarySensorDescription(
        key="wifi",
        translation_key="wifi",
        fields=(ONLINE, NETWORK),
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=DIAGNOSTIC,
        is_on_fn=_on_network("wifi"),
    ),
    VehicleBinarySensorDescription(
        key="cellular",
        translation_key="cellular",
        fields=(ONLINE, NETWORK),
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=DIAGNOSTIC,
        is_on_fn=_on_network("cellular"),
    ),
    _flag_sensor("battery_heater", "BatteryHeaterOn", BinarySensorDeviceClass.HEAT, DIAGNOSTIC),
    VehicleBinarySensorDescription(
        key="charger_phases",
        translation_key="charger_phases",
        fields=("ChargerPhases",),
        entity_registry_enabled_default=False,
        is_on_fn=_more_than_one_phase,
    ),
    _flag_sensor("preconditioning_enabled", "PreconditioningEnabled", None, DIAGNOSTIC),
    VehicleBinarySensorDescription(
        key="preconditioning",
        translation_key="preconditioning",
        fields=("HvacPower",),
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        is_on_fn=_label_in("HvacPower", frozenset({"precondition"}), _HVAC_KNOWN),
    ),
    VehicleBinarySensorDescription(
        key="cabin_overheat_protection_cooling",
        translation_key="cabin_overheat_protection_cooling",
        fields=("HvacPower",),
        device_class=BinarySensorDeviceClass.HEAT,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        is_on_fn=_label_in("HvacPower", frozenset({"overheat_protect"}), _HVAC_KNOWN),
    ),
    _flag_sensor("scheduled_charging_pending", "ScheduledChargingPending", None, DIAGNOSTIC),
    VehicleBinarySensorDescription(
        key="charge_cable",
        translation_key="charge_cable",
        fields=("DetailedChargeState",),
        device_class=BinarySensorDeviceClass.PLUG,
        entity_category=DIAGNOSTIC,
        is_on_fn=_label_in("DetailedChargeState", _PLUGGED, frozenset({"disconnected"})),
    ),
    _flag_sensor("rear_defroster", "RearDefrostEnabled", BinarySensorDeviceClass.HEAT, DIAGNOSTIC),
    *(
        VehicleBinarySensorDescription(
            key=f"tyre_warning_{tyre}",
            translation_key=f"tyre_warning_{tyre}",
            fields=("TpmsSoftWarnings",),
            device_class=BinarySensorDeviceClass.PROBLEM,
            entity_category=DIAGNOSTIC,
            entity_registry_enabled_default=False,
            is_on_fn=_flag_of("TpmsSoftWarnings", tyre),
        )
        for tyre in ("front_left", "front_right", "rear_left", "rear_right")
    ),
    *(
        VehicleBinarySensorDescription(
            key=f"{window}_window",
            translation_key=f"{window}_window",
            fields=(field,),
            device_class=BinarySensorDeviceClass.WINDOW,
            entity_category=DIAGNOSTIC,
            is_on_fn=_label_in(field, _WINDOW_OPEN, _WINDOW_CLOSED),
        )
        for window, field in (
            ("front_driver", "FdWindow"),
            ("front_passenger", "FpWindow"),
            ("rear_driver", "RdWindow"),
            ("rear_passenger", "RpWindow"),
        )
    ),
    *(
        VehicleBinarySensorDescription(
            key=key,
            translation_key=key,
            fields=("DoorState",),
            device_class=device_class,
            entity_category=category,
            is_on_fn=_flag_of("DoorState", door),
        )
        for key, door, device_class, category in (
            ("front_driver_door", "driver_front", BinarySensorDeviceClass.DOOR, DIAGNOSTIC),
            ("rear_driver_door", "driver_rear", BinarySensorDeviceClass.DOOR, DIAGNOSTIC),
            ("front_passenger_door", "passenger_front", BinarySensorDeviceClass.DOOR, DIAGNOSTIC),
            ("rear_passenger_door", "passenger_rear", BinarySensorDeviceClass.DOOR, DIAGNOSTIC),
            ("frunk", "trunk_front", BinarySensorDeviceClass.OPENING, None),
            ("trunk", "trunk_rear", BinarySensorDeviceClass.OPENING, None),
        )
    ),
    _flag_sensor("automatic_blind_spot_camera", "AutomaticBlindSpotCamera"),
    _flag_sensor("automatic_emergency_braking_off", "AutomaticEmergencyBrakingOff"),
    _flag_sensor("blind_spot_collision_warning_chime", "BlindSpotCollisionWarningChime"),
    _flag_sensor("bms_full_charge_complete", "BmsFullchargecomplete"),
    _flag_sensor("brake_pedal", "BrakePedal"),
    _flag_sensor("charge_port_cold_weather_mode", "ChargePortColdWeatherMode"),
    _flag_sensor("service_mode", "ServiceMode"),
    _flag_sensor("pin_to_drive_enabled", "PinToDriveEnabled"),
    _flag_sensor("drive_rail", "DriveRail"),
    _flag_sensor("driver_seat_belt", "DriverSeatBelt"),
    _flag_sensor("driver_seat_occupied", "DriverSeatOccupied", BinarySensorDeviceClass.OCCUPANCY),
    _flag_sensor("fast_charger_present", "FastChargerPresent"),
    _flag_sensor("gps_state", "GpsState", BinarySensorDeviceClass.CONNECTIVITY, DIAGNOSTIC),
    _flag_sensor("guest_mode_enabled", "GuestModeEnabled"),
    _flag_sensor("dc_dc_enable", "DCDCEnable"),
    _flag_sensor("emergency_lane_departure_avoidance", "EmergencyLaneDepartureAvoidance"),
    _flag_sensor("supercharger_session_trip_planner", "SuperchargerSessionTripPlanner"),
    _flag_sensor("wiper_heat_enabled", "WiperHeatEnabled"),
    _flag_sensor("rear_display_hvac_enabled", "RearDisplayHvacEnabled"),
    _flag_sensor("offroad_lightbar_present", "OffroadLightbarPresent"),
    _flag_sensor("homelink_nearby", "HomelinkNearby"),
    _flag_sensor("europe_vehicle", "EuropeVehicle"),
    _flag_sensor("right_hand_drive", "RightHandDrive"),
    _flag_sensor(
        "located_at_home", "LocatedAtHome", BinarySensorDeviceClass.PRESENCE, enabled=True
    ),
    _flag_sensor(
        "located_at_work", "LocatedAtWork", BinarySensorDeviceClass.PRESENCE, enabled=True
    ),
    _flag_sensor("located_at_favorite", "LocatedAtFavorite", BinarySensorDeviceClass.PRESENCE),
    _flag_sensor("charge_enable_request", "ChargeEnableRequest"),
    _flag_sensor("defrost_for_preconditioning", "DefrostForPreconditioning"),
    _flag_sensor("hazard_lights", "LightsHazardsActive", BinarySensorDeviceClass.LIGHT),
    _flag_sensor("high_beams", "LightsHighBeams", BinarySensorDeviceClass.LIGHT),
    _flag_sensor("seat_vent_enabled", "SeatVentEnabled"),
    _flag_sensor("speed_limit_mode", "SpeedLimitMode"),
    _flag_sensor("remote_start_enabled", "RemoteStartEnabled"),
    VehicleBinarySensorDescription(
        key="hvil_fault",
        translation_key="hvil_fault",
        fields=("Hvil",),
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        is_on_fn=_label_in("Hvil", frozenset({"fault"}), frozenset({"ok"})),
    ),
    VehicleBinarySensorDescription(
        key="hvac_auto_mode",
        translation_key="hvac_auto_mode",
        fields=("HvacAutoMode",),
        entity_registry_enabled_default=False,
        is_on_fn=_label_in("HvacAutoMode", frozenset({"on"}), frozenset({"override"})),
    ),
)


@dataclass(frozen=True, kw_only=True)
class VehicleTrackerDescription(TrackerEntityDescription, TelemetryEntityDescription):
    """A position the vehicle reports: where it is, or its route's ends."""

    keeps_last_position: bool = False
    """Whether `invalid` keeps the last position (the car's own) instead of clearing it."""


TRACKER = VehicleTrackerDescription(
    key="location", translation_key="location", fields=("Location",), keeps_last_position=True
)
TRACKERS: tuple[VehicleTrackerDescription, ...] = (
    TRACKER,
    # The active route's destination and where it started; a route ended clears them.
    VehicleTrackerDescription(
        key="route", translation_key="route", fields=("DestinationLocation",)
    ),
    VehicleTrackerDescription(
        key="origin",
        translation_key="origin",
        fields=("OriginLocation",),
        entity_registry_enabled_default=False,
    ),
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
