"""Turn one `Value` into a Python value of a stable type per field, typed or string-encoded.

Without the vehicle's `prefer_typed` option most values arrive as strings ("44964.097", "true",
"D", "Armed"); with it they arrive in typed arms and enum names carry their prefix
("ShiftStateD"). Both forms of a field end up as the same Python type here: numbers as float or
int, flags as bool, enums as lower_snake labels without the prefix ("d", "armed", "charging"),
locations as (latitude, longitude).
"""

from __future__ import annotations

from collections.abc import Mapping
import datetime as dt
from enum import Enum
from functools import cache
import math
import re
from typing import Any, Final

from .._json import finite_text
from .models import TelemetryValue
from .schema import DOOR_NAMES, ENUMS, TIRE_NAMES, VALUE_ARMS, enum_values


class Kind(Enum):
    """How a field's value is represented in Python when it is not an enum."""

    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    TEXT = "text"
    LOCATION = "location"
    STATE = "state"
    """A free-form state word (ChargeState's charger state machine), given as a lower_snake label."""
    FLAGS = "flags"
    """A message of named flags (doors, tyres): a mapping of lower_snake name to bool."""


def _kinds(kind: Kind | str, names: str) -> dict[str, Kind | str]:
    """Map each whitespace-separated field name to one kind."""
    return dict.fromkeys(names.split(), kind)


