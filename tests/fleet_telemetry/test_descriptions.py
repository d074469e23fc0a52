"""Vehicle entity descriptions against the telemetry schema they read from."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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
from custom_components.tesla_energy_sync.fleet_telemetry.hub import NETWORK, ONLINE, VehicleState
from simulators.fleet_telemetry import START_TIME

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


class _ReadLog(dict[str, Any]):
    """A vehicle's field values that note every field a description's function looks at."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


def test_entities_read_only_the_fields_they_follow() -> None:
    """The hub writes an entity only when one of its fields changed: it must read no other."""
    values = {**EVERY_FIELD, ONLINE: True, NETWORK: "wifi"}
    strays: dict[str, set[str]] = {}
    functions = [(d.key, d.fields, d.value_fn) for d in VEHICLE_SENSORS if d.value_fn]
    functions += [(d.key, d.fields, d.is_on_fn) for d in VEHICLE_BINARY_SENSORS]
    for key, followed, function in functions:
        fields, created = _ReadLog(values), _ReadLog(dict.fromkeys(values, START_TIME))
        function(VehicleState(vin="5YJ3E1EA0PF000001", fields=fields, created=created))
        if stray := (fields.read | created.read) - set(followed):
            strays[key] = stray
    assert strays == {}
