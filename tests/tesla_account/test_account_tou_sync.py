"""TOU sync on a Tesla account: the account's refreshed token, its reauth, gateways unaffected."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.const import (
    CONF_ACCOUNT_ENTRY,
    CONF_ADVANCED,
    CONF_AUTOMATIC,
    CONF_BASE_URL,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    DOMAIN,
    EntryKind,
)
from custom_components.tesla_energy_sync.tou_sync.coordinator import TouSyncRuntime
from simulators.powerwall import PowerwallSimulator
from simulators.tesla_auth import DEFAULT_EXPIRES_IN, TeslaAuthSimulator
from simulators.tesla_energy import SITE_ID, TeslaEnergySimulator

from ..conftest import FROZEN_TIME, TESLA_TOKEN, gateway_state, powerwall_entry, setup_entry
from ..helpers import advance
from .conftest import SignIn, follow_authorize, state_of

UPLOAD = f"/api/1/energy_sites/{SITE_ID}/time_of_use_settings"
# pypowerwall reaches the simulated gateway over HTTPS with a self-signed certificate.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def _tou_entry(amber: MockConfigEntry, account: ConfigEntry[Any]) -> MockConfigEntry:
    """A TOU sync of the simulated site that borrows the account's session."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="TOU sync Sim Home",
        unique_id=str(SITE_ID),
        data={
            CONF_KIND: EntryKind.TOU_SYNC,
            CONF_TARIFF_ENTRY: amber.entry_id,
            CONF_ACCOUNT_ENTRY: account.entry_id,
            CONF_ENERGY_SITE_ID: SITE_ID,
        },
        options={CONF_AUTOMATIC: True},
    )


def _upload_tokens(simulator: TeslaEnergySimulator) -> list[str]:
    return [
        token for method, path, token in simulator.bearer_log if (method, path) == ("POST", UPLOAD)
    ]


def _reauth_entries(hass: HomeAssistant) -> list[str]:
    return [
        flow["context"]["entry_id"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


def _last_result(entry: MockConfigEntry) -> str | None:
    runtime = entry.runtime_data
    assert isinstance(runtime, TouSyncRuntime)
    attempt = runtime.tou.data.last_attempt
    return attempt.result if attempt else None


async def test_flow_picks_the_account(
    hass: HomeAssistant, sign_in: SignIn, amber_entry: MockConfigEntry
) -> None:
    """With an account configured, TOU sync asks for it instead of a token."""
    await setup_entry(hass, amber_entry)
    account = await sign_in()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.TOU_SYNC}
    )
    schema = result["data_schema"]
    assert schema is not None
    fields = {str(key) for key in schema.schema}
    assert fields == {CONF_TARIFF_ENTRY, CONF_ACCOUNT_ENTRY}

    # The account unloaded: its sites cannot be listed.
    await hass.config_entries.async_unload(account.entry_id)
    choice = {CONF_TARIFF_ENTRY: amber_entry.entry_id, CONF_ACCOUNT_ENTRY: account.entry_id}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], choice)
    assert result["errors"] == {"base": "account_not_loaded"}
    await hass.config_entries.async_setup(account.entry_id)
    await hass.async_block_till_done()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], choice)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_KIND: EntryKind.TOU_SYNC,
        CONF_TARIFF_ENTRY: amber_entry.entry_id,
        CONF_ACCOUNT_ENTRY: account.entry_id,
        CONF_ENERGY_SITE_ID: SITE_ID,
    }
    await hass.async_block_till_done()
    assert state_of(result["result"]) is ConfigEntryState.LOADED


async def test_waits_for_the_account(
    hass: HomeAssistant, sign_in: SignIn, amber_entry: MockConfigEntry
) -> None:
    """Set-up retries while the account is not loaded, and follows as soon as it is."""
    await setup_entry(hass, amber_entry)
    account = await sign_in()
    await hass.config_entries.async_unload(account.entry_id)
    tou = _tou_entry(amber_entry, account)
    await setup_entry(hass, tou)
    assert state_of(tou) is ConfigEntryState.SETUP_RETRY

    await hass.config_entries.async_setup(account.entry_id)
    await hass.async_block_till_done()
    assert state_of(tou) is ConfigEntryState.LOADED

    # The account removed: nothing to wait for; the entry says so.
    await hass.config_entries.async_remove(account.entry_id)
    await hass.config_entries.async_reload(tou.entry_id)
    await hass.async_block_till_done()
    assert state_of(tou) is ConfigEntryState.SETUP_ERROR
    assert tou.reason is not None
    assert "removed" in tou.reason


