"""Base entity: one place that sets identity and device for every entity."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import TesCoordinator
from .description import TesEntityDescription
from .registry import spec_of
from .runtime import TesConfigEntry


class TesEntity(CoordinatorEntity[TesCoordinator[Any]]):
    """An entity fed by one of our coordinators."""

    _attr_has_entity_name = True
    entity_description: TesEntityDescription[Any, Any]

    def __init__(
        self, coordinator: TesCoordinator[Any], description: TesEntityDescription[Any, Any]
    ) -> None:
        """Derive unique id and device from the coordinator."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.unique_prefix}_{description.key}"
        self._attr_device_info = coordinator.device_info

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes, if it has any."""
        if (attr_fn := self.entity_description.attr_fn) is None:
            return None
        return attr_fn(self.coordinator.data)


def entities_for[DescriptionT: TesEntityDescription[Any, Any], EntityT: TesEntity](
    entry: TesConfigEntry,
    descriptions: Sequence[DescriptionT],
    build: Callable[[TesCoordinator[Any], DescriptionT], EntityT],
) -> Iterator[EntityT]:
    """Yield an entity for each description whose value the entry's source has.

    A description whose coordinator the entry lacks (an optional half of a source, such
    as a gateway's cloud settings without cloud credentials) yields nothing.
    """
    for description in descriptions:
        coordinator = description.coordinator_fn(entry.runtime_data)
        if coordinator is not None and description.exists_fn(coordinator):
            yield build(coordinator, description)


type PlatformEntrySetup = Callable[
    [HomeAssistant, TesConfigEntry, AddConfigEntryEntitiesCallback], Coroutine[Any, Any, None]
]


def source_platform(platform: Platform) -> PlatformEntrySetup:
    """Return a platform's `async_setup_entry` for entities only sources make (no descriptions)."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: TesConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        """Add the platform's entities the entry's source makes."""
        if (setup := spec_of(entry).platform_setup.get(platform)) is not None:
            setup(hass, entry, async_add_entities)

    return async_setup_entry


def async_setup_platform[DescriptionT: TesEntityDescription[Any, Any], EntityT: TesEntity](
    hass: HomeAssistant,
    entry: TesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: Platform,
    build: Callable[[TesCoordinator[Any], DescriptionT], EntityT],
) -> None:
    """Add the platform's entities of the entry's source: described ones, then its own."""
    spec = spec_of(entry)
    descriptions: Sequence[DescriptionT] = spec.descriptions.get(platform, ())  # type: ignore[assignment]
    async_add_entities(entities_for(entry, descriptions, build))
    if (setup := spec.platform_setup.get(platform)) is not None:
        setup(hass, entry, async_add_entities)
