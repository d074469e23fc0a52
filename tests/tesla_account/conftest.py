"""Tesla account fixtures: the OAuth simulator, the developer app, and a full sign-in."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

from aiohttp import ClientSession
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_REGION
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.const import CONF_ADVANCED, CONF_BASE_URL, DOMAIN
from simulators.tesla_auth import CLIENT_ID, CLIENT_SECRET, TeslaAuthSimulator
from simulators.tesla_energy import TeslaEnergySimulator

OAUTH = "custom_components.tesla_energy_sync.tesla_account.oauth"

type SignIn = Callable[..., Awaitable[ConfigEntry[Any]]]


@pytest.fixture
async def auth_simulator(
    tesla_energy_simulator: TeslaEnergySimulator,
) -> AsyncGenerator[TeslaAuthSimulator]:
    """Run Tesla's OAuth server on 127.0.0.1; its access tokens open the energy simulator."""
    simulator = TeslaAuthSimulator(resource_tokens=tesla_energy_simulator.tokens)
    await simulator.start()
    # Tesla's sign-in endpoints are module constants read at each use: point them here.
    with (
        patch(f"{OAUTH}.AUTHORIZE_URL", simulator.authorize_url),
        patch(f"{OAUTH}.TOKEN_URL", simulator.token_url),
    ):
        yield simulator
    await simulator.stop()


@pytest.fixture
async def credentials(hass: HomeAssistant) -> None:
    """Store the developer app's client id and secret under application credentials.

    The integration is set up first (application credentials come with it): the HTTP views it
    registers must be in place before a test client freezes the router.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET, name="Sim app"), DOMAIN
    )


async def follow_authorize(hass_client_no_auth: ClientSessionGenerator, authorize_url: str) -> Any:
    """Open the authorize URL as the browser would and follow its redirect into Home Assistant."""
    async with (
        ClientSession() as browser,
        browser.get(authorize_url, allow_redirects=False) as answer,
    ):
        assert answer.status == 302, await answer.text()
        location = answer.headers["Location"]
    # The redirect names the public address; the test client reaches the same path directly.
    parts = urlsplit(location)
    assert parts.path == "/auth/external/callback"
    client = await hass_client_no_auth()
    callback = await client.get(f"{parts.path}?{parts.query}")
    assert callback.status == 200
    return parts.query


async def start_oauth(hass: HomeAssistant, region: str, base_url: str) -> Any:
    """Open the menu, pick the Tesla account's OAuth sign-in and its region."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tesla_account"}
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tesla_account_oauth"}
    )
    assert result["step_id"] == "tesla_account_oauth"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REGION: region, CONF_ADVANCED: {CONF_BASE_URL: base_url}}
    )


@pytest.fixture
def sign_in(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    current_request_with_host: None,
    credentials: None,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> SignIn:
    """Return a full sign-in through Home Assistant's OAuth flow; it returns the loaded entry."""

    async def run(region: str = "na") -> ConfigEntry[Any]:
        result = await start_oauth(hass, region, tesla_energy_simulator.base_url)
        assert result["type"] is FlowResultType.EXTERNAL_STEP, result
        await follow_authorize(hass_client_no_auth, result["url"])
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        await hass.async_block_till_done()
        entry: ConfigEntry[Any] = result["result"]
        return entry

    return run


def state_of(entry: ConfigEntry[Any]) -> ConfigEntryState:
    """Return the entry's state, read afresh (mypy keeps an earlier assert's narrowing)."""
    return entry.state
