"""Config flow: menu, Amber token and site picker, ComEd, reauth, reconfigure."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.clients.amber import DEFAULT_AMBER_BASE_URL
from custom_components.tesla_energy_sync.clients.comed import DEFAULT_COMED_BASE_URL
from custom_components.tesla_energy_sync.const import (
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_KIND,
    CONF_SITE_ID,
    DOMAIN,
    EntryKind,
)
from simulators.amber import AmberSimulator, two_sites
from simulators.comed import ComEdSimulator

from .conftest import AMBER_SITE_ID, AMBER_TOKEN


@pytest.fixture(autouse=True)
def no_setup() -> Generator[None]:
    """Flow tests check the flow; creating an entry must not set it up."""
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        yield


async def _pick(hass: HomeAssistant, kind: EntryKind) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "amber",
        "comed",
        "wall_connector",
        "tesla_account",
        "tou_sync",
        "fleet_telemetry",
        "powerwall",
        "powerwall_combined",
    ]
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": kind})


async def test_amber_single_site(hass: HomeAssistant, amber_simulator: AmberSimulator) -> None:
    """One site: the token is enough, the picker is skipped."""
    result = await _pick(hass, EntryKind.AMBER)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "amber"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_TOKEN: AMBER_TOKEN, CONF_ADVANCED: {CONF_BASE_URL: amber_simulator.base_url}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Amber Electric {amber_simulator.sites[0]['nmi']}"
    assert result["result"].unique_id == AMBER_SITE_ID
    assert result["data"] == {
        CONF_KIND: EntryKind.AMBER,
        CONF_API_TOKEN: AMBER_TOKEN,
        CONF_SITE_ID: AMBER_SITE_ID,
        CONF_BASE_URL: amber_simulator.base_url,
    }


def _section_default(result: Any) -> str:
    """Return the default base URL offered in the collapsed advanced section."""
    for key, value in result["data_schema"].schema.items():
        if key == CONF_ADVANCED:
            inner = value.schema.schema
            return str(next(k.default() for k in inner if k == CONF_BASE_URL))
    raise AssertionError("no advanced section")


async def test_base_url_defaults_to_real_services(hass: HomeAssistant) -> None:
    """The base URL sits in a collapsed section whose default is the real API."""
    result = await _pick(hass, EntryKind.AMBER)
    assert _section_default(result) == DEFAULT_AMBER_BASE_URL == "https://api.amber.com.au/v1"
    result = await _pick(hass, EntryKind.COMED)
    assert _section_default(result) == DEFAULT_COMED_BASE_URL


async def test_amber_site_picker(hass: HomeAssistant, amber_simulator: AmberSimulator) -> None:
    """Several sites: the user picks one."""
    amber_simulator.sites = two_sites()
    second = amber_simulator.sites[1]
    result = await _pick(hass, EntryKind.AMBER)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_TOKEN: AMBER_TOKEN, CONF_ADVANCED: {CONF_BASE_URL: amber_simulator.base_url}},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "amber_site"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_ID: second["id"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == second["id"]
    assert result["title"] == f"Amber Electric {second['nmi']}"


@pytest.mark.parametrize(
    ("token", "fault", "sites", "error"),
    [
        ("psk_wrong", None, None, "invalid_auth"),
        (AMBER_TOKEN, "server_error", None, "cannot_connect"),
        (AMBER_TOKEN, "malformed", None, "invalid_response"),
        (AMBER_TOKEN, None, [], "no_sites"),
        (AMBER_TOKEN, None, "closed", "no_sites"),
    ],
)
async def test_amber_errors_then_recover(
    hass: HomeAssistant,
    amber_simulator: AmberSimulator,
    token: str,
    fault: str | None,
    sites: Any,
    error: str,
) -> None:
    """Each failure shows its translated error; fixing it lets the flow finish."""
    good_sites = amber_simulator.sites
    amber_simulator.fault = fault
    if sites == "closed":
        amber_simulator.sites = [{**good_sites[0], "status": "closed"}]
    elif sites is not None:
        amber_simulator.sites = sites
    result = await _pick(hass, EntryKind.AMBER)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_TOKEN: token, CONF_ADVANCED: {CONF_BASE_URL: amber_simulator.base_url}},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    amber_simulator.fault = None
    amber_simulator.sites = good_sites
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_TOKEN: AMBER_TOKEN, CONF_ADVANCED: {CONF_BASE_URL: amber_simulator.base_url}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_amber_already_configured(
    hass: HomeAssistant, amber_simulator: AmberSimulator, amber_entry: MockConfigEntry
) -> None:
    """The same site cannot be added twice."""
    amber_entry.add_to_hass(hass)
    result = await _pick(hass, EntryKind.AMBER)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_TOKEN: AMBER_TOKEN, CONF_ADVANCED: {CONF_BASE_URL: amber_simulator.base_url}},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, amber_simulator: AmberSimulator, amber_entry: MockConfigEntry
) -> None:
    """A refused token is replaced; wrong tokens and foreign sites are told apart."""
    amber_entry.add_to_hass(hass)
    amber_simulator.tokens = {"psk_new"}
    result = await amber_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert CONF_ADVANCED not in result["data_schema"].schema

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: AMBER_TOKEN}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    amber_simulator.sites = two_sites()[1:]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: "psk_new"}
    )
    assert result["errors"] == {"base": "site_not_found"}

    amber_simulator.sites = two_sites()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: "psk_new"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert amber_entry.data[CONF_API_TOKEN] == "psk_new"
    assert amber_entry.data[CONF_BASE_URL] == amber_simulator.base_url


async def test_reconfigure_amber(
    hass: HomeAssistant, amber_simulator: AmberSimulator, amber_entry: MockConfigEntry
) -> None:
    """Reconfigure changes token and base URL, after checking them."""
    amber_entry.add_to_hass(hass)
    second = AmberSimulator(tokens=("psk_other",))
    second_url = await second.start()
    try:
        result = await amber_entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_API_TOKEN: "psk_bad", CONF_ADVANCED: {CONF_BASE_URL: second_url}},
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_API_TOKEN: "psk_other", CONF_ADVANCED: {CONF_BASE_URL: second_url}},
        )
    finally:
        await second.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert amber_entry.data[CONF_BASE_URL] == second_url
    assert amber_entry.data[CONF_API_TOKEN] == "psk_other"


async def test_comed(hass: HomeAssistant, comed_simulator: ComEdSimulator) -> None:
    """ComEd needs only a confirmation (and, in advanced mode, its URL)."""
    result = await _pick(hass, EntryKind.COMED)
    assert result["step_id"] == "comed"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADVANCED: {CONF_BASE_URL: comed_simulator.base_url}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "ComEd hourly pricing"
    assert result["data"] == {CONF_KIND: EntryKind.COMED, CONF_BASE_URL: comed_simulator.base_url}


@pytest.mark.parametrize(
    ("fault", "error"), [("server_error", "cannot_connect"), ("malformed", "invalid_response")]
)
async def test_comed_errors(
    hass: HomeAssistant, comed_simulator: ComEdSimulator, fault: str, error: str
) -> None:
    """ComEd failures show translated errors and the flow can be retried."""
    comed_simulator.fault = fault
    result = await _pick(hass, EntryKind.COMED)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADVANCED: {CONF_BASE_URL: comed_simulator.base_url}}
    )
    assert result["errors"] == {"base": error}
    comed_simulator.fault = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADVANCED: {CONF_BASE_URL: comed_simulator.base_url}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_comed_single_instance(hass: HomeAssistant, comed_entry: MockConfigEntry) -> None:
    """ComEd can be added once."""
    comed_entry.add_to_hass(hass)
    result = await _pick(hass, EntryKind.COMED)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_comed(
    hass: HomeAssistant, comed_simulator: ComEdSimulator, comed_entry: MockConfigEntry
) -> None:
    """Reconfigure ComEd's URL, with the check failing first."""
    comed_entry.add_to_hass(hass)
    result = await comed_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert CONF_API_TOKEN not in result["data_schema"].schema
    comed_simulator.fault = "server_error"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADVANCED: {CONF_BASE_URL: comed_simulator.base_url + "/"}}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    comed_simulator.fault = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADVANCED: {CONF_BASE_URL: comed_simulator.base_url + "/"}}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert comed_entry.data[CONF_BASE_URL] == comed_simulator.base_url + "/"
