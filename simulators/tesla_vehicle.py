"""The simulated Tesla cloud's vehicle half: commands, wake_up, and the telemetry they cause.

Mounted on the energy simulator's application (same token check, rate limit and faults). Each
command is recorded with its JSON body as sent, applied to the car's state, and, when a
producer is attached, the changed fields are written to Kafka as the car's Fleet Telemetry
record would be, so a test reads the outcome back through the stream. A car can be asleep
(408 until woken), demand signed commands (403, as Tesla answers unsigned ones), or refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import RecordType
from custom_components.tesla_energy_sync.clients.fleet_telemetry.schema import (
    DOOR_NAMES,
    ENUMS,
    FIELD_NUMBERS,
    VALUE_ARMS,
    Payload,
    enum_values,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.values import FIELD_KINDS

from .tesla_energy import Rejected, TeslaEnergySimulator, _fail

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .fleet_telemetry import FleetProducer

SIGNING_REFUSAL: Final = (
    "Tesla Vehicle Command Protocol required, please refer to the documentation here"
)
ASLEEP_ERROR: Final = "vehicle unavailable: vehicle is offline or asleep"
# Enum fields the commands set, by field: the enum's name in the schema.
_ENUM_ARMS: Final = {kind: arm for arm, kind in VALUE_ARMS.values()}
# The enum-typed fields this simulator sends that the read side may not list yet.
_ENUM_KINDS: Final = {
    "SentryMode": "SentryModeState",
    "DefrostMode": "DefrostModeState",
    "HvacPower": "HvacPowerState",
    "ClimateKeeperMode": "ClimateKeeperModeState",
    "CabinOverheatProtectionMode": "CabinOverheatProtectionModeState",
    "CabinOverheatProtectionTemperatureLimit": "ClimateOverheatProtectionTempLimit",
    "MediaPlaybackStatus": "MediaStatus",
    "DetailedChargeState": "DetailedChargeStateValue",
    "ChargePortLatch": "ChargePortLatchValue",
    "FdWindow": "WindowState",
    "FpWindow": "WindowState",
    "RdWindow": "WindowState",
    "RpWindow": "WindowState",
}
# remote_seat_heater_request's `heater` (tesla-fleet-api's Seat) -> the field reporting it.
SEAT_HEATER_FIELDS: Final = {
    0: "SeatHeaterLeft",
    1: "SeatHeaterRight",
    2: "SeatHeaterRearLeft",
    4: "SeatHeaterRearCenter",
    5: "SeatHeaterRearRight",
}
SEAT_COOLER_FIELDS: Final = {1: "ClimateSeatCoolingFrontLeft", 2: "ClimateSeatCoolingFrontRight"}
AUTO_SEAT_FIELDS: Final = {1: "AutoSeatClimateLeft", 2: "AutoSeatClimateRight"}
WINDOWS: Final = ("FdWindow", "FpWindow", "RdWindow", "RpWindow")
KEEPER_MODES: Final = ("Off", "On", "Dog", "Party")
COP_LIMITS: Final = ("Low", "Medium", "High")
# Commands the car carries out without a state telemetry reports.
_STATELESS: Final = frozenset(
    {
        "flash_lights",
        "honk_horn",
        "remote_start_drive",
        "remote_boombox",
        "trigger_homelink",
        "media_next_track",
        "media_prev_track",
    }
)


def encode_fields(vin: str, created_at: dt.datetime, fields: Mapping[str, Any]) -> bytes:
    """Serialize a typed vehicle-data Payload of Python values (enum labels as the car names them)."""
    payload = Payload(vin=vin)
    payload.created_at.FromDatetime(created_at)
    for name, value in fields.items():
        datum = payload.data.add()
        datum.key = FIELD_NUMBERS[name]
        kind = _ENUM_KINDS.get(name) or FIELD_KINDS.get(name)
        if value is None:
            datum.value.invalid = True
        elif isinstance(kind, str):
            setattr(datum.value, _ENUM_ARMS[kind], enum_values(kind).index(ENUMS[kind][0] + value))
        elif isinstance(value, Mapping):
            for door in DOOR_NAMES:
                setattr(datum.value.door_value, door, bool(value.get(door)))
        elif isinstance(value, bool):
            datum.value.boolean_value = value
        elif isinstance(value, int):
            datum.value.int_value = value
        elif isinstance(value, float):
            datum.value.double_value = value
        else:
            datum.value.string_value = str(value)
    data: bytes = payload.SerializeToString()
    return data


def initial_car() -> dict[str, Any]:
    """Return a parked, locked, idle car: the fields every control entity reads."""
    return {
        "Locked": True,
        "ChargePortDoorOpen": False,
        "ChargePortLatch": "Engaged",
        **dict.fromkeys(WINDOWS, "Closed"),
        "DoorState": dict.fromkeys(DOOR_NAMES, False),
        "SentryMode": "Off",
        "ValetModeEnabled": False,
        "GuestModeEnabled": False,
        "AutoSeatClimateLeft": False,
        "AutoSeatClimateRight": False,
        "HvacSteeringWheelHeatAuto": False,
        "DefrostMode": "Off",
        "DetailedChargeState": "Stopped",
        "ChargeCurrentRequest": 16,
        "ChargeCurrentRequestMax": 32,
        "ChargeLimitSoc": 80,
        **dict.fromkeys(SEAT_HEATER_FIELDS.values(), 0),
        **dict.fromkeys(SEAT_COOLER_FIELDS.values(), 0),
        "HvacSteeringWheelHeatLevel": 0,
        "HvacPower": "Off",
        "InsideTemp": 18.5,
        "HvacLeftTemperatureRequest": 20.0,
        "HvacRightTemperatureRequest": 20.0,
        "ClimateKeeperMode": "Off",
        "CabinOverheatProtectionMode": "Off",
        "CabinOverheatProtectionTemperatureLimit": "Medium",
        "MediaPlaybackStatus": "Paused",
        "MediaAudioVolume": 3.0,
        "MediaNowPlayingTitle": "Sim Song",
        "MediaNowPlayingArtist": "Sim Band",
        "Version": "2026.20.1 abcdef123456",
        "SoftwareUpdateVersion": "2026.26.3",
        "SoftwareUpdateDownloadPercentComplete": 100,
        "SoftwareUpdateInstallationPercentComplete": 0,
    }


class TeslaVehicleSimulator(TeslaEnergySimulator):
    """The energy simulator plus POST /api/1/vehicles/{vin}/command/{name} and wake_up."""

    def __init__(self, *, vins: tuple[str, ...] = (), **kwargs: Any) -> None:
        """Start every car awake, accepting unsigned commands, with `initial_car` state."""
        super().__init__(**kwargs)
        self.cars: dict[str, dict[str, Any]] = {vin: initial_car() for vin in vins}
        # Every command as received: (vin, name, JSON body or None when none was sent).
        self.vehicle_commands: list[tuple[str, str, Any]] = []
        self.wake_calls: list[str] = []
        self.asleep: set[str] = set()
        # How many wake_up calls a sleeping car needs before it answers "online".
        self.wake_calls_needed = 2
        self.signing_required: set[str] = set()
        # A reason the next commands to a car are refused with (result false).
        self.refusals: dict[str, str] = {}
        # An answer every command gets instead of the car's (a malformed or odd one).
        self.vehicle_answer: Any = None
        self.producer: FleetProducer | None = None
        self.on_record: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
        self._wakes: dict[str, int] = {}

    def _build_app(self) -> web.Application:
        """Return the energy application with the vehicle routes added."""
        app = super()._build_app()
        app.router.add_post("/api/1/vehicles/{vin}/wake_up", self._wake_up)
        app.router.add_post("/api/1/vehicles/{vin}/command/{name}", self._command)
        return app

    async def publish(self, vin: str, fields: Mapping[str, Any]) -> None:
        """Write the car's record of `fields` to Kafka, as its telemetry would."""
        if self.producer is not None:
            await self.producer.send_record(
                RecordType.VEHICLE_DATA, vin, encode_fields(vin, self.now(), fields)
            )

    async def publish_all(self, vin: str) -> None:
        """Write every field of the car's state (its first record after connecting)."""
        await self.publish(vin, self.cars[vin])

    def _car(self, request: web.Request) -> tuple[str, dict[str, Any]]:
        vin = request.match_info["vin"]
        if vin not in self.cars:
            raise Rejected(404, "not_found")
        return vin, self.cars[vin]

    async def _wake_up(self, request: web.Request) -> web.Response:
        vin, _car = self._car(request)
        self.wake_calls.append(vin)
        if vin in self.asleep:
            self._wakes[vin] = self._wakes.get(vin, 0) + 1
            if self._wakes[vin] >= self.wake_calls_needed:
                self.asleep.discard(vin)
                self._wakes.pop(vin)
        state = "asleep" if vin in self.asleep else "online"
        return web.json_response({"response": {"vin": vin, "state": state}})

    async def _command(self, request: web.Request) -> web.Response:
        vin, car = self._car(request)
        name = request.match_info["name"]
        raw = await request.read()
        body = await self._json(request) if raw else None
        self.vehicle_commands.append((vin, name, body))
        if vin in self.signing_required:
            return _fail(403, SIGNING_REFUSAL)
        if vin in self.asleep:
            return _fail(408, ASLEEP_ERROR)
        if self.vehicle_answer is not None:
            return web.json_response(self.vehicle_answer)
        if reason := self.refusals.get(vin):
            return web.json_response({"response": {"result": False, "reason": reason}})
        changed = self._apply_command(car, name, body or {})
        if changed is None and name not in _STATELESS:
            raise Rejected(404, f"unknown command {name}")
        if changed:
            car.update(changed)
            await self.publish(vin, changed)
        return web.json_response({"response": {"result": True, "reason": ""}})

    def _apply_command(
        self, car: dict[str, Any], name: str, body: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Return the fields a command changes, None for a command the car does not know."""
        match name:
            case "door_lock" | "door_unlock":
                return {"Locked": name == "door_lock"}
            case "charge_port_door_open":
                return {"ChargePortDoorOpen": True, "ChargePortLatch": "Disengaged"}
            case "charge_port_door_close":
                return {"ChargePortDoorOpen": False, "ChargePortLatch": "Engaged"}
            case "window_control":
                state = "PartiallyOpen" if body["command"] == "vent" else "Closed"
                return dict.fromkeys(WINDOWS, state)
            case "actuate_trunk":
                door = "TrunkFront" if body["which_trunk"] == "front" else "TrunkRear"
                doors = dict(car["DoorState"])
                doors[door] = not doors[door] if door == "TrunkRear" else True
                return {"DoorState": doors}
            case "set_sentry_mode":
                return {"SentryMode": "Armed" if body["on"] else "Off"}
            case "set_valet_mode":
                return {"ValetModeEnabled": bool(body["on"])}
            case "guest_mode":
                return {"GuestModeEnabled": bool(body["enable"])}
            case "remote_auto_seat_climate_request":
                return {AUTO_SEAT_FIELDS[body["auto_seat_position"]]: body["auto_climate_on"]}
            case "remote_auto_steering_wheel_heat_climate_request":
                return {"HvacSteeringWheelHeatAuto": bool(body["on"])}
            case "set_preconditioning_max":
                return {"DefrostMode": "Max" if body["on"] else "Off"}
            case "charge_start" | "charge_stop":
                return {"DetailedChargeState": "Charging" if name == "charge_start" else "Stopped"}
            case "set_charging_amps":
                return {"ChargeCurrentRequest": int(body["charging_amps"])}
            case "set_charge_limit":
                return {"ChargeLimitSoc": int(body["percent"])}
            case "remote_seat_heater_request":
                return {SEAT_HEATER_FIELDS[body["heater"]]: int(body["level"])}
            case "remote_seat_cooler_request":
                return {SEAT_COOLER_FIELDS[body["seat_position"]]: int(body["seat_cooler_level"])}
            case "remote_steering_wheel_heat_level_request":
                return {"HvacSteeringWheelHeatLevel": int(body["level"])}
            case "auto_conditioning_start" | "auto_conditioning_stop":
                return {"HvacPower": "On" if name == "auto_conditioning_start" else "Off"}
            case "set_temps":
                return {
                    "HvacLeftTemperatureRequest": float(body["driver_temp"]),
                    "HvacRightTemperatureRequest": float(body["passenger_temp"]),
                }
            case "set_climate_keeper_mode":
                mode = KEEPER_MODES[body["climate_keeper_mode"]]
                return {"ClimateKeeperMode": mode, "HvacPower": "Off" if mode == "Off" else "On"}
            case "set_cabin_overheat_protection":
                mode = ("FanOnly" if body["fan_only"] else "On") if body["on"] else "Off"
                return {"CabinOverheatProtectionMode": mode}
            case "set_cop_temp":
                return {"CabinOverheatProtectionTemperatureLimit": COP_LIMITS[body["cop_temp"]]}
            case "adjust_volume":
                return {"MediaAudioVolume": float(body["volume"])}
            case "media_toggle_playback":
                playing = car["MediaPlaybackStatus"] == "Playing"
                return {"MediaPlaybackStatus": "Paused" if playing else "Playing"}
            case "schedule_software_update":
                return {"SoftwareUpdateInstallationPercentComplete": 50}
        return {} if name in _STATELESS else None