# Fields whose type we know; others are coerced from strings by shape. An enum kind is its name.
FIELD_KINDS: Final[dict[str, Kind | str]] = {
    **_kinds(
        Kind.FLOAT,
        """VehicleSpeed Odometer PackVoltage PackCurrent Soc GpsHeading RatedRange
        DCChargingEnergyIn DCChargingPower ACChargingEnergyIn ACChargingPower EstBatteryRange
        IdealBatteryRange BatteryLevel TimeToFullCharge ChargeAmps InsideTemp OutsideTemp
        MinutesToArrival MilesToArrival EnergyRemaining ChargerVoltage TpmsPressureFl
        TpmsPressureFr TpmsPressureRl TpmsPressureRr LateralAcceleration LongitudinalAcceleration
        HvacLeftTemperatureRequest HvacRightTemperatureRequest MilesSinceReset
        SelfDrivingMilesSinceReset CruiseSetSpeed CurrentLimitMph LifetimeEnergyUsed
        LifetimeEnergyGainedRegen BrickVoltageMax BrickVoltageMin ModuleTempMax ModuleTempMin
        EstimatedHoursToChargeTermination ExpectedEnergyPercentAtTripArrival
        RouteTrafficMinutesDelay ChargeRateMilePerHour PowershareInstantaneousPowerKW
        PowershareHoursLeft IsolationResistance GpsAccuracyMeters LifetimeEnergyChargedKwh
        BrickSocMinPercent NominalFullPackEnergyKwh GradeEstimatePercent BrakePedalPos
        PedalPosition DiAxleSpeedF DiAxleSpeedR DiAxleSpeedREL DiAxleSpeedRER DiHeatsinkTF
        DiHeatsinkTR DiHeatsinkTREL DiHeatsinkTRER DiInverterTF DiInverterTR DiInverterTREL
        DiInverterTRER DiMotorCurrentF DiMotorCurrentR DiMotorCurrentREL DiMotorCurrentRER
        DiSlaveTorqueCmd DiStatorTempF DiStatorTempR DiStatorTempREL DiStatorTempRER
        DiTorqueActualF DiTorqueActualR DiTorqueActualREL DiTorqueActualRER DiTorquemotor DiVBatF
        DiVBatR DiVBatREL DiVBatRER""",
    ),
    **_kinds(
        Kind.INT,
        """ChargeLimitSoc ChargeCurrentRequest ChargeCurrentRequestMax ChargerPhases
        ScheduledChargingStartTime ScheduledDepartureTime HomelinkDeviceCount HvacFanSpeed
        HvacFanStatus SoftwareUpdateDownloadPercentComplete SoftwareUpdateExpectedDurationMinutes
        SoftwareUpdateInstallationPercentComplete TonneauOpenPercent RearSeatHeaters
        SeatHeaterLeft SeatHeaterRight SeatHeaterRearLeft SeatHeaterRearRight
        SeatHeaterRearCenter PairedPhoneKeyAndKeyFobQty""",
    ),
    **_kinds(
        Kind.BOOL,
        """FastChargerPresent ChargeEnableRequest Locked DriverSeatOccupied DriverSeatBelt
        ChargePortDoorOpen HomelinkNearby LocatedAtHome LocatedAtWork LocatedAtFavorite
        ScheduledChargingPending PreconditioningEnabled BatteryHeaterOn NotEnoughPowerToHeat
        GuestModeEnabled PinToDriveEnabled ServiceMode ValetModeEnabled HvacACEnabled
        RemoteStartEnabled RemoteStartActive EuropeVehicle RightHandDrive BmsFullchargecomplete
        DCDCEnable ChargePortColdWeatherMode SpeedLimitMode DefrostForPreconditioning
        LightsHazardsActive LightsHighBeams RearDefrostEnabled SoftwareUpdateAvailable
        SoftwareUpdateInProgress OffroadLightbarPresent WiperHeatEnabled DriveRail GpsState
        BrakePedal AutomaticBlindSpotCamera BlindSpotCollisionWarningChime
        AutomaticEmergencyBrakingOff EmergencyLaneDepartureAvoidance SuperchargerSessionTripPlanner
        RearDisplayHvacEnabled SeatVentEnabled""",
    ),
    **_kinds(
        Kind.TEXT,
        """VehicleName Version DestinationName Trim ExteriorColor RoofColor WheelType
        SoftwareUpdateVersion RouteLine MediaNowPlayingArtist MediaNowPlayingTitle
        MediaNowPlayingAlbum MediaNowPlayingStation MediaPlaybackSource EfficiencyPackage""",
    ),
    **_kinds(Kind.LOCATION, "Location DestinationLocation OriginLocation"),
    **_kinds(Kind.STATE, "ChargeState"),
    **_kinds(Kind.FLAGS, "DoorState TpmsHardWarnings TpmsSoftWarnings"),
    **_kinds("ShiftState", "Gear"),
    **_kinds("DetailedChargeStateValue", "DetailedChargeState"),
    **_kinds("SentryModeState", "SentryMode"),
    **_kinds("CarTypeValue", "CarType"),
    **_kinds("ChargePortValue", "ChargePort"),
    **_kinds("ChargePortLatchValue", "ChargePortLatch"),
    **_kinds("WindowState", "FdWindow FpWindow RdWindow RpWindow"),
    **_kinds("FastCharger", "FastChargerType"),
    **_kinds("CableType", "ChargingCableType"),
    **_kinds("ScheduledChargingModeValue", "ScheduledChargingMode"),
    **_kinds("BMSStateValue", "BMSState"),
    **_kinds("HvacPowerState", "HvacPower"),
    **_kinds("HvacAutoModeState", "HvacAutoMode"),
    **_kinds("DefrostModeState", "DefrostMode"),
    **_kinds("ClimateKeeperModeState", "ClimateKeeperMode"),
    **_kinds("CabinOverheatProtectionModeState", "CabinOverheatProtectionMode"),
    **_kinds("ClimateOverheatProtectionTempLimit", "CabinOverheatProtectionTemperatureLimit"),
    **_kinds("DisplayState", "CenterDisplay"),
    **_kinds("DistanceUnit", "SettingDistanceUnit"),
    **_kinds("TemperatureUnit", "SettingTemperatureUnit"),
    **_kinds("PressureUnit", "SettingTirePressureUnit"),
    **_kinds("ChargeUnitPreference", "SettingChargeUnit"),
    **_kinds("TurnSignalState", "LightsTurnSignal"),
    **_kinds("MediaStatus", "MediaPlaybackStatus"),
    **_kinds("SunroofInstalledState", "SunroofInstalled"),
    **_kinds("BuckleStatus", "PassengerSeatBelt"),
    **_kinds("FollowDistance", "CruiseFollowDistance"),
    **_kinds("GuestModeMobileAccess", "GuestModeMobileAccessState"),
    **_kinds("PowershareState", "PowershareStatus"),
    **_kinds("PowershareStopReasonStatus", "PowershareStopReason"),
    **_kinds("PowershareTypeStatus", "PowershareType"),
    **_kinds("TonneauPositionState", "TonneauPosition"),
    **_kinds("TonneauTentModeState", "TonneauTentMode"),
    **_kinds("ForwardCollisionSensitivity", "ForwardCollisionWarning"),
    **_kinds("LaneAssistLevel", "LaneDepartureAvoidance"),
    **_kinds("SpeedAssistLevel", "SpeedLimitWarning"),
    **_kinds("DriveInverterState", "DiStateF DiStateR DiStateREL DiStateRER"),
    **_kinds("HvilStatus", "Hvil"),
}

MAX_TEXT: Final = 255
"""Longest text kept: Home Assistant's limit for a state, and far beyond any real name."""

# The largest number a car's float arm can carry; a double or integer beyond it measures
# nothing, and Home Assistant would show it as infinity (1.8e308 rounds up when written, and
# converting miles to kilometres overflows).
FLOAT32_MAX: Final = 3.4028234663852886e38

# Integer fields whose schedule a car may send as a time of day instead (the Time arm).
TIME_OF_DAY_FIELDS: Final = frozenset({"ScheduledDepartureTime", "ScheduledChargingStartTime"})

