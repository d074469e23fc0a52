"""A Tesla account's session: refreshed ahead of expiry, rotation kept, refusal into reauth."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.clients.errors import (
    AuthenticationError,
    ClientConnectionError,
)
from custom_components.tesla_energy_sync.const import DOMAIN
from custom_components.tesla_energy_sync.tesla_account.coordinator import TeslaAccountRuntime
from simulators.tesla_auth import DEFAULT_EXPIRES_IN, TeslaAuthSimulator
from simulators.tesla_energy import TeslaEnergySimulator

from .conftest import SignIn, state_of

# Home Assistant refreshes a token this long before it expires (CLOCK_OUT_OF_SYNC_MAX_SEC).
MARGIN = 20


def _reauth_flows(hass: HomeAssistant, entry_id: str) -> list[str]:
    return [
        flow["flow_id"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH and flow["context"]["entry_id"] == entry_id
    ]


async def test_token_refreshed_before_expiry_and_rotation_kept(
    hass: HomeAssistant,
    sign_in: SignIn,
    auth_simulator: TeslaAuthSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each refresh spends the stored refresh token and stores the rotated one at once."""
    entry = await sign_in()
    runtime = entry.runtime_data
    assert isinstance(runtime, TeslaAccountRuntime)
    first = dict(entry.data[CONF_TOKEN])

    # Still valid: no request to Tesla.
    freezer.tick(timedelta(seconds=DEFAULT_EXPIRES_IN - MARGIN - 5))
    assert await runtime.account.async_get_token() == first["access_token"]
    assert len(auth_simulator.token_requests) == 1

    # Close to expiry: refreshed with the refresh token from the sign-in.
    freezer.tick(timedelta(seconds=10))
    second_access = await runtime.account.async_get_token()
    refresh = auth_simulator.token_requests[-1]
    assert (refresh.grant_type, refresh.status) == ("refresh_token", 200)
    assert refresh.refresh_token == first["refresh_token"]
    assert second_access == refresh.issued_access_token != first["access_token"]
    # The rotated refresh token is in the entry as soon as the refresh returns...
    assert entry.data[CONF_TOKEN]["refresh_token"] == refresh.issued_refresh_token
    # ...and it had to be: Tesla's refresh tokens are single use.
    assert first["refresh_token"] not in auth_simulator.live_refresh_tokens

    # The entry is reloaded (a restart); the next refresh uses the rotated token.
    assert await hass.config_entries.async_reload(entry.entry_id)
    freezer.tick(timedelta(seconds=DEFAULT_EXPIRES_IN))
    third_access = await entry.runtime_data.account.async_get_token()
    again = auth_simulator.token_requests[-1]
    assert (again.grant_type, again.status) == ("refresh_token", 200)
    assert again.refresh_token == refresh.issued_refresh_token
    assert third_access == again.issued_access_token
    assert entry.data[CONF_TOKEN]["refresh_token"] == again.issued_refresh_token
    assert _reauth_flows(hass, entry.entry_id) == []


async def test_refused_refresh_starts_reauth(
    hass: HomeAssistant,
    sign_in: SignIn,
    auth_simulator: TeslaAuthSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A revoked refresh token: the account asks for a sign-in, and stays loaded meanwhile."""
    entry = await sign_in()
    auth_simulator.revoke()
    freezer.tick(timedelta(seconds=DEFAULT_EXPIRES_IN))
    with pytest.raises(AuthenticationError):
        await entry.runtime_data.account.async_get_token()
    await hass.async_block_till_done()
    assert auth_simulator.token_requests[-1].status == 401
    assert len(_reauth_flows(hass, entry.entry_id)) == 1
    assert state_of(entry) is ConfigEntryState.LOADED
    # Until the user signs in, Tesla is not asked again with the refused token.
    asked = len(auth_simulator.token_requests)
    with pytest.raises(AuthenticationError):
        await entry.runtime_data.account.async_get_token()
    assert len(auth_simulator.token_requests) == asked

    # A restart with the refused token fails set-up into the same reauth, not a retry loop.
    assert not await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(entry) is ConfigEntryState.SETUP_ERROR
    assert len(_reauth_flows(hass, entry.entry_id)) == 1


async def test_sign_in_server_unreachable(
    hass: HomeAssistant,
    sign_in: SignIn,
    auth_simulator: TeslaAuthSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Tesla's token endpoint down: a connection error to retry, no reauth."""
    entry = await sign_in()
    await auth_simulator.stop()
    freezer.tick(timedelta(seconds=DEFAULT_EXPIRES_IN))
    with pytest.raises(ClientConnectionError):
        await entry.runtime_data.account.async_get_token()
    await hass.async_block_till_done()
    assert _reauth_flows(hass, entry.entry_id) == []


async def test_diagnostics_redact_tokens(
    hass: HomeAssistant,
    sign_in: SignIn,
    hass_client: ClientSessionGenerator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """Neither token, nor the id token, nor the names of the homes appear in diagnostics."""
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await sign_in()
    token = entry.data[CONF_TOKEN]
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = str(diagnostics)
    for secret in (token["access_token"], token["refresh_token"], token["id_token"], "Sim Home"):
        assert secret not in text
    assert diagnostics["kind"] == "tesla_account"
    assert diagnostics["entry"]["data"]["token"]["refresh_token"] == "**REDACTED**"
    sites = diagnostics["coordinators"]["sites"]["data"]["energy_sites"]
    assert [site["energy_site_id"] for site in sites] == [
        site["energy_site_id"] for site in tesla_energy_simulator.sites
    ]
    assert diagnostics["base_url"] == tesla_energy_simulator.base_url
