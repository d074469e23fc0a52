"""Entities of the combined Powerwall device (see combined.py)."""

from __future__ import annotations

from homeassistant.components.sensor import RestoreSensor
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..runtime import TesConfigEntry
from .combined import COMBINED_DEVICE, COMBINED_ID, PowerwallCombined, powerwall_combined
from .coordinator import PowerwallRuntime
from .descriptions import POWERWALL_COMBINED_SENSORS, CombinedSensorEntityDescription


def setup_combined_sensors(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Join the combined view; its entities live on one member entry at a time."""
    runtime = entry.runtime_data
    assert isinstance(runtime, PowerwallRuntime)  # noqa: S101 - the registry routes by kind
    combined = powerwall_combined(hass)
    combined.make_entities = _combined_sensors
    combined.join(entry.entry_id, runtime.gateway, async_add_entities)


def _combined_sensors(combined: PowerwallCombined) -> list[CombinedSensor]:
    return [CombinedSensor(combined, description) for description in POWERWALL_COMBINED_SENSORS]


class CombinedSensor(RestoreSensor):
    """A sensor of the combined Powerwall device."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: CombinedSensorEntityDescription

    def __init__(
        self, combined: PowerwallCombined, description: CombinedSensorEntityDescription
    ) -> None:
        """Belong to the combined device."""
        self.combined = combined
        self.entity_description = description
        self._attr_unique_id = f"{COMBINED_ID}_{description.key}"
        self._attr_device_info = COMBINED_DEVICE

    async def async_added_to_hass(self) -> None:
        """Continue an energy counter from its last value (it moved host, or HA restarted)."""
        await super().async_added_to_hass()
        counter = self.entity_description.energy
        if counter is None or counter in self.combined.energy_wh:
            return
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float):
            self.combined.energy_wh[counter] = float(last.native_value)

    @property
    def available(self) -> bool:
        """Return whether every member gateway answered its last poll."""
        return self.combined.complete is not None

    @property
    def native_value(self) -> float | None:
        """Return the combined value."""
        return self.entity_description.value_fn(self.combined)

    def combined_updated(self) -> None:
        """Write the state after a member's poll or a change of members."""
        if self.hass is not None:
            self.async_write_ha_state()
