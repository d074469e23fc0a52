"""Every translation key the code raises or shows exists, and en.json matches strings.json."""

from __future__ import annotations

import ast
from collections.abc import Sequence
import json
from pathlib import Path

from homeassistant.helpers.entity import EntityDescription

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "tesla_energy_sync"


def _load(name: str) -> dict[str, object]:
    return json.loads((INTEGRATION / name).read_text())  # type: ignore[no-any-return]


def test_en_json_is_strings_json() -> None:
    """Custom integrations ship literal text: translations/en.json equals strings.json."""
    assert _load("strings.json") == _load("translations/en.json")


def test_raised_translation_keys_exist() -> None:
    """Every translation_key passed to an exception has a message in strings.json."""
    exceptions = _load("strings.json")["exceptions"]
    assert isinstance(exceptions, dict)
    used: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and any(
                kw.arg == "translation_domain" for kw in node.keywords
            ):
                for kw in node.keywords:
                    if kw.arg == "translation_key" and isinstance(kw.value, ast.Constant):
                        used.add(str(kw.value.value))
    assert used
    assert used <= set(exceptions)


def test_entity_translation_keys_exist() -> None:
    """Every entity description's translation_key is named in strings.json and icons.json."""
    from custom_components.tesla_energy_sync.fleet_telemetry.descriptions import (
        TRACKERS,
        VEHICLE_BINARY_SENSORS,
        VEHICLE_SENSORS,
    )
    from custom_components.tesla_energy_sync.registry import SOURCES

    entity = _load("strings.json")["entity"]
    icons = _load("icons.json")["entity"]
    assert isinstance(entity, dict)
    assert isinstance(icons, dict)
    tables: list[tuple[str, dict[str, Sequence[EntityDescription]]]] = [
        (str(platform), {spec.kind: descriptions})
        for spec in SOURCES.values()
        for platform, descriptions in spec.descriptions.items()
    ]
    tables += [
        ("sensor", {"telemetry": VEHICLE_SENSORS}),
        ("binary_sensor", {"telemetry": VEHICLE_BINARY_SENSORS}),
        ("device_tracker", {"telemetry": TRACKERS}),
    ]
    for platform, table in tables:
        for descriptions in table.values():
            for description in descriptions:
                assert description.translation_key in entity[platform]
                assert description.translation_key in icons[platform]
