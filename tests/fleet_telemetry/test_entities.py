"""Vehicle entities after a simulated drive home, snapshotted one platform at a time."""

from __future__ import annotations

import datetime as dt
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from simulators.fleet_telemetry import START_TIME, FleetProducer

from .common import VIN, setup_connected, until


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.DEVICE_TRACKER]
)
async def test_vehicle_entities(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of a car that drove home, parked and charged (values from its seeded plan)."""
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await setup_connected(hass, telemetry_entry)
        consumer = telemetry_entry.runtime_data.hub.consumer
        # The car's name first: entity ids come from the device's name when each entity is
        # created, and the trip's connectivity record (another topic) might otherwise win.
        name = producer.plan(VIN).name
        await producer.send_vehicle_data(
            VIN, START_TIME - dt.timedelta(seconds=1), {"VehicleName": name}
        )
        await until(hass, lambda: consumer.records >= 1)
        sent = await producer.send_drive(VIN)
        await until(hass, lambda: consumer.records >= sent + 1)
    await snapshot_platform(hass, entity_registry, snapshot, telemetry_entry.entry_id)
