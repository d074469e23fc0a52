"""Home Assistant itself stopped and started again (not an entry reload) while cars stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
from datetime import timedelta
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from homeassistant import loader
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import CoreState, Event, EventStateChangedData, HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    category_registry as cr,
    device_registry as dr,
    entity_registry as er,
    floor_registry as fr,
    issue_registry as ir,
    label_registry as lr,
    restore_state as rs,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant

from custom_components.tesla_energy_sync.clients.fleet_telemetry.consumer import TelemetryConsumer
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import RecordType
from custom_components.tesla_energy_sync.const import CONF_GROUP_ID, DOMAIN
from simulators.fleet_telemetry import START_TIME, FleetProducer
from simulators.kafka_broker import TansuBroker

from .common import OTHER_VIN, PREFIX, VIN, setup_connected, until

pytestmark = pytest.mark.fault

THIRD_VIN = "LRW3E7EK0PC000003"
VINS = (VIN, OTHER_VIN, THIRD_VIN)
HOME = (-33.86, 151.21)
GEARS = ("p", "d", "r", "n")
# What each gear shows: the shift-state option and whether the car counts as driving.
SHOWN_GEAR = {"p": ("p", "off"), "d": ("d", "on"), "r": ("r", "on"), "n": ("n", "off")}
ZONE = {"zone": {"name": "Home", "latitude": HOME[0], "longitude": HOME[1], "radius": 150}}


@dataclass(frozen=True)
class Sent:
    """One record the producer wrote: its car and the values it carried."""

    vin: str
    battery: float
    location: tuple[float, float]
    gear: str


def _record(index: int) -> Sent:
    """Return the index-th record: cars in turn, each value distinct from every other record.

    The first car stays home (a metre east each time, well inside the zone), the others drive.
    """
    vin = VINS[index % len(VINS)]
    if vin == VIN:
        location = (HOME[0], round(HOME[1] + index * 0.00001, 6))
    else:
        location = (-33.80, round(150.0 + index * 0.001, 6))
    return Sent(vin, round(index * 0.2, 1), location, GEARS[index // len(VINS) % len(GEARS)])


class Stream:
    """Writes records as the cars would and logs each once the broker has taken it."""

    def __init__(self, producer: FleetProducer) -> None:
        """Start with nothing written."""
        self.producer = producer
        self.log: list[Sent] = []
        self.task: asyncio.Task[None] | None = None
        self._enough = asyncio.Event()

    async def send(self) -> None:
        """Write the next record."""
        index = len(self.log)
        sent = _record(index)
        await self.producer.send_vehicle_data(
            sent.vin,
            START_TIME + timedelta(seconds=index),
            {"BatteryLevel": sent.battery, "Location": sent.location, "Gear": sent.gear},
        )
        self.log.append(sent)

    def start(self) -> None:
        """Go on writing in the background, a record every 30 ms, until `stop`."""
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._enough.is_set():
            await self.send()
            await asyncio.sleep(0.03)

    async def stop(self) -> None:
        """Stop writing, after the record on its way."""
        self._enough.set()
        if self.task is not None:
            await self.task


@pytest.fixture
async def stream(producer: FleetProducer) -> AsyncIterator[Stream]:
    """A stream of records; a failed test's is cancelled before the producer stops."""
    writer = Stream(producer)
    yield writer
    if writer.task is not None and not writer.task.done():
        writer.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer.task


async def _load_storage(hass: HomeAssistant) -> None:
    """Load the registries and last states from storage, as Home Assistant's bootstrap does."""
    dr.async_setup(hass)
    await asyncio.gather(
        ar.async_load(hass),
        cr.async_load(hass),
        dr.async_load(hass),
        er.async_load(hass),
        fr.async_load(hass),
        ir.async_load(hass),
        lr.async_load(hass),
        rs.async_load(hass),
    )


def _vehicle_entities(hass: HomeAssistant, entry_id: str) -> dict[str, str]:
    """Return the vehicle entities of the entry: entity id to VIN."""
    return {
        entity.entity_id: entity.unique_id.partition("_")[0]
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        if entity.unique_id.partition("_")[0] in VINS
    }


