"""Powerwall gateways found by DHCP: the customer login is asked for, the DIN identifies them."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_IGNORE,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_EMAIL,
    CONF_KIND,
    CONF_POWERWALL_MODE,
    DOMAIN,
    EntryKind,
)
from custom_components.tesla_energy_sync.powerwall.flow import POWERWALL_DHCP_HOSTNAMES
from simulators.powerwall import PowerwallSimulator

from ..conftest import DIN, EMAIL, PASSWORD, StartSim, powerwall_entry, setup_entry

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

MANIFEST = Path(__file__).parents[2] / "custom_components" / DOMAIN / "manifest.json"
LOGIN = {CONF_EMAIL: EMAIL, CONF_PASSWORD: PASSWORD}


def dhcp(sim: PowerwallSimulator, hostname: str | None = None) -> DhcpServiceInfo:
    """Return what Home Assistant's DHCP watcher reports for a gateway (hostname lower-cased)."""
    return DhcpServiceInfo(
        ip=sim.host, hostname=(hostname or sim.din).lower(), macaddress="0c2a69123456"
    )


def state_of(entry: MockConfigEntry) -> ConfigEntryState:
    """Return the entry's state now (a call, so type narrowing keeps no earlier one)."""
    state: ConfigEntryState = entry.state
    return state


async def discover(hass: HomeAssistant, info: DhcpServiceInfo) -> ConfigFlowResult:
    """Start a DHCP flow."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=info
    )


def test_manifest_matches_the_gateways_core_matches() -> None:
    """The manifest lists core's gateway hostnames, which the flow tells from Wall Connectors."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    hostnames = [
        matcher["hostname"]
        for matcher in manifest["dhcp"]
        if not matcher["hostname"].startswith("teslawallconnector_")
    ]
    assert tuple(hostnames) == POWERWALL_DHCP_HOSTNAMES == ("1118431-*", "1232100-*", "teslapw_*")


@pytest.mark.parametrize("hostname", [DIN, "TeslaPW_1234567"])
async def test_discovered_gateway_is_added_after_login(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, hostname: str
) -> None:
    """Named after its DIN or not, a discovered gateway asks for the customer login."""
    sim = powerwall_simulator
    result = await discover(hass, dhcp(sim, hostname))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "powerwall_dhcp_confirm"
    assert result["description_placeholders"] == {
        "name": f"Powerwall {hostname.lower()}",
        "host": sim.host,
    }
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["title_placeholders"] == {"name": f"Powerwall {hostname.lower()}"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**LOGIN, CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_EMAIL: f" {EMAIL} ", CONF_PASSWORD: PASSWORD}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Simulated Home"
    assert result["result"].unique_id == DIN
    assert result["data"] == {
        CONF_KIND: EntryKind.POWERWALL,
        CONF_HOST: sim.host,
        CONF_POWERWALL_MODE: "local",
        CONF_EMAIL: EMAIL,
        CONF_PASSWORD: PASSWORD,
    }


async def test_discovered_gateway_without_din(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """A gateway that gives no DIN once logged in cannot be added."""
    sim = powerwall_simulator
    result = await discover(hass, dhcp(sim, "teslapw_1234567"))
    with (
        patch.object(sim, "status", return_value={"version": "24.44.1"}),
        patch.object(sim, "powerwalls", return_value=None),
    ):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], LOGIN)
    assert result["errors"] == {"base": "no_din"}


async def test_one_discovery_per_gateway_and_ignore(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """The same gateway seen twice is one flow; once ignored, it is not offered again."""
    sim = powerwall_simulator
    first = await discover(hass, dhcp(sim))
    again = await discover(hass, dhcp(sim))
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_in_progress"
    await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": DIN.upper(), "title": "Powerwall"},
    )
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert first["type"] is FlowResultType.FORM
    result = await discover(hass, dhcp(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_known_gateway_at_its_address(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """A gateway seen where its entry reaches it is already configured, whatever its name."""
    entry = powerwall_entry(powerwall_simulator)
    await setup_entry(hass, entry)
    result = await discover(hass, dhcp(powerwall_simulator, "teslapw_1234567"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_known_gateway_moves_only_while_unreachable(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    """A gateway answering at its address stays there; one that does not moves to the new one."""
    old = await start_sim(din=DIN)
    new = await start_sim(din=DIN)
    entry = powerwall_entry(old)
    await setup_entry(hass, entry)
    # Another interface of a gateway that answers where it is: nothing changes.
    result = await discover(hass, dhcp(new))
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == old.host

    old.fault = "offline"
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    result = await discover(hass, dhcp(new))
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done()
    assert entry.data[CONF_HOST] == new.host
    assert state_of(entry) is ConfigEntryState.LOADED
    assert entry.data[CONF_PASSWORD] == PASSWORD


async def test_powerwall_3_recognised_after_login(hass: HomeAssistant, start_sim: StartSim) -> None:
    """A gateway not named after its DIN is recognised once logged in, and moved there."""
    old = await start_sim(din=DIN)
    new = await start_sim(din=DIN)
    entry = powerwall_entry(old)
    await setup_entry(hass, entry)
    result = await discover(hass, dhcp(new, "teslapw_1234567"))
    assert result["step_id"] == "powerwall_dhcp_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], LOGIN)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done()
    assert entry.data[CONF_HOST] == new.host
    assert entry.state is ConfigEntryState.LOADED
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
