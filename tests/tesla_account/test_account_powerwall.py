"""Powerwall cloud control on a Tesla account: picked in the options, failing cleanly."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_TOKEN, STATE_OFF, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_ACCOUNT_ENTRY,
    CONF_CLOUD,
    CONF_CONTROL,
    CONF_ENERGY_SITE_ID,
    CONF_POLL_INTERVAL,
    DOMAIN,
)
from simulators.powerwall import PowerwallSimulator
from simulators.tesla_auth import DEFAULT_EXPIRES_IN, TeslaAuthSimulator
from simulators.tesla_energy import TeslaEnergySimulator, energy_site

from ..conftest import DIN, gateway_state, powerwall_entry, setup_entry
from ..helpers import advance, entity_id
from .conftest import SignIn, state_of
from .test_account_tou_flow import proxy_account

GATEWAY_SITE_ID = 1700000000000042
# pypowerwall reaches the simulated gateway over HTTPS with a self-signed certificate.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


async def _options(hass: HomeAssistant, entry: MockConfigEntry, cloud: dict[str, Any]) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_POLL_INTERVAL: 15, CONF_CONTROL: True, CONF_CLOUD: cloud}
    )


def _hold_gateway(simulator: TeslaEnergySimulator, powerwall: PowerwallSimulator) -> None:
    """Put the gateway on the account, passing the cloud's settings on to it as Tesla does."""
    simulator.sites.append(energy_site(GATEWAY_SITE_ID, "Sim Garage", DIN))
    simulator.on_change = powerwall.apply_cloud


async def test_options_pick_the_account(
    hass: HomeAssistant,
    powerwall_simulator: PowerwallSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """The account must hold the gateway; then control goes through it."""
    account = proxy_account(tesla_energy_simulator, "sites")
    await setup_entry(hass, account)
    gateway = powerwall_entry(powerwall_simulator)
    await setup_entry(hass, gateway)

    result = await _options(hass, gateway, {CONF_ACCOUNT_ENTRY: account.entry_id})
    assert result["errors"] == {"base": "gateway_not_on_account"}
    await hass.config_entries.async_unload(account.entry_id)
    result = await _options(hass, gateway, {CONF_ACCOUNT_ENTRY: account.entry_id})
    assert result["errors"] == {"base": "account_not_loaded"}
    await hass.config_entries.async_setup(account.entry_id)
    await hass.async_block_till_done()

    _hold_gateway(tesla_energy_simulator, powerwall_simulator)
    result = await _options(hass, gateway, {CONF_ACCOUNT_ENTRY: account.entry_id})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert gateway.options == {
        CONF_POLL_INTERVAL: 15,
        CONF_CONTROL: True,
        CONF_ACCOUNT_ENTRY: account.entry_id,
        CONF_ENERGY_SITE_ID: GATEWAY_SITE_ID,
    }
    assert gateway_state(hass, "switch", "grid_charging") == STATE_OFF
    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": entity_id(hass, "switch", f"{DIN}_grid_charging")},
        blocking=True,
    )
    site = tesla_energy_simulator.site(GATEWAY_SITE_ID)
    assert site["disallow_charge_from_grid_with_solar_installed"] is False
    assert powerwall_simulator.posts == []


async def test_revoked_account_takes_only_the_cloud_half(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sign_in: SignIn,
    powerwall_simulator: PowerwallSimulator,
    auth_simulator: TeslaAuthSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """The account refused: cloud settings go unavailable, the gateway's readings stay fresh."""
    _hold_gateway(tesla_energy_simulator, powerwall_simulator)
    account: ConfigEntry[Any] = await sign_in()
    gateway = powerwall_entry(
        powerwall_simulator,
        options={
            CONF_CONTROL: True,
            CONF_ACCOUNT_ENTRY: account.entry_id,
            CONF_ENERGY_SITE_ID: GATEWAY_SITE_ID,
        },
    )
    await setup_entry(hass, gateway)
    assert gateway_state(hass, "switch", "grid_charging") == STATE_OFF
    used = {token for _, path, token in tesla_energy_simulator.bearer_log if "site_info" in path}
    assert used == {account.data[CONF_TOKEN][CONF_ACCESS_TOKEN]}

    auth_simulator.revoke()
    polls = powerwall_simulator.request_count
    for _ in range(DEFAULT_EXPIRES_IN // 15 + 25):
        await advance(hass, freezer, 15)  # past the token's expiry and the cloud's next read

    assert gateway_state(hass, "switch", "grid_charging") == STATE_UNAVAILABLE
    assert gateway_state(hass, "sensor", "battery_level") not in {STATE_UNAVAILABLE, "unknown"}
    assert powerwall_simulator.request_count > polls
    assert state_of(gateway) is ConfigEntryState.LOADED
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        (SOURCE_REAUTH, account.entry_id)
    ]
    # The gateway's own repair (a token in its options) does not apply to an account.
    issue = f"powerwall_cloud_auth_{gateway.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is None
    assert CONF_ACCESS_TOKEN not in gateway.options
