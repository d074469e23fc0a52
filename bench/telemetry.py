"""Fleet Telemetry in Home Assistant: ingest rate, produce-to-state latency and memory.

One run, one Tansu broker on 127.0.0.1 (real Kafka protocol), real wall-clock time:

* ingest: N vehicle-data records (5 VINs driving and charging, 5-10 fields each, created_at
  one second apart per VIN) are produced to `<prefix>_V` before anything consumes. A bare
  aiokafka consumer (fresh group, earliest, the integration's own Kafka options) fetches them
  and only runs `decode_record` on each; then a Home Assistant instance sets up a Fleet
  Telemetry entry (fresh group, earliest) whose consumer decodes, applies to the hub, creates
  the entities and writes their states, and commits each batch while fetching the next
  (commits in flight are timed but overlap the other steps). Each is timed from its
  consumer starting (group join included) to the N-th record applied (for Home Assistant:
  after the entity writes of that batch), and from its first fetched batch. Time inside each
  step is summed, and aiokafka's fetch requests are counted, with those the broker held
  >= 0.2 s and those of them that asked only for the three empty topics.
* latency: a producer in its own thread and event loop sends --rate records/s for --seconds,
  round-robin over the VINs, each with a unique BatteryLevel; a listener on
  EVENT_STATE_CHANGED of the five battery sensors matches the value and takes the time from
  just before the send to the state change (one monotonic clock, `time.perf_counter`). A
  value superseded by a newer one of the same VIN in the same batch (the hub writes once per
  loop turn) counts as shown when the newer one is. The same thread runs a bare consumer (no
  group, from the end) that only decodes, for the broker's and aiokafka's share.
* with --short-wait-ms (default 20; 0 skips it): the entry is reloaded with that
  fetch_max_wait_ms (patched in here only) and the latency measured again; then the entry is
  removed and both ingests repeated from a fresh group over everything on the topic.
* memory: in a fresh interpreter (bench/telemetry_memory.py), VmRSS of Home Assistant before
  the integration is imported, after a Fleet Telemetry entry applied every record on the
  topic, and after Amber, ComEd, Wall Connector and TOU sync entries were set up against their
  simulators (run by this process) too, unless --telemetry-only.
"""

from __future__ import annotations

# isort: off
# The test plugin patches Home Assistant's clocks for freezegun; it must load before Home Assistant.
from bench import harness

