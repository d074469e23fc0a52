"""Vehicle entity descriptions against the telemetry schema they read from."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from homeassistant.components.sensor import SensorDeviceClass

from custom_components.tesla_energy_sync.clients.fleet_telemetry.schema import (
    FIELD_NUMBERS,
    enum_values,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.values import (
    FIELD_KINDS,
    enum_label,
)
from custom_components.tesla_energy_sync.fleet_telemetry import descriptions
from custom_components.tesla_energy_sync.fleet_telemetry.descriptions import (
    TRACKERS,
    VEHICLE_BINARY_SENSORS,
    VEHICLE_SENSORS,
    TelemetryEntityDescription,
    VehicleSensorDescription,
)
from custom_components.tesla_energy_sync.fleet_telemetry.hub import NETWORK, ONLINE

from .read_fields import EVERY_FIELD

ALL: tuple[TelemetryEntityDescription, ...] = (
    *VEHICLE_SENSORS,
    *VEHICLE_BINARY_SENSORS,
    *TRACKERS,
)


def fields_not_in_schema(described: Iterable[TelemetryEntityDescription]) -> list[str]:
    """Return `key.field` for every field a description reads that the schema lacks."""
    return [
        f"{description.key}.{name}"
        for description in described
        for name in description.fields
        if name not in FIELD_NUMBERS and name not in {ONLINE, NETWORK}
    ]


def test_every_described_field_is_in_the_schema() -> None:
    """A typo or a field the schema dropped would leave its entity forever absent."""
    assert fields_not_in_schema(ALL) == []
    # The check itself: a made-up field is reported.
    bogus = VehicleSensorDescription(key="bogus", fields=("BatteryLevel", "FluxCapacitor"))
    assert fields_not_in_schema([bogus]) == ["bogus.FluxCapacitor"]


def test_every_described_field_has_a_declared_type() -> None:
    """Entities read typed values, not strings guessed by shape."""
    untyped = [
        name
        for d in ALL
        for name in d.fields
        if name not in {ONLINE, NETWORK} and name not in FIELD_KINDS
    ]
    assert untyped == []


def test_enum_sensor_options_are_the_fields_enum_labels() -> None:
    """An enum sensor lists every label the decoder can give its field, and no other."""
    enums = [d for d in VEHICLE_SENSORS if d.device_class is SensorDeviceClass.ENUM]
    assert enums
    for description in enums:
        (name,) = description.fields
        kind = FIELD_KINDS[name]
        assert isinstance(kind, str), name
        labels = {enum_label(kind, number) for number in range(len(enum_values(kind)))}
        assert set(description.options or ()) == labels, description.key


def test_keys_are_unique_per_platform() -> None:
    """Keys make unique ids (VIN_key), so no two descriptions of a platform share one."""
    for platform in (VEHICLE_SENSORS, VEHICLE_BINARY_SENSORS, TRACKERS):
        keys = [d.key for d in platform]
        assert len(keys) == len(set(keys))


def test_descriptions_never_import_the_entity_module() -> None:
    """Descriptions are data; entities import them, never the other way round."""
    tree = ast.parse(Path(descriptions.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level > 0
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert "entity" not in imported
    assert not any(name.endswith(".entity") for name in imported)


def test_the_every_field_record_covers_every_entity() -> None:
    """The snapshot of one record with every field then shows every vehicle entity."""
    described = {name for d in ALL for name in d.fields} - {ONLINE, NETWORK}
    assert described == set(EVERY_FIELD)
