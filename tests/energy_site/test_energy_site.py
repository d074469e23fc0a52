"""A cloud energy site through Home Assistant: live power, settings, outages, its account."""

from __future__ import annotations

import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_energy_sync.const import DOMAIN, LOGGER
from custom_components.tesla_energy_sync.powerwall.combined.coordinator import CombinedCoordinator
from custom_components.tesla_energy_sync.powerwall.coordinator import loaded_gateways
from simulators.powerwall import PowerwallSimulator
from simulators.tesla_energy import SITE_ID, TeslaEnergySimulator, site_flows

from ..conftest import DIN, TESLA_TOKEN, powerwall_entry, setup_entry
from ..helpers import advance
from ..tesla_account.conftest import state_of
from .conftest import PREFIX, runtime_of, site_entry, site_state

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.mark.parametrize(
    "platform",
    [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.NUMBER, Platform.SELECT, Platform.SWITCH],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of a site with control and a tariff, at 07:02 in Sydney."""
    tesla_energy_simulator.replace_tariff()
    entry = site_entry(tesla_energy_simulator, account, control=True)
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await setup_entry(hass, entry)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_live_values_follow_the_site(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Power and charge match the site every 30 s; settings are read every 5 minutes."""
    site = tesla_energy_simulator.site()
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)
    for _ in range(3):
        flows = site_flows(site, tesla_energy_simulator.now())
        assert float(site_state(hass, "sensor", "solar_power")) == flows["solar"]
        assert float(site_state(hass, "sensor", "battery_power")) == flows["battery"]
        assert float(site_state(hass, "sensor", "site_power")) == flows["grid"]
        assert float(site_state(hass, "sensor", "load_power")) == flows["load"]
        await advance(hass, freezer, 30)
    assert float(site_state(hass, "sensor", "battery_level")) == 62.5
    assert site_state(hass, "binary_sensor", "grid_status") == STATE_ON
    assert site_state(hass, "binary_sensor", "storm_watch") == STATE_OFF
    assert site_state(hass, "sensor", "island_status") == "on_grid"
    assert float(site_state(hass, "sensor", "backup_reserve")) == 20
    assert site_state(hass, "sensor", "operating_mode") == "self_consumption"
    assert site_state(hass, "sensor", "export_rule") == "pv_only"
    assert site_state(hass, "binary_sensor", "grid_charging") == STATE_OFF

    # Changed in the app: live status shows it within 30 s, settings within 5 minutes.
    site["live"] = {
        "grid_status": "Inactive",
        "island_status": "off_grid_unintentional",
        "storm_mode_active": True,
    }
    site["backup_reserve_percent"] = 45
    site["disallow_charge_from_grid_with_solar_installed"] = False
    await advance(hass, freezer, 30)
    assert site_state(hass, "binary_sensor", "grid_status") == STATE_OFF
    assert site_state(hass, "sensor", "island_status") == "off_grid_unintentional"
    assert site_state(hass, "binary_sensor", "storm_watch") == STATE_ON
    assert float(site_state(hass, "sensor", "backup_reserve")) == 20
    await advance(hass, freezer, 300)
    assert float(site_state(hass, "sensor", "backup_reserve")) == 45
    assert site_state(hass, "binary_sensor", "grid_charging") == STATE_ON