# isort: on
import argparse
import asyncio
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import datetime as dt
import itertools
import json
import math
import statistics
import sys
import time
from typing import Any
from unittest.mock import patch

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.consumer.fetcher import Fetcher
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.clients.fleet_telemetry.config import (
    ConsumerConfig,
    OffsetReset,
    Timing,
    kafka_options,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.consumer import TelemetryConsumer
from custom_components.tesla_energy_sync.clients.fleet_telemetry.decode import decode_record
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import (
    Decoded,
    RecordType,
    VehicleData,
)
from custom_components.tesla_energy_sync.const import (
    CONF_BOOTSTRAP_SERVERS,
    CONF_GROUP_ID,
    CONF_KIND,
    CONF_OFFSET_RESET,
    CONF_TOPIC_PREFIX,
    CONF_VINS,
    DOMAIN,
    EntryKind,
)
from custom_components.tesla_energy_sync.fleet_telemetry.hub import TelemetryHub
from simulators.amber import AmberSimulator
from simulators.comed import ComEdSimulator
from simulators.fleet_telemetry import START_TIME, encode_payload, plan_trip, trip_samples
from simulators.kafka_broker import TANSU_TIMING, TansuBroker
from simulators.tesla_energy import SITE_ID as ENERGY_SITE_ID, TeslaEnergySimulator
from simulators.wall_connector import WallConnectorSimulator

PREFIX = "bench"
TOPIC = RecordType.VEHICLE_DATA.topic(PREFIX)
VINS = tuple(f"5YJ3BEN{n:010d}" for n in range(1, 6))
AMBER_TOKEN = "psk_bench"  # noqa: S105 - a key only the local simulator knows
AMBER_SITE_ID = "01J0SIMSITE0000000000000001"
TESLA_TOKEN = "tesla_bench"  # noqa: S105 - a token only the local simulator knows
WALL_CONNECTOR_SERIAL = "PGT2251234567"
LATENCY_BASE = 10.0  # BatteryLevel of the latency records: LATENCY_BASE + index / 1000
_groups = itertools.count()


def headers(vin: str, serial: int, received_at: dt.datetime) -> list[tuple[str, bytes]]:
    """Return the seven headers the fleet-telemetry server sets on a vehicle-data record."""
    values = {
        "vin": vin,
        "txtype": RecordType.VEHICLE_DATA.value,
        "txid": f"bench-{serial:09d}",
        "receivedat": str(int(received_at.timestamp() * 1000)),
        "device_client_version": "1.3.0",
        "timestamp": "0",
        "version": "0",
    }
    return [(key, value.encode()) for key, value in values.items()]


@dataclass(frozen=True, slots=True)
class Record:
    """One encoded vehicle-data record ready to send."""

    vin: str
    value: bytes
    headers: list[tuple[str, bytes]]


def ingest_records(count: int) -> tuple[list[Record], dt.datetime]:
    """Return `count` records, trip after trip per VIN, and the newest created_at among them."""

    def per_vin(vin: str) -> Iterator[tuple[dt.datetime, dict[str, Any]]]:
        moment = START_TIME
        for seed in itertools.count():
            for sample in trip_samples(plan_trip(vin, seed)):
                yield moment, sample
                moment += dt.timedelta(seconds=1)

    streams = [per_vin(vin) for vin in VINS]
    records: list[Record] = []
    newest = START_TIME
    for serial in range(count):
        vin = VINS[serial % len(VINS)]
        created_at, fields = next(streams[serial % len(VINS)])
        newest = max(newest, created_at)
        records.append(
            Record(
                vin,
                encode_payload(vin, created_at, fields),
                headers(vin, serial, created_at + dt.timedelta(milliseconds=150)),
            )
        )
    return records, newest


async def produce_all(bootstrap: str, records: list[Record]) -> float:
    """Send every record (pipelined, in batches); return the seconds it took."""
    began = time.perf_counter()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for start in range(0, len(records), 2000):
            sent = [
                await producer.send(
                    TOPIC, record.value, key=record.vin.encode(), headers=record.headers
                )
                for record in records[start : start + 2000]
            ]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return time.perf_counter() - began


@dataclass
class Ingest:
    """How long one consumer took for the pre-produced records."""

    records: int = 0
    started: float = 0.0
    first: float = 0.0
    done: float = 0.0
    batches: int = 0
    fetches: int = 0
    held: int = 0
    held_without_data_topic: int = 0  # held fetches that asked only for the 3 empty topics
    spent: dict[str, float] = field(default_factory=dict)  # seconds inside each step

    def add(self, step: str, seconds: float) -> None:
        """Count time spent in one step."""
        self.spent[step] = self.spent.get(step, 0.0) + seconds

    @property
    def from_start(self) -> float:
        """Return records per second from the consumer starting (group join included)."""
        return self.records / (self.done - self.started)

    @property
    def from_first(self) -> float:
        """Return records per second from the first fetched batch."""
        return self.records / (self.done - self.first)


def consumer_config(group: str) -> ConsumerConfig:
    """Return a fresh-group, earliest configuration for the bench topics."""
    return ConsumerConfig(
        bootstrap_servers="",
        prefix=PREFIX,
        group_id=group,
        auto_offset_reset=OffsetReset.EARLIEST,
    )


HA_ONLY = frozenset({"apply to hub", "entity writes", "commit (beside fetch)"})
HELD = 0.2  # a fetch that took this long (s) was held by the broker waiting for data


@contextlib.contextmanager
def fetch_timer(result: Ingest, done: Callable[[], bool]) -> Iterator[None]:
    """Count aiokafka's fetch requests, and those the broker held, until `done()`."""
    proc = Fetcher._proc_fetch_request  # noqa: SLF001

    async def timed(fetcher: Fetcher, assignment: Any, node_id: Any, request: Any) -> Any:
        began = time.perf_counter()
        try:
            return await proc(fetcher, assignment, node_id, request)
        finally:
            if not done():
                took = time.perf_counter() - began
                result.fetches += 1
                if took >= HELD:
                    result.held += 1
                    result.add(f"fetches held >= {HELD:g} s", took)
                    if TOPIC not in {topic for topic, _ in getattr(request, "topics", ())}:
                        result.held_without_data_topic += 1

    with patch.object(Fetcher, "_proc_fetch_request", timed):
        yield


async def bare_ingest(bootstrap: str, count: int, fetch_wait_ms: int | None = None) -> Ingest:
    """Fetch and decode `count` records with a plain aiokafka consumer (no Home Assistant)."""
    config = consumer_config(f"bench-bare-{next(_groups)}")
    options = kafka_options(config, TANSU_TIMING) | {"bootstrap_servers": bootstrap}
    if fetch_wait_ms is not None:
        options["fetch_max_wait_ms"] = fetch_wait_ms
    result = Ingest()
    finished = False
    with fetch_timer(result, lambda: finished):
        result.started = time.perf_counter()
        kafka = AIOKafkaConsumer(*config.topics, **options)
        await kafka.start()
        try:
            async with asyncio.timeout(60):
                while result.records < count:
                    began = time.perf_counter()
                    batch = await kafka.getmany(
                        timeout_ms=int(TANSU_TIMING.poll_timeout * 1000),
                        max_records=TANSU_TIMING.max_records,
                    )
                    if result.first:
                        result.add("getmany (await)", time.perf_counter() - began)
                    elif batch:
                        result.first = time.perf_counter()
                    began = time.perf_counter()
                    for records in batch.values():
                        for record in records:
                            decode_record(record.topic, record.value, record.key, record.headers)
                            result.records += 1
                    if batch:
                        result.batches += 1
                        result.add("decode", time.perf_counter() - began)
            result.done = time.perf_counter()
            finished = True
        finally:
            await kafka.stop()
    return result


class Probe:
    """Time the integration's consumer: its start, its first batch, the N-th record applied."""

    def __init__(self, loop: asyncio.AbstractEventLoop, target: int) -> None:
        """Watch for `target` records applied."""
        self.loop = loop
        self.target = target
        self.result = Ingest()
        self.applied = asyncio.Event()
        self.batches: list[int] | None = None  # batch sizes, while a list is set

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Wrap TelemetryConsumer.run/_decode and TelemetryHub.apply while in the block."""
        run, decode, commit = (
            TelemetryConsumer.run,
            TelemetryConsumer._decode,  # noqa: SLF001
            TelemetryConsumer._commit,  # noqa: SLF001
        )
        apply, flush = TelemetryHub.apply, TelemetryHub._flush  # noqa: SLF001
        probe = self
        result = self.result

        async def timed_run(consumer: TelemetryConsumer, *args: Any) -> None:
            if not probe.result.started:  # the first run only, not a reload's
                probe.result.started = time.perf_counter()
            await run(consumer, *args)

        def timed_decode(
            consumer: TelemetryConsumer, batch: dict[Any, list[Any]]
        ) -> tuple[list[Decoded], dict[Any, int]]:
            if not probe.result.first:
                probe.result.first = time.perf_counter()
            if probe.batches is not None:
                probe.batches.append(sum(len(records) for records in batch.values()))
            began = time.perf_counter()
            try:
                return decode(consumer, batch)
            finally:
                if not probe.applied.is_set():
                    result.batches += 1
                    result.add("decode", time.perf_counter() - began)

        def timed_apply(hub: TelemetryHub, batch: list[Decoded]) -> None:
            began = time.perf_counter()
            apply(hub, batch)
            if not probe.applied.is_set():
                result.add("apply to hub", time.perf_counter() - began)
            if hub.consumer.records >= probe.target and not probe.applied.is_set():
                # Queued behind the hub's flush, so the last entity writes are included.
                probe.loop.call_soon(probe.mark, hub.consumer.records)

        def timed_flush(hub: TelemetryHub) -> None:
            began = time.perf_counter()
            flush(hub)
            if not probe.applied.is_set():
                result.add("entity writes", time.perf_counter() - began)

        getmany = AIOKafkaConsumer.getmany

        async def timed_getmany(kafka: AIOKafkaConsumer, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return await getmany(kafka, *args, **kwargs)
            finally:
                if result.first and not probe.applied.is_set():
                    result.add("getmany (await)", time.perf_counter() - began)

        async def timed_commit(consumer: TelemetryConsumer, *args: Any) -> None:
            began = time.perf_counter()
            await commit(consumer, *args)
            if not probe.applied.is_set():
                result.add("commit (beside fetch)", time.perf_counter() - began)

        with (
            patch.object(TelemetryConsumer, "run", timed_run),
            patch.object(TelemetryConsumer, "_decode", timed_decode),
            patch.object(TelemetryHub, "apply", timed_apply),
            patch.object(TelemetryHub, "_flush", timed_flush),
            patch.object(TelemetryConsumer, "_commit", timed_commit),
            patch.object(AIOKafkaConsumer, "getmany", timed_getmany),
            fetch_timer(result, probe.applied.is_set),
        ):
            yield

    def mark(self, records: int) -> None:
        """Record that the target was reached."""
        if not self.applied.is_set():
            self.result.done = time.perf_counter()
            self.result.records = records
            self.applied.set()


def telemetry_entry(bootstrap: str) -> MockConfigEntry:
    """Return a Fleet Telemetry entry on the bench prefix, fresh group, from the earliest."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Fleet Telemetry {PREFIX}",
        unique_id=f"{bootstrap}|{PREFIX}",
        data={
            CONF_KIND: EntryKind.FLEET_TELEMETRY,
            CONF_BOOTSTRAP_SERVERS: bootstrap,
            CONF_TOPIC_PREFIX: PREFIX,
            CONF_GROUP_ID: f"bench-ha-{next(_groups)}",
            CONF_OFFSET_RESET: "earliest",
            CONF_VINS: [],
        },
    )


