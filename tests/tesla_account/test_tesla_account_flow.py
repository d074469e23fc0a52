"""Tesla account config flow: OAuth through Home Assistant's machinery, and a proxy's token."""

from __future__ import annotations

import json
from pathlib import Path
import string
from typing import Any
from urllib.parse import parse_qs, urlsplit

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_REGION, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import jwt
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, start_reauth_flow
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.tesla_energy_sync.const import (
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_KIND,
    DOMAIN,
    EntryKind,
)
from custom_components.tesla_energy_sync.tesla_account.coordinator import TeslaAccountRuntime
from simulators.tesla_auth import CLIENT_ID, SUBJECT, TeslaAuthSimulator
from simulators.tesla_energy import SECOND_SITE_ID, SITE_ID, TeslaEnergySimulator, two_energy_sites

from ..conftest import TESLA_TOKEN
from .conftest import SignIn, follow_authorize, start_oauth, state_of

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "tesla_energy_sync"
REDIRECT = "https://example.com/auth/external/callback"
NA = "https://fleet-api.prd.na.vn.cloud.tesla.com"
EU = "https://fleet-api.prd.eu.vn.cloud.tesla.com"
# Written out here rather than imported: the test states what Tesla must be asked for.
SCOPES = "openid offline_access energy_device_data energy_cmds"


