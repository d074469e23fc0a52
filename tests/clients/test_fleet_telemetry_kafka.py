"""Fleet Telemetry round trips through a real Kafka-compatible broker (Tansu, in memory)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import dataclasses
import itertools
from typing import Any

import pytest

from custom_components.tesla_energy_sync.clients.fleet_telemetry.config import (
    ConsumerConfig,
    OffsetReset,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.consumer import TelemetryConsumer
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import (
    Alerts,
    Connectivity,
    ConnectivityStatus,
    Decoded,
    Errors,
    VehicleData,
)
from simulators.__main__ import parse_args
from simulators.fleet_telemetry import (
    DEFAULT_VINS,
    FleetProducer,
    LoopingTelemetry,
    TripPlan,
    expected_state,
    plan_trip,
    trip_samples,
)
from simulators.kafka_broker import TANSU_TIMING, TansuBroker, free_port

PREFIX = "tesla_telemetry"
VINS = ["5YJ3E1EA0PF000001", "7SAYGDEE0PF000002"]
STRANGER = "7SAYGDEE0PF000003"
_groups = itertools.count()


async def _eventually(condition: Callable[[], bool]) -> None:
    """Wait (10 s at most) until condition holds."""
    async with asyncio.timeout(10):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


@pytest.fixture
async def broker() -> AsyncIterator[TansuBroker]:
    """Run a Tansu broker with the four topics of PREFIX."""
    tansu = TansuBroker()
    await tansu.start()
    await tansu.create_topics(list(_config(tansu).topics))
    yield tansu
    tansu.stop()


def _config(tansu: TansuBroker, group: str | None = None, **kwargs: Any) -> ConsumerConfig:
    """Return a config for PREFIX on `tansu`, in a fresh group unless one is given."""
    return ConsumerConfig(
        bootstrap_servers=tansu.bootstrap,
        prefix=PREFIX,
        group_id=group or f"ha-{next(_groups)}",
        auto_offset_reset=OffsetReset.EARLIEST,
        **kwargs,
    )


class Harness:
    """A TelemetryConsumer running in a task, with what it applied and its state changes."""

    def __init__(
        self,
        config: ConsumerConfig,
        fail_first: bool = False,
        on_apply: Callable[[], None] | None = None,
        *,
        fail_at_batch: int | None = None,
        max_records: int | None = None,
    ) -> None:
        """Prepare; `fail_first` (or `fail_at_batch`, counted from 1) makes apply raise.

        `on_apply` runs inside each apply; `max_records` caps the records of a batch.
        """
        self.states: list[bool] = []
        timing = TANSU_TIMING
        if max_records is not None:
            timing = dataclasses.replace(timing, max_records=max_records)
        self.consumer = TelemetryConsumer(config, timing=timing, on_state_change=self.states.append)
        self.applied: list[Decoded] = []
        self.batches = 0
        self.fail_first = fail_first
        self.fail_at_batch = 1 if fail_first else fail_at_batch
        self.on_apply = on_apply
        self.task: asyncio.Task[None] | None = None

    async def _apply(self, batch: list[Decoded]) -> None:
        """Record a batch (or fail, if asked to)."""
        self.batches += 1
        if self.batches == self.fail_at_batch:
            raise RuntimeError("apply failed")
        self.applied.extend(batch)
        if self.on_apply is not None:
            self.on_apply()

    def start(self, *, sync: bool = False) -> Harness:
        """Run the consumer in a task, with an async apply or (`sync`) a plain function."""
        apply = self.applied.extend if sync else self._apply
        self.task = asyncio.create_task(self.consumer.run(apply))
        return self

    async def stop(self) -> None:
        """Stop the consumer and wait for its task."""
        await self.consumer.stop()
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (10 s at most) for condition, failing early if the consumer died."""
        async with asyncio.timeout(10):
            while not condition():
                assert self.task is not None
                if self.task.done():
                    self.task.result()
                await asyncio.sleep(0.02)

    def vehicle_state(self, vin: str) -> dict[str, Any]:
        """Return the latest value of every field applied for `vin`."""
        state: dict[str, Any] = {}
        for record in self.applied:
            if isinstance(record, VehicleData) and record.vin == vin:
                state.update(record.fields)
        return state

    def vehicle_data(self) -> list[VehicleData]:
        """Return the applied vehicle-data records."""
        return [record for record in self.applied if isinstance(record, VehicleData)]