@dataclass
class Latency:
    """Produce-to-state-change latencies of one steady-rate phase."""

    fetch_wait_ms: int | None
    count: int
    sent: dict[int, float] = field(default_factory=dict)
    seen: dict[int, float] = field(default_factory=dict)
    acked: dict[int, float] = field(default_factory=dict)
    bare_seen: dict[int, float] = field(default_factory=dict)
    bare_batches: list[int] = field(default_factory=list)
    ha_batches: list[int] = field(default_factory=list)
    late_sends: int = 0

    def wait_label(self, consumer: str) -> str:
        """Return a consumer's fetch_max_wait_ms as shown in the table."""
        if self.fetch_wait_ms is not None:
            return str(self.fetch_wait_ms)
        if consumer == "bare aiokafka":
            return "500 (aiokafka)"
        return f"{int(Timing().fetch_max_wait * 1000)} (ours)"

    def shown(self) -> dict[int, float]:
        """Return when each sent value was shown: itself, or a newer value of the same VIN.

        The hub writes each entity once per loop turn, so two records of one VIN in one batch
        show only the newer; the older one counts as shown (superseded) at that moment.
        """
        shown: dict[int, float] = {}
        step = len(VINS)
        for index in sorted(self.sent, reverse=True):
            candidates = [self.seen[index]] if index in self.seen else []
            if index + step in shown:
                candidates.append(shown[index + step])
            if candidates:
                shown[index] = min(candidates)
        return shown

    def delays(self, arrived: dict[int, float]) -> list[float]:
        """Return the sorted delays in ms from send to `arrived`."""
        return sorted((arrived[i] - self.sent[i]) * 1000 for i in arrived if i in self.sent)