def _shown(hass: HomeAssistant, entity_id: str) -> tuple[str, Any, Any]:
    """Return what an entity shows: its state, and its position for a tracker."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state, state.attributes.get("latitude"), state.attributes.get("longitude")


def _expected(log: list[Sent], entities: dict[str, str]) -> dict[str, tuple[str, Any, Any]]:
    """Return what each entity must show once every logged record is applied."""
    last = {sent.vin: sent for sent in log}
    expected: dict[str, tuple[str, Any, Any]] = {}
    for entity_id, vin in entities.items():
        sent = last[vin]
        gear, driving = SHOWN_GEAR[sent.gear]
        if entity_id.startswith("device_tracker."):
            zone = "home" if vin == VIN else "not_home"
            expected[entity_id] = (zone, *sent.location)
        elif entity_id.endswith("_battery_level"):
            expected[entity_id] = (str(sent.battery), None, None)
        elif entity_id.endswith("_shift_state"):
            expected[entity_id] = (gear, None, None)
        elif entity_id.endswith("_driving"):
            expected[entity_id] = (driving, None, None)
    return expected


async def _committed_and_end(bootstrap: str, group: str) -> tuple[int, int]:
    """Return the group's committed offset of the vehicle-data topic and the log's end.

    The end is the high watermark of a fetch, as test_fuzz reads it: Tansu's ListOffsets may
    answer short of it once records come in batches.
    """
    partition = TopicPartition(RecordType.VEHICLE_DATA.topic(PREFIX), 0)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        reader.assign([partition])
        committed = (await reader.committed(partition)) or 0
        reader.seek(partition, max(committed - 1, 0))  # one record back: a fetch that answers
        async with asyncio.timeout(10):
            while reader.highwater(partition) is None:
                await reader.getmany(timeout_ms=100)
        end = reader.highwater(partition)
        assert end is not None
    finally:
        await reader.stop()
    return committed, end


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # speed, gear, odometer
@pytest.mark.parametrize("load_registries", [False])  # loaded from hass_storage, as at a boot
async def test_home_assistant_restarted_mid_stream(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    telemetry_entry: MockConfigEntry,
    stream: Stream,
    broker: TansuBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Stopped and started again mid-stream: last states back, never unavailable, nothing lost."""
    await _load_storage(hass)
    hass.config.latitude, hass.config.longitude = HOME
    assert await async_setup_component(hass, "zone", ZONE)
    await setup_connected(hass, telemetry_entry)
    first: TelemetryConsumer = telemetry_entry.runtime_data.hub.consumer
    log = stream.log
    for _ in range(2 * len(VINS)):
        await stream.send()
    entry_id = telemetry_entry.entry_id
    await until(hass, lambda: len(_vehicle_entities(hass, entry_id)) == 4 * len(VINS))
    entities = _vehicle_entities(hass, entry_id)
    await until(
        hass, lambda: all(_shown(hass, e) == v for e, v in _expected(log, entities).items())
    )

    # Through the stop, the gap and the start.
    stream.start()
    # Stopped wherever the consumer is: a batch may be on its way, applied or being committed.
    await until(hass, lambda: len(log) >= 20 and first.records >= 10)

    # The first instance stops as Home Assistant stops: the consumer is stopped, the last
    # states are dumped and the registries written to the test's storage.
    await hass.async_stop()
    stopped_at = len(log)
    last_shown = {entity_id: _shown(hass, entity_id) for entity_id in entities}
    assert {"core.restore_state", "core.entity_registry"} <= hass_storage.keys()

    async with async_test_home_assistant(
        load_registries=False,
        config_dir=hass.config.config_dir,
        initial_state=CoreState.not_running,
    ) as second:
        second.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # as enable_custom_integrations does
        await _load_storage(second)
        second.config.latitude, second.config.longitude = HOME
        seen: dict[str, list[tuple[str, Any, Any]]] = {entity_id: [] for entity_id in entities}

        def record(event: Event[EventStateChangedData]) -> None:
            new = event.data["new_state"]
            if new is not None and new.entity_id in seen:
                seen[new.entity_id].append(
                    (new.state, new.attributes.get("latitude"), new.attributes.get("longitude"))
                )

        stop_recording = second.bus.async_listen(EVENT_STATE_CHANGED, record)
        # As at a boot: the integrations set up while not running, then the start.
        assert await async_setup_component(second, "zone", ZONE)
        again = MockConfigEntry(
            domain=DOMAIN,
            title=telemetry_entry.title,
            entry_id=entry_id,
            unique_id=telemetry_entry.unique_id,
            data=dict(telemetry_entry.data),
        )
        again.add_to_hass(second)
        assert await second.config_entries.async_setup(entry_id)
        # A welcome-home automation, turned on at the start as Home Assistant does.
        trackers = [entity_id for entity_id in entities if entity_id.startswith("device_tracker.")]
        assert await async_setup_component(
            second,
            "automation",
            {
                "automation": {
                    "trigger": {"platform": "state", "entity_id": trackers, "to": "home"},
                    "action": {"event": "welcome_home"},
                }
            },
        )
        arrivals: list[Event] = []
        second.bus.async_listen("welcome_home", arrivals.append)
        await second.async_start()
        await second.async_block_till_done()
        restarted_at = len(log)
        hub = again.runtime_data.hub
        await until(second, lambda: hub.consumer.records >= 10, wait=30)
        await stream.stop()
        expected = _expected(log, entities)
        await until(
            second, lambda: all(_shown(second, e) == v for e, v in expected.items()), wait=30
        )

        group = telemetry_entry.data[CONF_GROUP_ID]
        for _ in range(100):  # the last batch's commit may still be on its way
            committed, end = await _committed_and_end(broker.bootstrap, group)
            if committed == end:
                break
            await asyncio.sleep(0.1)
        second_records = hub.consumer.records
        stop_recording()  # unloading marks the entities unavailable, as it should
        await second.config_entries.async_unload(entry_id)
        await second.async_stop(force=True)

    print(  # noqa: T201 - the figures behind the test, shown with -s
        f"\n{len(log)} records: {stopped_at} before the stop, {restarted_at - stopped_at} "
        f"while Home Assistant was down, {first.records} + {second_records} applied"
    )
    assert restarted_at > stopped_at  # some records were written while Home Assistant was down
    assert (committed, end) == (len(log), len(log))
    assert first.records + second_records >= len(log)  # at least once
    for entity_id, states in seen.items():
        # Restored as it was last shown, before any record came, and never unavailable.
        assert states[0] == last_shown[entity_id], entity_id
        assert STATE_UNAVAILABLE not in {state for state, _, _ in states}, (entity_id, states)
        batteries = [float(s) for s, _, _ in states if entity_id.endswith("_battery_level")]
        assert batteries == sorted(batteries), entity_id  # never back to an older record
    home_tracker = next(e for e, vin in entities.items() if vin == VIN and "tracker" in e)
    assert {state for state, _, _ in seen[home_tracker]} == {"home"}
    assert arrivals == []
    errors = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