async def _producer(tansu: TansuBroker, vins: list[str], **kwargs: Any) -> FleetProducer:
    """Return a started producer for PREFIX on `tansu`."""
    producer = FleetProducer(tansu.bootstrap, PREFIX, vins, **kwargs)
    await producer.start()
    return producer


@pytest.mark.parametrize("string_values", [False, True], ids=["typed", "strings"])
async def test_round_trip_reaches_the_expected_state(
    broker: TansuBroker, string_values: bool
) -> None:
    producer = await _producer(
        broker,
        [*VINS, STRANGER],
        string_values=string_values,
        malformed_every=9,
        future_fields=True,
    )
    sent = await producer.send_drive()
    await producer.stop()
    harness = Harness(_config(broker, vins=frozenset(VINS))).start()
    per_vin = sent // 3
    await harness.until(lambda: len(harness.applied) == 2 * per_vin)
    consumer = harness.consumer
    await harness.until(lambda: consumer.skipped_vin == per_vin)
    await harness.stop()

    assert consumer.malformed == producer.garbage > 0
    assert consumer.records == len(harness.applied) == 2 * per_vin
    samples = len(trip_samples(producer.plan(VINS[0])))
    assert consumer.unknown_fields == 2 * samples
    for vin in VINS:
        assert harness.vehicle_state(vin) == expected_state(
            producer.plan(vin), string_values=string_values
        )
        last = [r for r in harness.applied if isinstance(r, Connectivity) and r.vin == vin]
        assert [r.status for r in last] == [
            ConnectivityStatus.CONNECTED,
            ConnectivityStatus.DISCONNECTED,
        ]
        (alerts,) = [r for r in harness.applied if isinstance(r, Alerts) and r.vin == vin]
        assert [alert.active for alert in alerts.alerts] == [False, True]
        (errors,) = [r for r in harness.applied if isinstance(r, Errors) and r.vin == vin]
        assert errors.errors[0].tags == {"field": "Soc"}
    # Per VIN, records arrive in the order the car made them.
    created = [r.created_at for r in harness.vehicle_data() if r.vin == VINS[0] and r.created_at]
    assert created == sorted(created)
    assert harness.states == [True, False]
    assert consumer.reconnects == 0


async def test_restart_resumes_from_the_committed_offset(broker: TansuBroker) -> None:
    producer = await _producer(broker, VINS[:1])
    first = await producer.send_drive()
    config = _config(broker)
    harness = Harness(config).start()
    await harness.until(lambda: len(harness.applied) == first)
    await harness.stop()

    producer.seed = 1
    second = await producer.send_drive()
    await producer.stop()
    again = Harness(config).start()
    await again.until(lambda: len(again.applied) == second)
    await asyncio.sleep(0.5)  # anything duplicated would arrive by now
    await again.stop()

    # Exactly the first trip, then exactly the second: nothing lost, nothing applied twice.
    assert [r.fields for r in harness.vehicle_data()] == trip_samples(producer_plan(0))
    assert [r.fields for r in again.vehicle_data()] == trip_samples(producer_plan(1))
    assert len(again.applied) == second
    assert again.vehicle_state(VINS[0]) == expected_state(producer.plan(VINS[0]))


def producer_plan(seed: int) -> TripPlan:
    """Return the first VIN's plan for a seed."""
    return plan_trip(VINS[0], seed)


async def test_nothing_is_committed_when_apply_fails(broker: TansuBroker) -> None:
    producer = await _producer(broker, VINS[:1])
    sent = await producer.send_drive()
    await producer.stop()
    config = _config(broker)
    failing = Harness(config, fail_first=True).start()
    with pytest.raises(RuntimeError, match="apply failed"):
        await failing.until(lambda: False)
    assert failing.states == [True, False]

    again = Harness(config).start()
    await again.until(lambda: len(again.applied) == sent)
    await again.stop()
    assert [r.fields for r in again.vehicle_data()] == trip_samples(producer_plan(0))