def percentile(values: list[float], share: float) -> float:
    """Return a percentile of sorted values (nearest rank); NaN when there are none."""
    if not values:
        return float("nan")
    rank = max(0, min(len(values) - 1, math.ceil(share * len(values)) - 1))
    return values[rank]


def battery_index(level: float) -> int:
    """Return which latency record carried this BatteryLevel."""
    return round((level - LATENCY_BASE) * 1000)


async def _bare_consume(kafka: AIOKafkaConsumer, latency: Latency) -> None:
    """Decode what arrives on the partition and note when each latency record came."""
    while len(latency.bare_seen) < latency.count:
        batch = await kafka.getmany(timeout_ms=200)
        now = time.perf_counter()
        for records in batch.values():
            latency.bare_batches.append(len(records))
            for record in records:
                item = decode_record(record.topic, record.value, record.key, record.headers)
                level = item.fields.get("BatteryLevel") if isinstance(item, VehicleData) else None
                if isinstance(level, float) and 0 <= battery_index(level) < latency.count:
                    latency.bare_seen.setdefault(battery_index(level), now)


async def _produce_steadily(
    bootstrap: str, rate: float, base: dt.datetime, latency: Latency
) -> None:
    """Send the phase's records at `rate` while a bare consumer on the same loop reads them."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    extra = {} if latency.fetch_wait_ms is None else {"fetch_max_wait_ms": latency.fetch_wait_ms}
    kafka = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **extra)
    await producer.start()
    await kafka.start()
    partition = TopicPartition(TOPIC, 0)
    kafka.assign([partition])
    await kafka.seek_to_end(partition)
    await kafka.position(partition)
    consuming = asyncio.create_task(_bare_consume(kafka, latency))
    pending: list[asyncio.Future[Any]] = []

    def acked(index: int) -> Callable[[asyncio.Future[Any]], None]:
        return lambda _: latency.acked.__setitem__(index, time.perf_counter())

    try:
        began = time.perf_counter()
        for index in range(latency.count):
            if (wait := began + index / rate - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            elif wait < -0.01:
                latency.late_sends += 1
            vin = VINS[index % len(VINS)]
            created_at = base + dt.timedelta(seconds=index)
            value = encode_payload(vin, created_at, {"BatteryLevel": LATENCY_BASE + index / 1000})
            latency.sent[index] = time.perf_counter()
            future = await producer.send(
                TOPIC,
                value,
                key=vin.encode(),
                headers=headers(vin, 10_000_000 + index, created_at),
            )
            future.add_done_callback(acked(index))
            pending.append(future)
        await asyncio.gather(*pending)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(3):
                await asyncio.shield(consuming)
    finally:
        consuming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consuming
        await kafka.stop()
        await producer.stop()


async def measure_latency(
    hass: HomeAssistant,
    probe: Probe,
    bootstrap: str,
    rate: float,
    base: dt.datetime,
    latency: Latency,
) -> None:
    """Send at a steady rate from another thread; time each BatteryLevel until its sensor shows it.

    The producer and the bare consumer run in their own thread and event loop, so Home
    Assistant's loop only consumes (they share the GIL, which at 50 records/s costs little).
    """
    registry = er.async_get(hass)
    watched = {
        entity_id
        for vin in VINS
        if (entity_id := registry.async_get_entity_id("sensor", DOMAIN, f"{vin}_battery_level"))
    }
    if len(watched) != len(VINS):
        raise RuntimeError(f"battery sensors missing: {watched}")
    everything_seen = asyncio.Event()

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] not in watched or (state := event.data["new_state"]) is None:
            return
        now = time.perf_counter()
        try:
            index = battery_index(float(state.state))
        except ValueError:
            return
        if 0 <= index < latency.count:
            latency.seen.setdefault(index, now)
            if len(latency.seen) >= latency.count:
                everything_seen.set()

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, changed)
    probe.batches = latency.ha_batches
    try:
        await asyncio.to_thread(asyncio.run, _produce_steadily(bootstrap, rate, base, latency))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await everything_seen.wait()
    finally:
        unsubscribe()
        probe.batches = None


async def warm_up(hass: HomeAssistant, bootstrap: str, created_at: dt.datetime) -> None:
    """Send one record and wait until its sensor shows it: the consumer has joined and caught up."""
    vin = VINS[0]
    level = 5.5
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{vin}_battery_level")
    shown = asyncio.Event()

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if event.data["entity_id"] == entity_id and state is not None and state.state == str(level):
            shown.set()

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, changed)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        await producer.send_and_wait(
            TOPIC,
            encode_payload(vin, created_at, {"BatteryLevel": level}),
            key=vin.encode(),
            headers=headers(vin, 9_999_999, created_at),
        )
        async with asyncio.timeout(20):
            await shown.wait()
    finally:
        unsubscribe()
        await producer.stop()


@contextlib.contextmanager
def fetch_wait(milliseconds: int) -> Iterator[None]:
    """Give the integration's consumers a shorter fetch_max_wait_ms (in this bench only)."""

    def options(config: ConsumerConfig, timing: Timing) -> dict[str, Any]:
        return kafka_options(config, timing) | {"fetch_max_wait_ms": milliseconds}

    with patch(
        "custom_components.tesla_energy_sync.clients.fleet_telemetry.consumer.kafka_options",
        options,
    ):
        yield


