"""What each vehicle control entity reads from telemetry and which Fleet API command it sends.

Commands and bodies are those of Home Assistant core's Teslemetry and Tesla Fleet integrations
(tesla-fleet-api's vehicle methods): seats numbered as its `Seat` (heaters) and `AutoSeat`
(auto climate, coolers), levels 0-3, cabin overheat limits 0-2 for 30/35/40 °C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.components.button import ButtonEntityDescription
from homeassistant.components.climate import ClimateEntityDescription
from homeassistant.components.cover import CoverDeviceClass, CoverEntityDescription
from homeassistant.components.lock import LockEntityDescription
from homeassistant.components.media_player import MediaPlayerEntityDescription
from homeassistant.components.number import NumberDeviceClass, NumberEntityDescription, NumberMode
from homeassistant.components.select import SelectEntityDescription
from homeassistant.components.switch import SwitchEntityDescription
from homeassistant.components.update import UpdateEntityDescription
from homeassistant.const import PERCENTAGE, UnitOfElectricCurrent

from .control import Command, ControlDescription

type Value = Callable[[str], Any]
"""Reads a field as the entity shows it (overlay first, then telemetry)."""

WINDOWS: Final = ("FdWindow", "FpWindow", "RdWindow", "RpWindow")
CHARGING: Final = frozenset({"starting", "charging"})
CLIMATE_ON: Final = frozenset({"on", "precondition"})
# tesla-fleet-api's Level, by the option a select shows.
LEVELS: Final = {"off": 0, "low": 1, "medium": 2, "high": 3}
SEAT_LEVELS: Final = ("off", "low", "medium", "high")
WHEEL_LEVELS: Final = ("off", "low", "high")


def _flag(value: Any) -> bool | None:
    """Return a telemetry flag as a bool (None when unknown)."""
    return None if value is None else bool(value)


def _negated(value: Any) -> bool | None:
    """Return the opposite of a telemetry flag (None when unknown)."""
    return None if value is None else not value


def _not_off(value: Any) -> bool | None:
    """Return whether an enum label is anything but off (None when unknown)."""
    return None if value is None else value != "off"


# Locks ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VehicleLockDescription(LockEntityDescription, ControlDescription):
    """A lock: its state from telemetry; unlocking (and maybe locking) sends a command."""

    is_locked_fn: Callable[[Value], bool | None]
    lock: Command | None
    unlock: Command
    overlay_fn: Callable[[bool], dict[str, Any]]


def _latched(value: Value) -> bool | None:
    latch = value("ChargePortLatch")
    return None if latch is None else latch == "engaged"


VEHICLE_LOCKS: Final = (
    VehicleLockDescription(
        key="vehicle_state_locked",
        translation_key="doors",
        fields=("Locked",),
        is_locked_fn=lambda value: _flag(value("Locked")),
        lock=Command("door_lock"),
        unlock=Command("door_unlock"),
        overlay_fn=lambda locked: {"Locked": locked},
    ),
    VehicleLockDescription(
        key="charge_state_charge_port_latch",
        translation_key="charge_cable",
        fields=("ChargePortLatch",),
        is_locked_fn=_latched,
        # The car latches the cable itself; remotely it can only be released.
        lock=None,
        unlock=Command("charge_port_door_open"),
        overlay_fn=lambda locked: {"ChargePortLatch": "engaged" if locked else "disengaged"},
    ),
)


# Covers --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VehicleCoverDescription(CoverEntityDescription, ControlDescription):
    """A cover: closed or not from telemetry; opening and closing send commands."""

    is_closed_fn: Callable[[Value], bool | None]
    open: Command | None
    close: Command | None
    overlay_fn: Callable[[Value, bool], dict[str, Any]]
    # One command toggles it: sent only when the state is not already the one asked for.
    toggles: bool = False


def _windows_closed(value: Value) -> bool | None:
    states = [value(name) for name in WINDOWS]
    if any(state not in (None, "closed") for state in states):
        return False
    return None if None in states else True


def _tonneau_closed(position: Any) -> bool | None:
    if position in ("partially_open", "fully_open"):
        return False
    return True if position == "closed" else None


def _door(value: Value, door: str) -> bool | None:
    doors = value("DoorState")
    if not isinstance(doors, Mapping) or door not in doors:
        return None
    return not doors[door]


def _door_overlay(value: Value, door: str, closed: bool) -> dict[str, Any]:
    doors = value("DoorState")
    known = dict(doors) if isinstance(doors, Mapping) else {}
    return {"DoorState": {**known, door: not closed}}


VEHICLE_COVERS: Final = (
    VehicleCoverDescription(
        key="windows",
        translation_key="windows",
        device_class=CoverDeviceClass.WINDOW,
        fields=WINDOWS,
        is_closed_fn=_windows_closed,
        open=Command("window_control", {"lat": None, "lon": None, "command": "vent"}),
        close=Command("window_control", {"lat": None, "lon": None, "command": "close"}),
        overlay_fn=lambda _value, closed: dict.fromkeys(
            WINDOWS, "closed" if closed else "partially_open"
        ),
    ),
    VehicleCoverDescription(
        key="charge_state_charge_port_door_open",
        translation_key="charge_port_door",
        device_class=CoverDeviceClass.DOOR,
        fields=("ChargePortDoorOpen",),
        is_closed_fn=lambda value: _negated(value("ChargePortDoorOpen")),
        open=Command("charge_port_door_open"),
        close=Command("charge_port_door_close"),
        overlay_fn=lambda _value, closed: {"ChargePortDoorOpen": not closed},
    ),
    VehicleCoverDescription(
        key="vehicle_state_ft",
        translation_key="frunk",
        device_class=CoverDeviceClass.DOOR,
        fields=("DoorState",),
        is_closed_fn=lambda value: _door(value, "trunk_front"),
        # The frunk closes by hand only.
        open=Command("actuate_trunk", {"which_trunk": "front"}),
        close=None,
        overlay_fn=lambda value, closed: _door_overlay(value, "trunk_front", closed),
        toggles=True,
    ),
    # The Cybertruck's tonneau: shown from telemetry only. Core moves it with the Vehicle
    # Command Protocol's signed closure message; no documented Fleet API REST command does
    # it, and REST commands are all this integration sends, so it offers no remote action.
    VehicleCoverDescription(
        key="tonneau",
        translation_key="tonneau",
        device_class=CoverDeviceClass.DOOR,
        fields=("TonneauPosition",),
        is_closed_fn=lambda value: _tonneau_closed(value("TonneauPosition")),
        open=None,
        close=None,
        overlay_fn=lambda _value, _closed: {},
    ),
    VehicleCoverDescription(
        key="vehicle_state_rt",
        translation_key="trunk",
        device_class=CoverDeviceClass.DOOR,
        fields=("DoorState",),
        is_closed_fn=lambda value: _door(value, "trunk_rear"),
        open=Command("actuate_trunk", {"which_trunk": "rear"}),
        close=Command("actuate_trunk", {"which_trunk": "rear"}),
        overlay_fn=lambda value, closed: _door_overlay(value, "trunk_rear", closed),
        toggles=True,
    ),
)


# Switches ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VehicleSwitchDescription(SwitchEntityDescription, ControlDescription):
    """A switch: on or off from telemetry; each way sends a command."""

    is_on_fn: Callable[[Value], bool | None]
    command_fn: Callable[[bool], Command]
    overlay_fn: Callable[[bool], dict[str, Any]]


VEHICLE_SWITCHES: Final = (
    VehicleSwitchDescription(
        key="vehicle_state_sentry_mode",
        translation_key="sentry_mode",
        fields=("SentryMode",),
        is_on_fn=lambda value: _not_off(value("SentryMode")),
        command_fn=lambda on: Command("set_sentry_mode", {"on": on}),
        overlay_fn=lambda on: {"SentryMode": "armed" if on else "off"},
    ),
    VehicleSwitchDescription(
        key="vehicle_state_valet_mode",
        translation_key="valet_mode",
        fields=("ValetModeEnabled",),
        is_on_fn=lambda value: _flag(value("ValetModeEnabled")),
        command_fn=lambda on: Command("set_valet_mode", {"on": on, "password": ""}),
        overlay_fn=lambda on: {"ValetModeEnabled": on},
    ),
    VehicleSwitchDescription(
        key="climate_state_auto_seat_climate_left",
        translation_key="auto_seat_climate_left",
        fields=("AutoSeatClimateLeft",),
        is_on_fn=lambda value: _flag(value("AutoSeatClimateLeft")),
        command_fn=lambda on: Command(
            "remote_auto_seat_climate_request",
            {"auto_seat_position": 1, "auto_climate_on": on},
        ),
        overlay_fn=lambda on: {"AutoSeatClimateLeft": on},
    ),
    VehicleSwitchDescription(
        key="climate_state_auto_seat_climate_right",
        translation_key="auto_seat_climate_right",
        fields=("AutoSeatClimateRight",),
        is_on_fn=lambda value: _flag(value("AutoSeatClimateRight")),
        command_fn=lambda on: Command(
            "remote_auto_seat_climate_request",
            {"auto_seat_position": 2, "auto_climate_on": on},
        ),
        overlay_fn=lambda on: {"AutoSeatClimateRight": on},
    ),
    VehicleSwitchDescription(
        key="climate_state_auto_steering_wheel_heat",
        translation_key="auto_steering_wheel_heat",
        fields=("HvacSteeringWheelHeatAuto",),
        is_on_fn=lambda value: _flag(value("HvacSteeringWheelHeatAuto")),
        command_fn=lambda on: Command(
            "remote_auto_steering_wheel_heat_climate_request", {"on": on}
        ),
        overlay_fn=lambda on: {"HvacSteeringWheelHeatAuto": on},
    ),
    VehicleSwitchDescription(
        key="climate_state_defrost_mode",
        translation_key="defrost",
        fields=("DefrostMode",),
        is_on_fn=lambda value: _not_off(value("DefrostMode")),
        command_fn=lambda on: Command(
            "set_preconditioning_max", {"on": on, "manual_override": False}
        ),
        overlay_fn=lambda on: {"DefrostMode": "max" if on else "off"},
    ),
    VehicleSwitchDescription(
        key="charge_state_user_charge_enable_request",
        translation_key="charge",
        fields=("DetailedChargeState",),
        is_on_fn=lambda value: (
            None if (state := value("DetailedChargeState")) is None else state in CHARGING
        ),
        command_fn=lambda on: Command("charge_start" if on else "charge_stop"),
        overlay_fn=lambda on: {"DetailedChargeState": "charging" if on else "stopped"},
    ),
    VehicleSwitchDescription(
        key="guest_mode_enabled",
        translation_key="guest_mode",
        fields=("GuestModeEnabled",),
        is_on_fn=lambda value: _flag(value("GuestModeEnabled")),
        command_fn=lambda on: Command("guest_mode", {"enable": on}),
        overlay_fn=lambda on: {"GuestModeEnabled": on},
    ),
)


# Numbers -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VehicleNumberDescription(NumberEntityDescription, ControlDescription):
    """A number: its first field's value; setting it sends a command with the whole number."""

    command_fn: Callable[[int], Command]
    max_field: str | None = None


