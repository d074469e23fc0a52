"""Wall Connector entities: vitals, sessions and their cost, lifetime counters, firmware, Wi-Fi."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)

from ..clients.wall_connector_models import EvseState, WallConnectorLifetime, WallConnectorVitals
from ..const import EVSE_STATES
from ..description import TesBinarySensorEntityDescription, TesSensorEntityDescription
from .coordinator import (
    ROUTINE_ALERTS,
    WallConnectorInfo,
    WallConnectorState,
    WallConnectorVitalsCoordinator,
    info_of,
    lifetime_of,
    vitals_of,
)

type VitalsSensor = TesSensorEntityDescription[WallConnectorState]

DIAGNOSTIC = EntityCategory.DIAGNOSTIC


def _vital(
    key: str,
    field: str,
    *,
    device_class: SensorDeviceClass,
    unit: str,
    precision: int,
    enabled: bool = True,
    diagnostic: bool = True,
) -> VitalsSensor:
    """Describe a measurement read straight from one vitals field."""
    return TesSensorEntityDescription(
        key=key,
        translation_key=key,
        coordinator_fn=vitals_of,
        device_class=device_class,
        native_unit_of_measurement=unit,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=precision,
        entity_category=DIAGNOSTIC if diagnostic else None,
        entity_registry_enabled_default=enabled,
        value_fn=lambda state: getattr(state.vitals, field),
    )


def _amps(key: str, field: str, *, enabled: bool = False) -> VitalsSensor:
    return _vital(
        key,
        field,
        device_class=SensorDeviceClass.CURRENT,
        unit=UnitOfElectricCurrent.AMPERE,
        precision=1,
        enabled=enabled,
    )


def _volts(key: str, field: str, *, enabled: bool = False) -> VitalsSensor:
    return _vital(
        key,
        field,
        device_class=SensorDeviceClass.VOLTAGE,
        unit=UnitOfElectricPotential.VOLT,
        precision=1,
        enabled=enabled,
    )


def _celsius(key: str, field: str, *, enabled: bool = False) -> VitalsSensor:
    return _vital(
        key,
        field,
        device_class=SensorDeviceClass.TEMPERATURE,
        unit=UnitOfTemperature.CELSIUS,
        precision=1,
        enabled=enabled,
    )


def _status(vitals: WallConnectorVitals) -> str | None:
    return vitals.evse_state.key


def _currency(coordinator: WallConnectorVitalsCoordinator) -> str | None:
    return coordinator.linked_currency()


def _priced(coordinator: WallConnectorVitalsCoordinator) -> bool:
    """Cost sensors exist only while a tariff entry is linked in the options."""
    return coordinator.linked_currency() is not None


def _reports_not_ready_reasons(coordinator: WallConnectorVitalsCoordinator) -> bool:
    """Firmware before 2025 sends no not-ready reasons (docs/wall-connector.md#alerts)."""
    return coordinator.data.vitals.evse_not_ready_reasons is not None


def _problem(vitals: WallConnectorVitals) -> bool:
    """Return whether the unit reports an error state or an alert beyond the routine ones."""
    return vitals.evse_state is EvseState.ERROR or any(
        str(alert) not in ROUTINE_ALERTS for alert in vitals.current_alerts
    )


def _session_cost(state: WallConnectorState) -> float | None:
    session = state.session
    if session is None:
        return None
    return round(session.cost, 4)


WALL_CONNECTOR_SENSORS: tuple[TesSensorEntityDescription[Any, Any], ...] = (
    TesSensorEntityDescription[WallConnectorState](
        key="power",
        translation_key="power",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda state: state.power_w,
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="status",
        translation_key="status",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.ENUM,
        options=list(EVSE_STATES),
        value_fn=lambda state: _status(state.vitals),
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="evse_state",
        translation_key="evse_state",
        coordinator_fn=vitals_of,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.vitals.evse_state_code,
    ),
    _amps("vehicle_current", "vehicle_current_a", enabled=True),
    _amps("current_a", "current_a_a"),
    _amps("current_b", "current_b_a"),
    _amps("current_c", "current_c_a"),
    _amps("current_n", "current_n_a"),
    _volts("grid_voltage", "grid_v", enabled=True),
    _volts("voltage_a", "voltage_a_v"),
    _volts("voltage_b", "voltage_b_v"),
    _volts("voltage_c", "voltage_c_v"),
    _vital(
        "grid_frequency",
        "grid_hz",
        device_class=SensorDeviceClass.FREQUENCY,
        unit=UnitOfFrequency.HERTZ,
        precision=2,
    ),
    _celsius("handle_temperature", "handle_temp_c", enabled=True),
    _celsius("pcba_temperature", "pcba_temp_c"),
    _celsius("mcu_temperature", "mcu_temp_c"),
    TesSensorEntityDescription[WallConnectorState](
        key="uptime",
        translation_key="uptime",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.DAYS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.vitals.uptime_s,
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="session_energy",
        translation_key="session_energy",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        # The charger restarts this counter at each plug-in: a reset is a new cycle.
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda state: state.vitals.session_energy_wh,
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="session_cost",
        translation_key="session_cost",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        unit_fn=_currency,
        exists_fn=_priced,
        value_fn=_session_cost,
        attr_fn=lambda state: (
            {
                "started_at": state.session.started_at.isoformat(),
                "energy_kwh": round(state.session.energy_wh / 1000, 3),
                "currency": state.session.currency,
            }
            if state.session
            else {}
        ),
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="last_session_energy",
        translation_key="last_session_energy",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda state: state.last_session.energy_kwh if state.last_session else None,
        attr_fn=lambda state: state.last_session.as_dict() if state.last_session else {},
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="last_session_cost",
        translation_key="last_session_cost",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        unit_fn=_currency,
        exists_fn=_priced,
        value_fn=lambda state: state.last_session.cost if state.last_session else None,
        attr_fn=lambda state: (
            {
                "currency": state.last_session.currency,
                "average_price": state.last_session.average_price,
                "ended_at": state.last_session.ended_at.isoformat(),
            }
            if state.last_session
            else {}
        ),
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="energy_charged",
        translation_key="energy_charged",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        # Counted by us from the session counter at every poll and stored, so it never resets:
        # long-term statistics and utility_meter cycles stay whole.
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda state: round(state.totals.energy_wh, 3),
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="charging_cost",
        translation_key="charging_cost",
        coordinator_fn=vitals_of,
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        unit_fn=_currency,
        exists_fn=_priced,
        value_fn=lambda state: state.totals.cost(state.currency),
        attr_fn=lambda state: {
            "unpriced_energy_kwh": round(state.totals.unpriced_energy_wh / 1000, 4)
        },
    ),
    TesSensorEntityDescription[WallConnectorLifetime](
        key="lifetime_energy",
        translation_key="lifetime_energy",
        coordinator_fn=lifetime_of,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=lambda lifetime: lifetime.energy_wh,
    ),
    TesSensorEntityDescription[WallConnectorLifetime](
        key="charge_starts",
        translation_key="charge_starts",
        coordinator_fn=lifetime_of,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda lifetime: lifetime.charge_starts,
    ),
    TesSensorEntityDescription[WallConnectorLifetime](
        key="connector_cycles",
        translation_key="connector_cycles",
        coordinator_fn=lifetime_of,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda lifetime: lifetime.connector_cycles,
    ),
    TesSensorEntityDescription[WallConnectorLifetime](
        key="thermal_foldbacks",
        translation_key="thermal_foldbacks",
        coordinator_fn=lifetime_of,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda lifetime: lifetime.thermal_foldbacks,
    ),
    TesSensorEntityDescription[WallConnectorLifetime](
        key="charging_time",
        translation_key="charging_time",
        coordinator_fn=lifetime_of,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda lifetime: lifetime.charging_time_s,
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="alerts",
        translation_key="alerts",
        coordinator_fn=vitals_of,
        entity_category=DIAGNOSTIC,
        value_fn=lambda state: len(state.vitals.current_alerts),
        attr_fn=lambda state: {"alerts": list(state.vitals.current_alerts)},
    ),
    TesSensorEntityDescription[WallConnectorState](
        key="not_ready_reasons",
        translation_key="not_ready_reasons",
        coordinator_fn=vitals_of,
        entity_category=DIAGNOSTIC,
        exists_fn=_reports_not_ready_reasons,
        value_fn=lambda state: (
            len(reasons) if (reasons := state.vitals.evse_not_ready_reasons) is not None else None
        ),
        attr_fn=lambda state: {"reasons": list(state.vitals.evse_not_ready_reasons or ())},
    ),
    TesSensorEntityDescription[WallConnectorInfo](
        key="firmware_version",
        translation_key="firmware_version",
        coordinator_fn=info_of,
        entity_category=DIAGNOSTIC,
        value_fn=lambda info: info.version.firmware_version,
    ),
    TesSensorEntityDescription[WallConnectorInfo](
        key="wifi_signal_strength",
        translation_key="wifi_signal_strength",
        coordinator_fn=info_of,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=DIAGNOSTIC,
        value_fn=lambda info: info.wifi.wifi_signal_strength,
    ),
    TesSensorEntityDescription[WallConnectorInfo](
        key="wifi_rssi",
        translation_key="wifi_rssi",
        coordinator_fn=info_of,
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda info: info.wifi.wifi_rssi,
    ),
)

WALL_CONNECTOR_BINARY_SENSORS: tuple[TesBinarySensorEntityDescription[Any, Any], ...] = (
    TesBinarySensorEntityDescription[WallConnectorState](
        key="vehicle_connected",
        translation_key="vehicle_connected",
        coordinator_fn=vitals_of,
        device_class=BinarySensorDeviceClass.PLUG,
        is_on_fn=lambda state: state.vitals.vehicle_connected,
    ),
    TesBinarySensorEntityDescription[WallConnectorState](
        key="charging",
        translation_key="charging",
        coordinator_fn=vitals_of,
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        is_on_fn=lambda state: state.vitals.contactor_closed,
    ),
    TesBinarySensorEntityDescription[WallConnectorState](
        key="problem",
        translation_key="problem",
        coordinator_fn=vitals_of,
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=DIAGNOSTIC,
        is_on_fn=lambda state: _problem(state.vitals),
        attr_fn=lambda state: {"alerts": list(state.vitals.current_alerts)},
    ),
)
