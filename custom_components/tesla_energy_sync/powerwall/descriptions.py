"""Powerwall gateway entities: power flows, levels, settings, grid, energy counters, alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.number import NumberMode
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
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
from .coordinator import PowerwallCoordinator, cloud_of, control_of, gateway_of

type PowerwallSensor = TesSensorEntityDescription[PowerwallSnapshot, PowerwallCoordinator]

METERS: Final = ("site", "solar", "battery", "load")
DIRECTIONS: Final = ("imported", "exported")
# Counters a meter never moves (solar does not import, the home does not export).
_IDLE_COUNTERS = frozenset({("solar", "imported"), ("load", "exported")})


def _meter(name: str) -> Callable[[PowerwallSnapshot], MeterReading]:
    def get(snapshot: PowerwallSnapshot) -> MeterReading:
        reading: MeterReading = getattr(snapshot, name)
        return reading

    return get


def power_sensor(name: str) -> PowerwallSensor:
    """Return the power sensor of a meter (the combined device's mirrors it)."""
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


def energy_sensor(name: str, direction: str) -> PowerwallSensor:
    """Return the lifetime counter of a meter in one direction (the combined device's mirrors it)."""
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
    *(power_sensor(name) for name in METERS),
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
    *(energy_sensor(name, direction) for name in METERS for direction in DIRECTIONS),
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
