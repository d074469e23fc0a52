"""Fleet Telemetry fixtures: a real Tansu broker, the producer simulator, an entry for both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
import itertools
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import RecordType
from custom_components.tesla_energy_sync.const import CONF_GROUP_ID, DOMAIN
from simulators.fleet_telemetry import FleetProducer
from simulators.kafka_broker import TANSU_TIMING, TansuBroker

from .common import OTHER_VIN, PREFIX, VIN, telemetry_data

_groups = itertools.count()
# A fixed entry id keeps the unique ids of the entry's own health entities stable in snapshots.
TELEMETRY_ENTRY_ID = "01TELEMETRYENTRY0000000000"


@pytest.fixture(autouse=True)
def fast_consumer() -> Generator[None]:
    """Tansu answers a group join after half the session timeout: keep it short in tests."""
    with patch("custom_components.tesla_energy_sync.fleet_telemetry.config.TIMING", TANSU_TIMING):
        yield


@pytest.fixture
async def broker(socket_enabled: None) -> AsyncIterator[TansuBroker]:
    """A real Kafka-compatible broker on loopback with the four topics."""
    tansu = TansuBroker()
    await tansu.start()
    await tansu.create_topics([kind.topic(PREFIX) for kind in RecordType])
    yield tansu
    tansu.stop()


@pytest.fixture
async def producer(broker: TansuBroker) -> AsyncIterator[FleetProducer]:
    """The fleet-telemetry producer simulator, for two vehicles."""
    fleet = FleetProducer(broker.bootstrap, PREFIX, [VIN, OTHER_VIN])
    await fleet.start()
    yield fleet
    await fleet.stop()


@pytest.fixture
async def telemetry_entry(
    hass: HomeAssistant, broker: TansuBroker
) -> AsyncIterator[MockConfigEntry]:
    """A Fleet Telemetry entry reading the broker from the start, in a fresh group.

    Unloaded at teardown, so that a failed test leaves no consumer running into the broker's
    shutdown (which would hang the session instead of reporting the failure).
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Fleet Telemetry {PREFIX}",
        entry_id=TELEMETRY_ENTRY_ID,
        unique_id=f"{broker.bootstrap}|{PREFIX}",
        data={**telemetry_data(broker.bootstrap), CONF_GROUP_ID: f"ha-test-{next(_groups)}"},
    )
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)