async def memory_in_child(
    bootstrap: str, records: int, others: bool
) -> tuple[dict[str, float], str]:
    """Run bench.telemetry_memory in a fresh interpreter; return its readings and what it set up."""
    spec: dict[str, Any] = {"bootstrap": bootstrap, "prefix": PREFIX, "records": records}
    simulators: list[
        AmberSimulator | ComEdSimulator | WallConnectorSimulator | TeslaEnergySimulator
    ] = []
    if others:
        amber = AmberSimulator(tokens=(AMBER_TOKEN,))
        comed = ComEdSimulator()
        wall = WallConnectorSimulator(serial=WALL_CONNECTOR_SERIAL)
        tesla = TeslaEnergySimulator(tokens=(TESLA_TOKEN,))
        simulators = [amber, comed, wall, tesla]
        for simulator in simulators:
            await simulator.start()
        spec |= {
            "amber": amber.base_url,
            "comed": comed.base_url,
            "wall_connector": wall.host,
            "tesla": tesla.base_url,
            "energy_site_id": ENERGY_SITE_ID,
        }
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.telemetry_memory",
            json.dumps(spec),
            stdout=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(90):
            out, _ = await child.communicate()
    finally:
        for simulator in simulators:
            await simulator.stop()
    if child.returncode:
        return {}, f"memory child failed with exit status {child.returncode}"
    rss: dict[str, float] = json.loads(out.decode().strip().splitlines()[-1])
    return rss, "Amber, ComEd, Wall Connector, TOU sync" if "all" in rss else ""


