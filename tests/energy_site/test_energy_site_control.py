"""Control of a cloud energy site: each change through the cloud, read back, refusals in words."""

from __future__ import annotations

from typing import Any

from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulators.tesla_energy import SITE_ID, TeslaEnergySimulator

from ..conftest import setup_entry
from ..helpers import entity_id
from .conftest import PREFIX, site_entry, site_state


@pytest.fixture
async def controlled(
    hass: HomeAssistant, account: MockConfigEntry, tesla_energy_simulator: TeslaEnergySimulator
) -> MockConfigEntry:
    """A site entry with control enabled, loaded."""
    entry = site_entry(tesla_energy_simulator, account, control=True)
    await setup_entry(hass, entry)
    return entry


async def _call(hass: HomeAssistant, platform: str, service: str, key: str, **data: Any) -> None:
    target = entity_id(hass, platform, f"{PREFIX}_{key}")
    await hass.services.async_call(
        platform, service, {ATTR_ENTITY_ID: target, **data}, blocking=True
    )


@pytest.mark.usefixtures("controlled")
async def test_each_setting_through_the_cloud(
    hass: HomeAssistant, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """Reserve, mode, export rule and grid charging reach the site and show what it kept."""
    site = tesla_energy_simulator.site()
    await _call(hass, "number", "set_value", "backup_reserve", value=35)
    assert site["backup_reserve_percent"] == 35
    assert float(site_state(hass, "number", "backup_reserve")) == 35
    assert float(site_state(hass, "sensor", "backup_reserve")) == 35

    await _call(hass, "select", "select_option", "operating_mode", option="autonomous")
    assert site["default_real_mode"] == "autonomous"
    assert site_state(hass, "select", "operating_mode") == "autonomous"

    await _call(hass, "select", "select_option", "export_rule", option="battery_ok")
    assert site["customer_preferred_export_rule"] == "battery_ok"
    assert site_state(hass, "sensor", "export_rule") == "battery_ok"

    await _call(hass, "switch", "turn_on", "grid_charging")
    assert site["disallow_charge_from_grid_with_solar_installed"] is False
    assert site_state(hass, "switch", "grid_charging") == STATE_ON
    await _call(hass, "switch", "turn_off", "grid_charging")
    assert tesla_energy_simulator.site()["disallow_charge_from_grid_with_solar_installed"] is True
    assert site_state(hass, "binary_sensor", "grid_charging") == STATE_OFF
    assert [(command, site_id) for command, site_id, _ in tesla_energy_simulator.commands] == [
        ("backup", SITE_ID),
        ("operation", SITE_ID),
        ("grid_import_export", SITE_ID),
        ("grid_import_export", SITE_ID),
        ("grid_import_export", SITE_ID),
    ]


@pytest.mark.usefixtures("controlled")
async def test_a_setting_the_site_did_not_keep(
    hass: HomeAssistant, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """Firmware keeps 81-99 % as 80 % while saying "Updated": the read-back says so."""
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "number", "set_value", "backup_reserve", value=90)
    assert err.value.translation_key == "powerwall_refused"
    assert "kept the backup reserve at 80 %" in str(err.value.translation_placeholders)
    assert float(site_state(hass, "number", "backup_reserve")) == 80

    # "Updated" with nothing changed: each setting reports what the site still holds.
    tesla_energy_simulator.command_answer = {"response": {"code": 201, "message": "Updated"}}
    for platform, service, key, data in (
        ("select", "select_option", "operating_mode", {"option": "backup"}),
        ("select", "select_option", "export_rule", {"option": "never"}),
        ("switch", "turn_on", "grid_charging", {}),
    ):
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, platform, service, key, **data)
        assert err.value.translation_key == "powerwall_refused", key


@pytest.mark.usefixtures("controlled")
async def test_refused_and_failed_commands(
    hass: HomeAssistant, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """A refusal and an unreachable cloud read differently; nothing changes on the site."""
    tesla_energy_simulator.command_answer = {"response": {"code": 409, "message": "busy"}}
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "select", "select_option", "operating_mode", option="backup")
    assert err.value.translation_key == "powerwall_refused"
    tesla_energy_simulator.command_answer = None
    tesla_energy_simulator.fault = "server_error"
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "select", "select_option", "operating_mode", option="backup")
    assert err.value.translation_key == "powerwall_command_failed"
    assert tesla_energy_simulator.site()["default_real_mode"] == "self_consumption"