VEHICLE_NUMBERS: Final = (
    VehicleNumberDescription(
        key="charge_state_charge_current_request",
        translation_key="charge_current",
        fields=("ChargeCurrentRequest",),
        max_field="ChargeCurrentRequestMax",
        native_min_value=0,
        native_max_value=32,
        native_step=1,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        device_class=NumberDeviceClass.CURRENT,
        mode=NumberMode.AUTO,
        command_fn=lambda amps: Command("set_charging_amps", {"charging_amps": amps}),
    ),
    VehicleNumberDescription(
        key="charge_state_charge_limit_soc",
        translation_key="charge_limit",
        fields=("ChargeLimitSoc",),
        native_min_value=50,
        native_max_value=100,
        native_step=1,
        native_unit_of_measurement=PERCENTAGE,
        device_class=NumberDeviceClass.BATTERY,
        mode=NumberMode.AUTO,
        command_fn=lambda percent: Command("set_charge_limit", {"percent": percent}),
    ),
)


# Selects -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VehicleSelectDescription(SelectEntityDescription, ControlDescription):
    """A heater or cooler level: its first field's level; choosing one sends a command."""

    command_fn: Callable[[int], Command]
    options: list[str] = field(default_factory=lambda: list(SEAT_LEVELS))


def _seat_heater(key: str, name: str, seat: int) -> VehicleSelectDescription:
    return VehicleSelectDescription(
        key=key,
        translation_key=key.removeprefix("climate_state_"),
        fields=(name,),
        command_fn=lambda level: Command(
            "remote_seat_heater_request", {"heater": seat, "level": level}
        ),
    )