async def test_only_the_batches_applied_before_a_failure_are_committed(
    broker: TansuBroker,
) -> None:
    # Each batch's commit runs while the next batch is fetched and applied; when the third
    # apply fails, the first two batches (and nothing of the third) must be committed.
    producer = await _producer(broker, VINS[:1])
    sent = await producer.send_drive()
    await producer.stop()
    config = _config(broker)
    batch = 7
    failing = Harness(config, fail_at_batch=3, max_records=batch).start()
    with pytest.raises(RuntimeError, match="apply failed"):
        await failing.until(lambda: False)
    assert len(failing.applied) == 2 * batch

    again = Harness(config).start()
    await again.until(lambda: len(again.applied) == sent - 2 * batch)
    await asyncio.sleep(0.5)  # anything committed twice or lost would show by now
    await again.stop()
    # Nothing lost, nothing applied twice: the two runs together hold the trip exactly once.
    both = [r.fields for r in [*failing.vehicle_data(), *again.vehicle_data()]]
    assert both == trip_samples(producer_plan(0))


async def test_frozen_broker_reports_disconnected_then_carries_on(broker: TansuBroker) -> None:
    producer = await _producer(broker, VINS[:1])
    sent = await producer.send_drive()
    harness = Harness(_config(broker)).start()
    await harness.until(lambda: len(harness.applied) == sent)

    broker.pause()
    try:
        await harness.until(lambda: not harness.consumer.connected)
    finally:
        broker.resume()
    await harness.until(lambda: harness.consumer.connected)
    producer.seed = 2
    more = await producer.send_drive()
    await producer.stop()
    await harness.until(lambda: len(harness.applied) >= sent + more)
    await harness.stop()

    assert harness.states[:3] == [True, False, True]
    assert harness.vehicle_state(VINS[0]) == expected_state(producer.plan(VINS[0]))


async def test_broker_frozen_during_the_commit_keeps_the_batch(broker: TansuBroker) -> None:
    producer = await _producer(broker, VINS[:1])
    sent = await producer.send_drive()
    await producer.stop()
    config = _config(broker)
    harness = Harness(config, on_apply=broker.pause).start()
    try:
        await harness.until(lambda: harness.states == [True, False])
    finally:
        broker.resume()
    harness.on_apply = None
    await harness.until(lambda: harness.states == [True, False, True])
    await harness.until(lambda: len(harness.applied) == sent)
    await harness.stop()
    assert harness.consumer.reconnects == 0

    # The commit went through after the thaw: a new member of the group gets nothing again.
    again = Harness(config).start()
    await again.until(lambda: again.consumer.connected)
    await asyncio.sleep(1.0)
    await again.stop()
    assert again.applied == []


async def test_stop_abandons_a_commit_to_a_frozen_broker(broker: TansuBroker) -> None:
    producer = await _producer(broker, VINS[:1])
    await producer.send_drive()
    await producer.stop()
    harness = Harness(_config(broker), on_apply=broker.pause).start()
    try:
        await harness.until(lambda: harness.states == [True, False])
        loop = asyncio.get_running_loop()
        began = loop.time()
        await harness.stop()
        # Closing waits for aiokafka's own request timeout at most.
        assert loop.time() - began < TANSU_TIMING.request_timeout + 1
    finally:
        broker.resume()


async def test_restarted_broker_is_picked_up_again(broker: TansuBroker) -> None:
    producer = await _producer(broker, VINS[:1])
    sent = await producer.send_drive()
    await producer.stop()
    harness = Harness(_config(broker)).start(sync=True)
    await harness.until(lambda: len(harness.applied) == sent)

    broker.stop()
    await harness.until(lambda: not harness.consumer.connected)
    await broker.start()
    # The in-memory broker comes back empty; an operator recreates the topics.
    await broker.create_topics(list(harness.consumer.config.topics))
    producer = await _producer(broker, VINS[1:])
    more = await producer.send_drive()
    await producer.stop()
    await harness.until(lambda: len(harness.applied) == sent + more)
    await harness.stop()

    assert harness.consumer.reconnects >= 1
    assert harness.vehicle_state(VINS[1]) == expected_state(producer.plan(VINS[1]))


