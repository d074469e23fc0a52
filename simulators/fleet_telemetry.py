"""A stand-in for Tesla's fleet-telemetry server's Kafka dispatcher: real protobuf records.

Each vehicle drives a seeded route (reverse out, drive, park), charges, and comes and goes on
the connectivity topic, with an alert or two and a telemetry error. Records go to
`<prefix>_V`, `_connectivity`, `_alerts` and `_errors` with the VIN as key and the seven
string headers the server sets. `string_values=True` writes the older form where most values
are `string_value` ("44964.097", "D", "true"). `plan_trip` and `expected_state` compute the
outcome from the plan alone, so tests need not trust the records they sent.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
import contextlib
from dataclasses import dataclass
import datetime as dt
import hashlib
import math
import random
from typing import Any, Final

from aiokafka import AIOKafkaProducer

from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import (
    ConnectivityStatus,
    RecordType,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.schema import (
    AUDIENCES,
    DOOR_NAMES,
    ENUMS,
    FIELD_NUMBERS,
    VALUE_ARMS,
    Payload,
    VehicleAlerts,
    VehicleConnectivity,
    VehicleErrors,
    enum_values,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.values import (
    FIELD_KINDS,
    Kind,
    enum_label,
    snake,
)

from .kafka_broker import TansuBroker

START_TIME: Final = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC)
# Garbage the dispatcher would never write: a length prefix running past the end of the bytes.
GARBAGE: Final = b"\x0a\xff\x01\x08\x01not protobuf"
# A field number newer than our schema, as a car on future firmware would send.
FUTURE_FIELD: Final = 275

# How the simulator writes each field it sends: (typed arm, how to render it as a string).
_ARMS: Final[dict[str, str]] = {
    "Location": "location_value",
    "DestinationLocation": "location_value",
    "GpsHeading": "double_value",
    "VehicleSpeed": "float_value",
    "Odometer": "double_value",
    "BatteryLevel": "double_value",
    "Soc": "double_value",
    "EstBatteryRange": "double_value",
    "ACChargingPower": "double_value",
    "ChargerVoltage": "double_value",
    "ChargeAmps": "double_value",
    "TimeToFullCharge": "double_value",
    "MinutesToArrival": "double_value",
    "ChargeLimitSoc": "int_value",
    "Locked": "boolean_value",
    "ChargePortDoorOpen": "boolean_value",
    "Gear": "shift_state_value",
    "SentryMode": "sentry_mode_state_value",
    "DetailedChargeState": "detailed_charge_state_value",
    "ChargeState": "string_value",
    "VehicleName": "string_value",
    "TpmsPressureFl": "double_value",
    "TpmsPressureFr": "double_value",
    "TpmsPressureRl": "double_value",
    "TpmsPressureRr": "double_value",
    "HvacPower": "hvac_power_value",
}
# Every typed enum arm and the enum it carries.
_ENUM_OF_ARM: Final = {arm: kind for arm, kind in VALUE_ARMS.values() if kind in ENUMS}
_ARM_OF_ENUM: Final = {kind: arm for arm, kind in _ENUM_OF_ARM.items()}
_ARM_OF_KIND: Final = {
    Kind.FLOAT: "double_value",
    Kind.INT: "int_value",
    Kind.BOOL: "boolean_value",
    Kind.TEXT: "string_value",
    Kind.STATE: "string_value",
    Kind.LOCATION: "location_value",
}
# Flags fields by their message arm; DoorState's flags are named like the decoder names them.
_FLAGS_ARMS: Final = {
    "DoorState": "door_value",
    "TpmsHardWarnings": "tire_location_value",
    "TpmsSoftWarnings": "tire_location_value",
}
_DOOR_FLAGS: Final = {snake(name): name for name in DOOR_NAMES}


def _arm(field: str) -> str:
    """Return the arm a typed record carries `field` in: the simulator's choice, else its kind's."""
    if field in _ARMS:
        return _ARMS[field]
    if field in _FLAGS_ARMS:
        return _FLAGS_ARMS[field]
    kind = FIELD_KINDS[field]
    return _ARM_OF_ENUM[kind] if isinstance(kind, str) else _ARM_OF_KIND[kind]


# Fields 179 and above are typed whatever the vehicle's prefer_typed says; the server turns a
# string Location into location_value itself.
_ALWAYS_TYPED: Final = frozenset(
    {"Location", "DetailedChargeState", "ChargePortDoorOpen", "ChargerVoltage"}
)


# Tyre pressures in bar, as the car sends them (docs/fleet-telemetry.md#fields).
TYRES: Final = {
    "TpmsPressureFl": 2.875,
    "TpmsPressureFr": 2.9,
    "TpmsPressureRl": 2.825,
    "TpmsPressureRr": 2.85,
}


@dataclass(frozen=True, slots=True)
class TripPlan:
    """Everything that decides one vehicle's trip; derived from the seed and the VIN."""

    vin: str
    name: str
    start: tuple[float, float]
    step: tuple[float, float]
    drive_steps: int
    charge_steps: int
    odometer: float
    miles_per_step: float
    battery: float
    drain_per_step: float
    charge_per_step: float
    charge_limit: int
    charger_power: float
    speed: float

    @property
    def heading(self) -> float:
        """Return the compass heading of the straight route, in degrees."""
        return math.degrees(math.atan2(self.step[1], self.step[0])) % 360


