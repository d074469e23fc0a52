"""Runtime data kept on each config entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .const import EntryKind
from .coordinator.amber import AmberCoordinator
from .coordinator.comed import ComEdCoordinator

type TariffCoordinator = AmberCoordinator | ComEdCoordinator


@dataclass(kw_only=True)
class TesRuntimeData:
    """What a loaded entry holds: its kind and the coordinator that feeds its entities."""

    kind: EntryKind
    coordinator: TariffCoordinator


type TesConfigEntry = ConfigEntry[TesRuntimeData]
