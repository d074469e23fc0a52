"""Wall Connector config flow: host, DHCP discovery, reconfigure and options."""

from __future__ import annotations

from collections.abc import Generator
from http import HTTPStatus
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_DHCP, SOURCE_IGNORE, SOURCE_USER
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.const import (
    CONF_KIND,
    CONF_SERIAL,
    CONF_TARIFF_ENTRY,
    CONF_VITALS_CONNECTED_S,
    CONF_VITALS_IDLE_S,
    DOMAIN,
    EntryKind,
)
from simulators.wall_connector import WallConnectorSimulator

from ..conftest import WALL_CONNECTOR_SERIAL


@pytest.fixture(autouse=True)
def no_setup() -> Generator[None]:
    """Flow tests check the flow; creating an entry must not set it up."""
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        yield


def _dhcp(ip: str) -> DhcpServiceInfo:
    return DhcpServiceInfo(ip=ip, hostname="teslawallconnector_abc", macaddress="98ed5c123456")


async def test_user_host(
    hass: HomeAssistant, wall_connector_simulator: WallConnectorSimulator
) -> None:
    """The host is checked by reading the unit's serial number, which identifies the entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.WALL_CONNECTOR}
    )
    assert result["step_id"] == "wall_connector"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f" {wall_connector_simulator.host} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Wall Connector {WALL_CONNECTOR_SERIAL}"
    assert result["result"].unique_id == WALL_CONNECTOR_SERIAL
    assert result["data"] == {
        CONF_KIND: EntryKind.WALL_CONNECTOR,
        CONF_HOST: wall_connector_simulator.host,
        CONF_SERIAL: WALL_CONNECTOR_SERIAL,
    }


@pytest.mark.parametrize(
    ("fault", "error"), [("offline", "cannot_connect"), ("malformed", "invalid_response")]
)
async def test_user_errors(
    hass: HomeAssistant,
    wall_connector_simulator: WallConnectorSimulator,
    fault: str,
    error: str,
) -> None:
    """Unreachable and unreadable units are told apart; the form keeps the host typed."""
    wall_connector_simulator.fault = fault
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.WALL_CONNECTOR}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: wall_connector_simulator.host}
    )
    assert result["errors"] == {"base": error}
    wall_connector_simulator.fault = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: wall_connector_simulator.host}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_already_configured_updates_host(
    hass: HomeAssistant,
    wall_connector_simulator: WallConnectorSimulator,
    wall_connector_entry: MockConfigEntry,
) -> None:
    """Adding the same unit again (new address) updates the address and aborts."""
    wall_connector_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        wall_connector_entry, data={**wall_connector_entry.data, CONF_HOST: "127.0.0.1:1"}
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.WALL_CONNECTOR}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: wall_connector_simulator.host}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert wall_connector_entry.data[CONF_HOST] == wall_connector_simulator.host


async def test_dhcp_discovery(
    hass: HomeAssistant, wall_connector_simulator: WallConnectorSimulator
) -> None:
    """A discovered unit is confirmed, then added."""
    # The address the DHCP watcher reports is the unit's own; the port is fixed at 80 for real
    # units, so the test hands the simulator's "127.0.0.1:PORT" through the ip field.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(wall_connector_simulator.host)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "wall_connector_confirm"
    assert result["description_placeholders"] == {
        "serial": WALL_CONNECTOR_SERIAL,
        "host": wall_connector_simulator.host,
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == WALL_CONNECTOR_SERIAL


async def test_dhcp_known_unit_new_address(
    hass: HomeAssistant,
    wall_connector_simulator: WallConnectorSimulator,
    wall_connector_entry: MockConfigEntry,
) -> None:
    """A known unit seen at a new address gets its address updated; the same address aborts."""
    wall_connector_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(wall_connector_simulator.host)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    other = WallConnectorSimulator(serial=WALL_CONNECTOR_SERIAL)
    await other.start()
    try:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(other.host)
        )
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert wall_connector_entry.data[CONF_HOST] == other.host


async def test_dhcp_unreachable(
    hass: HomeAssistant, wall_connector_simulator: WallConnectorSimulator
) -> None:
    """A discovery that cannot be read aborts quietly."""
    wall_connector_simulator.fault = "offline"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(wall_connector_simulator.host)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_reconfigure_new_address(
    hass: HomeAssistant,
    wall_connector_simulator: WallConnectorSimulator,
    wall_connector_entry: MockConfigEntry,
) -> None:
    """Reconfigure accepts the same unit at a new address and refuses another unit."""
    wall_connector_entry.add_to_hass(hass)
    stranger = WallConnectorSimulator(serial="PGT2259999999")
    moved = WallConnectorSimulator(serial=WALL_CONNECTOR_SERIAL)
    await stranger.start()
    await moved.start()
    try:
        result = await wall_connector_entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: stranger.host}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "wrong_device"

        result = await wall_connector_entry.start_reconfigure_flow(hass)
        moved.fault = "offline"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: moved.host}
        )
        assert result["errors"] == {"base": "cannot_connect"}
        moved.fault = None
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: moved.host}
        )
    finally:
        await stranger.stop()
        await moved.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert wall_connector_entry.data[CONF_HOST] == moved.host


async def test_options(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    amber_entry: MockConfigEntry,
) -> None:
    """Options set the poll intervals and link a tariff; clearing the tariff unlinks it."""
    wall_connector_entry.add_to_hass(hass)
    amber_entry.add_to_hass(hass)
    assert not hass.config_entries.flow._handler_progress_index
    result = await hass.config_entries.options.async_init(wall_connector_entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_VITALS_CONNECTED_S: 10,
            CONF_VITALS_IDLE_S: 60,
            CONF_TARIFF_ENTRY: amber_entry.entry_id,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert wall_connector_entry.options == {
        CONF_VITALS_CONNECTED_S: 10,
        CONF_VITALS_IDLE_S: 60,
        CONF_TARIFF_ENTRY: amber_entry.entry_id,
    }
    result = await hass.config_entries.options.async_init(wall_connector_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_VITALS_CONNECTED_S: 5, CONF_VITALS_IDLE_S: 30},
    )
    assert CONF_TARIFF_ENTRY not in wall_connector_entry.options


async def test_only_chargers_have_options(
    hass: HomeAssistant, wall_connector_entry: MockConfigEntry, amber_entry: MockConfigEntry
) -> None:
    """Tariff entries offer no options."""
    wall_connector_entry.add_to_hass(hass)
    amber_entry.add_to_hass(hass)
    assert wall_connector_entry.supports_options
    assert not amber_entry.supports_options


async def test_ignored_discovery_lists_without_options(
    hass: HomeAssistant,
    wall_connector_simulator: WallConnectorSimulator,
    hass_client: ClientSessionGenerator,
) -> None:
    """An ignored unit is stored with no kind; the integrations page still lists it."""
    assert await async_setup_component(hass, "config", {})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(wall_connector_simulator.host)
    )
    await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": WALL_CONNECTOR_SERIAL, "title": "Wall Connector"},
    )
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    (ignored,) = hass.config_entries.async_entries(DOMAIN, include_ignore=True)
    assert ignored.source == SOURCE_IGNORE
    assert result["type"] is FlowResultType.FORM

    client = await hass_client()
    response = await client.get("/api/config/config_entries/entry", params={"domain": DOMAIN})
    assert response.status == HTTPStatus.OK
    (listed,) = await response.json()
    assert listed["entry_id"] == ignored.entry_id
    assert listed["supports_options"] is False
