"""Cloud energy site entities: power, charge, grid, settings (and their control), tariff, energy.

Names and translation keys follow the local gateway's (powerwall/descriptions.py), so a site
read through the cloud and one read on the network show the same words.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.number import NumberMode
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower

from ..clients.site_settings import GridExportRule, OperatingMode
from ..description import (
    TesBinarySensorEntityDescription,
    TesNumberEntityDescription,
    TesSelectEntityDescription,
    TesSensorEntityDescription,
    TesSwitchEntityDescription,
)
from .control import SiteControl
from .coordinator import (
    EnergySiteInfoCoordinator,
    EnergySiteRuntime,
    IslandStatus,
    SiteEnergy,
    SiteLive,
    SiteState,
    energy_of,
    live_of,
    settings_of,
)
from .energy import COUNTERS

type LiveSensor = TesSensorEntityDescription[SiteLive, Any]
type SettingsSensor = TesSensorEntityDescription[SiteState, EnergySiteInfoCoordinator]


def control_of(coordinator: EnergySiteInfoCoordinator) -> SiteControl:
    """Return the control of the site a settings coordinator reads."""
    runtime = coordinator.config_entry.runtime_data
    assert isinstance(runtime, EnergySiteRuntime)  # noqa: S101 - only site entries have these
    return runtime.control


def _control_enabled(coordinator: EnergySiteInfoCoordinator) -> bool:
    return control_of(coordinator).enabled


def _power(key: str, value: str) -> LiveSensor:
    return TesSensorEntityDescription(
        key=key,
        translation_key=key,
        coordinator_fn=live_of,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda live: getattr(live, value),
    )


def _currency(coordinator: EnergySiteInfoCoordinator) -> str:
    """Return the tariff's currency per kWh; Home Assistant's currency when the tariff names none."""
    tariff = coordinator.data.tariff if coordinator.data else None
    currency = tariff.currency if tariff and tariff.currency else coordinator.hass.config.currency
    return f"{currency}/kWh"


def _rate(*, sell: bool) -> SettingsSensor:
    side = "sell" if sell else "buy"

    def attributes(state: SiteState) -> dict[str, Any]:
        rate, tariff = state.rate(sell=sell), state.tariff
        if rate is None or tariff is None:
            return {}
        return {
            "period": rate.period,
            "season": rate.season,
            "tariff": tariff.name,
            "utility": tariff.utility,
        }

    return TesSensorEntityDescription(
        key=f"tariff_{side}_price",
        translation_key=f"tariff_{side}_price",
        coordinator_fn=settings_of,
        suggested_display_precision=4,
        unit_fn=_currency,
        value_fn=lambda state: rate.price if (rate := state.rate(sell=sell)) else None,
        attr_fn=attributes,
    )


def _counter(key: str) -> TesSensorEntityDescription[SiteEnergy, Any]:
    return TesSensorEntityDescription(
        key=key,
        translation_key=key,
        coordinator_fn=energy_of,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda energy: energy.wh.get(key),
    )


ENERGY_SITE_SENSORS: tuple[TesSensorEntityDescription[Any, Any], ...] = (
    _power("solar_power", "solar_w"),
    _power("battery_power", "battery_w"),
    _power("site_power", "grid_w"),
    _power("load_power", "load_w"),
    TesSensorEntityDescription[SiteLive](
        key="battery_level",
        translation_key="battery_level",
        coordinator_fn=live_of,
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda live: live.battery_level_pct,
    ),
    TesSensorEntityDescription[SiteLive](
        key="energy_remaining",
        translation_key="energy_remaining",
        coordinator_fn=live_of,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda live: live.energy_left_wh,
    ),
    TesSensorEntityDescription[SiteLive](
        key="battery_capacity",
        translation_key="battery_capacity",
        coordinator_fn=live_of,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda live: live.pack_energy_wh,
    ),
    TesSensorEntityDescription[SiteLive](
        key="island_status",
        translation_key="island_status",
        coordinator_fn=live_of,
        device_class=SensorDeviceClass.ENUM,
        options=[str(status) for status in IslandStatus],
        value_fn=lambda live: live.island_status,
    ),
    TesSensorEntityDescription[SiteState, EnergySiteInfoCoordinator](
        key="backup_reserve",
        translation_key="backup_reserve",
        coordinator_fn=settings_of,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda state: state.settings.backup_reserve_pct,
    ),
    TesSensorEntityDescription[SiteState, EnergySiteInfoCoordinator](
        key="operating_mode",
        translation_key="operating_mode",
        coordinator_fn=settings_of,
        device_class=SensorDeviceClass.ENUM,
        options=[str(mode) for mode in OperatingMode],
        value_fn=lambda state: state.settings.operating_mode,
    ),
    TesSensorEntityDescription[SiteState, EnergySiteInfoCoordinator](
        key="export_rule",
        translation_key="export_rule",
        coordinator_fn=settings_of,
        device_class=SensorDeviceClass.ENUM,
        options=[str(rule) for rule in GridExportRule],
        value_fn=lambda state: state.settings.export_rule,
    ),
    _rate(sell=False),
    _rate(sell=True),
    *(_counter(key) for key in COUNTERS),
)

ENERGY_SITE_BINARY_SENSORS: tuple[TesBinarySensorEntityDescription[Any, Any], ...] = (
    TesBinarySensorEntityDescription[SiteLive](
        key="grid_status",
        translation_key="grid_status",
        coordinator_fn=live_of,
        device_class=BinarySensorDeviceClass.POWER,
        is_on_fn=lambda live: live.grid_up,
    ),
    TesBinarySensorEntityDescription[SiteLive](
        key="storm_watch",
        translation_key="storm_watch",
        coordinator_fn=live_of,
        is_on_fn=lambda live: live.storm_watch,
    ),
    TesBinarySensorEntityDescription[SiteState, EnergySiteInfoCoordinator](
        key="grid_charging",
        translation_key="grid_charging",
        coordinator_fn=settings_of,
        is_on_fn=lambda state: state.settings.grid_charging,
    ),
)


def _reserve(state: SiteState) -> float | None:
    pct = state.settings.backup_reserve_pct
    return None if pct is None else float(round(pct))


ENERGY_SITE_NUMBERS: tuple[TesNumberEntityDescription[Any, Any], ...] = (
    TesNumberEntityDescription[SiteState, EnergySiteInfoCoordinator](
        key="backup_reserve",
        translation_key="backup_reserve",
        coordinator_fn=settings_of,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        native_unit_of_measurement=PERCENTAGE,
        mode=NumberMode.SLIDER,
        exists_fn=_control_enabled,
        value_fn=_reserve,
        set_fn=lambda site, value: control_of(site).set_backup_reserve(value),
    ),
)

ENERGY_SITE_SELECTS: tuple[TesSelectEntityDescription[Any, Any], ...] = (
    TesSelectEntityDescription[SiteState, EnergySiteInfoCoordinator](
        key="operating_mode",
        translation_key="operating_mode",
        coordinator_fn=settings_of,
        options=[str(mode) for mode in OperatingMode],
        exists_fn=_control_enabled,
        current_fn=lambda state: state.settings.operating_mode,
        select_fn=lambda site, option: control_of(site).set_operating_mode(OperatingMode(option)),
    ),
    TesSelectEntityDescription[SiteState, EnergySiteInfoCoordinator](
        key="export_rule",
        translation_key="export_rule",
        coordinator_fn=settings_of,
        options=[str(rule) for rule in GridExportRule],
        exists_fn=_control_enabled,
        current_fn=lambda state: state.settings.export_rule,
        select_fn=lambda site, option: control_of(site).set_grid_export(GridExportRule(option)),
    ),
)

ENERGY_SITE_SWITCHES: tuple[TesSwitchEntityDescription, ...] = (
    TesSwitchEntityDescription(
        key="grid_charging",
        translation_key="grid_charging",
        coordinator_fn=settings_of,
        exists_fn=_control_enabled,
        is_on_fn=lambda site: bool(site.data.settings.grid_charging),
        set_fn=lambda site, enabled: control_of(site).set_grid_charging(enabled),
    ),
)
