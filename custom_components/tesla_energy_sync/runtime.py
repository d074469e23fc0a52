"""What a loaded entry holds, and the spec that tells the integration how to run each source."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EntryKind
from .coordinator import TesCoordinator

if TYPE_CHECKING:
    from .description import TesEntityDescription
    from .tariff import TariffSource


@dataclass(kw_only=True)
class SourceRuntime:
    """The base of every kind's runtime data; each kind adds its coordinators as named fields."""

    def coordinators(self) -> Sequence[TesCoordinator[Any]]:
        """Return the polled coordinators (refreshed at set-up, shown in diagnostics)."""
        return tuple(self._coordinators().values())

    def _coordinators(self) -> dict[str, TesCoordinator[Any]]:
        """Return the coordinators among the named fields, by field name."""
        found = {item.name: getattr(self, item.name) for item in fields(self)}
        return {name: value for name, value in found.items() if isinstance(value, TesCoordinator)}

    def tariff(self) -> TariffSource | None:
        """Return the prices this entry publishes, for sources that are tariffs."""
        return None

    async def async_first_refresh(self) -> None:
        """Refresh every coordinator once, concurrently: a slow endpoint must not hold the rest."""
        await asyncio.gather(
            *(coordinator.async_config_entry_first_refresh() for coordinator in self.coordinators())
        )

    async def async_stop(self) -> None:
        """Stop what the coordinators' own shutdown does not cover (a push consumer)."""

    def diagnostics(self) -> dict[str, Any]:
        """Return JSON-safe state for diagnostics, each coordinator under its field's name."""
        return {
            "coordinators": {
                name: coordinator.diagnostics()
                for name, coordinator in self._coordinators().items()
            }
        }


type TesConfigEntry = ConfigEntry[SourceRuntime]
type PlatformSetup = Callable[[HomeAssistant, TesConfigEntry, AddConfigEntryEntitiesCallback], None]
type FlowStep = Callable[[Any, dict[str, Any] | None], Awaitable[ConfigFlowResult]]


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """Everything the integration needs to know of one kind of source.

    Platforms, the config flow, set-up and unload, diagnostics and services iterate the
    registry of these (registry.py) instead of asking which kind an entry is.
    """

    kind: EntryKind
    # Builds the entry's runtime data: its clients and coordinators; nothing is fetched yet.
    build: Callable[[HomeAssistant, TesConfigEntry], Awaitable[SourceRuntime]]
    # Entities made from descriptions over the runtime's coordinators, per platform.
    descriptions: Mapping[Platform, Sequence[TesEntityDescription[Any, Any]]] = field(
        default_factory=dict
    )
    # Entities a source makes itself (vehicles as they appear, the combined Powerwall).
    platform_setup: Mapping[Platform, PlatformSetup] = field(default_factory=dict)
    # The config flow's steps for this source (a ConfigFlow mixin) and its entry points.
    flow: type[ConfigFlow]
    reauth: FlowStep | None = None
    reconfigure: FlowStep | None = None
    options_flow: type[OptionsFlow] | None = None
    # Keys diagnostics redact besides the shared ones (credentials, serials, addresses).
    redact: frozenset[str] = frozenset()
    # Integration-wide set-up: services and views the source owns (run once, in async_setup).
    setup: Callable[[HomeAssistant], None] | None = None
    # Whether a device of this source may be deleted by the user (stale vehicles).
    remove_device: Callable[[TesConfigEntry, dr.DeviceEntry], bool] | None = None
