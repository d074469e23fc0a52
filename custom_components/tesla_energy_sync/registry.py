"""The registry of sources: one spec per kind of config entry, in the menu's order."""

from __future__ import annotations

from typing import Final

from .amber import SPEC as AMBER
from .comed import SPEC as COMED
from .const import CONF_KIND, EntryKind
from .fleet_telemetry import SPEC as FLEET_TELEMETRY
from .powerwall import SPEC as POWERWALL
from .powerwall.combined import SPEC as POWERWALL_COMBINED
from .runtime import SourceSpec, TesConfigEntry
from .tesla_account import SPEC as TESLA_ACCOUNT
from .tou_sync import SPEC as TOU_SYNC
from .wall_connector import SPEC as WALL_CONNECTOR

SOURCES: Final[dict[EntryKind, SourceSpec]] = {
    spec.kind: spec
    for spec in (
        AMBER,
        COMED,
        WALL_CONNECTOR,
        TESLA_ACCOUNT,
        TOU_SYNC,
        FLEET_TELEMETRY,
        POWERWALL,
        POWERWALL_COMBINED,
    )
}


def spec_of(entry: TesConfigEntry) -> SourceSpec:
    """Return the spec of the entry's kind."""
    return SOURCES[EntryKind(entry.data[CONF_KIND])]


def kind_of(entry: TesConfigEntry) -> SourceSpec | None:
    """Return the spec of the entry's kind, or None for an entry with none (an ignored discovery)."""
    kind = entry.data.get(CONF_KIND)
    return SOURCES.get(EntryKind(kind)) if kind in SOURCES else None
