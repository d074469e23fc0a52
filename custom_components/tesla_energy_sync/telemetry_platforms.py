"""Entity classes for vehicles on Fleet Telemetry: sensor, binary sensor, device tracker."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.device_tracker.const import SourceType
from homeassistant.components.device_tracker.entity import TrackerEntity
from homeassistant.components.sensor import RestoreSensor
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE, STATE_ON
from homeassistant.helpers.restore_state import RestoreEntity

from .descriptions.telemetry import (
    VehicleBinarySensorDescription,
    VehicleSensorDescription,
    VehicleTrackerDescription,
)
from .telemetry_entity import TelemetryEntity, field_value

ATTR_HEADING = "heading"


class VehicleSensor(TelemetryEntity, RestoreSensor):
    """A vehicle value; the last one is restored after a restart."""

    entity_description: VehicleSensorDescription

    async def async_added_to_hass(self) -> None:
        """Restore the last value, then follow the hub."""
        if (last := await self.async_get_last_sensor_data()) is not None:
            self._attr_native_value = last.native_value
        await super().async_added_to_hass()

    def _update_from_hub(self) -> None:
        description = self.entity_description
        if description.value_fn is not None:
            self._attr_native_value = description.value_fn(self.vehicle)
        else:
            self._attr_native_value = field_value(self.vehicle, description.fields[0])


class VehicleBinarySensor(TelemetryEntity, BinarySensorEntity, RestoreEntity):
    """A vehicle flag; the last one is restored after a restart."""

    entity_description: VehicleBinarySensorDescription

    async def async_added_to_hass(self) -> None:
        """Restore the last state, then follow the hub."""
        if (last := await self.async_get_last_state()) is not None:
            self._attr_is_on = last.state == STATE_ON
        await super().async_added_to_hass()

    def _update_from_hub(self) -> None:
        self._attr_is_on = self.entity_description.is_on_fn(self.vehicle)


class VehicleTracker(TelemetryEntity, TrackerEntity, RestoreEntity):
    """Where the vehicle is (GPS); zones and the map follow it. Restored after a restart."""

    entity_description: VehicleTrackerDescription
    _attr_source_type = SourceType.GPS
    _attr_location_accuracy = 0

    async def async_added_to_hass(self) -> None:
        """Restore the last position, then follow the hub."""
        if (last := await self.async_get_last_state()) is not None:
            self._attr_latitude = last.attributes.get(ATTR_LATITUDE)
            self._attr_longitude = last.attributes.get(ATTR_LONGITUDE)
            self._heading = last.attributes.get(ATTR_HEADING)
        await super().async_added_to_hass()

    _heading: Any = None

    def _update_from_hub(self) -> None:
        location = field_value(self.vehicle, "Location")
        if isinstance(location, tuple):
            self._attr_latitude, self._attr_longitude = location
        self._heading = field_value(self.vehicle, "GpsHeading")

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the heading (degrees) when the car sends it."""
        return {ATTR_HEADING: self._heading} if self._heading is not None else {}
