"""Entities of the combined Powerwall device; they live on the combined entry only."""

from __future__ import annotations

from decimal import Decimal

from homeassistant.components.sensor import RestoreSensor
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ...runtime import TesConfigEntry
from .coordinator import COMBINED_DEVICE, COMBINED_ID, CombinedCoordinator, PowerwallCombinedRuntime
from .descriptions import POWERWALL_COMBINED_SENSORS, CombinedSensorEntityDescription


def setup_combined_sensors(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the combined device's sensors."""
    runtime = entry.runtime_data
    assert isinstance(runtime, PowerwallCombinedRuntime)  # noqa: S101 - the registry routes by kind
    async_add_entities(
        CombinedSensor(runtime.combined, description) for description in POWERWALL_COMBINED_SENSORS
    )


class CombinedSensor(RestoreSensor):
    """A sensor of the combined Powerwall device."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: CombinedSensorEntityDescription

    def __init__(
        self, combined: CombinedCoordinator, description: CombinedSensorEntityDescription
    ) -> None:
        """Belong to the combined device (unique ids as before it had an entry of its own)."""
        self.combined = combined
        self.entity_description = description
        self._attr_unique_id = f"{COMBINED_ID}_{description.key}"
        self._attr_device_info = COMBINED_DEVICE

    async def async_added_to_hass(self) -> None:
        """Continue an energy counter from its last state, then follow the members."""
        await super().async_added_to_hass()
        if (counter := self.entity_description.energy) is not None:
            last = await self.async_get_last_sensor_data()
            value = last.native_value if last is not None else None
            self.combined.restore(
                counter, float(value) if isinstance(value, int | float | Decimal) else None
            )
        self.async_on_remove(self.combined.async_add_listener(self.async_write_ha_state))

    @property
    def available(self) -> bool:
        """Return whether two gateways or more are members and all answered their last poll."""
        return self.combined.available

    @property
    def native_value(self) -> float | None:
        """Return the combined value."""
        return self.entity_description.value_fn(self.combined)
