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
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

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

from ..flow_api import FlowApi, loud_records
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


@pytest.mark.fault
@pytest.mark.parametrize(
    "value",
    ["", "   ", "x" * 100_000, "Zürich ☀", "account\r\nInjected: yes"],
    ids=["empty", "blank", "100kB", "non_ascii", "crlf"],
)
async def test_hostile_account_values_over_http(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    telemetry_entry: MockConfigEntry,
    cloud: TeslaVehicleSimulator,
    caplog: pytest.LogCaptureFixture,
    value: str,
) -> None:
    """Anything but a listed account is refused by the form (400), never a 500 or a traceback."""
    telemetry_entry.add_to_hass(hass)
    account = account_entry(cloud)
    account.add_to_hass(hass)
    assert await hass.config_entries.async_setup(account.entry_id)
    api = await FlowApi.start(hass, hass_client)
    step = await api.options(telemetry_entry.entry_id)
    refused = await api.submit(step, {CONF_ACCOUNT_ENTRY: value}, status=400)
    assert TOKEN not in json.dumps(refused.body)
    assert telemetry_entry.options == {}
    assert loud_records(caplog) == []