@dataclass
class Report:
    """Everything one run measured."""

    records: int = 0
    produce_seconds: float = 0.0
    decode_only: float = 0.0
    bare: Ingest = field(default_factory=Ingest)
    home_assistant: Ingest = field(default_factory=Ingest)
    bare_short: Ingest | None = None
    home_assistant_short: Ingest | None = None
    entities: int = 0
    latencies: list[Latency] = field(default_factory=list)
    rss: dict[str, float] = field(default_factory=dict)
    other_sources: str = ""
    wall: float = 0.0


async def _ingest_in_home_assistant(
    hass: HomeAssistant, report: Report, probe: Probe, bootstrap: str
) -> MockConfigEntry:
    """Set up a Fleet Telemetry entry (fresh group) and wait until the probe's target applied."""
    entry = telemetry_entry(bootstrap)
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise RuntimeError("the Fleet Telemetry entry did not set up")
    async with asyncio.timeout(60):
        await probe.applied.wait()
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    report.entities = len(er.async_entries_for_config_entry(registry, entry.entry_id))
    return entry


async def _ingest_again_short(
    hass: HomeAssistant, report: Report, entry: MockConfigEntry, records: int, wait_ms: int
) -> None:
    """Remove the entry (and its entities), then ingest everything again with a short wait."""
    bootstrap = entry.data[CONF_BOOTSTRAP_SERVERS]
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    report.bare_short = await bare_ingest(bootstrap, records, wait_ms)
    probe = Probe(asyncio.get_running_loop(), records)
    with probe.installed(), fetch_wait(wait_ms):
        await _ingest_in_home_assistant(hass, report, probe, bootstrap)
    report.home_assistant_short = probe.result


async def _latency_phases(
    hass: HomeAssistant,
    report: Report,
    probe: Probe,
    entry: MockConfigEntry,
    args: argparse.Namespace,
    newest: dt.datetime,
) -> None:
    """Measure at the consumer's default fetch wait, then again with --short-wait-ms."""
    count = int(args.rate * args.seconds)
    bootstrap = entry.data[CONF_BOOTSTRAP_SERVERS]
    default = Latency(fetch_wait_ms=None, count=count)
    await measure_latency(
        hass, probe, bootstrap, args.rate, newest + dt.timedelta(seconds=1), default
    )
    report.latencies.append(default)
    if not args.short_wait_ms:
        return
    # Reload with the shorter wait; the group resumes at its committed offset.
    if not await hass.config_entries.async_unload(entry.entry_id):
        raise RuntimeError("the Fleet Telemetry entry did not unload")
    short = Latency(fetch_wait_ms=args.short_wait_ms, count=count)
    base = newest + dt.timedelta(seconds=count + 100)
    with fetch_wait(args.short_wait_ms):
        if not await hass.config_entries.async_setup(entry.entry_id):
            raise RuntimeError("the Fleet Telemetry entry did not set up again")
        await warm_up(hass, bootstrap, base - dt.timedelta(seconds=10))
        await measure_latency(hass, probe, bootstrap, args.rate, base, short)
    report.latencies.append(short)


