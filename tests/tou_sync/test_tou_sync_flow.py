"""TOU sync config flow: tariff picker, token, site picker, reauth and reconfigure."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    DOMAIN,
    EntryKind,
)
from simulators.tesla_energy import SECOND_SITE_ID, SITE_ID, TeslaEnergySimulator, two_energy_sites

from ..conftest import TESLA_TOKEN


@pytest.fixture(autouse=True)
def no_setup() -> Generator[None]:
    """Flow tests check the flow; creating an entry must not set it up."""
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        yield


async def _start(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.TOU_SYNC}
    )


def _input(amber_entry: MockConfigEntry, token: str, url: str) -> dict[str, object]:
    return {
        CONF_TARIFF_ENTRY: amber_entry.entry_id,
        CONF_ACCESS_TOKEN: token,
        CONF_ADVANCED: {CONF_BASE_URL: url},
    }


async def test_needs_a_tariff_entry(hass: HomeAssistant) -> None:
    """Without an Amber entry there is nothing to sync from."""
    result = await _start(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_tariff_entry"


async def test_single_site(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """One energy site: created straight away, identified by its site id."""
    amber_entry.add_to_hass(hass)
    result = await _start(hass)
    assert result["step_id"] == "tou_sync"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _input(amber_entry, TESLA_TOKEN, tesla_energy_simulator.base_url),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == str(SITE_ID)
    assert result["data"] == {
        CONF_KIND: EntryKind.TOU_SYNC,
        CONF_TARIFF_ENTRY: amber_entry.entry_id,
        CONF_ACCESS_TOKEN: TESLA_TOKEN,
        CONF_BASE_URL: tesla_energy_simulator.base_url,
        CONF_ENERGY_SITE_ID: SITE_ID,
    }


async def test_site_picker_and_errors(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """Errors are translated; with several sites the user picks one."""
    amber_entry.add_to_hass(hass)
    result = await _start(hass)
    flow_id = result["flow_id"]
    for token, fault, sites, error in (
        ("wrong", None, None, "invalid_auth"),
        (TESLA_TOKEN, "server_error", None, "cannot_connect"),
        (TESLA_TOKEN, "malformed", None, "invalid_response"),
        (TESLA_TOKEN, None, [], "no_energy_sites"),
    ):
        tesla_energy_simulator.fault = fault
        if sites is not None:
            tesla_energy_simulator.sites = sites
        result = await hass.config_entries.flow.async_configure(
            flow_id,
            _input(amber_entry, token, tesla_energy_simulator.base_url),
        )
        assert result["errors"] == {"base": error}
    tesla_energy_simulator.fault = None
    tesla_energy_simulator.sites = two_energy_sites()
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        _input(amber_entry, TESLA_TOKEN, tesla_energy_simulator.base_url),
    )
    assert result["step_id"] == "tou_sync_site"
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_ENERGY_SITE_ID: str(SECOND_SITE_ID)},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == str(SECOND_SITE_ID)
    assert result["title"] == "TOU sync Sim Shack"


async def test_reauth_and_reconfigure(
    hass: HomeAssistant,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """A new token must still see the entry's site; reconfigure may change the URL."""
    tou_entry.add_to_hass(hass)
    tesla_energy_simulator.tokens = {"new_token"}
    result = await tou_entry.start_reauth_flow(hass)
    assert result["step_id"] == "tou_reauth"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    tesla_energy_simulator.sites = two_energy_sites()[1:]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: "new_token"}
    )
    assert result["errors"] == {"base": "site_not_found"}
    tesla_energy_simulator.sites = two_energy_sites()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: "new_token"}
    )
    assert result["reason"] == "reauth_successful"
    assert tou_entry.data[CONF_ACCESS_TOKEN] == "new_token"

    result = await tou_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ACCESS_TOKEN: "new_token",
            CONF_ADVANCED: {CONF_BASE_URL: tesla_energy_simulator.base_url + "/"},
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert tou_entry.data[CONF_BASE_URL] == tesla_energy_simulator.base_url + "/"
