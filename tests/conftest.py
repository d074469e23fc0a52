"""Shared fixtures: real simulators on loopback, config entries that point at them."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from datetime import datetime
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_API_TOKEN, CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_energy_sync.const import (
    COMED_UNIQUE_ID,
    CONF_BASE_URL,
    CONF_EMAIL,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_POWERWALL_MODE,
    CONF_SERIAL,
    CONF_SITE_ID,
    CONF_TARIFF_ENTRY,
    DOMAIN,
    EntryKind,
)
from simulators.amber import AmberSimulator
from simulators.comed import ComEdSimulator
from simulators.powerwall import PowerwallSimulator
from simulators.tesla_energy import SITE_ID as ENERGY_SITE_ID, TeslaEnergySimulator
from simulators.wall_connector import WallConnectorSimulator

from .helpers import entity_id

AMBER_TOKEN = "psk_sim"
AMBER_SITE_ID = "01J0SIMSITE0000000000000001"
# A weekday morning in Sydney (UTC+11 in November): 07:02 local, inside the morning peak.
FROZEN_TIME = datetime.fromisoformat("2026-11-23T20:02:10+00:00")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load our integration from custom_components/ in every test."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize Home Assistant objects (states, registry entries) without their random ids."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable the entities that are disabled by default, for snapshots."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock at a known moment so prices (from the simulators) are deterministic."""
    freezer.move_to(FROZEN_TIME)
    return freezer


@pytest.fixture
async def amber_simulator(socket_enabled: None) -> AsyncGenerator[AmberSimulator]:
    """Run the Amber API simulator on 127.0.0.1 (connections stay limited to loopback)."""
    simulator = AmberSimulator(tokens=(AMBER_TOKEN,))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def comed_simulator(socket_enabled: None) -> AsyncGenerator[ComEdSimulator]:
    """Run the ComEd API simulator on 127.0.0.1 (connections stay limited to loopback)."""
    simulator = ComEdSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def amber_entry(amber_simulator: AmberSimulator) -> MockConfigEntry:
    """An Amber entry pointing at the simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Amber Electric 41021234567",
        unique_id=AMBER_SITE_ID,
        data={
            CONF_KIND: EntryKind.AMBER,
            CONF_API_TOKEN: AMBER_TOKEN,
            CONF_SITE_ID: AMBER_SITE_ID,
            CONF_BASE_URL: amber_simulator.base_url,
        },
    )


@pytest.fixture
def comed_entry(comed_simulator: ComEdSimulator) -> MockConfigEntry:
    """A ComEd entry pointing at the simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="ComEd hourly pricing",
        unique_id=COMED_UNIQUE_ID,
        data={CONF_KIND: EntryKind.COMED, CONF_BASE_URL: comed_simulator.base_url},
    )


WALL_CONNECTOR_SERIAL = "PGT2251234567"


@pytest.fixture
async def wall_connector_simulator(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncGenerator[WallConnectorSimulator]:
    """Run a Wall Connector simulator on 127.0.0.1; its session script starts at FROZEN_TIME.

    The script (simulators/wall_connector_session.py) idles 600 s, is plugged in for 60 s,
    charges 48 A for an hour, tapers, pauses, resumes, finishes, and is unplugged at +6660 s.
    """
    freezer.move_to(FROZEN_TIME)
    simulator = WallConnectorSimulator(serial=WALL_CONNECTOR_SERIAL)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def wall_connector_entry(wall_connector_simulator: WallConnectorSimulator) -> MockConfigEntry:
    """A Wall Connector entry pointing at the simulator, with no tariff linked."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Wall Connector {WALL_CONNECTOR_SERIAL}",
        unique_id=WALL_CONNECTOR_SERIAL,
        data={
            CONF_KIND: EntryKind.WALL_CONNECTOR,
            CONF_HOST: wall_connector_simulator.host,
            CONF_SERIAL: WALL_CONNECTOR_SERIAL,
        },
    )


TESLA_TOKEN = "tesla_sim"


@pytest.fixture
async def tesla_energy_simulator(socket_enabled: None) -> AsyncGenerator[TeslaEnergySimulator]:
    """Run the Tesla energy API simulator on 127.0.0.1."""
    simulator = TeslaEnergySimulator(tokens=(TESLA_TOKEN,))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def tou_entry(
    tesla_energy_simulator: TeslaEnergySimulator, amber_entry: MockConfigEntry
) -> MockConfigEntry:
    """A TOU sync entry fed by `amber_entry`, pointing at the Tesla simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="TOU sync Sim Home",
        unique_id=str(ENERGY_SITE_ID),
        data={
            CONF_KIND: EntryKind.TOU_SYNC,
            CONF_TARIFF_ENTRY: amber_entry.entry_id,
            CONF_ACCESS_TOKEN: TESLA_TOKEN,
            CONF_BASE_URL: tesla_energy_simulator.base_url,
            CONF_ENERGY_SITE_ID: ENERGY_SITE_ID,
        },
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add an entry and set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


# Powerwall gateways, for test_powerwall*.py.
PASSWORD = "S1mulated"
EMAIL = "owner@example.com"
DIN = "1232100-00-E--TG121000000001"
# Gateways of the combined device's tests: DIN and two more.
DINS = (DIN, "1232100-00-E--TG121000000002", "1232100-00-E--TG121000000003")

type StartSim = Callable[..., Awaitable[PowerwallSimulator]]


@pytest.fixture
async def start_sim(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncGenerator[StartSim]:
    """Return a starter of gateway simulators on the frozen clock; all stop at teardown."""
    freezer.move_to(FROZEN_TIME)
    started: list[PowerwallSimulator] = []

    async def start(**options: Any) -> PowerwallSimulator:
        simulator = PowerwallSimulator(**options)
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def powerwall_simulator(start_sim: StartSim) -> PowerwallSimulator:
    """Run one gateway with two Powerwalls."""
    return await start_sim(din=DIN, batteries=2)


def powerwall_entry(
    simulator: PowerwallSimulator,
    *,
    password: str = PASSWORD,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Return a customer-login entry for a simulated gateway."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=simulator.site_name,
        unique_id=simulator.din,
        data={
            CONF_KIND: EntryKind.POWERWALL,
            CONF_HOST: simulator.host,
            CONF_POWERWALL_MODE: "local",
            CONF_EMAIL: EMAIL,
            CONF_PASSWORD: password,
        },
        options=options or {},
    )


def gateway_state(hass: HomeAssistant, platform: str, key: str, din: str = DIN) -> str:
    """Return the state of one gateway entity."""
    entity = hass.states.get(entity_id(hass, platform, f"{din}_{key}"))
    assert entity is not None
    return entity.state