async def run_home_assistant(
    report: Report, bootstrap: str, args: argparse.Namespace, newest: dt.datetime
) -> None:
    """Ingest, latency and memory inside one Home Assistant."""
    with patch("custom_components.tesla_energy_sync.fleet_telemetry.config.TIMING", TANSU_TIMING):
        async with harness.home_assistant() as hass:
            await hass.async_block_till_done()
            probe = Probe(asyncio.get_running_loop(), report.records)
            with probe.installed():
                entry = await _ingest_in_home_assistant(hass, report, probe, bootstrap)
                report.home_assistant = probe.result
                await _latency_phases(hass, report, probe, entry, args, newest)
            if args.short_wait_ms:
                await _ingest_again_short(hass, report, entry, on_topic(report), args.short_wait_ms)


def on_topic(report: Report) -> int:
    """Return how many records the data topic holds after the latency phases."""
    latency = sum(lat.count for lat in report.latencies)
    return report.records + latency + len(report.latencies) - 1  # + the warm-up record


def decode_only(records: list[Record]) -> float:
    """Return records/s of `decode_record` alone over the encoded records, no Kafka."""
    began = time.perf_counter()
    for record in records:
        decode_record(TOPIC, record.value, record.vin.encode(), record.headers)
    return len(records) / (time.perf_counter() - began)


async def run(args: argparse.Namespace) -> Report:
    """Start the broker, produce, measure bare then Home Assistant, stop everything."""
    began = time.perf_counter()
    report = Report(records=args.records)
    broker = TansuBroker()
    await broker.start()
    try:
        await broker.create_topics([kind.topic(PREFIX) for kind in RecordType])
        records, newest = ingest_records(args.records)
        report.decode_only = decode_only(records)
        report.produce_seconds = await produce_all(broker.bootstrap, records)
        del records
        report.bare = await bare_ingest(broker.bootstrap, args.records)
        await run_home_assistant(report, broker.bootstrap, args, newest)
        report.rss, report.other_sources = await memory_in_child(
            broker.bootstrap, on_topic(report), not args.telemetry_only
        )
    finally:
        broker.stop()
    report.wall = time.perf_counter() - began
    return report


def _ingest_column(run: Ingest, bare: Ingest | None) -> list[str]:
    """Return one consumer's ingest figures, one cell per row of `_INGEST_LABELS`."""
    steps = [
        f"{run.spent[step]:.2f}" if step in run.spent else ("-" if step in HA_ONLY else "0.00")
        for step in STEPS
    ]
    return [
        f"{run.records}",
        f"{run.first - run.started:.2f}",
        f"{run.done - run.started:.2f}",
        f"{run.from_start:,.0f}",
        f"{run.from_first:,.0f}",
        f"{run.from_start / bare.from_start:.2f}" if bare else "",
        f"{run.from_first / bare.from_first:.2f}" if bare else "",
        f"{run.batches}",
        f"{run.fetches} / {run.held} / {run.held_without_data_topic}",
        *steps,
    ]


STEPS = (
    "decode",
    "apply to hub",
    "entity writes",
    "commit (beside fetch)",
    "getmany (await)",
    f"fetches held >= {HELD:g} s",
)
_INGEST_LABELS = (
    "records applied",
    "consumer start -> 1st batch (s)",
    "consumer start -> all applied (s)",
    "rate from start (rec/s)",
    "rate from 1st batch (rec/s)",
    "ratio HA / bare, from start",
    "ratio HA / bare, from 1st batch",
    "batches (getmany)",
    "fetches / held / held, empty only",
    *(f"  time in {step} (s)" for step in STEPS),
)


def _ingest_rows(report: Report) -> list[str]:
    columns = [
        ("bare", _ingest_column(report.bare, None)),
        ("HA", _ingest_column(report.home_assistant, report.bare)),
    ]
    if report.bare_short and report.home_assistant_short:
        wait = f"{report.latencies[-1].fetch_wait_ms} ms"
        columns += [
            (f"bare {wait}", _ingest_column(report.bare_short, None)),
            (f"HA {wait}", _ingest_column(report.home_assistant_short, report.bare_short)),
        ]
    lines = [f"{'ingest':<35}" + "".join(f"{name:>13}" for name, _ in columns)]
    lines += [
        f"{label:<35}" + "".join(f"{cells[row]:>13}" for _, cells in columns)
        for row, label in enumerate(_INGEST_LABELS)
    ]
    lines += [
        f"{'decode_record alone, no Kafka':<35}{report.decode_only:>13,.0f} rec/s",
        f"{'entities created':<35}{report.entities:>13}",
        "(bare: aiokafka's default fetch_max_wait_ms 500; HA: the integration's default;",
        " 'held': a fetch the broker",
        " kept >= 0.2 s; 'empty only': it asked only for the _connectivity/_alerts/_errors",
        " topics while _V's buffer was still being consumed, so _V could not be fetched)",
    ]
    return lines