async def test_values_no_entity_can_take(
    hass: HomeAssistant,
    account: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Out of range or unknown values read as unknown, are counted, and are logged once."""
    site = tesla_energy_simulator.site()
    site["live"] = {
        "percentage_charged": 140.0,
        "energy_left": -5.0,
        "grid_status": "Sideways",
        "island_status": "island_status_unknown",
    }
    site["backup_reserve_percent"] = 250
    site["default_real_mode"] = "scheduler"
    site["customer_preferred_export_rule"] = "solar_and_wind"
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)
    await advance(hass, freezer, 30)
    await advance(hass, freezer, 30)

    for platform, key in (
        ("sensor", "battery_level"),
        ("sensor", "energy_remaining"),
        ("binary_sensor", "grid_status"),
        ("sensor", "island_status"),
        ("sensor", "backup_reserve"),
        ("sensor", "operating_mode"),
        ("sensor", "export_rule"),
    ):
        assert site_state(hass, platform, key) == STATE_UNKNOWN, key
    # The rest of the answer is used as it came.
    assert site_state(hass, "sensor", "load_power") == "900.0"
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    live = diagnostics["coordinators"]["live"]["rejected"]
    # Three polls of live status; Tesla's own "unknown" island status is not a fault.
    assert live == {"percentage_charged": 3, "energy_left": 3, "grid_status": 3}
    assert diagnostics["coordinators"]["settings"]["rejected"] == {
        "backup_reserve_percent": 1,
        "default_real_mode": 1,
        "customer_preferred_export_rule": 1,
    }
    assert caplog.text.count("percentage_charged = 140.0") == 1
    assert TESLA_TOKEN not in str(diagnostics)
    assert "TG0000000000SIM1" not in str(diagnostics)
    assert "Sim Home" not in str(diagnostics)


async def test_outage_and_recovery(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unreachable: every entity unavailable, one line per coordinator; back by itself."""
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)
    tesla_energy_simulator.fault = "server_error"
    for _ in range(12):
        await advance(hass, freezer, 30)
    for platform, key in (
        ("sensor", "solar_power"),
        ("sensor", "backup_reserve"),
        ("sensor", "load_energy_imported"),
    ):
        assert site_state(hass, platform, key) == STATE_UNAVAILABLE
    assert caplog.text.count("Error fetching Energy site Sim Home live status") == 1
    tesla_energy_simulator.fault = None
    for _ in range(10):
        await advance(hass, freezer, 30)
    assert site_state(hass, "sensor", "solar_power") != STATE_UNAVAILABLE
    assert float(site_state(hass, "sensor", "backup_reserve")) == 20
    assert site_state(hass, "sensor", "load_energy_imported") != STATE_UNAVAILABLE
    assert caplog.text.count("Fetching Energy site Sim Home live status data recovered") == 1
    assert caplog.text.count("Error fetching Energy site Sim Home live status") == 1


async def test_waits_for_its_account(
    hass: HomeAssistant, account: MockConfigEntry, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """Set-up retries while the account is not loaded and follows it; a removed one is final."""
    await hass.config_entries.async_unload(account.entry_id)
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)
    assert state_of(entry) is ConfigEntryState.SETUP_RETRY

    await hass.config_entries.async_setup(account.entry_id)
    await hass.async_block_till_done()
    assert state_of(entry) is ConfigEntryState.LOADED
    assert site_state(hass, "sensor", "load_power") == "900.0"

    await hass.config_entries.async_remove(account.entry_id)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(entry) is ConfigEntryState.SETUP_ERROR


async def test_a_refused_account_leaves_the_site_unavailable(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The account's token refused: its own entry asks to sign in; the site waits, unavailable."""
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)
    tesla_energy_simulator.tokens.clear()
    await advance(hass, freezer, 30)
    assert site_state(hass, "sensor", "solar_power") == STATE_UNAVAILABLE
    assert state_of(entry) is ConfigEntryState.LOADED
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["entry_id"] for flow in flows] == [account.entry_id]


async def test_same_gateway_as_a_local_entry(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    powerwall_simulator: PowerwallSimulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The site knows its gateway's DIN; the combined view counts only the local gateway."""
    tesla_energy_simulator.site()["gateway_id"] = DIN
    gateway = powerwall_entry(powerwall_simulator)
    await setup_entry(hass, gateway)
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)

    assert runtime_of(entry).gateway_din == DIN
    device = device_registry.async_get_device_by_identifier((DOMAIN, PREFIX), entry.entry_id)
    assert device is not None
    assert device.serial_number == DIN
    # Two devices, one per entry: the cloud site's is not the gateway's.
    local = device_registry.async_get_device_by_identifier((DOMAIN, DIN), gateway.entry_id)
    assert local is not None
    assert local.id != device.id
    assert set(loaded_gateways(hass)) == {gateway.entry_id}
    combined = CombinedCoordinator(hass)
    stop = combined.async_start()
    assert set(combined.members) == {gateway.entry_id}
    stop()


async def test_rejects_a_site_id_mismatch(
    hass: HomeAssistant, account: MockConfigEntry, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """A site the account no longer holds: set-up retries (the API answers 404)."""
    entry = site_entry(tesla_energy_simulator, account)
    tesla_energy_simulator.sites[0]["energy_site_id"] = SITE_ID + 1
    await setup_entry(hass, entry)
    assert state_of(entry) is ConfigEntryState.SETUP_RETRY
