"""TOU sync's flow with Tesla accounts: listing through the account, and choosing another."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_ACCOUNT_ENTRY,
    CONF_BASE_URL,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    DOMAIN,
    EntryKind,
)
from simulators.tesla_energy import SECOND_SITE_ID, SITE_ID, TeslaEnergySimulator, energy_site

from ..conftest import TESLA_TOKEN, setup_entry
from .conftest import state_of


def proxy_account(simulator: TeslaEnergySimulator, site_ids: str) -> MockConfigEntry:
    """A Tesla account entry on a proxy token, pointing at `simulator`."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Tesla account {site_ids}",
        unique_id=f"energy_sites_{site_ids}",
        data={
            CONF_KIND: EntryKind.TESLA_ACCOUNT,
            CONF_ACCESS_TOKEN: TESLA_TOKEN,
            CONF_BASE_URL: simulator.base_url,
        },
    )


@pytest.fixture
async def shack_simulator(socket_enabled: None) -> AsyncGenerator[TeslaEnergySimulator]:
    """Another account's cloud: it holds only the second site."""
    simulator = TeslaEnergySimulator(
        tokens=(TESLA_TOKEN,),
        sites=[energy_site(SECOND_SITE_ID, "Sim Shack", "1232100-00-E--TG0000000000SIM2")],
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


async def _start(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.TOU_SYNC}
    )


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("token", "account_auth"),
        ("server_error", "cannot_connect"),
        ("malformed", "invalid_response"),
        ("no_sites", "no_energy_sites"),
    ],
)
async def test_account_errors(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    fault: str,
    error: str,
) -> None:
    """What stops the account from listing its sites is said on the form."""
    amber_entry.add_to_hass(hass)
    account = proxy_account(tesla_energy_simulator, str(SITE_ID))
    await setup_entry(hass, account)
    if fault == "token":
        tesla_energy_simulator.tokens.clear()
    elif fault == "no_sites":
        tesla_energy_simulator.sites = []
    else:
        tesla_energy_simulator.fault = fault
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_TARIFF_ENTRY: amber_entry.entry_id, CONF_ACCOUNT_ENTRY: account.entry_id},
    )
    assert result["errors"] == {"base": error}


async def test_account_with_two_sites_and_reconfigure(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    shack_simulator: TeslaEnergySimulator,
) -> None:
    """The site picker follows the account; reconfigure moves the sync to another account."""
    await setup_entry(hass, amber_entry)
    tesla_energy_simulator.sites.append(
        energy_site(SECOND_SITE_ID, "Sim Shack", "1232100-00-E--TG0000000000SIM2")
    )
    home = proxy_account(tesla_energy_simulator, f"{SITE_ID}_{SECOND_SITE_ID}")
    shack = proxy_account(shack_simulator, str(SECOND_SITE_ID))
    await setup_entry(hass, home)
    await setup_entry(hass, shack)

    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_TARIFF_ENTRY: amber_entry.entry_id, CONF_ACCOUNT_ENTRY: home.entry_id},
    )
    assert result["step_id"] == "tou_sync_site"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENERGY_SITE_ID: str(SITE_ID)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    tou = result["result"]
    await hass.async_block_till_done()
    assert state_of(tou) is ConfigEntryState.LOADED

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": tou.entry_id}
    )
    assert result["step_id"] == "reconfigure"
    # The shack's account does not hold this sync's site.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: shack.entry_id}
    )
    assert result["errors"] == {"base": "site_not_found"}
    await hass.config_entries.async_unload(home.entry_id)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: home.entry_id}
    )
    assert result["errors"] == {"base": "account_not_loaded"}
    await hass.config_entries.async_setup(home.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_ENTRY: home.entry_id}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert tou.data[CONF_ACCOUNT_ENTRY] == home.entry_id
    await hass.async_block_till_done()
    assert state_of(tou) is ConfigEntryState.LOADED
