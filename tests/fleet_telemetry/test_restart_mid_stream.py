"""The entry reloaded (Home Assistant's part of a restart) while a car streams records."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import RecordType
from custom_components.tesla_energy_sync.const import CONF_GROUP_ID
from simulators.fleet_telemetry import START_TIME, FleetProducer
from simulators.kafka_broker import TansuBroker

from .common import PREFIX, VIN, setup_connected, state_of, until, value_of

pytestmark = pytest.mark.fault

RECORDS = 80  # written one by one, a little apart, across the reload


def _position(index: int) -> tuple[float, float]:
    """Return where the car is at its index-th record: a step east each time."""
    return (-33.86, round(151.0 + index * 0.001, 6))


async def _committed_and_end(bootstrap: str, group: str) -> tuple[int | None, int]:
    """Return the group's committed offset of the vehicle-data topic and the log's end."""
    partition = TopicPartition(RecordType.VEHICLE_DATA.topic(PREFIX), 0)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        committed: int | None = await reader.committed(partition)
        end: int = (await reader.end_offsets([partition]))[partition]
    finally:
        await reader.stop()
    return committed, end


async def test_a_reload_mid_stream_loses_nothing_and_never_turns_unavailable(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
    broker: TansuBroker,
) -> None:
    """Every record applied, offsets at the log end, last states restored, no unavailable."""
    await setup_connected(hass, telemetry_entry)
    first = telemetry_entry.runtime_data.hub.consumer
    battery_states: list[str] = []

    def record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.entity_id == "sensor.tesla_000001_battery_level":
            battery_states.append(new.state)

    hass.bus.async_listen("state_changed", record)

    async def stream() -> None:
        """Write the records one by one, as a car streams them."""
        for index in range(RECORDS):
            await producer.send_vehicle_data(
                VIN,
                START_TIME + timedelta(seconds=index),
                {"BatteryLevel": float(index), "Location": _position(index)},
            )
            await asyncio.sleep(0.02)

    streaming = asyncio.create_task(stream())
    await until(hass, lambda: first.records >= RECORDS // 4)
    assert await hass.config_entries.async_reload(telemetry_entry.entry_id)
    second = telemetry_entry.runtime_data.hub.consumer
    await streaming
    await until(hass, lambda: value_of(hass, "sensor", VIN, "battery_level") == f"{RECORDS - 1}.0")

    # At least once: each record applied by one consumer or the other (a batch applied but
    # not yet committed when the first stopped comes again, harmlessly).
    assert first.records + second.records >= RECORDS
    group = telemetry_entry.data[CONF_GROUP_ID]
    for _ in range(100):  # the last batch's commit may still be on its way
        committed, end = await _committed_and_end(broker.bootstrap, group)
        if committed == end:
            break
        await asyncio.sleep(0.1)
    assert (committed, end) == (end, RECORDS)
    tracker = state_of(hass, "device_tracker", VIN, "location")
    assert (tracker.attributes["latitude"], tracker.attributes["longitude"]) == _position(
        RECORDS - 1
    )
    # Unloading marks the entities unavailable (Home Assistant does that, once); set up again,
    # the sensor comes back with the last value it showed, then moves on, never backwards.
    gap = battery_states.index(STATE_UNAVAILABLE)
    before, after = battery_states[:gap], battery_states[gap + 1 :]
    assert STATE_UNAVAILABLE not in after
    assert after[0] == before[-1]
    values = [float(state) for state in before + after]
    assert values == sorted(values)
