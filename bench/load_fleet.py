"""The fleet side of bench.load, in a child process: vehicles streaming into Tansu, on command.

`python -m bench.load_fleet BOOTSTRAP VEHICLES` reads one command a line on stdin and answers
each with one JSON line on stdout, tagged with the command's name; it exits on `stop`, or when
stdin closes (the parent died). Commands:

* `start`: each vehicle sends a connectivity record, then one vehicle-data record a second
  (vehicle i at i/VEHICLES into each second), each with the 15 fields of `fields`;
* `pause` / `resume`: stop and restart that stream; `pause` answers once every record is acked;
* `burst N`: send N records round-robin at once, answer once they are acked;
* `mark`: answer with each vehicle's newest record so far; `sent`: with every record's
  (vehicle, number, monotonic time it was produced) since the last `sent`;
* `join`: time consumer-group joins on topics of their own (see `join_times`).

A record is produced when the bench hands it to the Kafka client (the moment the telemetry
server would have received it from the car); a sender task then sends it, so a frozen broker
holds records in the queue instead of holding the stream back. The BatteryLevel of a vehicle's
record n is `battery(n)`, so a sensor's state names the record it shows. Times are
`time.monotonic()`, the clock the parent reads too (CLOCK_MONOTONIC is system-wide).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import logging
import signal
import sys
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener

from bench import harness
from bench.telemetry import PREFIX, TOPIC, headers
from custom_components.tesla_energy_sync.clients.fleet_telemetry.config import (
    ConsumerConfig,
    OffsetReset,
    Timing,
    kafka_options,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import ConnectivityStatus
from simulators.fleet_telemetry import FleetProducer, encode_payload
from simulators.kafka_broker import TANSU_TIMING

JOIN_PREFIX = "joinprobe"  # the group-join trials' own topics, so they fetch nothing of the fleet
BATTERY_BASE = 20.0
MAX_RECORDS = 80_000  # per vehicle: battery(n) stays <= 100 %


def vin(vehicle: int) -> str:
    """Return vehicle i's VIN (17 characters)."""
    # No I, O or Q: the integration drops records whose VIN is not well formed.
    return f"5YJ3LPAD{vehicle:09d}"


def battery(number: int) -> float:
    """Return the BatteryLevel a vehicle's record `number` carries."""
    return round(BATTERY_BASE + number / 1000, 3)


def record_number(level: float) -> int:
    """Return which record of its vehicle carried this BatteryLevel."""
    return round((level - BATTERY_BASE) * 1000)


def fields(vehicle: int, number: int) -> dict[str, Any]:
    """Return the 15 fields of a vehicle's record `number`: a car driving, most of them changing."""
    lat, lon = -33.9 + vehicle * 1e-4 + number * 2e-5, 151.1 + number * 3e-5
    level = battery(number)
    return {
        "Location": (round(lat, 6), round(lon, 6)),
        "GpsHeading": 56.3,
        "VehicleSpeed": float(30 + number % 25),
        "Odometer": round(10_000 + vehicle + number * 0.01, 3),
        "BatteryLevel": level,
        "Soc": round(level - 1.5, 3),
        "EstBatteryRange": round(level * 3.1, 2),
        "MinutesToArrival": float(60 - number % 60),
        "ACChargingPower": 0.0,
        "ChargeLimitSoc": 80,
        "DetailedChargeState": "disconnected",
        "ChargePortDoorOpen": False,
        "Gear": "d",
        "Locked": True,
        "SentryMode": "off",
    }


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """Notes when the group first assigned partitions."""

    def __init__(self) -> None:
        self.assigned = asyncio.Event()

    async def on_partitions_revoked(self, revoked: Any) -> None:
        """Nothing to do."""

    async def on_partitions_assigned(self, assigned: Any) -> None:
        """Wake the trial."""
        self.assigned.set()


async def _join(bootstrap: str, group: str, timing: Timing) -> float:
    """Return the seconds from a consumer's start to its first assignment (-1: none in 60 s)."""
    config = ConsumerConfig(
        bootstrap_servers=bootstrap,
        prefix=JOIN_PREFIX,
        group_id=group,
        auto_offset_reset=OffsetReset.EARLIEST,
    )
    listener = _Assigned()
    began = time.monotonic()
    kafka = AIOKafkaConsumer(**kafka_options(config, timing))
    kafka.subscribe(list(config.topics), listener=listener)
    await kafka.start()
    try:
        # aiokafka joins from a background task; getmany only lets it run until assigned.
        async with asyncio.timeout(60):
            while not listener.assigned.is_set():
                await kafka.getmany(timeout_ms=50)
        return time.monotonic() - began
    except TimeoutError:
        return -1.0
    finally:
        await kafka.stop()


async def join_times(bootstrap: str, timing: Timing) -> dict[str, float]:
    """Time a join of a new group, then of the same group right after its member left."""
    fresh = await _join(bootstrap, "joinprobe", timing)
    return {"fresh": fresh, "rejoin": await _join(bootstrap, "joinprobe", timing)}


