"""Fleet Telemetry protobuf messages, built at import time from descriptors (no protoc output).

Generated `_pb2` modules pin the protoc version they were made with and refuse newer runtimes;
Home Assistant pins its own protobuf, so the messages are described here in Python instead. The
proto package, file and message names are the official server's, so the wire format matches.
They live in a private descriptor pool: another library that registers `vehicle_data.proto` in
the default pool (with extra enum values, say) then cannot clash with ours.
"""

from __future__ import annotations

from typing import Any, Final

# No stubs for protobuf in the toolchain; the dynamic message classes are untyped anyway.
from google.protobuf import (  # type: ignore[import-untyped]
    descriptor_pb2,
    descriptor_pool,
    json_format,
    message,
    message_factory,
    timestamp_pb2,
)

_FDP = descriptor_pb2.FieldDescriptorProto

# Field enum of vehicle_data.proto: ten names per row, row k holding numbers 10k to 10k+9
# (0-259 from upstream main, 260-269 added upstream in Aug 2026). Numbers above 269 differ
# between forks, so they stay unknown on purpose.
_FIELD_TABLE: Final = """
Unknown DriveRail ChargeState BmsFullchargecomplete VehicleSpeed Odometer PackVoltage PackCurrent Soc DCDCEnable
Gear IsolationResistance PedalPosition BrakePedal DiStateR DiHeatsinkTR DiAxleSpeedR DiTorquemotor DiStatorTempR DiVBatR
DiMotorCurrentR Location GpsState GpsHeading NumBrickVoltageMax BrickVoltageMax NumBrickVoltageMin BrickVoltageMin NumModuleTempMax ModuleTempMax
NumModuleTempMin ModuleTempMin RatedRange Hvil DCChargingEnergyIn DCChargingPower ACChargingEnergyIn ACChargingPower ChargeLimitSoc FastChargerPresent
EstBatteryRange IdealBatteryRange BatteryLevel TimeToFullCharge ScheduledChargingStartTime ScheduledChargingPending ScheduledDepartureTime PreconditioningEnabled ScheduledChargingMode ChargeAmps
ChargeEnableRequest ChargerPhases ChargePortColdWeatherMode ChargeCurrentRequest ChargeCurrentRequestMax BatteryHeaterOn NotEnoughPowerToHeat SuperchargerSessionTripPlanner DoorState Locked
FdWindow FpWindow RdWindow RpWindow VehicleName SentryMode SpeedLimitMode CurrentLimitMph Version TpmsPressureFl
TpmsPressureFr TpmsPressureRl TpmsPressureRr SemitruckTpmsPressureRe1L0 SemitruckTpmsPressureRe1L1 SemitruckTpmsPressureRe1R0 SemitruckTpmsPressureRe1R1 SemitruckTpmsPressureRe2L0 SemitruckTpmsPressureRe2L1 SemitruckTpmsPressureRe2R0
SemitruckTpmsPressureRe2R1 TpmsLastSeenPressureTimeFl TpmsLastSeenPressureTimeFr TpmsLastSeenPressureTimeRl TpmsLastSeenPressureTimeRr InsideTemp OutsideTemp SeatHeaterLeft SeatHeaterRight SeatHeaterRearLeft
SeatHeaterRearRight SeatHeaterRearCenter AutoSeatClimateLeft AutoSeatClimateRight DriverSeatBelt PassengerSeatBelt DriverSeatOccupied SemitruckPassengerSeatFoldPosition LateralAcceleration LongitudinalAcceleration
Deprecated_2 CruiseSetSpeed LifetimeEnergyUsed LifetimeEnergyUsedDrive SemitruckTractorParkBrakeStatus SemitruckTrailerParkBrakeStatus BrakePedalPos RouteLastUpdated RouteLine MilesToArrival
MinutesToArrival OriginLocation DestinationLocation CarType Trim ExteriorColor RoofColor ChargePort ChargePortLatch Experimental_1
Experimental_2 Experimental_3 Experimental_4 GuestModeEnabled PinToDriveEnabled PairedPhoneKeyAndKeyFobQty CruiseFollowDistance AutomaticBlindSpotCamera BlindSpotCollisionWarningChime SpeedLimitWarning
ForwardCollisionWarning LaneDepartureAvoidance EmergencyLaneDepartureAvoidance AutomaticEmergencyBrakingOff LifetimeEnergyGainedRegen DiStateF DiStateREL DiStateRER DiHeatsinkTF DiHeatsinkTREL
DiHeatsinkTRER DiAxleSpeedF DiAxleSpeedREL DiAxleSpeedRER DiSlaveTorqueCmd DiTorqueActualR DiTorqueActualF DiTorqueActualREL DiTorqueActualRER DiStatorTempF
DiStatorTempREL DiStatorTempRER DiVBatF DiVBatREL DiVBatRER DiMotorCurrentF DiMotorCurrentREL DiMotorCurrentRER EnergyRemaining ServiceMode
BMSState GuestModeMobileAccessState Deprecated_1 DestinationName DiInverterTR DiInverterTF DiInverterTREL DiInverterTRER Experimental_5 Experimental_6
Experimental_7 Experimental_8 Experimental_9 Experimental_10 Experimental_11 Experimental_12 Experimental_13 Experimental_14 Experimental_15 DetailedChargeState
CabinOverheatProtectionMode CabinOverheatProtectionTemperatureLimit CenterDisplay ChargePortDoorOpen ChargerVoltage ChargingCableType ClimateKeeperMode DefrostForPreconditioning DefrostMode EfficiencyPackage
EstimatedHoursToChargeTermination EuropeVehicle ExpectedEnergyPercentAtTripArrival FastChargerType HomelinkDeviceCount HomelinkNearby HvacACEnabled HvacAutoMode HvacFanSpeed HvacFanStatus
HvacLeftTemperatureRequest HvacPower HvacRightTemperatureRequest HvacSteeringWheelHeatAuto HvacSteeringWheelHeatLevel OffroadLightbarPresent PowershareHoursLeft PowershareInstantaneousPowerKW PowershareStatus PowershareStopReason
PowershareType RearDisplayHvacEnabled RearSeatHeaters RemoteStartEnabled RightHandDrive RouteTrafficMinutesDelay SoftwareUpdateDownloadPercentComplete SoftwareUpdateExpectedDurationMinutes SoftwareUpdateInstallationPercentComplete SoftwareUpdateScheduledStartTime
SoftwareUpdateVersion TonneauOpenPercent TonneauPosition TonneauTentMode TpmsHardWarnings TpmsSoftWarnings ValetModeEnabled WheelType WiperHeatEnabled LocatedAtHome
LocatedAtWork LocatedAtFavorite SettingDistanceUnit SettingTemperatureUnit Setting24HourTime SettingTirePressureUnit SettingChargeUnit ClimateSeatCoolingFrontLeft ClimateSeatCoolingFrontRight LightsHazardsActive
LightsTurnSignal LightsHighBeams MediaPlaybackStatus MediaPlaybackSource MediaAudioVolume MediaNowPlayingDuration MediaNowPlayingElapsed MediaNowPlayingArtist MediaNowPlayingTitle MediaNowPlayingAlbum
MediaNowPlayingStation MediaAudioVolumeIncrement MediaAudioVolumeMax SunroofInstalled SeatVentEnabled RearDefrostEnabled ChargeRateMilePerHour Deprecated_3 MilesSinceReset SelfDrivingMilesSinceReset
GpsAccuracyMeters LifetimeEnergyChargedKwh BrickSocMinPercent NominalFullPackEnergyKwh GradeEstimatePercent MaxSpeedToReachDestinationMph SoftwareUpdateAvailable SoftwareUpdateInProgress RemoteStartActive SemiCruiseSpeedLimitMph
"""
FIELD_NAMES: Final[tuple[str, ...]] = tuple(_FIELD_TABLE.split())
FIELD_NUMBERS: Final[dict[str, int]] = {name: number for number, name in enumerate(FIELD_NAMES)}

