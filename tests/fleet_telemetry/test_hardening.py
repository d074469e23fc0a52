"""Values a car (or anything else writing to the topics) should never send, through a real broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
import logging
import math

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.clients.fleet_telemetry.consumer import TelemetryConsumer
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import RecordType
from simulators.fleet_telemetry import START_TIME, FleetProducer, encode_payload

from .common import OTHER_VIN, VIN, setup_connected, state_of, until, value_of

# More cars, so that the bad value's car is not simply the last one a flush writes.
MORE_VINS = [f"5YJ3E1EA0PF00010{n}" for n in range(4)]
NEW_VIN = "5YJ3E1EA0PF000099"


async def _send_gear(producer: FleetProducer, vin: str, gear: str, at: datetime) -> None:
    """Send a gear as vehicles without prefer_typed do: a string, whatever it holds."""
    await producer.send_record(
        RecordType.VEHICLE_DATA, vin, encode_payload(vin, at, {"Gear": gear}, string_values=True)
    )


def _applied(consumer: TelemetryConsumer, count: int) -> bool:
    """Return whether the consumer applied `count` records."""
    return consumer.records == count


def _odometer_km(hass: HomeAssistant, vin: str) -> float:
    """Return the odometer shown (this Home Assistant is metric) in miles again."""
    return float(state_of(hass, "sensor", vin, "odometer").state) / 1.609344


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # speed, gear, odometer
async def test_bad_values_and_vins_cost_no_other_write(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """Unknown or oversized gears read `unknown`; bad VINs are dropped; the rest still applies."""
    cars = [VIN, OTHER_VIN, *MORE_VINS]
    await setup_connected(hass, telemetry_entry)
    for vin in cars:
        await producer.send_vehicle_data(vin, START_TIME, {"Gear": "p", "Odometer": 100.0})
    await until(hass, lambda: all(value_of(hass, "sensor", v, "shift_state") == "p" for v in cars))

    # A backlog that reaches the restarted consumer as one batch, so one flush.
    assert await hass.config_entries.async_unload(telemetry_entry.entry_id)
    later = START_TIME + timedelta(minutes=1)
    await _send_gear(producer, VIN, "Z", later)  # no such gear
    await _send_gear(producer, NEW_VIN, "X" * 300_000, later)  # a first value, and huge
    for vin in cars[1:]:
        await producer.send_vehicle_data(vin, later, {"Odometer": 101.0})
    await producer.send_vehicle_data("5YJ3E1EA0PF00000I", later, {"Odometer": 1.0})  # I: no VIN
    await producer.send_record(
        RecordType.VEHICLE_DATA,
        "V" * 400_000,
        encode_payload(VIN, later, {"Odometer": 1.0}),
    )
    assert await hass.config_entries.async_setup(telemetry_entry.entry_id)
    consumer = telemetry_entry.runtime_data.hub.consumer
    await until(hass, lambda: consumer.records + consumer.invalid_vin == len(cars) + 3)
    await hass.async_block_till_done()

    assert value_of(hass, "sensor", VIN, "shift_state") == "unknown"
    assert value_of(hass, "sensor", NEW_VIN, "shift_state") == "unknown"
    for vin in cars[1:]:
        assert _odometer_km(hass, vin) == pytest.approx(101.0)
    assert _odometer_km(hass, VIN) == pytest.approx(100.0)  # the bad VINs' records went nowhere
    assert consumer.invalid_vin == 2
    assert consumer.rejected_values == 2
    serials = {
        device.serial_number
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), telemetry_entry.entry_id
        )
        if device.entry_type is None  # not the entry's own service device
    }
    assert serials == {*cars, NEW_VIN}
    diagnostics = telemetry_entry.runtime_data.diagnostics()["telemetry"]
    assert (diagnostics["invalid_vin"], diagnostics["rejected_values"]) == (2, 2)


async def test_a_failing_entity_costs_the_others_nothing(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An update that raises (a bug) is counted and logged once; every other write happens."""
    await setup_connected(hass, telemetry_entry)
    hub = telemetry_entry.runtime_data.hub

    def broken() -> None:
        raise RuntimeError("entity bug")

    # Registered before the car's entities, so it runs first for every flush of that car.
    hub.async_add_listener(VIN, broken)
    for index, level in enumerate((50.0, 51.0, 52.0)):
        at = START_TIME + timedelta(seconds=index)
        await producer.send_vehicle_data(VIN, at, {"BatteryLevel": level})
        await until(hass, partial(_applied, hub.consumer, index + 1))
    await until(hass, lambda: value_of(hass, "sensor", VIN, "battery_level") == "52.0")
    assert hub.write_errors >= 2
    logged = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and "entity bug" in (r.exc_text or "")
    ]
    assert len(logged) == 1


async def test_a_clock_far_ahead_pins_nothing(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """A record stamped a day ahead applies, but ordered by when the server produced it."""
    await setup_connected(hass, telemetry_entry)
    hub = telemetry_entry.runtime_data.hub
    now = datetime.now(UTC)
    await producer.send_vehicle_data(VIN, now + timedelta(days=1), {"BatteryLevel": 50.0})
    await until(hass, lambda: value_of(hass, "sensor", VIN, "battery_level") == "50.0")

    # Made after the server produced the bad record: newer, so it applies.
    await producer.send_vehicle_data(VIN, datetime.now(UTC), {"BatteryLevel": 51.0})
    await until(hass, lambda: value_of(hass, "sensor", VIN, "battery_level") == "51.0")
    assert hub.clock_ahead == 1
    # A clock a minute ahead is within the margin: trusted, so an older record is stale.
    await producer.send_vehicle_data(
        VIN, datetime.now(UTC) + timedelta(minutes=1), {"BatteryLevel": 52.0}
    )
    await producer.send_vehicle_data(VIN, datetime.now(UTC), {"BatteryLevel": 10.0})
    await until(hass, lambda: hub.consumer.records == 4)
    assert value_of(hass, "sensor", VIN, "battery_level") == "52.0"
    assert (hub.clock_ahead, hub.stale) == (1, 1)


OFF_THE_GLOBE = [(999.0, 10.0), (-91.0, 0.0), (0.0, 181.0), (math.nan, 151.0), (-33.8, math.inf)]


async def test_coordinates_off_the_globe_are_ignored(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """The tracker stays where the car last really was; each bad position is counted."""
    await setup_connected(hass, telemetry_entry)
    consumer = telemetry_entry.runtime_data.hub.consumer
    await producer.send_vehicle_data(VIN, START_TIME, {"Location": (-33.86, 151.21)})
    for index, where in enumerate(OFF_THE_GLOBE, start=1):
        at = START_TIME + timedelta(seconds=index)
        await producer.send_vehicle_data(VIN, at, {"Location": where, "BatteryLevel": index})
    await until(hass, lambda: consumer.records == 1 + len(OFF_THE_GLOBE))
    tracker = state_of(hass, "device_tracker", VIN, "location")
    assert (tracker.attributes["latitude"], tracker.attributes["longitude"]) == (-33.86, 151.21)
    assert consumer.rejected_values == len(OFF_THE_GLOBE)
    assert value_of(hass, "sensor", VIN, "battery_level") == f"{len(OFF_THE_GLOBE)}.0"