def _seat_cooler(key: str, name: str, seat: int) -> VehicleSelectDescription:
    return VehicleSelectDescription(
        key=key,
        translation_key=key.removeprefix("climate_state_"),
        fields=(name,),
        command_fn=lambda level: Command(
            "remote_seat_cooler_request", {"seat_position": seat, "seat_cooler_level": level}
        ),
    )


VEHICLE_SELECTS: Final = (
    _seat_heater("climate_state_seat_heater_left", "SeatHeaterLeft", 0),
    _seat_heater("climate_state_seat_heater_right", "SeatHeaterRight", 1),
    _seat_heater("climate_state_seat_heater_rear_left", "SeatHeaterRearLeft", 2),
    _seat_heater("climate_state_seat_heater_rear_center", "SeatHeaterRearCenter", 4),
    _seat_heater("climate_state_seat_heater_rear_right", "SeatHeaterRearRight", 5),
    VehicleSelectDescription(
        key="climate_state_steering_wheel_heat_level",
        translation_key="steering_wheel_heat_level",
        fields=("HvacSteeringWheelHeatLevel",),
        options=list(WHEEL_LEVELS),
        command_fn=lambda level: Command(
            "remote_steering_wheel_heat_level_request", {"level": level}
        ),
    ),
    _seat_cooler("climate_state_seat_fan_front_left", "ClimateSeatCoolingFrontLeft", 1),
    _seat_cooler("climate_state_seat_fan_front_right", "ClimateSeatCoolingFrontRight", 2),
)


