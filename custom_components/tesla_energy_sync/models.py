"""Runtime data kept on each config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry

from .const import EntryKind
from .coordinator.base import TesCoordinator


@dataclass(kw_only=True)
class TesRuntimeData:
    """What a loaded entry holds: its kind and the coordinators that feed its entities.

    Coordinators are keyed by what they poll (for example "prices", or "vitals" and "lifetime"
    for a charger); each entity description names the one it reads.
    """

    kind: EntryKind
    coordinators: dict[str, TesCoordinator[Any]]
    extras: dict[str, Any] = field(default_factory=dict)


type TesConfigEntry = ConfigEntry[TesRuntimeData]