async def test_refresh_in_the_middle_of_automatic_sync(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sign_in: SignIn,
    amber_entry: MockConfigEntry,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """Automatic uploads carry each access token in turn; the refresh token rotates twice."""
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    account = await sign_in()
    signed_in = auth_simulator.token_requests[-1]
    tou = _tou_entry(amber_entry, account)
    await setup_entry(hass, tou)

    # Syncs run 30 s after each 5-minute boundary; the token lives 300 s (refreshed 20 s early).
    # 20:05:30 uploads with the first token; 20:10:30 and 20:15:30 each need a refresh.
    for _ in range(14 * 6):
        await advance(hass, freezer, 10)

    refreshes = [r for r in auth_simulator.token_requests if r.grant_type == "refresh_token"]
    assert [r.status for r in refreshes] == [200, 200]
    assert refreshes[0].refresh_token == signed_in.issued_refresh_token
    assert refreshes[1].refresh_token == refreshes[0].issued_refresh_token
    assert account.data[CONF_TOKEN]["refresh_token"] == refreshes[1].issued_refresh_token
    issued = [
        signed_in.issued_access_token,
        refreshes[0].issued_access_token,
        refreshes[1].issued_access_token,
    ]
    assert _upload_tokens(tesla_energy_simulator) == issued
    assert tesla_energy_simulator.upload_count == 3
    assert _last_result(tou) == "uploaded"
    assert _reauth_entries(hass) == []


@pytest.mark.usefixtures("current_request_with_host")
async def test_revoked_account_fails_cleanly_while_gateways_carry_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sign_in: SignIn,
    hass_client_no_auth: ClientSessionGenerator,
    amber_entry: MockConfigEntry,
    powerwall_simulator: PowerwallSimulator,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """Tesla revokes the session: the account asks to sign in, TOU sync waits, gateways poll."""
    gateway = powerwall_entry(powerwall_simulator)
    await setup_entry(hass, gateway)
    await setup_entry(hass, amber_entry)
    account = await sign_in()
    tou = _tou_entry(amber_entry, account)
    await setup_entry(hass, tou)
    await advance(hass, freezer, 240)  # 20:06:10: past the 20:06:00 deadline's upload
    assert tesla_energy_simulator.upload_count == 1

    auth_simulator.revoke()
    polls = powerwall_simulator.request_count
    for _ in range(DEFAULT_EXPIRES_IN // 10):
        await advance(hass, freezer, 10)  # past 20:11:00's sync, which needs a refresh

    assert auth_simulator.token_requests[-1].status == 401
    # One reauth flow, the account's; TOU sync asks for nothing of its own.
    assert _reauth_entries(hass) == [account.entry_id]
    assert state_of(account) is ConfigEntryState.LOADED
    assert state_of(tou) is ConfigEntryState.LOADED
    assert _last_result(tou) == "upload_failed"
    assert tesla_energy_simulator.upload_count == 1
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"tou_sync_failed_{tou.entry_id}")
    assert issue is not None
    # The gateway kept being read locally, and its entities are fresh.
    assert state_of(gateway) is ConfigEntryState.LOADED
    assert powerwall_simulator.request_count > polls
    assert gateway.runtime_data.gateway.last_update_success
    assert gateway_state(hass, "sensor", "battery_level") not in {"unavailable", "unknown"}

    # Signing in again brings the sync back by itself.
    (flow,) = [
        f
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if f["context"]["source"] == SOURCE_REAUTH
    ]
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    await follow_authorize(hass_client_no_auth, result["url"])
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    for _ in range(30):
        await advance(hass, freezer, 10)  # the next sync, 5 minutes on
    assert tesla_energy_simulator.upload_count == 2
    assert _upload_tokens(tesla_energy_simulator)[-1] == account.data[CONF_TOKEN]["access_token"]
    assert _last_result(tou) == "uploaded"
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"tou_sync_failed_{tou.entry_id}") is None


async def test_account_reconfigured_or_unloaded(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """A reconfigured account reloads its syncs; an unloaded one fails their uploads cleanly."""
    await setup_entry(hass, amber_entry)
    account = MockConfigEntry(
        domain=DOMAIN,
        title="Tesla account (Sim Home)",
        unique_id=f"energy_sites_{SITE_ID}",
        data={
            CONF_KIND: EntryKind.TESLA_ACCOUNT,
            CONF_ACCESS_TOKEN: TESLA_TOKEN,
            CONF_BASE_URL: tesla_energy_simulator.base_url,
        },
    )
    await setup_entry(hass, account)
    tou = _tou_entry(amber_entry, account)
    await setup_entry(hass, tou)
    before = tou.runtime_data

    result = await account.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ACCESS_TOKEN: TESLA_TOKEN,
            CONF_ADVANCED: {CONF_BASE_URL: tesla_energy_simulator.base_url},
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert state_of(tou) is ConfigEntryState.LOADED
    assert tou.runtime_data is not before  # rebuilt on the account's new base URL

    await hass.config_entries.async_unload(account.entry_id)
    response = await hass.services.async_call(
        DOMAIN, "sync_tou", {}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["result"] == "upload_failed"
    assert "not loaded" in str(response["detail"])
    assert _reauth_entries(hass) == []


async def test_refused_access_token_asks_the_account(
    hass: HomeAssistant,
    sign_in: SignIn,
    amber_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """The Fleet API refuses a token that has not expired: the account signs in again."""
    await setup_entry(hass, amber_entry)
    account = await sign_in()
    tou = _tou_entry(amber_entry, account)
    await setup_entry(hass, tou)
    tesla_energy_simulator.tokens.discard(account.data[CONF_TOKEN][CONF_ACCESS_TOKEN])
    response = await hass.services.async_call(
        DOMAIN, "sync_tou", {}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["result"] == "upload_failed"
    await hass.async_block_till_done()
    assert _reauth_entries(hass) == [account.entry_id]
    assert state_of(tou) is ConfigEntryState.LOADED