# Buttons -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VehicleButtonDescription(ButtonEntityDescription, ControlDescription):
    """A button: no state; pressing sends a command (None: wake the car)."""

    command_fn: Callable[[tuple[float, float]], Command] | None
    fields: tuple[str, ...] = ()


VEHICLE_BUTTONS: Final = (
    VehicleButtonDescription(key="wake", translation_key="wake", command_fn=None),
    VehicleButtonDescription(
        key="flash_lights",
        translation_key="flash_lights",
        command_fn=lambda _home: Command("flash_lights"),
    ),
    VehicleButtonDescription(
        key="honk", translation_key="honk", command_fn=lambda _home: Command("honk_horn")
    ),
    VehicleButtonDescription(
        key="enable_keyless_driving",
        translation_key="enable_keyless_driving",
        command_fn=lambda _home: Command("remote_start_drive"),
    ),
    VehicleButtonDescription(
        key="boombox",
        translation_key="boombox",
        command_fn=lambda _home: Command("remote_boombox", {"sound": 0}),
    ),
    VehicleButtonDescription(
        key="homelink",
        translation_key="homelink",
        # The car opens the garage only near it; Home Assistant's home is where that is.
        command_fn=lambda home: Command("trigger_homelink", {"lat": home[0], "lon": home[1]}),
    ),
)


# Climate, media player and update: one entity each, described by key and fields only.


@dataclass(frozen=True, kw_only=True)
class VehicleClimateDescription(ClimateEntityDescription, ControlDescription):
    """A climate entity of the car; its behaviour is its class's."""


@dataclass(frozen=True, kw_only=True)
class VehicleMediaDescription(MediaPlayerEntityDescription, ControlDescription):
    """The car's media player."""


@dataclass(frozen=True, kw_only=True)
class VehicleUpdateDescription(UpdateEntityDescription, ControlDescription):
    """The car's software update."""


CABIN_CLIMATE: Final = VehicleClimateDescription(
    key="driver_temp",
    translation_key="cabin",
    fields=("HvacPower", "HvacLeftTemperatureRequest", "HvacRightTemperatureRequest"),
)
CABIN_OVERHEAT_PROTECTION: Final = VehicleClimateDescription(
    key="climate_state_cabin_overheat_protection",
    translation_key="cabin_overheat_protection",
    fields=("CabinOverheatProtectionMode", "CabinOverheatProtectionTemperatureLimit"),
    # As core: most cars never use it, and it would crowd the device page.
    entity_registry_enabled_default=False,
)
MEDIA: Final = VehicleMediaDescription(
    key="media", translation_key="media", fields=("MediaPlaybackStatus", "MediaAudioVolume")
)
SOFTWARE_UPDATE: Final = VehicleUpdateDescription(
    key="vehicle_state_software_update_status",
    translation_key="software_update",
    fields=("Version", "SoftwareUpdateVersion"),
)