# Every enum a Value arm can carry: name -> (value prefix, value suffixes numbered from 0).
ENUMS: Final[dict[str, tuple[str, str]]] = {
    "ChargingState": (
        "ChargeState",
        "Unknown Disconnected NoPower Starting Charging Complete Stopped",
    ),
    "DetailedChargeStateValue": (
        "DetailedChargeState",
        "Unknown Disconnected NoPower Starting Charging Complete Stopped",
    ),
    "ShiftState": ("ShiftState", "Unknown Invalid P R N D SNA"),
    "FollowDistance": ("FollowDistance", "Unknown 1 2 3 4 5 6 7"),
    "ForwardCollisionSensitivity": (
        "ForwardCollisionSensitivity",
        "Unknown Off Late Average Early",
    ),
    "GuestModeMobileAccess": (
        "GuestModeMobileAccess",
        "Unknown Init NotAuthenticated Authenticated AbortedDriving AbortedUsingRemoteStart AbortedUsingBLEKeys AbortedValetMode AbortedGuestModeOff AbortedDriveAuthTimeExceeded AbortedNoDataReceived RequestingFromMothership RequestingFromAuthD AbortedFetchFailed AbortedBadDataReceived ShowingQRCode SwipedAway DismissedQRCodeExpired SucceededPairedNewBLEKey",
    ),
    "LaneAssistLevel": ("LaneAssistLevel", "Unknown None Warning Assist"),
    "ScheduledChargingModeValue": ("ScheduledChargingMode", "Unknown Off StartAt DepartBy"),
    "SentryModeState": ("SentryModeState", "Unknown Off Idle Armed Aware Panic Quiet"),
    "SpeedAssistLevel": ("SpeedAssistLevel", "Unknown None Display Chime"),
    "BMSStateValue": (
        "BMSState",
        "Unknown Standby Drive Support Charge FEIM ClearFault Fault Weld Test SNA",
    ),
    "BuckleStatus": ("BuckleStatus", "Unknown Unlatched Latched Faulted"),
    "CarTypeValue": ("CarType", "Unknown ModelS ModelX Model3 ModelY SemiTruck Cybertruck"),
    "ChargePortValue": ("ChargePort", "Unknown US EU GB CCS"),
    "ChargePortLatchValue": ("ChargePortLatch", "Unknown SNA Disengaged Engaged Blocking"),
    "DriveInverterState": ("DriveInverterState", "Unknown Unavailable Standby Fault Abort Enable"),
    "HvilStatus": ("HvilStatus", "Unknown Fault OK"),
    "WindowState": ("WindowState", "Unknown Closed PartiallyOpen Opened"),
    "SeatFoldPosition": ("SeatFoldPosition", "Unknown SNA Faulted NotConfigured Folded Unfolded"),
    "TractorAirStatus": (
        "TractorAirStatus",
        "Unknown NotAvailable Error Charged BuildingPressureIntermediate ExhaustingPressureIntermediate Exhausted",
    ),
    "TrailerAirStatus": (
        "TrailerAirStatus",
        "Unknown SNA Invalid BobtailMode Charged BuildingPressureIntermediate ExhaustingPressureIntermediate Exhausted",
    ),
    "HvacAutoModeState": ("HvacAutoModeState", "Unknown On Override"),
    "CabinOverheatProtectionModeState": (
        "CabinOverheatProtectionModeState",
        "Unknown Off On FanOnly",
    ),
    "ClimateOverheatProtectionTempLimit": (
        "ClimateOverheatProtectionTempLimit",
        "Unknown High Medium Low",
    ),
    "DefrostModeState": ("DefrostModeState", "Unknown Off Normal Max AutoDefog"),
    "ClimateKeeperModeState": ("ClimateKeeperModeState", "Unknown Off On Dog Party"),
    "HvacPowerState": ("HvacPowerState", "Unknown Off On Precondition OverheatProtect"),
    "FastCharger": (
        "FastCharger",
        "Unknown Supercharger CHAdeMO GB ACSingleWireCAN Combo MCSingleWireCAN Other SNA",
    ),
    "CableType": ("CableType", "Unknown IEC SAE GB_AC GB_DC SNA"),
    "TonneauTentModeState": ("TonneauTentModeState", "Unknown Inactive Moving Failed Active"),
    "TonneauPositionState": (
        "TonneauPositionState",
        "Unknown Invalid Closed PartiallyOpen FullyOpen",
    ),
    "PowershareState": (
        "PowershareState",
        "Unknown Inactive Handshaking Init Enabled EnabledReconnectingSoon Stopped",
    ),
    "PowershareStopReasonStatus": (
        "PowershareStopReasonStatus",
        "Unknown None SOCTooLow Retry Fault User Reconnecting Authentication",
    ),
    "PowershareTypeStatus": ("PowershareTypeStatus", "Unknown None Load Home"),
    "DisplayState": (
        "DisplayState",
        "Unknown Off Dim Accessory On Driving Charging Lock Sentry Dog Entertainment",
    ),
    "DistanceUnit": ("DistanceUnit", "Unknown Miles Kilometers"),
    "TemperatureUnit": ("TemperatureUnit", "Unknown Fahrenheit Celsius"),
    "PressureUnit": ("PressureUnit", "Unknown Psi Bar"),
    "ChargeUnitPreference": ("ChargeUnit", "Unknown Distance Percent"),
    "SunroofInstalledState": (
        "SunroofInstalledState",
        "Unknown NotInstalled Gen1Installed Gen2Installed",
    ),
    "TurnSignalState": ("TurnSignalState", "Unknown Off Left Right Both"),
    "MediaStatus": ("MediaStatus", "Unknown Stopped Playing Paused"),
}


