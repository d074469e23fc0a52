"""The hub's entity writes: a burst of cars is written over several loop turns, once per car."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_platform, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import VehicleData
from custom_components.tesla_energy_sync.const import DOMAIN
from custom_components.tesla_energy_sync.fleet_telemetry import hub as hub_module
from simulators.fleet_telemetry import START_TIME, FleetProducer

from .common import setup_connected, state_of, until, value_of

CARS = [f"5YJ3E1EA0PF00020{n}" for n in range(6)]


def _battery(hass: HomeAssistant, vin: str) -> float:
    return float(state_of(hass, "sensor", vin, "battery_level").state)


def _cars_with_entities(hass: HomeAssistant) -> list[str]:
    registry = er.async_get(hass)
    return [
        vin
        for vin in CARS
        if registry.async_get_entity_id("sensor", DOMAIN, f"{vin}_battery_level")
    ]


async def test_a_burst_is_written_a_slice_per_loop_turn_and_once_per_car(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    await setup_connected(hass, telemetry_entry)
    for vin in CARS:
        await producer.send_vehicle_data(vin, START_TIME, {"BatteryLevel": 10.0})
    await until(hass, lambda: all(value_of(hass, "sensor", v, "battery_level") for v in CARS))
    hub = telemetry_entry.runtime_data.hub
    battery_ids = {state_of(hass, "sensor", vin, "battery_level").entity_id: vin for vin in CARS}
    writes: dict[str, list[str]] = {vin: [] for vin in CARS}

    @callback
    def written(event: Event[EventStateChangedData]) -> None:
        vin, new = battery_ids.get(event.data["entity_id"]), event.data["new_state"]
        if vin is not None and new is not None:
            writes[vin].append(new.state)

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, written)
    # No time at all for writes: every loop turn writes exactly one car, then yields.
    hub.flush_budget = 0.0
    at = START_TIME + timedelta(seconds=1)
    hub.apply([VehicleData(vin, at, {"BatteryLevel": 20.0 + n}) for n, vin in enumerate(CARS)])
    await asyncio.sleep(0)
    assert [vin for vin in CARS if writes[vin]] == CARS[:1]
    # A newer record of a car still waiting joins its pending write instead of adding one.
    later = START_TIME + timedelta(seconds=2)
    hub.apply([VehicleData(CARS[-1], later, {"BatteryLevel": 90.0})])
    await asyncio.sleep(0)
    assert [vin for vin in CARS if writes[vin]] == CARS[:2]
    await until(hass, lambda: all(writes.values()))
    await asyncio.sleep(0.1)  # a second write of any car would land by now
    unsubscribe()

    expected = {vin: [str(20.0 + n)] for n, vin in enumerate(CARS)}
    expected[CARS[-1]] = ["90.0"]
    assert writes == expected


async def test_a_lost_broker_marks_every_car_unavailable_over_several_turns(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    await setup_connected(hass, telemetry_entry)
    for vin in CARS:
        await producer.send_vehicle_data(vin, START_TIME, {"BatteryLevel": 10.0})
    await until(hass, lambda: all(value_of(hass, "sensor", v, "battery_level") for v in CARS))
    consumer = telemetry_entry.runtime_data.hub.consumer
    telemetry_entry.runtime_data.hub.flush_budget = 0.0

    consumer._went_down("TimeoutError: test")
    await asyncio.sleep(0)
    unavailable = [v for v in CARS if value_of(hass, "sensor", v, "battery_level") == "unavailable"]
    assert unavailable == CARS[:1]
    await until(
        hass,
        lambda: {value_of(hass, "sensor", v, "battery_level") for v in CARS} == {"unavailable"},
    )
    consumer._came_up()
    await until(
        hass,
        lambda: "unavailable" not in {value_of(hass, "sensor", v, "battery_level") for v in CARS},
    )
    assert [_battery(hass, v) for v in CARS] == [10.0] * len(CARS)


async def test_new_cars_get_their_entities_a_car_per_turn(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    await setup_connected(hass, telemetry_entry)
    hub = telemetry_entry.runtime_data.hub
    hub.flush_budget = 0.0
    hub.apply([VehicleData(vin, START_TIME, {"BatteryLevel": 30.0}) for vin in CARS])
    await asyncio.sleep(0)
    assert _cars_with_entities(hass) == CARS[:1]
    await until(hass, lambda: _cars_with_entities(hass) == CARS)
    await until(hass, lambda: all(value_of(hass, "sensor", v, "battery_level") for v in CARS))
    assert [_battery(hass, v) for v in CARS] == [30.0] * len(CARS)


async def test_known_cars_are_restored_a_slice_per_turn_after_a_restart(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await setup_connected(hass, telemetry_entry)
    for vin in CARS:
        await producer.send_vehicle_data(vin, START_TIME, {"BatteryLevel": 40.0})
    await until(hass, lambda: all(value_of(hass, "sensor", v, "battery_level") for v in CARS))
    assert await hass.config_entries.async_unload(telemetry_entry.entry_id)
    await hass.async_block_till_done()
    # The next hub starts with no time for entity work: one car's entities per platform a turn.
    monkeypatch.setattr(hub_module, "FLUSH_BUDGET", 0.0)
    removed = [v for v in CARS if value_of(hass, "sensor", v, "battery_level") == "unavailable"]
    assert removed == CARS

    assert await hass.config_entries.async_setup(telemetry_entry.entry_id)
    platform = entity_platform.async_get_platforms(hass, DOMAIN)
    sensors = next(
        p for p in platform if p.domain == "sensor" and p.config_entry is telemetry_entry
    )
    restored = {e.unique_id for e in sensors.entities.values()}
    assert {f"{v}_battery_level" for v in CARS} - restored  # not every car in one go
    await until(
        hass,
        lambda: (
            {e.unique_id for e in sensors.entities.values()} >= {f"{v}_battery_level" for v in CARS}
        ),
    )
    # Restored with their last value, though no record has arrived since the restart.
    assert [_battery(hass, v) for v in CARS] == [40.0] * len(CARS)


async def test_a_record_writes_only_the_entities_reading_its_fields(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    await setup_connected(hass, telemetry_entry)
    vin = CARS[0]
    await producer.send_vehicle_data(vin, START_TIME, {"BatteryLevel": 50.0, "InsideTemp": 20.0})
    await until(hass, lambda: value_of(hass, "sensor", vin, "inside_temperature") == "20.0")
    battery = state_of(hass, "sensor", vin, "battery_level").entity_id
    inside = state_of(hass, "sensor", vin, "inside_temperature").entity_id
    # A write that changes nothing still reaches the state machine: Home Assistant then
    # fires state_reported. Count the writes of both sensors.
    writes: list[str] = []

    @callback
    def written(event: Event[Any]) -> None:
        if event.data["entity_id"] in (battery, inside):
            writes.append(event.data["entity_id"])

    @callback
    def ours(event_data: Any) -> bool:
        return event_data["entity_id"] in (battery, inside)

    for event_type in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED):
        hass.bus.async_listen(event_type, written, event_filter=ours)
    hub = telemetry_entry.runtime_data.hub
    for second in (1, 2):
        at = START_TIME + timedelta(seconds=second)
        hub.apply([VehicleData(vin, at, {"BatteryLevel": 50.0 + second})])
        await until(hass, lambda: not hub._changed)
    assert writes == [battery, battery]

    hub.consumer._went_down("TimeoutError: test")
    await until(hass, lambda: not hub._changed)
    assert sorted(writes[2:]) == sorted([battery, inside])
