"""The battery packs of a gateway: one device each, linked to the gateway, with core's sensors.

Packs come from the battery blocks of /api/system_status, known by their serial numbers.
A pack that shows up later (a Powerwall added to the site) gets its entities then; one the
gateway stops reporting turns unavailable, and its device may then be deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..clients.powerwall import BatteryPack, PackGridState
from ..const import DOMAIN
from ..runtime import TesConfigEntry
from .coordinator import PowerwallCoordinator, PowerwallRuntime


@dataclass(frozen=True, kw_only=True)
class PackSensorEntityDescription(SensorEntityDescription):
    """A sensor of one battery pack, read from its block by `value_fn`."""

    value_fn: Callable[[BatteryPack], StateType]


def _energy(
    key: str, value_fn: Callable[[BatteryPack], StateType], *, total: bool = False
) -> PackSensorEntityDescription:
    return PackSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENERGY if total else SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING if total else SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=value_fn,
    )


# Core's per-battery sensors (its BATTERY_INSTANT_SENSORS), frequency and current off by default.
PACK_SENSORS: Final[tuple[PackSensorEntityDescription, ...]] = (
    _energy("pack_capacity", lambda pack: pack.capacity_wh),
    _energy("pack_energy_remaining", lambda pack: pack.energy_remaining_wh),
    PackSensorEntityDescription(
        key="pack_power",
        translation_key="pack_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda pack: pack.power_w,
    ),
    PackSensorEntityDescription(
        key="pack_voltage",
        translation_key="pack_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda pack: pack.voltage_v,
    ),
    PackSensorEntityDescription(
        key="pack_frequency",
        translation_key="pack_frequency",
        device_class=SensorDeviceClass.FREQUENCY,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda pack: pack.frequency_hz,
    ),
    PackSensorEntityDescription(
        key="pack_current",
        translation_key="pack_current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda pack: pack.current_a,
    ),
    _energy("pack_energy_charged", lambda pack: pack.energy_charged_wh, total=True),
    _energy("pack_energy_discharged", lambda pack: pack.energy_discharged_wh, total=True),
    PackSensorEntityDescription(
        key="pack_grid_state",
        translation_key="pack_grid_state",
        device_class=SensorDeviceClass.ENUM,
        options=[str(state) for state in PackGridState],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda pack: pack.grid_state,
    ),
)


def pack_device_id(din: str, serial: str) -> str:
    """Return the device identifier of one pack of one gateway."""
    return f"{din}_{serial}"


def setup_pack_sensors(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the sensors of every pack the gateway reports, now and whenever a new one appears."""
    runtime = entry.runtime_data
    assert isinstance(runtime, PowerwallRuntime)  # noqa: S101 - the registry routes by kind
    coordinator = runtime.gateway
    # The packs hang off the gateway's device, so it must be registered before them.
    gateway = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **coordinator.device_info
    )
    known: set[str] = set()

    @callback
    def add_new_packs() -> None:
        if not coordinator.last_update_success or coordinator.data is None:
            return
        new = [pack for pack in coordinator.data.packs if pack.serial not in known]
        if not new:
            return
        known.update(pack.serial for pack in new)
        async_add_entities(
            PackSensor(coordinator, gateway.id, pack, description)
            for pack in new
            for description in PACK_SENSORS
        )

    add_new_packs()
    entry.async_on_unload(coordinator.async_add_listener(add_new_packs))


class PackSensor(CoordinatorEntity[PowerwallCoordinator], SensorEntity):
    """A sensor of one battery pack, on the pack's own device behind the gateway."""

    _attr_has_entity_name = True
    entity_description: PackSensorEntityDescription

    def __init__(
        self,
        coordinator: PowerwallCoordinator,
        gateway_device_id: str,
        pack: BatteryPack,
        description: PackSensorEntityDescription,
    ) -> None:
        """Identify the entity by the gateway's DIN, the pack's serial and the key."""
        super().__init__(coordinator)
        self.entity_description = description
        self.serial = pack.serial
        device = pack_device_id(coordinator.din, pack.serial)
        self._attr_unique_id = f"{device}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, device)},
            name=f"Powerwall {pack.serial}",
            manufacturer="Tesla",
            model="Powerwall",
            model_id=pack.part_number,
            serial_number=pack.serial,
            via_device_id=gateway_device_id,
        )

    @property
    def pack(self) -> BatteryPack | None:
        """Return this pack in the latest reading, if the gateway still reports it."""
        data = self.coordinator.data
        return None if data is None else data.pack(self.serial)

    @property
    def available(self) -> bool:
        """Return whether the gateway answers and still reports this pack."""
        return super().available and self.pack is not None

    @property
    def native_value(self) -> StateType:
        """Return the pack's value."""
        pack = self.pack
        return None if pack is None else self.entity_description.value_fn(pack)


def remove_stale_pack(entry: TesConfigEntry, device: dr.DeviceEntry) -> bool:
    """Allow deleting a pack's device once the gateway no longer reports that pack."""
    runtime = entry.runtime_data
    assert isinstance(runtime, PowerwallRuntime)  # noqa: S101 - the registry routes by kind
    coordinator = runtime.gateway
    data = coordinator.data
    current = {
        pack_device_id(coordinator.din, pack.serial) for pack in (data.packs if data else ())
    }
    packs = {
        identifier
        for domain, identifier in device.identifiers
        if domain == DOMAIN and identifier.startswith(f"{coordinator.din}_")
    }
    return bool(packs) and packs.isdisjoint(current)