_ARM_TYPES: Final = dict(VALUE_ARMS.values())
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# The server's rendering of a legacy location string: "(37.412374 N, 122.145867 W)".
_LOCATION_TEXT = re.compile(
    r"^\(?\s*([0-9.]+)\s*([NS])\s*,\s*([0-9.]+)\s*([EW])\s*\)?$", re.IGNORECASE
)
# "ChargeState" field values sometimes carry the ChargingState prefix.
_STATE_PREFIXES: Final = ("ChargeState",)


def snake(name: str) -> str:
    """Return CamelCase (with acronyms) as lower_snake: `NoPower` -> `no_power`."""
    return _CAMEL.sub("_", name).lower()


def _prefix(enum_name: str) -> str:
    """Return the prefix every value of an enum starts with."""
    return ENUMS[enum_name][0]


def enum_label(enum_name: str, number: int) -> str:
    """Return an enum number's lower_snake label without prefix; unknown numbers are `unknown`."""
    names = enum_values(enum_name)
    if not 0 <= number < len(names):
        return "unknown"
    return snake(names[number].removeprefix(_prefix(enum_name)))


@cache
def enum_labels(enum_name: str) -> frozenset[str]:
    """Return every label `enum_label` can give for an enum, `unknown` included."""
    return frozenset(enum_label(enum_name, number) for number in range(len(enum_values(enum_name))))


def _on_earth(value: TelemetryValue) -> bool:
    """Return whether a location is a finite latitude and longitude within their ranges."""
    if not isinstance(value, tuple):
        return False
    latitude, longitude = value
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )


# Positions of a route rather than of the car: `invalid` means the route ended (no destination
# now), not a glitch of the car's fix, so it clears them.
ROUTE_LOCATIONS: Final = frozenset({"DestinationLocation", "OriginLocation"})


class Verdict(Enum):
    """What `sanitize` made of a decoded value."""

    KEPT = "kept"
    REPLACED = "replaced"
    """Applied as None (an unknown label) or cut to MAX_TEXT."""
    DROPPED = "dropped"
    """Not applied at all: the field keeps its last value (a position off the globe)."""


def _fits(kind: Kind | str, value: TelemetryValue, arm: str | None) -> bool:
    """Return whether a value, and the Value arm it came in, is of the field's kind.

    A car may put any arm on any field: a gear in a BMS-state arm ("sna"), a name in an enum
    arm ("unknown") or a speed as a door set would pass for a value of the field otherwise,
    and a numeric sensor given one raises on every write.
    """
    arm_type = _ARM_TYPES.get(arm) if arm is not None else None
    match kind:
        case Kind.FLOAT | Kind.INT:
            return (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and abs(value) <= FLOAT32_MAX
            )
        case Kind.BOOL:
            return isinstance(value, bool)
        case Kind.TEXT:
            return isinstance(value, str) and arm_type in {None, "string"}
        case Kind.STATE:
            return isinstance(value, str) and arm_type in {None, "string", "ChargingState"}
        case Kind.FLAGS:
            return isinstance(value, Mapping) and all(
                isinstance(flag, bool) for flag in value.values()
            )
        case str():
            return isinstance(value, str) and arm_type in {None, "string", kind}
    raise AssertionError(kind)  # pragma: no cover - positions are checked by _on_earth


def sanitize(
    field: str, value: TelemetryValue, arm: str | None = None
) -> tuple[TelemetryValue, Verdict]:
    """Return a decoded value as entities can take it, and what was done to it.

    A value not of the field's kind (`arm` is the Value arm it came in), a label its enum
    lacks (an unknown gear letter, a megabyte of text) or an overlong state word says the old
    value no longer holds without saying what does: None, "no valid value". A location that
    is none (latitude 999, NaN, `invalid`, not a position) is a glitch of the fix, not a
    move: dropped, so the car stays where it was last really seen, whatever the batching.
    Other text is cut to MAX_TEXT.
    """
    kind = FIELD_KINDS.get(field)
    if kind is Kind.LOCATION:
        if value is None and field in ROUTE_LOCATIONS:
            return None, Verdict.KEPT  # the route ended: there is no destination any more
        return (value, Verdict.KEPT) if _on_earth(value) else (None, Verdict.DROPPED)
    if value is None:
        return None, Verdict.KEPT
    scheduled = field in TIME_OF_DAY_FIELDS and isinstance(value, dt.time)
    if kind is not None and not (scheduled or _fits(kind, value, arm)):
        return None, Verdict.REPLACED
    match kind:
        case str():
            kept = isinstance(value, str) and value in enum_labels(kind)
        case Kind.STATE:
            kept = isinstance(value, str) and len(value) <= MAX_TEXT
        case Kind.FLAGS:
            kept = isinstance(value, Mapping)
        case _:
            if isinstance(value, str) and len(value) > MAX_TEXT:
                return value[:MAX_TEXT], Verdict.REPLACED
            return value, Verdict.KEPT
    return (value, Verdict.KEPT) if kept else (None, Verdict.REPLACED)


