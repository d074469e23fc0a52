"""Base entity: one place that sets identity and device for every entity."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import EntryKind
from .coordinator.base import TesCoordinator
from .descriptions import TesEntityDescription
from .models import TesConfigEntry


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
    table: Mapping[EntryKind, Sequence[DescriptionT]],
    build: Callable[[TesCoordinator[Any], DescriptionT], EntityT],
) -> Iterator[EntityT]:
    """Yield an entity for each of the entry's descriptions whose value its source has.

    A description whose coordinator the entry lacks (an optional half of a source, such
    as a gateway's cloud settings without cloud credentials) yields nothing.
    """
    coordinators = entry.runtime_data.coordinators
    for description in table.get(entry.runtime_data.kind, ()):
        coordinator = coordinators.get(description.coordinator)
        if coordinator is not None and description.exists_fn(coordinator):
            yield build(coordinator, description)