def plan_trip(vin: str, seed: int = 0, *, drive_steps: int = 12, charge_steps: int = 6) -> TripPlan:
    """Return the deterministic plan of `vin`'s trip for `seed`."""
    digest = hashlib.sha256(f"{seed}:{vin}".encode()).digest()
    rng = random.Random(digest)
    return TripPlan(
        vin=vin,
        name=f"Sim {vin[-4:]}",
        start=(round(rng.uniform(-33.95, -33.80), 6), round(rng.uniform(151.10, 151.25), 6)),
        step=(round(rng.uniform(-0.002, 0.002), 6), round(rng.uniform(0.0005, 0.002), 6)),
        drive_steps=drive_steps,
        charge_steps=charge_steps,
        odometer=round(rng.uniform(1000, 60000), 3),
        miles_per_step=round(rng.uniform(0.1, 0.3), 3),
        battery=round(rng.uniform(60, 90), 1),
        drain_per_step=round(rng.uniform(0.2, 0.6), 2),
        charge_per_step=round(rng.uniform(1.0, 2.0), 2),
        charge_limit=80 + 5 * rng.randrange(3),
        charger_power=rng.choice([7.2, 11.0]),
        speed=round(rng.uniform(20, 45), 1),
    )


def _point(plan: TripPlan, index: int) -> tuple[float, float]:
    """Return the route's GPS point after `index` steps."""
    return (
        round(plan.start[0] + plan.step[0] * index, 6),
        round(plan.start[1] + plan.step[1] * index, 6),
    )


def trip_samples(plan: TripPlan) -> list[dict[str, Any]]:
    """Return the trip as successive changed-field snapshots, one per second of vehicle time."""
    samples: list[dict[str, Any]] = [
        {
            "VehicleName": plan.name,
            "Locked": False,
            "SentryMode": "off",
            "Gear": "r",
            "ChargeLimitSoc": plan.charge_limit,
            "Location": _point(plan, 0),
            "VehicleSpeed": 3.0,
            "DetailedChargeState": "disconnected",
            "ChargeState": "idle",
            "ChargePortDoorOpen": False,
            "HvacPower": "on",
            **TYRES,
        }
    ]
    battery = plan.battery
    odometer = plan.odometer
    for index in range(1, plan.drive_steps + 1):
        battery = round(battery - plan.drain_per_step, 2)
        odometer = round(odometer + plan.miles_per_step, 3)
        samples.append(
            {
                "Gear": "d",
                "Location": _point(plan, index),
                "GpsHeading": round(plan.heading, 2),
                "VehicleSpeed": plan.speed,
                "Odometer": odometer,
                "BatteryLevel": battery,
                "Soc": round(battery - 1.5, 2),
                "EstBatteryRange": round(battery * 3.1, 2),
                "MinutesToArrival": float(plan.drive_steps - index),
            }
        )
    samples.append(
        {
            "Gear": "p",
            "VehicleSpeed": 0.0,
            "MinutesToArrival": None,
            "Locked": True,
            "SentryMode": "armed",
            "HvacPower": "off",
        }
    )
    samples.append(
        {
            "ChargePortDoorOpen": True,
            "DetailedChargeState": "starting",
            "ChargeState": "enable",
            "ChargerVoltage": 241.0,
        }
    )
    for index in range(1, plan.charge_steps + 1):
        battery = round(min(battery + plan.charge_per_step, float(plan.charge_limit)), 2)
        remaining = max(plan.charge_limit - battery, 0.0)
        samples.append(
            {
                "DetailedChargeState": "charging",
                "ACChargingPower": plan.charger_power,
                "ChargeAmps": round(plan.charger_power * 1000 / 241.0, 1),
                "BatteryLevel": battery,
                "Soc": round(battery - 1.5, 2),
                "TimeToFullCharge": round(remaining / 10, 2),
            }
            | ({"ChargeState": "enable"} if index == 1 else {})
        )
    samples.append(
        {
            "DetailedChargeState": "stopped",
            "ACChargingPower": 0.0,
            "ChargeAmps": 0.0,
            "ChargeState": "idle",
        }
    )
    return samples