def _label_text(text: str, prefixes: tuple[str, ...]) -> str | None:
    """Return a state word as a lower_snake label, without any of the known prefixes."""
    word = text.strip()
    for prefix in prefixes:
        if word.startswith(prefix) and len(word) > len(prefix):
            word = word.removeprefix(prefix)
            break
    return snake(word) if word else None


def _bool_text(text: str) -> bool | None:
    """Parse the vehicle's "true"/"false" strings."""
    lowered = text.strip().lower()
    if lowered in {"true", "1"}:
        return True
    if lowered in {"false", "0"}:
        return False
    return None


def _location_text(text: str) -> tuple[float, float] | None:
    """Parse "(37.41 N, 122.14 W)" into signed degrees."""
    match = _LOCATION_TEXT.match(text.strip())
    if match is None:
        return None
    lat = float(match[1]) * (-1 if match[2].upper() == "S" else 1)
    lon = float(match[3]) * (-1 if match[4].upper() == "W" else 1)
    return (lat, lon)


def _guess_text(text: str) -> TelemetryValue:
    """Coerce a string of a field we have no type for by its shape, as other consumers do."""
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    number = finite_text(text)
    return text if number is None else number


def from_text(field: str | None, text: str) -> TelemetryValue:
    """Return a string-encoded value as the field's Python type; unparsable text is None."""
    kind = FIELD_KINDS.get(field or "")
    match kind:
        case None:
            return _guess_text(text)
        case Kind.TEXT:
            return text
        case Kind.FLOAT:
            return finite_text(text)
        case Kind.INT:
            number = finite_text(text)
            return None if number is None else round(number)
        case Kind.BOOL:
            return _bool_text(text)
        case Kind.LOCATION:
            return _location_text(text)
        case Kind.STATE:
            return _label_text(text, _STATE_PREFIXES)
        case Kind.FLAGS:
            # Only the typed message form is documented; a string cannot say which flags are set.
            return None
        case str():
            return _label_text(text, (_prefix(kind),))
    raise AssertionError(kind)  # pragma: no cover - the match covers every kind


def _coerce(field: str | None, value: TelemetryValue) -> TelemetryValue:
    """Give a typed number the field's declared numeric type (vehicles pick any numeric arm)."""
    kind = FIELD_KINDS.get(field or "")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if kind is Kind.FLOAT:
        return float(value)
    if kind is Kind.INT:
        return round(value)
    return value


def _float32(number: float) -> float | None:
    """Drop the noise a float32 gains when widened (-0.7 arrives as -0.7000000104308128)."""
    return float(f"{number:.7g}") if math.isfinite(number) else None


def _typed(arm: str, raw: Any) -> TelemetryValue:
    """Return a typed arm's content as a Python value."""
    arm_type = _ARM_TYPES[arm]
    if arm_type in ENUMS:
        index = int(raw)
        if 0 <= index < len(enum_values(arm_type)):
            return enum_label(arm_type, index)
        # A number newer than our enum names no state we know: `sanitize` makes it None (shown
        # as unknown) and counts it, as it does a string label the enum lacks.
        return f"#{index}"
    match arm_type:
        case "float":
            return _float32(float(raw))
        case "double":
            number = float(raw)
            return number if math.isfinite(number) else None
        case "int32" | "int64":
            return int(raw)
        case "bool":
            return bool(raw)
        case "LocationValue":
            return (float(raw.latitude), float(raw.longitude))
        case "Time":
            try:
                return dt.time(int(raw.hour), int(raw.minute), int(raw.second))
            except ValueError:
                return None
        case "Doors":
            return {snake(name): bool(getattr(raw, name)) for name in DOOR_NAMES}
        case "TireLocation":
            return {name: bool(getattr(raw, name)) for name in TIRE_NAMES}
    raise AssertionError(arm)  # pragma: no cover - string_value never reaches here


def decode_value(field: str | None, value: Any) -> tuple[TelemetryValue, bool]:
    """Return (Python value, understood) for a `Value` message of the named field.

    `understood` is False for a oneof arm newer than our schema; `invalid` or no arm at all
    is the vehicle saying it has no valid value, which is None.
    """
    arm = value.WhichOneof("value")
    if arm is None:
        # An arm we do not know parses as an unknown field, leaving the oneof empty.
        return None, not value.ByteSize()
    if arm == "invalid":
        return None, True
    if arm == "string_value":
        return from_text(field, value.string_value), True
    return _coerce(field, _typed(arm, getattr(value, arm))), True
