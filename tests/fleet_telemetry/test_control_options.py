"""Vehicle control's options (picking the Tesla account), its strings, and client edge cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.clients.errors import CommandError, ResponseError
from custom_components.tesla_energy_sync.clients.tesla_vehicle import TeslaVehicleClient
from custom_components.tesla_energy_sync.const import CONF_ACCOUNT_ENTRY
from custom_components.tesla_energy_sync.fleet_telemetry.control_descriptions import (
    CABIN_CLIMATE,
    CABIN_OVERHEAT_PROTECTION,
    MEDIA,
    SOFTWARE_UPDATE,
    VEHICLE_BUTTONS,
    VEHICLE_COVERS,
    VEHICLE_LOCKS,
    VEHICLE_NUMBERS,
    VEHICLE_SELECTS,
    VEHICLE_SWITCHES,
)
from simulators.fleet_telemetry import FleetProducer
from simulators.tesla_vehicle import TeslaVehicleSimulator

from .common import VIN, until, vehicle_state
from .control_common import TOKEN, account_entry, car_online

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "tesla_energy_sync"


@pytest.fixture
async def cloud(socket_enabled: None) -> AsyncIterator[TeslaVehicleSimulator]:
    """The simulated Tesla cloud with one car (no telemetry attached)."""
    simulator = TeslaVehicleSimulator(tokens=(TOKEN,), vins=(VIN,))
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_options_pick_and_drop_the_account(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """No account: nothing to pick. Picking one adds the controls; clearing it removes them."""
    telemetry_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(telemetry_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_tesla_account"

    account = account_entry(cloud)
    account.add_to_hass(hass)
    assert await hass.config_entries.async_setup(account.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(telemetry_entry.entry_id)
    assert result["step_id"] == "fleet_telemetry"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: account.entry_id}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert telemetry_entry.options == {CONF_ACCOUNT_ENTRY: account.entry_id}

    await hass.config_entries.async_unload(account.entry_id)
    result = await hass.config_entries.options.async_init(telemetry_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: account.entry_id}
    )
    assert result["errors"] == {"base": "account_not_loaded"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert telemetry_entry.options == {}
    # The reload started the consumer: let it reach the broker before the entry unloads.
    await hass.async_block_till_done()
    await until(hass, lambda: telemetry_entry.runtime_data.hub.connected)


async def test_options_reload_adds_controls(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    cloud: TeslaVehicleSimulator,
    producer: FleetProducer,
) -> None:
    """Saving the options reloads the entry: the car's controls appear from its fields."""
    cloud.producer = producer
    account = account_entry(cloud)
    account.add_to_hass(hass)
    assert await hass.config_entries.async_setup(account.entry_id)
    await car_online(hass, telemetry_entry, cloud, None)
    assert vehicle_state(hass, "lock", VIN, "vehicle_state_locked") is None
    result = await hass.config_entries.options.async_init(telemetry_entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: account.entry_id}
    )
    await hass.async_block_till_done()
    await cloud.publish_all(VIN)
    await until(hass, lambda: vehicle_state(hass, "lock", VIN, "vehicle_state_locked") is not None)


def test_control_strings_and_icons() -> None:
    """Every control entity's translation key has a name and an icon."""
    strings = json.loads((INTEGRATION / "strings.json").read_text())["entity"]
    icons = json.loads((INTEGRATION / "icons.json").read_text())["entity"]
    tables = {
        "lock": VEHICLE_LOCKS,
        "cover": VEHICLE_COVERS,
        "switch": VEHICLE_SWITCHES,
        "number": VEHICLE_NUMBERS,
        "select": VEHICLE_SELECTS,
        "button": VEHICLE_BUTTONS,
        "climate": (CABIN_CLIMATE, CABIN_OVERHEAT_PROTECTION),
        "media_player": (MEDIA,),
        "update": (SOFTWARE_UPDATE,),
    }
    for platform, descriptions in tables.items():
        for description in descriptions:
            assert description.translation_key in strings[platform]
            assert description.translation_key in icons[platform]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"response": None, "error": "vin_not_found", "error_description": ""}, CommandError),
        ({"response": {"reason": "no result"}}, ResponseError),
        ([1, 2], ResponseError),
    ],
)
async def test_client_unusable_answers(
    hass: HomeAssistant, cloud: TeslaVehicleSimulator, answer: Any, error: type[Exception]
) -> None:
    """A 200 carrying an error, or no result, is a client error, not success."""
    cloud.vehicle_answer = answer
    client = TeslaVehicleClient(async_get_clientsession(hass), TOKEN, base_url=cloud.base_url)
    with pytest.raises(error):
        await client.command(VIN, "honk_horn")


async def test_client_callable_token(hass: HomeAssistant, cloud: TeslaVehicleSimulator) -> None:
    """A plain (not awaitable) token callable is used as is."""
    client = TeslaVehicleClient(
        async_get_clientsession(hass), lambda: TOKEN, base_url=cloud.base_url
    )
    result = await client.command(VIN, "honk_horn")
    assert result.result is True
    assert not result.woke