async def test_missing_topics_are_picked_up_once_created() -> None:
    tansu = TansuBroker()
    await tansu.start()
    try:
        harness = Harness(_config(tansu)).start()
        await harness.until(lambda: harness.consumer.connected)
        await asyncio.sleep(0.4)
        await tansu.create_topics(list(harness.consumer.config.topics))
        producer = await _producer(tansu, VINS[:1])
        sent = await producer.send_drive()
        await producer.stop()
        await harness.until(lambda: len(harness.applied) == sent)
        await harness.stop()
        assert harness.consumer.reconnects == 0
    finally:
        tansu.stop()


async def test_unreachable_broker_keeps_retrying_and_stops_promptly() -> None:
    config = ConsumerConfig(f"127.0.0.1:{free_port()}", PREFIX, "ha-nobody")
    consumer = TelemetryConsumer(config, timing=TANSU_TIMING)
    task = asyncio.create_task(consumer.run(lambda batch: None))
    await _eventually(lambda: consumer.reconnects >= 2)
    assert not consumer.connected
    assert consumer.last_error
    async with asyncio.timeout(1):
        await consumer.stop()
        await task


async def test_batches_of_skipped_records_are_committed_too(broker: TansuBroker) -> None:
    producer = await _producer(broker, [STRANGER], malformed_every=4)
    sent = await producer.send_drive()
    await producer.stop()
    config = _config(broker, vins=frozenset(VINS))
    applied: list[list[Decoded]] = []
    consumer = TelemetryConsumer(config, timing=TANSU_TIMING)
    task = asyncio.create_task(consumer.run(applied.append))
    await _eventually(lambda: consumer.skipped_vin + consumer.malformed == sent + producer.garbage)
    await consumer.stop()
    await task
    assert applied == []
    assert consumer.records == 0

    everyone = Harness(_config(broker, config.group_id)).start()
    await everyone.until(lambda: everyone.consumer.connected)
    await asyncio.sleep(1.0)
    await everyone.stop()
    assert everyone.applied == []


async def test_a_topic_that_appears_is_subscribed_afresh(
    broker: TansuBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = Harness(_config(broker))
    probes: list[int] = []
    real = harness.consumer._missing_topics

    async def missing(kafka: Any) -> set[str]:
        """Pretend the alerts topic is missing at the first two probes."""
        probes.append(1)
        found = await real(kafka)
        return {f"{PREFIX}_alerts"} if len(probes) <= 2 else found

    monkeypatch.setattr(harness.consumer, "_missing_topics", missing)
    harness.start()
    producer = await _producer(broker, VINS[:1])
    await harness.until(lambda: len(probes) > 3)
    sent = await producer.send_drive()
    await producer.stop()
    await harness.until(lambda: len(harness.applied) == sent)
    await harness.stop()
    assert harness.consumer.reconnects == 0
    assert harness.states == [True, False]


async def test_stop_is_prompt_while_idle_and_run_is_not_reentrant(broker: TansuBroker) -> None:
    harness = Harness(_config(broker)).start()
    await harness.until(lambda: harness.consumer.connected)
    with pytest.raises(RuntimeError, match="already running"):
        await harness.consumer.run(harness._apply)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await harness.stop()
    assert loop.time() - began < 1.5
    assert not harness.consumer.connected


async def test_looping_stand_in_for_python_m_simulators() -> None:
    args = parse_args(["--kafka-port", "0", "--telemetry-prefix", "sim"])
    assert (args.kafka_port, args.telemetry_prefix) == (0, "sim")
    assert parse_args([]).kafka_port is None
    telemetry = LoopingTelemetry("127.0.0.1", free_port(), "sim", pace=0.0)
    bootstrap = await telemetry.start()
    try:
        config = ConsumerConfig(bootstrap, "sim", "ha-loop", auto_offset_reset=OffsetReset.EARLIEST)
        harness = Harness(config).start()
        await harness.until(lambda: {r.vin for r in harness.vehicle_data()} == set(DEFAULT_VINS))
        await harness.stop()
        assert telemetry.producer is not None
        assert telemetry.producer.seed >= 1
    finally:
        await telemetry.stop()