def expected_state(plan: TripPlan, *, string_values: bool = False) -> dict[str, Any]:
    """Return each field's last value after the trip, computed from the plan in closed form."""
    drive_end = round(plan.battery - plan.drain_per_step * plan.drive_steps, 2)
    battery = min(drive_end + plan.charge_per_step * plan.charge_steps, float(plan.charge_limit))
    remaining = max(plan.charge_limit - battery, 0.0)
    state: dict[str, Any] = {
        "VehicleName": plan.name,
        "Locked": True,
        "SentryMode": "armed",
        "Gear": "p",
        "ChargeLimitSoc": plan.charge_limit,
        "Location": _point(plan, plan.drive_steps),
        "VehicleSpeed": 0.0,
        "GpsHeading": round(plan.heading, 2),
        "Odometer": round(plan.odometer + plan.miles_per_step * plan.drive_steps, 3),
        "BatteryLevel": round(battery, 2),
        "Soc": round(battery - 1.5, 2),
        "EstBatteryRange": round(drive_end * 3.1, 2),
        "MinutesToArrival": None,
        "DetailedChargeState": "stopped",
        "ChargeState": "idle",
        "ChargePortDoorOpen": True,
        "ChargerVoltage": 241.0,
        "ACChargingPower": 0.0,
        "ChargeAmps": 0.0,
        "TimeToFullCharge": round(remaining / 10, 2),
        "HvacPower": "off",
        **TYRES,
    }
    if string_values:
        # The older records carry three decimals.
        for name, value in state.items():
            if isinstance(value, float) and name not in _ALWAYS_TYPED:
                state[name] = round(value, 3)
    return state


def _enum_number(arm: str, label: str) -> int:
    """Return the enum number of a lower-case label such as `d` or `charging`."""
    enum = _ENUM_OF_ARM[arm]
    for number in range(len(enum_values(enum))):
        if enum_label(enum, number) == label:
            return number
    raise ValueError(f"{label!r} is not a {enum}")