def enum_values(enum_name: str) -> tuple[str, ...]:
    """Return the full value names of one of the ENUMS, indexed by number."""
    prefix, suffixes = ENUMS[enum_name]
    return tuple(prefix + suffix for suffix in suffixes.split())


# Value's oneof arms: number -> (arm name, type). Upper-case types are enums or messages.
_SCALARS: Final = {
    "string": _FDP.TYPE_STRING,
    "int32": _FDP.TYPE_INT32,
    "int64": _FDP.TYPE_INT64,
    "float": _FDP.TYPE_FLOAT,
    "double": _FDP.TYPE_DOUBLE,
    "bool": _FDP.TYPE_BOOL,
}
VALUE_ARMS: Final[dict[int, tuple[str, str]]] = {
    1: ("string_value", "string"),
    2: ("int_value", "int32"),
    3: ("long_value", "int64"),
    4: ("float_value", "float"),
    5: ("double_value", "double"),
    6: ("boolean_value", "bool"),
    7: ("location_value", "LocationValue"),
    8: ("charging_value", "ChargingState"),
    9: ("shift_state_value", "ShiftState"),
    10: ("invalid", "bool"),
    11: ("lane_assist_level_value", "LaneAssistLevel"),
    12: ("scheduled_charging_mode_value", "ScheduledChargingModeValue"),
    13: ("sentry_mode_state_value", "SentryModeState"),
    14: ("speed_assist_level_value", "SpeedAssistLevel"),
    15: ("bms_state_value", "BMSStateValue"),
    16: ("buckle_status_value", "BuckleStatus"),
    17: ("car_type_value", "CarTypeValue"),
    18: ("charge_port_value", "ChargePortValue"),
    19: ("charge_port_latch_value", "ChargePortLatchValue"),
    # 20 was cruise_state_value, removed upstream in Nov 2024.
    21: ("door_value", "Doors"),
    22: ("drive_inverter_state_value", "DriveInverterState"),
    23: ("hvil_status_value", "HvilStatus"),
    24: ("window_state_value", "WindowState"),
    25: ("seat_fold_position_value", "SeatFoldPosition"),
    26: ("tractor_air_status_value", "TractorAirStatus"),
    27: ("follow_distance_value", "FollowDistance"),
    28: ("forward_collision_sensitivity_value", "ForwardCollisionSensitivity"),
    29: ("guest_mode_mobile_access_value", "GuestModeMobileAccess"),
    30: ("trailer_air_status_value", "TrailerAirStatus"),
    31: ("time_value", "Time"),
    32: ("detailed_charge_state_value", "DetailedChargeStateValue"),
    33: ("hvac_auto_mode_value", "HvacAutoModeState"),
    34: ("cabin_overheat_protection_mode_value", "CabinOverheatProtectionModeState"),
    35: (
        "cabin_overheat_protection_temperature_limit_value",
        "ClimateOverheatProtectionTempLimit",
    ),
    36: ("defrost_mode_value", "DefrostModeState"),
    37: ("climate_keeper_mode_value", "ClimateKeeperModeState"),
    38: ("hvac_power_value", "HvacPowerState"),
    39: ("tire_location_value", "TireLocation"),
    40: ("fast_charger_value", "FastCharger"),
    41: ("cable_type_value", "CableType"),
    42: ("tonneau_tent_mode_value", "TonneauTentModeState"),
    43: ("tonneau_position_value", "TonneauPositionState"),
    44: ("powershare_type_value", "PowershareTypeStatus"),
    45: ("powershare_state_value", "PowershareState"),
    46: ("powershare_stop_reason_value", "PowershareStopReasonStatus"),
    47: ("display_state_value", "DisplayState"),
    48: ("distance_unit_value", "DistanceUnit"),
    49: ("temperature_unit_value", "TemperatureUnit"),
    50: ("pressure_unit_value", "PressureUnit"),
    51: ("charge_unit_preference_value", "ChargeUnitPreference"),
    52: ("turn_signal_state_value", "TurnSignalState"),
    53: ("media_status_value", "MediaStatus"),
    54: ("sunroof_installed_state_value", "SunroofInstalledState"),
}

