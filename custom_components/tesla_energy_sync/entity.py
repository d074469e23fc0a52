"""Base entity: one place that sets identity and device for every entity."""

from __future__ import annotations

from typing import Any

from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator.base import TesCoordinator


class TesEntity(CoordinatorEntity[TesCoordinator[Any]]):
    """An entity fed by one of our coordinators."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: TesCoordinator[Any], description: EntityDescription) -> None:
        """Derive unique id and device from the coordinator."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.unique_prefix}_{description.key}"
        self._attr_device_info = coordinator.device_info