def _as_string(field: str, value: Any) -> str:
    """Render a value the way vehicles without prefer_typed do."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}"
    if field in {"Gear", "SentryMode", "HvacPower"} and isinstance(value, str):
        return value.upper() if len(value) == 1 else value.capitalize()
    if field == "ChargeState":
        return str(value).capitalize()
    return str(value)


def encode_payload(
    vin: str,
    created_at: dt.datetime,
    fields: Mapping[str, Any],
    *,
    string_values: bool = False,
    future_field: bool = False,
) -> bytes:
    """Serialize one vehicle-data Payload; None values become `invalid`."""
    payload = Payload(vin=vin)
    payload.created_at.FromDatetime(created_at)
    for field, value in fields.items():
        datum = payload.data.add()
        datum.key = FIELD_NUMBERS[field]
        arm = _arm(field)
        if value is None:
            datum.value.invalid = True
        elif string_values and field not in _ALWAYS_TYPED:
            datum.value.string_value = _as_string(field, value)
        elif arm == "location_value":
            datum.value.location_value.latitude = value[0]
            datum.value.location_value.longitude = value[1]
        elif arm in _ENUM_OF_ARM:
            setattr(datum.value, arm, _enum_number(arm, value))
        elif arm == "door_value":
            datum.value.door_value.SetInParent()
            for name, flag in value.items():
                setattr(datum.value.door_value, _DOOR_FLAGS[name], flag)
        elif arm == "tire_location_value":
            datum.value.tire_location_value.SetInParent()
            for name, flag in value.items():
                setattr(datum.value.tire_location_value, name, flag)
        elif arm == "string_value":
            datum.value.string_value = _as_string(field, value)
        else:
            setattr(datum.value, arm, value)
    if future_field:
        datum = payload.data.add()
        datum.key = FUTURE_FIELD
        datum.value.string_value = "from the future"
    data: bytes = payload.SerializeToString()
    return data


def encode_connectivity(
    vin: str, status: ConnectivityStatus, created_at: dt.datetime, connection_id: str
) -> bytes:
    """Serialize one VehicleConnectivity record."""
    message = VehicleConnectivity(
        vin=vin,
        connection_id=connection_id,
        status=["unknown", "connected", "disconnected"].index(status.value),
        network_interface="wifi",
    )
    message.created_at.FromDatetime(created_at)
    data: bytes = message.SerializeToString()
    return data


def encode_alerts(
    vin: str,
    created_at: dt.datetime,
    alerts: list[tuple[str, dt.datetime, dt.datetime | None]],
) -> bytes:
    """Serialize one VehicleAlerts record of (name, started_at, ended_at) alerts."""
    message = VehicleAlerts(vin=vin)
    message.created_at.FromDatetime(created_at)
    for name, started_at, ended_at in alerts:
        alert = message.alerts.add(name=name)
        alert.audiences.extend([AUDIENCES.index("Customer"), AUDIENCES.index("Service")])
        alert.started_at.FromDatetime(started_at)
        if ended_at is not None:
            alert.ended_at.FromDatetime(ended_at)
    data: bytes = message.SerializeToString()
    return data


def encode_errors(vin: str, created_at: dt.datetime, name: str, tags: dict[str, str]) -> bytes:
    """Serialize one VehicleErrors record holding one error."""
    message = VehicleErrors(vin=vin)
    message.created_at.FromDatetime(created_at)
    error = message.errors.add(name=name, body=f"{name} happened")
    error.created_at.FromDatetime(created_at)
    error.tags.update(tags)
    data: bytes = message.SerializeToString()
    return data


def trip_alerts(plan: TripPlan) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    """Return the trip's alerts: one that ended on arrival and one still active."""
    arrival = START_TIME + dt.timedelta(seconds=plan.drive_steps + 1)
    return [
        ("SIM_ALERT_TPMS_LOW", START_TIME + dt.timedelta(seconds=2), arrival),
        ("SIM_ALERT_WASHER_FLUID", arrival, None),
    ]


