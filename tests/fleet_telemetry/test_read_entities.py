"""Every read-only vehicle entity from one record, and values no entity can take."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import (
    ConnectivityStatus,
    RecordType,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.schema import (
    FIELD_NUMBERS,
    VALUE_ARMS,
    Payload,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.values import FIELD_KINDS, Kind
from custom_components.tesla_energy_sync.fleet_telemetry.descriptions import (
    TRACKERS,
    VEHICLE_BINARY_SENSORS,
    VEHICLE_SENSORS,
    TelemetryEntityDescription,
)
from simulators.fleet_telemetry import START_TIME, FleetProducer

from .common import VIN, setup_connected, until, value_of
from .read_fields import EVERY_FIELD

ENUM_FIELDS = sorted(f for f in EVERY_FIELD if isinstance(FIELD_KINDS[f], str))
# Fields whose value says a state (flags, enums, door and tyre flags): `invalid` must clear it.
STATE_FIELDS = sorted(
    f for f in EVERY_FIELD if FIELD_KINDS[f] in {Kind.BOOL, Kind.FLAGS} or f in ENUM_FIELDS
)
PLATFORM_TABLES: dict[str, tuple[TelemetryEntityDescription, ...]] = {
    "sensor": VEHICLE_SENSORS,
    "binary_sensor": VEHICLE_BINARY_SENSORS,
    "device_tracker": TRACKERS,
}


def _readers(fields: list[str]) -> list[tuple[str, str]]:
    """Return (platform, key) of every entity that reads only one of `fields`."""
    return [
        (platform, d.key)
        for platform, table in PLATFORM_TABLES.items()
        for d in table
        if len(d.fields) == 1 and d.fields[0] in fields
    ]


def _enum_arm(field: str) -> str:
    """Return the typed arm that carries an enum field."""
    return next(arm for arm, kind in VALUE_ARMS.values() if kind == FIELD_KINDS[field])


def _payload(at: dt.datetime, values: dict[str, tuple[str, Any]]) -> bytes:
    """Serialize a record of (arm, raw value) per field, bypassing the simulator's rules."""
    payload = Payload(vin=VIN)
    payload.created_at.FromDatetime(at)
    for field, (arm, raw) in values.items():
        datum = payload.data.add()
        datum.key = FIELD_NUMBERS[field]
        setattr(datum.value, arm, raw)
    data: bytes = payload.SerializeToString()
    return data


async def _send_every_field(producer: FleetProducer) -> None:
    """Name the car, open its stream over Wi-Fi, then send one record with every field."""
    await producer.send_vehicle_data(
        VIN, START_TIME - dt.timedelta(seconds=1), {"VehicleName": "Every Field"}
    )
    await producer.send_connectivity(VIN, ConnectivityStatus.CONNECTED, START_TIME)
    await producer.send_vehicle_data(VIN, START_TIME, EVERY_FIELD)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.DEVICE_TRACKER]
)
async def test_every_read_entity(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """One record carrying every field the entities read: each entity, its unit and state."""
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await setup_connected(hass, telemetry_entry)
        consumer = telemetry_entry.runtime_data.hub.consumer
        await _send_every_field(producer)
        await until(hass, lambda: consumer.records >= 3)
    await snapshot_platform(hass, entity_registry, snapshot, telemetry_entry.entry_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_unknown_enum_values_read_unknown_and_are_counted(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """A label or number an enum lacks shows unknown (not an error) and counts as rejected."""
    await setup_connected(hass, telemetry_entry)
    consumer = telemetry_entry.runtime_data.hub.consumer
    await _send_every_field(producer)
    await until(hass, lambda: consumer.records == 3)
    readers = _readers(ENUM_FIELDS)
    assert all(value_of(hass, p, VIN, key) != STATE_UNKNOWN for p, key in readers)

    # A number newer than the enum, as a car on later firmware could send.
    later = START_TIME + dt.timedelta(seconds=1)
    typed = {field: (_enum_arm(field), 99) for field in ENUM_FIELDS}
    await producer.send_record(RecordType.VEHICLE_DATA, VIN, _payload(later, typed))
    await until(hass, lambda: consumer.records == 4)
    assert [(p, k) for p, k in readers if value_of(hass, p, VIN, k) != STATE_UNKNOWN] == []
    assert consumer.rejected_values == len(ENUM_FIELDS)

    # Valid again, then a label the enum lacks, in the string form of cars without prefer_typed.
    await producer.send_vehicle_data(VIN, later + dt.timedelta(seconds=1), EVERY_FIELD)
    await until(hass, lambda: consumer.records == 5)
    assert all(value_of(hass, p, VIN, key) != STATE_UNKNOWN for p, key in readers)
    text = dict.fromkeys(ENUM_FIELDS, ("string_value", "Bogus"))
    await producer.send_record(
        RecordType.VEHICLE_DATA, VIN, _payload(later + dt.timedelta(seconds=2), text)
    )
    await until(hass, lambda: consumer.records == 6)
    assert [(p, k) for p, k in readers if value_of(hass, p, VIN, k) != STATE_UNKNOWN] == []
    assert consumer.rejected_values == 2 * len(ENUM_FIELDS)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_values_the_car_marks_invalid_read_unknown(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """A flag, enum or route the car later marks invalid no longer shows its old state."""
    await setup_connected(hass, telemetry_entry)
    consumer = telemetry_entry.runtime_data.hub.consumer
    await _send_every_field(producer)
    await until(hass, lambda: consumer.records == 3)
    readers = _readers([*STATE_FIELDS, "DestinationLocation", "OriginLocation"])
    assert all(value_of(hass, p, VIN, key) != STATE_UNKNOWN for p, key in readers)

    invalid = dict.fromkeys([*STATE_FIELDS, "DestinationLocation", "OriginLocation"])
    await producer.send_vehicle_data(VIN, START_TIME + dt.timedelta(seconds=1), invalid)
    await until(hass, lambda: consumer.records == 4)
    assert [(p, k) for p, k in readers if value_of(hass, p, VIN, k) != STATE_UNKNOWN] == []
    assert consumer.rejected_values == 0
    # The car's own position is kept: invalid means no fix now, not that it moved.
    await producer.send_vehicle_data(VIN, START_TIME + dt.timedelta(seconds=2), {"Location": None})
    await until(hass, lambda: consumer.records == 5)
    assert value_of(hass, "device_tracker", VIN, "location") != STATE_UNKNOWN