async def _cancel(task: asyncio.Task[None] | None) -> None:
    """Cancel a task and wait for it to end."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Fleet:
    """Vehicles producing records into the queue, and the task sending them."""

    def __init__(self, bootstrap: str, vehicles: int, request_timeout: float) -> None:
        """Prepare; nothing connects until `start`."""
        self.bootstrap = bootstrap
        self.vehicles = vehicles
        self.next = [0] * vehicles  # each vehicle's next record number
        self.sent: list[tuple[int, int, float]] = []
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            linger_ms=0,
            max_batch_size=256 * 1024,  # a backlog after an outage goes in few requests
            request_timeout_ms=int(request_timeout * 1000),
        )
        self._queue: asyncio.Queue[tuple[str, bytes, list[tuple[str, bytes]]]] = asyncio.Queue()
        self._serial = itertools.count()
        self._stream: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None

    def produce(self, vehicle: int) -> None:
        """Hand the vehicle's next record to the sender."""
        number = self.next[vehicle]
        if number >= MAX_RECORDS:
            raise RuntimeError(f"vehicle {vehicle} has sent {MAX_RECORDS} records")
        self.next[vehicle] = number + 1
        produced, created_at = time.monotonic(), dt.datetime.now(dt.UTC)
        name = vin(vehicle)
        value = encode_payload(name, created_at, fields(vehicle, number))
        self._queue.put_nowait((name, value, headers(name, next(self._serial), created_at)))
        self.sent.append((vehicle, number, produced))

    async def _send(self) -> None:
        while True:
            name, value, record_headers = await self._queue.get()
            await self.producer.send(TOPIC, value, key=name.encode(), headers=record_headers)
            self._queue.task_done()

    async def _steady(self) -> None:
        """Produce one record per vehicle per second, spread evenly over each second."""
        began = time.monotonic()
        for slot in itertools.count():
            if (wait := began + slot / self.vehicles - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            self.produce(slot % self.vehicles)

    async def start(self) -> None:
        """Connect, announce every vehicle online, and start streaming."""
        await self.producer.start()
        self._sender = asyncio.create_task(self._send())
        online = FleetProducer(self.bootstrap, PREFIX, [vin(n) for n in range(self.vehicles)])
        await online.start()
        try:
            now = dt.datetime.now(dt.UTC)
            for vehicle in range(self.vehicles):
                await online.send_connectivity(vin(vehicle), ConnectivityStatus.CONNECTED, now)
        finally:
            await online.stop()
        self.resume()

    def resume(self) -> None:
        """Start the steady stream (again)."""
        if self._stream is None:
            self._stream = asyncio.create_task(self._steady())

    async def pause(self) -> None:
        """Stop the stream; return once everything produced is acked."""
        await _cancel(self._stream)
        self._stream = None
        await self.flushed()

    async def flushed(self) -> None:
        """Return once every record produced so far is acked."""
        await self._queue.join()
        await self.producer.flush()

    def newest(self) -> list[int]:
        """Return each vehicle's newest record number (-1: none yet)."""
        return [number - 1 for number in self.next]

    async def stop(self) -> None:
        """Stop streaming and sending; close the producer."""
        for task in (self._stream, self._sender):
            await _cancel(task)
        await self.producer.stop()


async def _command(fleet: Fleet, line: str, timing: Timing) -> dict[str, Any]:
    """Carry out one command; return its answer."""
    name, *argument = line.split()
    match name:
        case "start":
            await fleet.start()
        case "pause":
            await fleet.pause()
            return {"newest": fleet.newest()}
        case "resume":
            fleet.resume()
        case "burst":
            for n in range(int(argument[0])):
                fleet.produce(n % fleet.vehicles)
            await fleet.flushed()
            return {"newest": fleet.newest()}
        case "mark":
            return {"newest": fleet.newest()}
        case "sent":
            sent, fleet.sent = fleet.sent, []
            return {"sent": sent}
        case "join":
            return {"join": await join_times(fleet.bootstrap, timing)}
        case _:
            raise ValueError(f"unknown command {line!r}")
    return {}


async def serve(args: argparse.Namespace) -> None:
    """Answer commands until `stop` or end of input."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    timing = TANSU_TIMING if args.tansu_timing else Timing()
    # The producer waits out a frozen broker rather than failing the records it holds.
    fleet = Fleet(args.bootstrap, args.vehicles, max(40.0, args.outage + 30))
    tasks: set[asyncio.Task[None]] = set()

    async def answer(line: str) -> None:
        try:
            reply = await _command(fleet, line, timing)
        except Exception as err:  # noqa: BLE001 - reported to the parent, which fails the run
            reply = {"error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps({"command": line.split(maxsplit=1)[0]} | reply) + "\n")
        sys.stdout.flush()

    try:
        while (line := (await reader.readline()).decode().strip()) not in {"", "stop"}:
            task = asyncio.create_task(answer(line))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in list(tasks):
            task.cancel()
        await fleet.stop()


def main() -> None:
    """Serve the parent's commands."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("bootstrap")
    parser.add_argument("vehicles", type=int)
    parser.add_argument("--outage", type=float, default=30.0, help="longest broker freeze (s)")
    parser.add_argument("--tansu-timing", action="store_true", help="join with TANSU_TIMING")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)  # the test plugin, imported, says INFO
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the outage is deliberate
    harness.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops us in order
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