async def test_oauth_sign_in_creates_a_working_account(
    hass: HomeAssistant,
    sign_in: SignIn,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """The whole sign-in: authorize at Tesla, redirect back, code exchange, entry set up."""
    entry = await sign_in()

    (asked,) = auth_simulator.authorize_requests
    assert asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == REDIRECT
    assert asked["response_type"] == "code"
    assert asked["scope"] == SCOPES
    assert asked["audience"] == NA
    assert asked["prompt_missing_scopes"] == "true"
    (exchange,) = auth_simulator.token_requests
    assert exchange.grant_type == "authorization_code"
    assert exchange.status == 200
    assert exchange.audience == NA

    assert entry.unique_id == SUBJECT
    assert entry.title == "Tesla account (Sim Home)"
    assert entry.data[CONF_KIND] == EntryKind.TESLA_ACCOUNT
    assert entry.data[CONF_REGION] == "na"
    assert entry.data[CONF_BASE_URL] == tesla_energy_simulator.base_url
    assert entry.data["auth_implementation"] == DOMAIN
    assert entry.data[CONF_TOKEN]["access_token"] == exchange.issued_access_token
    assert entry.data[CONF_TOKEN]["refresh_token"] == exchange.issued_refresh_token
    assert state_of(entry) is ConfigEntryState.LOADED
    runtime = entry.runtime_data
    assert isinstance(runtime, TeslaAccountRuntime)
    assert [site.energy_site_id for site in runtime.account.energy_sites()] == [SITE_ID]
    assert await runtime.account.async_get_token() == exchange.issued_access_token
    # The set-up listed the sites with the token Tesla issued.
    assert ("GET", "/api/1/products", exchange.issued_access_token) in (
        tesla_energy_simulator.bearer_log
    )


async def test_region_is_the_audience(
    hass: HomeAssistant, sign_in: SignIn, auth_simulator: TeslaAuthSimulator
) -> None:
    """A European account asks for a token of the European Fleet API."""
    entry = await sign_in("eu")
    assert auth_simulator.authorize_requests[0]["audience"] == EU
    assert auth_simulator.token_requests[0].audience == EU
    claims = jwt.decode(entry.data[CONF_TOKEN]["access_token"], options={"verify_signature": False})
    assert claims["aud"] == [EU]
    assert entry.data[CONF_REGION] == "eu"


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_region_base_url_is_the_default(
    hass: HomeAssistant, auth_simulator: TeslaAuthSimulator
) -> None:
    """Without an override the Fleet API host follows the region (the flow stops at Tesla)."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tesla_account"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tesla_account_oauth"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REGION: "eu", CONF_ADVANCED: {}}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    query = parse_qs(urlsplit(result["url"]).query)
    assert query["audience"] == [EU]
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    assert flow._base_url == EU  # type: ignore[attr-defined]


@pytest.mark.usefixtures("current_request_with_host")
async def test_without_application_credentials(
    hass: HomeAssistant, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """No developer app stored yet: Home Assistant's own abort says to add one."""
    result = await start_oauth(hass, "na", tesla_energy_simulator.base_url)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_declined_sign_in(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """The user declines at Tesla: the flow ends without an entry."""
    auth_simulator.deny = True
    result = await start_oauth(hass, "na", tesla_energy_simulator.base_url)
    await follow_authorize(hass_client_no_auth, result["url"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "user_rejected_authorize"
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_same_account_twice(
    hass: HomeAssistant,
    sign_in: SignIn,
    hass_client_no_auth: ClientSessionGenerator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """Signing in to an account that already has an entry adds nothing."""
    await sign_in()
    result = await start_oauth(hass, "na", tesla_energy_simulator.base_url)
    await follow_authorize(hass_client_no_auth, result["url"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize(("sites", "reason"), [([], "no_energy_sites")])
@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_account_without_energy_sites(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
    sites: list[dict[str, Any]],
    reason: str,
) -> None:
    """An account with no Powerwall has nothing for this integration."""
    tesla_energy_simulator.sites = sites
    result = await start_oauth(hass, "na", tesla_energy_simulator.base_url)
    await follow_authorize(hass_client_no_auth, result["url"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


@pytest.mark.parametrize(("opaque", "subject"), [(True, SUBJECT), (False, "")])
@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_token_that_names_no_account(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
    opaque: bool,
    subject: str,
) -> None:
    """An access token that is not a JWT, or has no subject, cannot identify the account."""
    auth_simulator.opaque_tokens = opaque
    auth_simulator.subject = subject
    result = await start_oauth(hass, "na", tesla_energy_simulator.base_url)
    await follow_authorize(hass_client_no_auth, result["url"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_error"
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_reauth_signs_in_again(
    hass: HomeAssistant,
    sign_in: SignIn,
    hass_client_no_auth: ClientSessionGenerator,
    auth_simulator: TeslaAuthSimulator,
) -> None:
    """Reauth confirms, signs in at Tesla with the same app and region, and stores new tokens."""
    entry = await sign_in()
    old_refresh = entry.data[CONF_TOKEN]["refresh_token"]
    result = await start_reauth_flow(hass, entry)
    assert result["step_id"] == "tesla_account_reauth"
    assert result["description_placeholders"]["title"] == entry.title
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    await follow_authorize(hass_client_no_auth, result["url"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    issued = auth_simulator.token_requests[-1]
    assert entry.data[CONF_TOKEN]["refresh_token"] == issued.issued_refresh_token != old_refresh
    assert state_of(entry) is ConfigEntryState.LOADED


async def test_reauth_with_another_account_is_refused(
    hass: HomeAssistant,
    sign_in: SignIn,
    hass_client_no_auth: ClientSessionGenerator,
    auth_simulator: TeslaAuthSimulator,
) -> None:
    """Signing in as someone else does not replace the account's tokens."""
    entry = await sign_in()
    tokens = dict(entry.data[CONF_TOKEN])
    auth_simulator.subject = "someone-else"
    result = await start_reauth_flow(hass, entry)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await follow_authorize(hass_client_no_auth, result["url"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_mismatch"
    assert entry.data[CONF_TOKEN] == tokens


async def test_reconfigure_changes_region(
    hass: HomeAssistant,
    sign_in: SignIn,
    hass_client_no_auth: ClientSessionGenerator,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """A new region means a new sign-in for that region's audience."""
    entry = await sign_in()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "tesla_account_oauth"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_REGION: "eu", CONF_ADVANCED: {CONF_BASE_URL: tesla_energy_simulator.base_url}},
    )
    await follow_authorize(hass_client_no_auth, result["url"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert auth_simulator.token_requests[-1].audience == EU
    assert entry.data[CONF_REGION] == "eu"


def _token_input(token: str, url: str) -> dict[str, Any]:
    return {CONF_ACCESS_TOKEN: token, CONF_ADVANCED: {CONF_BASE_URL: url}}


async def _start_token(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tesla_account"}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tesla_account_token"}
    )


async def test_proxy_token(
    hass: HomeAssistant, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """A proxy's token is checked by listing its energy sites; a bad one is refused."""
    tesla_energy_simulator.sites = two_energy_sites()
    result = await _start_token(hass)
    assert result["step_id"] == "tesla_account_token"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _token_input("wrong", tesla_energy_simulator.base_url)
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _token_input(TESLA_TOKEN, tesla_energy_simulator.base_url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Tesla account (Sim Home, Sim Shack)"
    assert result["data"] == {
        CONF_KIND: EntryKind.TESLA_ACCOUNT,
        CONF_ACCESS_TOKEN: TESLA_TOKEN,
        CONF_BASE_URL: tesla_energy_simulator.base_url,
    }
    assert result["result"].unique_id == f"energy_sites_{SITE_ID}_{SECOND_SITE_ID}"
    await hass.async_block_till_done()
    entry = result["result"]
    assert state_of(entry) is ConfigEntryState.LOADED
    assert await entry.runtime_data.account.async_get_token() == TESLA_TOKEN

    again = await _start_token(hass)
    again = await hass.config_entries.flow.async_configure(
        again["flow_id"], _token_input(TESLA_TOKEN, tesla_energy_simulator.base_url)
    )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"


def _proxy_entry(simulator: TeslaEnergySimulator, token: str = TESLA_TOKEN) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Tesla account (Sim Home)",
        unique_id=f"energy_sites_{SITE_ID}",
        data={
            CONF_KIND: EntryKind.TESLA_ACCOUNT,
            CONF_ACCESS_TOKEN: token,
            CONF_BASE_URL: simulator.base_url,
        },
    )


async def test_proxy_token_reauth_and_reconfigure(
    hass: HomeAssistant, tesla_energy_simulator: TeslaEnergySimulator
) -> None:
    """A refused proxy token is replaced by one that sees the same sites."""
    tesla_energy_simulator.tokens.add("new_token")
    entry = _proxy_entry(tesla_energy_simulator, token="revoked")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(entry) is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_ACCESS_TOKEN: "new_token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_ACCESS_TOKEN] == "new_token"
    assert state_of(entry) is ConfigEntryState.LOADED

    # A token of another account (other sites) cannot stand in for this one.
    tesla_energy_simulator.sites = two_energy_sites()
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _token_input(TESLA_TOKEN, tesla_energy_simulator.base_url)
    )
    assert result["errors"] == {"base": "site_not_found"}
    tesla_energy_simulator.sites = tesla_energy_simulator.sites[:1]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _token_input(TESLA_TOKEN, tesla_energy_simulator.base_url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_ACCESS_TOKEN] == TESLA_TOKEN


async def test_application_credentials_dialog(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """The credentials dialog gets every link its description names."""
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "application_credentials/config"})
    answer = await client.receive_json()
    assert answer["success"]
    assert DOMAIN in answer["result"]["domains"]
    placeholders = answer["result"]["integrations"][DOMAIN]["description_placeholders"]
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    description = strings["application_credentials"]["description"]
    named = {name for _, name, _, _ in string.Formatter().parse(description) if name}
    assert named == set(placeholders)
    assert placeholders["developer_url"].startswith("https://developer.tesla.com")