_MESSAGE_TYPES: Final = frozenset({"LocationValue", "Doors", "TireLocation", "Time"})
DOOR_NAMES: Final = (
    "DriverFront",
    "DriverRear",
    "PassengerFront",
    "PassengerRear",
    "TrunkFront",
    "TrunkRear",
)
TIRE_NAMES: Final = (
    "front_left",
    "front_right",
    "rear_left",
    "rear_right",
    "semi_middle_axle_left_2",
    "semi_middle_axle_right_2",
    "semi_rear_axle_left",
    "semi_rear_axle_right",
    "semi_rear_axle_left_2",
    "semi_rear_axle_right_2",
)
TIMESTAMP: Final = ".google.protobuf.Timestamp"
CONNECTIVITY_EVENTS: Final = ("UNKNOWN", "CONNECTED", "DISCONNECTED")
AUDIENCES: Final = ("Unknown", "Customer", "Service", "ServiceFix")


def _field(
    name: str,
    number: int,
    kind: str,
    *,
    label: int = _FDP.LABEL_OPTIONAL,
    enum: bool = False,
    oneof: int | None = None,
) -> descriptor_pb2.FieldDescriptorProto:
    """Describe one field; `kind` is a scalar name or a fully qualified type name."""
    field = _FDP(name=name, number=number, label=label)
    if kind in _SCALARS:
        field.type = _SCALARS[kind]
    else:
        field.type = _FDP.TYPE_ENUM if enum else _FDP.TYPE_MESSAGE
        field.type_name = kind
    if oneof is not None:
        field.oneof_index = oneof
    return field


