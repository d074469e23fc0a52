"""Powerwall gateway entities: power flows, levels, settings, grid, energy counters, alerts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.number import NumberMode
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower, UnitOfTime

from ..clients.powerwall import (
    GridExportRule,
    GridStatus,
    MeterReading,
    OperatingMode,
    PowerwallSnapshot,
)
from ..description import (
    TesBinarySensorEntityDescription,
    TesNumberEntityDescription,
    TesSelectEntityDescription,
    TesSensorEntityDescription,
    TesSwitchEntityDescription,
)
from .cloud import CloudSettings, PowerwallCloudCoordinator
from .combined import PowerwallCombined
from .coordinator import PowerwallCoordinator, cloud_of, control_of, gateway_of

type PowerwallSensor = TesSensorEntityDescription[PowerwallSnapshot, PowerwallCoordinator]

METERS = ("site", "solar", "battery", "load")
# Counters a meter never moves (solar does not import, the home does not export).
_IDLE_COUNTERS = frozenset({("solar", "imported"), ("load", "exported")})


def _meter(name: str) -> Callable[[PowerwallSnapshot], MeterReading]:
    def get(snapshot: PowerwallSnapshot) -> MeterReading:
        reading: MeterReading = getattr(snapshot, name)
        return reading

    return get


def _power(name: str) -> PowerwallSensor:
    meter = _meter(name)
    return TesSensorEntityDescription(
        key=f"{name}_power",
        translation_key=f"{name}_power",
        coordinator_fn=gateway_of,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda snapshot: meter(snapshot).power_w,
    )


def _energy(name: str, direction: str) -> PowerwallSensor:
    meter = _meter(name)
    field = f"energy_{direction}_wh"
    return TesSensorEntityDescription(
        key=f"{name}_energy_{direction}",
        translation_key=f"{name}_energy_{direction}",
        coordinator_fn=gateway_of,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        entity_registry_enabled_default=(name, direction) not in _IDLE_COUNTERS,
        value_fn=lambda snapshot: getattr(meter(snapshot), field),
        # TEDAPI leaves counters it could not read empty: no entity rather than one stuck unknown.
        exists_fn=lambda coordinator: getattr(meter(coordinator.data), field) is not None,
    )


POWERWALL_SENSORS: tuple[PowerwallSensor, ...] = (
    *(_power(name) for name in METERS),
    TesSensorEntityDescription(
        key="battery_level",
        translation_key="battery_level",
        coordinator_fn=gateway_of,
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda snapshot: snapshot.battery_level_pct,
        attr_fn=lambda snapshot: {"raw_percent": snapshot.battery_level_raw_pct},
    ),
    TesSensorEntityDescription(
        key="backup_reserve",
        translation_key="backup_reserve",
        coordinator_fn=gateway_of,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda snapshot: snapshot.backup_reserve_pct,
        attr_fn=lambda snapshot: {"raw_percent": snapshot.backup_reserve_raw_pct},
    ),
    TesSensorEntityDescription(
        key="grid_state",
        translation_key="grid_state",
        coordinator_fn=gateway_of,
        device_class=SensorDeviceClass.ENUM,
        options=[str(state) for state in GridStatus],
        value_fn=lambda snapshot: snapshot.grid_status,
    ),
    TesSensorEntityDescription(
        key="operating_mode",
        translation_key="operating_mode",
        coordinator_fn=gateway_of,
        device_class=SensorDeviceClass.ENUM,
        options=[str(mode) for mode in OperatingMode],
        value_fn=lambda snapshot: snapshot.operating_mode,
        attr_fn=lambda snapshot: {"real_mode": snapshot.operating_mode_raw},
    ),
    *(_energy(name, direction) for name in METERS for direction in ("imported", "exported")),
    TesSensorEntityDescription(
        key="time_remaining",
        translation_key="time_remaining",
        coordinator_fn=gateway_of,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda snapshot: snapshot.time_remaining_h,
    ),
    TesSensorEntityDescription(
        key="energy_remaining",
        translation_key="energy_remaining",
        coordinator_fn=gateway_of,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda snapshot: snapshot.nominal_energy_remaining_wh,
    ),
    TesSensorEntityDescription(
        key="battery_capacity",
        translation_key="battery_capacity",
        coordinator_fn=gateway_of,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda snapshot: snapshot.nominal_full_pack_energy_wh,
        attr_fn=lambda snapshot: {"batteries": snapshot.battery_count},
    ),
    TesSensorEntityDescription(
        key="alerts",
        translation_key="alerts",
        coordinator_fn=gateway_of,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda snapshot: len(snapshot.alerts),
        attr_fn=lambda snapshot: {"alerts": list(snapshot.alerts)},
    ),
)

POWERWALL_BINARY_SENSORS: tuple[
    TesBinarySensorEntityDescription[PowerwallSnapshot, PowerwallCoordinator], ...
] = (
    TesBinarySensorEntityDescription(
        key="grid_status",
        translation_key="grid_status",
        coordinator_fn=gateway_of,
        device_class=BinarySensorDeviceClass.POWER,
        is_on_fn=lambda snapshot: (
            None if snapshot.grid_status is None else snapshot.grid_status is GridStatus.UP
        ),
    ),
)


@dataclass(frozen=True, kw_only=True)
class CombinedSensorEntityDescription(SensorEntityDescription):
    """A sensor of the combined device; `energy` names the counter it accumulates, if any."""

    value_fn: Callable[[PowerwallCombined], float | None]
    energy: str | None = None


def _combined_power(name: str) -> CombinedSensorEntityDescription:
    base = _power(name)
    return CombinedSensorEntityDescription(
        key=base.key,
        translation_key=base.translation_key,
        device_class=base.device_class,
        native_unit_of_measurement=base.native_unit_of_measurement,
        state_class=base.state_class,
        suggested_display_precision=0,
        value_fn=lambda combined: combined.power_w(name),
    )


def _combined_energy(name: str, direction: str) -> CombinedSensorEntityDescription:
    base = _energy(name, direction)
    counter = f"{name}_{direction}"
    return CombinedSensorEntityDescription(
        key=base.key,
        translation_key=base.translation_key,
        device_class=base.device_class,
        native_unit_of_measurement=base.native_unit_of_measurement,
        suggested_unit_of_measurement=base.suggested_unit_of_measurement,
        state_class=base.state_class,
        suggested_display_precision=2,
        entity_registry_enabled_default=base.entity_registry_enabled_default,
        energy=counter,
        value_fn=lambda combined: combined.energy_wh.get(counter, 0.0),
    )


POWERWALL_COMBINED_SENSORS: tuple[CombinedSensorEntityDescription, ...] = (
    *(_combined_power(name) for name in METERS),
    CombinedSensorEntityDescription(
        key="battery_level",
        translation_key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda combined: combined.battery_level_pct(),
    ),
    CombinedSensorEntityDescription(
        key="battery_capacity",
        translation_key="battery_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda combined: combined.capacity_wh(),
    ),
    *(
        _combined_energy(name, direction)
        for name in METERS
        for direction in ("imported", "exported")
    ),
)


def _control_enabled(coordinator: PowerwallCoordinator | PowerwallCloudCoordinator) -> bool:
    return control_of(coordinator).enabled


def _reserve(snapshot: PowerwallSnapshot) -> float | None:
    pct = snapshot.backup_reserve_pct
    return None if pct is None else float(round(pct))


POWERWALL_NUMBERS: tuple[TesNumberEntityDescription[Any, Any], ...] = (
    TesNumberEntityDescription[PowerwallSnapshot, PowerwallCoordinator](
        key="backup_reserve",
        translation_key="backup_reserve",
        coordinator_fn=gateway_of,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        native_unit_of_measurement=PERCENTAGE,
        mode=NumberMode.SLIDER,
        exists_fn=_control_enabled,
        value_fn=_reserve,
        set_fn=lambda coordinator, value: control_of(coordinator).set_backup_reserve(value),
    ),
)

POWERWALL_SELECTS: tuple[TesSelectEntityDescription[Any, Any], ...] = (
    TesSelectEntityDescription[PowerwallSnapshot, PowerwallCoordinator](
        key="operating_mode",
        translation_key="operating_mode",
        coordinator_fn=gateway_of,
        options=[str(mode) for mode in OperatingMode],
        exists_fn=_control_enabled,
        current_fn=lambda snapshot: snapshot.operating_mode,
        select_fn=lambda coordinator, option: control_of(coordinator).set_operating_mode(
            OperatingMode(option)
        ),
    ),
    # Only with cloud credentials: the gateway neither reports nor takes the export rule.
    TesSelectEntityDescription[CloudSettings, PowerwallCloudCoordinator](
        key="export_rule",
        translation_key="export_rule",
        coordinator_fn=cloud_of,
        options=[str(rule) for rule in GridExportRule],
        exists_fn=_control_enabled,
        current_fn=lambda settings: settings.export_rule,
        select_fn=lambda cloud, option: control_of(cloud).set_grid_export(GridExportRule(option)),
    ),
)

POWERWALL_SWITCHES: tuple[TesSwitchEntityDescription, ...] = (
    TesSwitchEntityDescription(
        key="grid_charging",
        translation_key="grid_charging",
        coordinator_fn=cloud_of,
        exists_fn=_control_enabled,
        is_on_fn=lambda cloud: bool(cloud.data.grid_charging),
        set_fn=lambda cloud, enabled: control_of(cloud).set_grid_charging(enabled),
    ),
)