def _latency_rows(report: Report, args: argparse.Namespace) -> list[str]:
    head = (
        "consumer",
        "fetch wait ms",
        "sent",
        "shown",
        "own",
        "rec/fetch",
        "p50 ms",
        "p99 ms",
        "max ms",
    )
    widths = (15, 14, 6, 6, 5, 10, 8, 8, 8)
    rows: list[tuple[str, ...]] = [head]
    for lat in report.latencies:
        for name, arrived, own, batches in (
            ("bare aiokafka", lat.bare_seen, len(lat.bare_seen), lat.bare_batches),
            ("Home Assistant", lat.shown(), len(lat.seen), lat.ha_batches),
        ):
            delays = lat.delays(arrived)
            rows.append(
                (
                    name,
                    lat.wait_label(name),
                    str(lat.count),
                    str(len(arrived)),
                    str(own),
                    f"{statistics.fmean(batches):.1f}" if batches else "-",
                    f"{percentile(delays, 0.50):.1f}",
                    f"{percentile(delays, 0.99):.1f}",
                    f"{percentile(delays, 1.0):.1f}",
                )
            )
    lines = [
        f"latency, send -> state change: {args.rate:g} rec/s for {args.seconds:g} s, "
        f"{len(VINS)} battery sensors round-robin"
    ]
    lines += [
        "".join(
            f"{cell:<{w}}" if i == 0 else f"{cell:>{w}}"
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    acks = [d for lat in report.latencies for d in lat.delays(lat.acked)]
    late = sum(lat.late_sends for lat in report.latencies)
    lines.append(
        f"producer send -> ack (acks=all) p50 {percentile(sorted(acks), 0.5):.1f} ms,"
        f" p99 {percentile(sorted(acks), 0.99):.1f} ms; sends >10 ms late: {late}"
    )
    return lines


def _memory_rows(report: Report) -> list[str]:
    rss = report.rss
    if not rss:
        return ["memory: not measured"]
    rows = [
        ("memory (VmRSS, MiB, fresh process)", ""),
        ("Home Assistant, before the entry", f"{rss['before']:.1f}"),
        ("after Fleet Telemetry ingest", f"{rss['telemetry']:.1f}"),
        ("added by Fleet Telemetry", f"{rss['telemetry'] - rss['before']:+.1f}"),
    ]
    if "all" in rss:
        rows += [
            ("with the 4 other sources too", f"{rss['all']:.1f}"),
            ("added by all five sources", f"{rss['all'] - rss['before']:+.1f}"),
        ]
    return [f"{label:<36}{value:>27}" for label, value in rows]


def table(report: Report, args: argparse.Namespace) -> str:
    """Return the fixed-width tables."""
    lines = [
        f"Fleet Telemetry bench: Tansu on 127.0.0.1, {len(VINS)} VINs,"
        f" {report.records} records pre-produced in {report.produce_seconds:.2f} s",
        *_ingest_rows(report),
        "",
        *_latency_rows(report, args),
        "",
        *_memory_rows(report),
        f"other sources: {report.other_sources or 'not set up (--telemetry-only)'}",
        f"wall clock: {report.wall:.1f} s",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark once and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000, help="records to pre-produce")
    parser.add_argument("--rate", type=float, default=50.0, help="latency phase, records/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="latency phase duration")
    parser.add_argument(
        "--short-wait-ms",
        type=int,
        default=20,
        help="second latency phase with this fetch_max_wait_ms (0: skip it)",
    )
    parser.add_argument(
        "--telemetry-only", action="store_true", help="skip the other sources' memory figure"
    )
    args = parser.parse_args()

    harness.prepare_process()
    report = asyncio.run(run(args))
    print(table(report, args))


if __name__ == "__main__":
    main()
