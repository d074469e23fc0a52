"""Adding a cloud energy site: the account, then its site; reconfigure; the control option."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_ACCOUNT_ENTRY,
    CONF_CONTROL,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_POLL_INTERVAL,
    DOMAIN,
    EntryKind,
)
from custom_components.tesla_energy_sync.energy_site.coordinator import CONF_GATEWAY_DIN
from simulators.tesla_energy import SECOND_SITE_ID, SITE_ID, TeslaEnergySimulator, energy_site

from ..conftest import setup_entry
from ..helpers import advance
from ..tesla_account.conftest import state_of
from ..tesla_account.test_account_tou_flow import proxy_account
from .conftest import PREFIX, site_entry

HOME_DIN = "1232100-00-E--TG0000000000SIM1"
SHACK_DIN = "1232100-00-E--TG0000000000SIM2"


async def _start(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.ENERGY_SITE}
    )


def _local_gateway(hass: HomeAssistant, din: str, title: str) -> None:
    """Register a local gateway entry (not set up: only its DIN and title matter here)."""
    MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=din,
        data={CONF_KIND: EntryKind.POWERWALL, CONF_HOST: "192.0.2.10"},
    ).add_to_hass(hass)


async def test_needs_a_tesla_account(hass: HomeAssistant) -> None:
    """Without a Tesla account there is nothing to read the site with."""
    result = await _start(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_tesla_account"


async def test_account_then_site(
    hass: HomeAssistant, account: MockConfigEntry, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """The account lists its sites; one added as a local gateway names it; each site once."""
    tesla_energy_simulator.sites.append(energy_site(SECOND_SITE_ID, "Sim Shack", SHACK_DIN))
    _local_gateway(hass, HOME_DIN.lower(), "Garage gateway")

    result = await _start(hass)
    assert result["step_id"] == "energy_site"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: account.entry_id}
    )
    assert result["step_id"] == "energy_site_pick"
    schema = result["data_schema"]
    assert schema is not None
    options = schema.schema[CONF_ENERGY_SITE_ID].config["options"]
    assert options == [
        {"value": str(SITE_ID), "label": "Sim Home (Garage gateway)"},
        {"value": str(SECOND_SITE_ID), "label": "Sim Shack"},
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENERGY_SITE_ID: str(SITE_ID)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Sim Home"
    assert result["result"].unique_id == PREFIX
    assert result["data"] == {
        CONF_KIND: EntryKind.ENERGY_SITE,
        CONF_ACCOUNT_ENTRY: account.entry_id,
        CONF_ENERGY_SITE_ID: SITE_ID,
        CONF_GATEWAY_DIN: HOME_DIN,
    }
    await hass.async_block_till_done()
    assert state_of(result["result"]) is ConfigEntryState.LOADED

    # The site added is no longer offered; the other one still is, then none is left.
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: account.entry_id}
    )
    schema = result["data_schema"]
    assert schema is not None
    options = schema.schema[CONF_ENERGY_SITE_ID].config["options"]
    assert [option["value"] for option in options] == [str(SECOND_SITE_ID)]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENERGY_SITE_ID: str(SECOND_SITE_ID)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: account.entry_id}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_tou_sync_of_the_site_is_no_obstacle(
    hass: HomeAssistant,
    account: MockConfigEntry,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
) -> None:
    """A TOU sync's unique id is the bare site id: the site entry's is its own."""
    tou_entry.add_to_hass(hass)
    assert tou_entry.unique_id == str(SITE_ID)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: account.entry_id}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENERGY_SITE_ID: str(SITE_ID)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("unloaded", "account_not_loaded"),
        ("token", "account_auth"),
        ("server_error", "cannot_connect"),
        ("no_sites", "no_energy_sites"),
    ],
)
async def test_account_errors(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    fault: str,
    error: str,
) -> None:
    """What stops the account from listing its sites is said on the form."""
    if fault == "unloaded":
        await hass.config_entries.async_unload(account.entry_id)
    elif fault == "token":
        tesla_energy_simulator.tokens.clear()
    elif fault == "no_sites":
        tesla_energy_simulator.sites = []
    else:
        tesla_energy_simulator.fault = fault
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: account.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}


async def test_reconfigure_moves_to_another_account(
    hass: HomeAssistant, account: MockConfigEntry, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """Another account must hold the site; then the site is read with it."""
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)
    tesla_energy_simulator.sites.append(energy_site(SECOND_SITE_ID, "Sim Shack", SHACK_DIN))
    other = proxy_account(tesla_energy_simulator, f"{SITE_ID}_{SECOND_SITE_ID}")
    await setup_entry(hass, other)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure"
    tesla_energy_simulator.sites.pop(0)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: other.entry_id}
    )
    assert result["errors"] == {"base": "site_not_found"}
    tesla_energy_simulator.sites.insert(0, energy_site(SITE_ID, "Sim Home", HOME_DIN))
    tesla_energy_simulator.fault = "server_error"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: other.entry_id}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    tesla_energy_simulator.fault = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: other.entry_id}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_ACCOUNT_ENTRY] == other.entry_id
    await hass.async_block_till_done()
    assert state_of(entry) is ConfigEntryState.LOADED


async def test_control_option_adds_the_control_entities(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Saving the option reloads the entry with (or without) number, selects and switch."""
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)

    def controls() -> set[str]:
        return {
            registered.entity_id.split(".")[0]
            for registered in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
            if registered.domain in {"number", "select", "switch"}
        }

    assert controls() == set()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "energy_site"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_POLL_INTERVAL: 120, CONF_CONTROL: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_POLL_INTERVAL: 120, CONF_CONTROL: True}
    assert controls() == {"number", "select", "switch"}


async def test_live_interval_option(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Live status is read at the chosen interval (each read is a billed request)."""
    entry = site_entry(tesla_energy_simulator, account)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={CONF_POLL_INTERVAL: 120})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    live = f"/api/1/energy_sites/{SITE_ID}/live_status"
    reads = tesla_energy_simulator.path_counts[live]
    for _ in range(8):
        await advance(hass, freezer, 30)
    assert tesla_energy_simulator.path_counts[live] == reads + 2
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    defaults = {str(key): key.default() for key in schema.schema}
    assert defaults == {CONF_POLL_INTERVAL: 120, CONF_CONTROL: False}
