"""Vehicle devices named by the car, the stream's health entities and its error events."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.tesla_energy_sync import async_remove_config_entry_device
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import RecordType
from custom_components.tesla_energy_sync.const import DOMAIN, EVENT_TELEMETRY_ERROR
from simulators.fleet_telemetry import GARBAGE, START_TIME, FleetProducer, trip_samples

from .common import OTHER_VIN, VIN, setup_connected, until


def _device(hass: HomeAssistant, entry: ConfigEntry, identifier: str) -> dr.DeviceEntry:
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, identifier), entry.entry_id)
    assert device is not None
    return device


def _health(hass: HomeAssistant, entry: ConfigEntry, platform: str, key: str) -> str:
    entity_id = f"{platform}.fleet_telemetry_ha_{key}"
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_vehicle_devices_take_the_cars_name_and_model(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """The device is named after VehicleName, its model read from the VIN (3/Y, year P=2023)."""
    await setup_connected(hass, telemetry_entry)
    hub = telemetry_entry.runtime_data.hub
    sent = await producer.send_drive()
    await until(hass, lambda: hub.consumer.records >= sent)
    car, other = _device(hass, telemetry_entry, VIN), _device(hass, telemetry_entry, OTHER_VIN)
    assert (car.name, car.model) == (producer.plan(VIN).name, "Model 3 (2023)")
    assert (other.name, other.model) == (producer.plan(OTHER_VIN).name, "Model Y (2023)")

    # A new name from the car renames the device...
    later = START_TIME + timedelta(minutes=5)
    await producer.send_vehicle_data(VIN, later, {"VehicleName": "Road Runner"})
    await until(hass, lambda: _device(hass, telemetry_entry, VIN).name == "Road Runner")
    # ...but never over a name the user gave it.
    registry = dr.async_get(hass)
    registry.async_update_device(car.id, name_by_user="My car")
    records = hub.consumer.records
    await producer.send_vehicle_data(VIN, later + timedelta(seconds=1), {"VehicleName": "Beep"})
    await until(hass, lambda: hub.consumer.records > records)
    renamed = _device(hass, telemetry_entry, VIN)
    assert (renamed.name, renamed.name_by_user) == ("Road Runner", "My car")
    assert hub.vehicle_name(VIN) == "Beep"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_stream_health_on_the_entry_device(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """Connected, the newest record's time, records per minute and malformed records."""
    await setup_connected(hass, telemetry_entry)
    service = _device(hass, telemetry_entry, telemetry_entry.entry_id)
    assert service.entry_type is dr.DeviceEntryType.SERVICE
    assert _health(hass, telemetry_entry, "binary_sensor", "broker") == "on"
    assert _health(hass, telemetry_entry, "sensor", "last_record") == "unknown"

    hub = telemetry_entry.runtime_data.hub
    sent = await producer.send_drive(VIN)
    await producer.send_record(RecordType.VEHICLE_DATA, VIN, GARBAGE)
    await until(hass, lambda: hub.consumer.records + hub.consumer.malformed >= sent + 1)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1))
    await hass.async_block_till_done()

    # The newest record is the disconnection, a second after the trip's last sample.
    newest = START_TIME + timedelta(seconds=len(trip_samples(producer.plan(VIN))))
    assert _health(hass, telemetry_entry, "sensor", "last_record") == newest.isoformat()
    assert _health(hass, telemetry_entry, "sensor", "records_per_minute") == str(sent)
    assert _health(hass, telemetry_entry, "sensor", "malformed_records") == "1"

    # A quiet minute: no records.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await hass.async_block_till_done()
    assert _health(hass, telemetry_entry, "sensor", "records_per_minute") == "0"

    # The entry's own device cannot be removed on its own.
    assert not await async_remove_config_entry_device(hass, telemetry_entry, service)


async def _remove_device(hass: HomeAssistant, entry: ConfigEntry, device: dr.DeviceEntry) -> bool:
    from custom_components.tesla_energy_sync import async_remove_config_entry_device

    return await async_remove_config_entry_device(hass, entry, device)


async def test_telemetry_errors_become_events(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """Each error of the `_errors` topic is fired with its VIN, name, tags and time."""
    events = async_capture_events(hass, EVENT_TELEMETRY_ERROR)
    await setup_connected(hass, telemetry_entry)
    hub = telemetry_entry.runtime_data.hub
    sent = await producer.send_drive(VIN)
    await until(hass, lambda: hub.consumer.records >= sent)
    # The simulator sends one on arrival, the sample after the last drive step.
    arrival = START_TIME + timedelta(seconds=producer.plan(VIN).drive_steps + 1)
    assert [event.data for event in events] == [
        {
            "vin": VIN,
            "name": "sim_config_error",
            "tags": {"field": "Soc"},
            "body": "sim_config_error happened",
            "created_at": arrival.isoformat(),
        }
    ]