def _enum(name: str, values: tuple[str, ...]) -> descriptor_pb2.EnumDescriptorProto:
    """Describe an enum whose values are numbered from 0 in order."""
    enum = descriptor_pb2.EnumDescriptorProto(name=name)
    for number, value in enumerate(values):
        enum.value.add(name=value, number=number)
    return enum


def _message(
    name: str, *fields: descriptor_pb2.FieldDescriptorProto
) -> descriptor_pb2.DescriptorProto:
    """Describe a message from its fields."""
    return descriptor_pb2.DescriptorProto(name=name, field=fields)


def _file(name: str, package: str) -> descriptor_pb2.FileDescriptorProto:
    """Start a proto3 file that may use google.protobuf.Timestamp."""
    return descriptor_pb2.FileDescriptorProto(
        name=name,
        package=package,
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )


def _vehicle_data_file() -> descriptor_pb2.FileDescriptorProto:
    """Describe vehicle_data.proto."""
    pkg = ".telemetry.vehicle_data."
    proto = _file("vehicle_data.proto", "telemetry.vehicle_data")
    proto.enum_type.append(_enum("Field", FIELD_NAMES))
    proto.enum_type.extend(_enum(name, enum_values(name)) for name in ENUMS)
    value = _message(
        "Value",
        *(
            _field(
                arm, number, kind if kind in _SCALARS else pkg + kind, enum=kind in ENUMS, oneof=0
            )
            for number, (arm, kind) in VALUE_ARMS.items()
        ),
    )
    value.oneof_decl.add(name="value")
    proto.message_type.extend(
        [
            _message(
                "LocationValue", _field("latitude", 1, "double"), _field("longitude", 2, "double")
            ),
            _message("Doors", *(_field(n, i, "bool") for i, n in enumerate(DOOR_NAMES, 1))),
            _message("TireLocation", *(_field(n, i, "bool") for i, n in enumerate(TIRE_NAMES, 1))),
            _message(
                "Time",
                _field("hour", 1, "int32"),
                _field("minute", 2, "int32"),
                _field("second", 3, "int32"),
            ),
            value,
            _message(
                "Datum",
                _field("key", 1, pkg + "Field", enum=True),
                _field("value", 2, pkg + "Value"),
            ),
            _message(
                "Payload",
                _field("data", 1, pkg + "Datum", label=_FDP.LABEL_REPEATED),
                _field("created_at", 2, TIMESTAMP),
                _field("vin", 3, "string"),
                _field("is_resend", 4, "bool"),
            ),
        ]
    )
    return proto