class FleetProducer:
    """Write Fleet Telemetry records to Kafka for a few vehicles, as the server would."""

    def __init__(
        self,
        bootstrap: str,
        prefix: str,
        vins: list[str],
        *,
        string_values: bool = False,
        seed: int = 0,
        malformed_every: int = 0,
        future_fields: bool = False,
        device_client_version: str = "1.3.0",
    ) -> None:
        """Prepare an unstarted producer; `malformed_every` n interleaves garbage records."""
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.vins = list(vins)
        self.string_values = string_values
        self.seed = seed
        self.malformed_every = malformed_every
        self.future_fields = future_fields
        self.device_client_version = device_client_version
        self.sent: Counter[str] = Counter()
        self.garbage = 0
        self._txid = 0
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect to the broker."""
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=0)
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    def plan(self, vin: str) -> TripPlan:
        """Return the plan `send_drive` follows for `vin`."""
        return plan_trip(vin, self.seed)

    def _headers(
        self, kind: RecordType, vin: str, txid: str, received_at: dt.datetime
    ) -> list[tuple[str, bytes]]:
        """Return the server's seven headers; `timestamp` and `version` are always "0"."""
        values = {
            "vin": vin,
            "txtype": kind.value,
            "txid": txid,
            "receivedat": str(int(received_at.timestamp() * 1000)),
            "device_client_version": self.device_client_version,
            "timestamp": "0",
            "version": "0",
        }
        return [(key, value.encode()) for key, value in values.items()]

    async def send_record(
        self,
        kind: RecordType,
        vin: str,
        value: bytes,
        *,
        received_at: dt.datetime | None = None,
        txid: str | None = None,
    ) -> None:
        """Write one raw record to `<prefix>_<kind>`, keyed by VIN, with the server's headers."""
        if self._producer is None:
            raise RuntimeError("FleetProducer.start() first")
        self._txid += 1
        await self._producer.send_and_wait(
            kind.topic(self.prefix),
            value,
            key=vin.encode(),
            headers=self._headers(
                kind,
                vin,
                txid or f"{self.seed:08x}sim-{self._txid:09d}",
                received_at or dt.datetime.now(dt.UTC),
            ),
        )
        self.sent[kind.value] += 1

    async def send_vehicle_data(
        self, vin: str, created_at: dt.datetime, fields: Mapping[str, Any]
    ) -> None:
        """Write one vehicle-data record, maybe preceded by a garbage one."""
        total = sum(self.sent.values()) + self.garbage
        if self.malformed_every and total % self.malformed_every == self.malformed_every - 1:
            self.garbage += 1
            await self.send_record(RecordType.VEHICLE_DATA, vin, GARBAGE)
            self.sent[RecordType.VEHICLE_DATA.value] -= 1
        await self.send_record(
            RecordType.VEHICLE_DATA,
            vin,
            encode_payload(
                vin,
                created_at,
                fields,
                string_values=self.string_values,
                future_field=self.future_fields,
            ),
            received_at=created_at + dt.timedelta(milliseconds=150),
        )

    async def send_connectivity(
        self, vin: str, status: ConnectivityStatus, created_at: dt.datetime
    ) -> None:
        """Write a socket open or close record, as the server makes on its own."""
        connection_id = (
            f"00000000-0000-4000-8000-{int(hashlib.sha256(vin.encode()).hexdigest()[:12], 16):012x}"
        )
        await self.send_record(
            RecordType.CONNECTIVITY,
            vin,
            encode_connectivity(vin, status, created_at, connection_id),
            received_at=created_at,
            txid=connection_id,
        )

    async def send_drive(self, vin: str | None = None, *, pace: float = 0.0) -> int:
        """Send whole trips (all VINs by default), `pace` seconds apart; return records sent."""
        before = sum(self.sent.values())
        for each in [vin] if vin else self.vins:
            plan = self.plan(each)
            samples = trip_samples(plan)
            await self.send_connectivity(each, ConnectivityStatus.CONNECTED, START_TIME)
            for index, fields in enumerate(samples):
                created_at = START_TIME + dt.timedelta(seconds=index)
                await self.send_vehicle_data(each, created_at, fields)
                if index == plan.drive_steps + 1:
                    await self.send_record(
                        RecordType.ALERTS, each, encode_alerts(each, created_at, trip_alerts(plan))
                    )
                    await self.send_record(
                        RecordType.ERRORS,
                        each,
                        encode_errors(each, created_at, "sim_config_error", {"field": "Soc"}),
                    )
                if pace:
                    await asyncio.sleep(pace)
            end = START_TIME + dt.timedelta(seconds=len(samples))
            await self.send_connectivity(each, ConnectivityStatus.DISCONNECTED, end)
        return sum(self.sent.values()) - before


DEFAULT_VINS: Final = ("5YJ3E1EA0PF000001", "7SAYGDEE0PF000002")


class LoopingTelemetry:
    """A broker plus a producer driving the fleet again and again (for `python -m simulators`)."""

    def __init__(
        self,
        host: str,
        port: int,
        prefix: str,
        *,
        pace: float = 1.0,
        vins: tuple[str, ...] = DEFAULT_VINS,
    ) -> None:
        """Prepare; `pace` is the pause between records in seconds."""
        self.broker = TansuBroker(host=host, port=port)
        self.prefix = prefix
        self.pace = pace
        self.producer: FleetProducer | None = None
        self._vins = list(vins)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        """Start the broker with the four topics and the producer loop; return the bootstrap."""
        await self.broker.start()
        await self.broker.create_topics([kind.topic(self.prefix) for kind in RecordType])
        self.producer = FleetProducer(self.broker.bootstrap, self.prefix, self._vins)
        await self.producer.start()
        self._task = asyncio.create_task(self._drive_forever(self.producer))
        return self.broker.bootstrap

    async def _drive_forever(self, producer: FleetProducer) -> None:
        """Send trip after trip, each with a new seed."""
        while True:
            await producer.send_drive(pace=self.pace)
            producer.seed += 1

    async def stop(self) -> None:
        """Stop the loop, the producer and the broker."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.producer is not None:
            await self.producer.stop()
        self.broker.stop()