def _connectivity_file() -> descriptor_pb2.FileDescriptorProto:
    """Describe vehicle_connectivity.proto."""
    proto = _file("vehicle_connectivity.proto", "telemetry.vehicle_connectivity")
    proto.enum_type.append(_enum("ConnectivityEvent", CONNECTIVITY_EVENTS))
    proto.message_type.append(
        _message(
            "VehicleConnectivity",
            _field("vin", 1, "string"),
            _field("connection_id", 2, "string"),
            _field("status", 3, ".telemetry.vehicle_connectivity.ConnectivityEvent", enum=True),
            _field("created_at", 4, TIMESTAMP),
            _field("network_interface", 5, "string"),
        )
    )
    return proto


def _alert_file() -> descriptor_pb2.FileDescriptorProto:
    """Describe vehicle_alert.proto."""
    pkg = ".telemetry.vehicle_alerts."
    proto = _file("vehicle_alert.proto", "telemetry.vehicle_alerts")
    proto.enum_type.append(_enum("Audience", AUDIENCES))
    proto.message_type.extend(
        [
            _message(
                "VehicleAlerts",
                _field("alerts", 1, pkg + "VehicleAlert", label=_FDP.LABEL_REPEATED),
                _field("created_at", 2, TIMESTAMP),
                _field("vin", 3, "string"),
            ),
            _message(
                "VehicleAlert",
                _field("name", 1, "string"),
                _field("audiences", 2, pkg + "Audience", label=_FDP.LABEL_REPEATED, enum=True),
                _field("started_at", 3, TIMESTAMP),
                _field("ended_at", 4, TIMESTAMP),
            ),
        ]
    )
    return proto


def _error_file() -> descriptor_pb2.FileDescriptorProto:
    """Describe vehicle_error.proto; `tags` is a map, i.e. a repeated nested entry message."""
    pkg = ".telemetry.vehicle_error."
    proto = _file("vehicle_error.proto", "telemetry.vehicle_error")
    error = _message(
        "VehicleError",
        _field("created_at", 1, TIMESTAMP),
        _field("name", 2, "string"),
        _field("tags", 3, pkg + "VehicleError.TagsEntry", label=_FDP.LABEL_REPEATED),
        _field("body", 4, "string"),
    )
    entry = _message("TagsEntry", _field("key", 1, "string"), _field("value", 2, "string"))
    entry.options.map_entry = True
    error.nested_type.append(entry)
    proto.message_type.extend(
        [
            _message(
                "VehicleErrors",
                _field("errors", 1, pkg + "VehicleError", label=_FDP.LABEL_REPEATED),
                _field("created_at", 2, TIMESTAMP),
                _field("vin", 3, "string"),
            ),
            error,
        ]
    )
    return proto


def _build_pool() -> descriptor_pool.DescriptorPool:
    """Return a private pool holding Timestamp and the four telemetry files."""
    pool = descriptor_pool.DescriptorPool()
    timestamp = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(timestamp)
    pool.Add(timestamp)
    for proto in (_vehicle_data_file(), _connectivity_file(), _alert_file(), _error_file()):
        pool.Add(proto)
    return pool


POOL: Final = _build_pool()


def _message_class(full_name: str) -> Any:
    """Return the message class for a full name in POOL."""
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(full_name))


Payload: Final = _message_class("telemetry.vehicle_data.Payload")
Datum: Final = _message_class("telemetry.vehicle_data.Datum")
Value: Final = _message_class("telemetry.vehicle_data.Value")
LocationValue: Final = _message_class("telemetry.vehicle_data.LocationValue")
VehicleConnectivity: Final = _message_class("telemetry.vehicle_connectivity.VehicleConnectivity")
VehicleAlerts: Final = _message_class("telemetry.vehicle_alerts.VehicleAlerts")
VehicleErrors: Final = _message_class("telemetry.vehicle_error.VehicleErrors")

ProtobufDecodeError: Final[type[Exception]] = message.DecodeError
JsonParseError: Final[type[Exception]] = json_format.ParseError


def parse_json(text: str | bytes, message_class: Any) -> Any:
    """Parse protojson (the server's `transmit_decoded_records` form), ignoring unknown keys."""
    return json_format.Parse(text, message_class(), ignore_unknown_fields=True)
