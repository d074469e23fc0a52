"""Powerwall control through the Tesla cloud, and the control services.

The gateway simulator stands for the house and the Tesla energy simulator for the cloud;
a command the cloud accepts reaches the gateway the way Tesla pushes it (on_change).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN, STATE_OFF, STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_energy_sync.clients.powerwall_models import app_to_raw_pct
from custom_components.tesla_energy_sync.const import (
    CLOUD_SETTINGS_INTERVAL,
    CONF_BASE_URL,
    CONF_CLOUD,
    CONF_CONTROL,
    CONF_ENERGY_SITE_ID,
    CONF_POLL_INTERVAL,
    DOMAIN,
)
from simulators.powerwall import PowerwallSimulator
from simulators.tesla_energy import TeslaEnergySimulator, energy_site

from ..conftest import (
    DIN,
    TESLA_TOKEN,
    StartSim,
    gateway_state as state,
    powerwall_entry,
    setup_entry,
)
from ..helpers import advance, entity_id

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

GATEWAY_SITE_ID = 3000000000000001
OTHER_DIN = "1232100-00-E--TG121000000002"


@pytest.fixture
async def cloud(
    socket_enabled: None, powerwall_simulator: PowerwallSimulator
) -> AsyncGenerator[TeslaEnergySimulator]:
    """Run the Tesla cloud with the gateway's energy site, passing changes to the gateway."""
    simulator = TeslaEnergySimulator(
        tokens=(TESLA_TOKEN,), sites=[energy_site(GATEWAY_SITE_ID, "Sim Home", DIN)]
    )
    simulator.on_change = powerwall_simulator.apply_cloud
    await simulator.start()
    yield simulator
    await simulator.stop()


def cloud_options(cloud: TeslaEnergySimulator, **extra: Any) -> dict[str, Any]:
    """Return the options of an entry with control through the simulated cloud."""
    return {
        CONF_CONTROL: True,
        CONF_ACCESS_TOKEN: TESLA_TOKEN,
        CONF_BASE_URL: cloud.base_url,
        CONF_ENERGY_SITE_ID: GATEWAY_SITE_ID,
        **extra,
    }


@pytest.fixture
async def cloud_entry(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, cloud: TeslaEnergySimulator
) -> MockConfigEntry:
    """A loaded gateway entry with control through the cloud."""
    entry = powerwall_entry(powerwall_simulator, options=cloud_options(cloud))
    await setup_entry(hass, entry)
    return entry


async def call(hass: HomeAssistant, service: str, **data: Any) -> None:
    """Call one of our services and wait for it."""
    await hass.services.async_call(DOMAIN, service, data, blocking=True)


# Options


async def test_options_find_the_gateway_site(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, cloud: TeslaEnergySimulator
) -> None:
    """A token is checked against the cloud, which must hold this very gateway."""
    other_site = energy_site(GATEWAY_SITE_ID + 1, "Elsewhere", OTHER_DIN)
    cloud.sites.insert(0, other_site)
    entry = powerwall_entry(powerwall_simulator)
    await setup_entry(hass, entry)

    async def submit(token: str, base_url: str) -> dict[str, Any]:
        result = await hass.config_entries.options.async_init(entry.entry_id)
        return dict(
            await hass.config_entries.options.async_configure(
                result["flow_id"],
                {
                    CONF_POLL_INTERVAL: 15,
                    CONF_CONTROL: True,
                    CONF_CLOUD: {CONF_ACCESS_TOKEN: token, CONF_BASE_URL: base_url},
                },
            )
        )

    result = await submit("wrong", cloud.base_url)
    assert result["errors"] == {"base": "invalid_auth"}
    result = await submit(TESLA_TOKEN, "http://127.0.0.1:9")
    assert result["errors"] == {"base": "cannot_connect"}
    cloud.sites.pop()
    result = await submit(TESLA_TOKEN, cloud.base_url)
    assert result["errors"] == {"base": "gateway_not_on_account"}
    cloud.sites.remove(other_site)
    result = await submit(TESLA_TOKEN, cloud.base_url)
    assert result["errors"] == {"base": "no_energy_sites"}

    cloud.sites[:] = [other_site, energy_site(GATEWAY_SITE_ID, "Sim Home", DIN.lower())]
    result = await submit(TESLA_TOKEN, cloud.base_url)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_POLL_INTERVAL: 15, **cloud_options(cloud)}
    assert entry.state is ConfigEntryState.LOADED
    assert state(hass, "switch", "grid_charging") == STATE_OFF

    # The form never shows the stored token; left empty, the token is kept.
    form = await hass.config_entries.options.async_init(entry.entry_id)
    assert form["data_schema"] is not None
    cloud_fields = form["data_schema"].schema[CONF_CLOUD].schema.schema
    shown = [(key.description or {}).get("suggested_value") for key in cloud_fields]
    shown += [key.default() for key in cloud_fields if callable(key.default)]
    assert TESLA_TOKEN not in shown
    assert cloud.base_url in shown
    result = await submit("", cloud.base_url)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_POLL_INTERVAL: 15, **cloud_options(cloud)}
    # A new URL with the token left empty: the stored token is checked against it.
    result = await submit("", "http://127.0.0.1:9")
    assert result["errors"] == {"base": "cannot_connect"}

    # "Forget" takes the cloud away again (and its entities with it).
    form = await hass.config_entries.options.async_init(entry.entry_id)
    form = await hass.config_entries.options.async_configure(
        form["flow_id"],
        {
            CONF_POLL_INTERVAL: 15,
            CONF_CONTROL: True,
            CONF_CLOUD: {CONF_BASE_URL: cloud.base_url, "forget": True},
        },
    )
    assert form["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_POLL_INTERVAL: 15, CONF_CONTROL: True}
    assert state(hass, "switch", "grid_charging") == STATE_UNAVAILABLE


# Entities


@pytest.mark.parametrize("platform", [Platform.NUMBER, Platform.SELECT, Platform.SWITCH])
async def test_control_entity_snapshots(
    hass: HomeAssistant,
    powerwall_simulator: PowerwallSimulator,
    cloud: TeslaEnergySimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Reserve, mode, export rule and grid charging with control through the cloud."""
    entry = powerwall_entry(powerwall_simulator, options=cloud_options(cloud))
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await setup_entry(hass, entry)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("cloud_entry")
async def test_cloud_control_entities(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, cloud: TeslaEnergySimulator
) -> None:
    """Every setting goes through the cloud, is read back, and reaches the gateway."""
    site = cloud.site(GATEWAY_SITE_ID)
    assert state(hass, "switch", "grid_charging") == STATE_OFF
    assert state(hass, "select", "export_rule") == "pv_only"

    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": entity_id(hass, "number", f"{DIN}_backup_reserve"), "value": 35},
        blocking=True,
    )
    assert cloud.commands[-1] == ("backup", GATEWAY_SITE_ID, {"backup_reserve_percent": 35})
    assert powerwall_simulator.reserve_raw_pct == pytest.approx(app_to_raw_pct(35))
    assert state(hass, "number", "backup_reserve") == "35.0"

    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": entity_id(hass, "select", f"{DIN}_operating_mode"), "option": "autonomous"},
        blocking=True,
    )
    assert site["default_real_mode"] == "autonomous"
    assert powerwall_simulator.mode == "autonomous"
    assert state(hass, "select", "operating_mode") == "autonomous"

    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": entity_id(hass, "switch", f"{DIN}_grid_charging")},
        blocking=True,
    )
    assert site["disallow_charge_from_grid_with_solar_installed"] is False
    assert state(hass, "switch", "grid_charging") == STATE_ON

    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": entity_id(hass, "select", f"{DIN}_export_rule"), "option": "battery_ok"},
        blocking=True,
    )
    assert site["customer_preferred_export_rule"] == "battery_ok"
    assert state(hass, "select", "export_rule") == "battery_ok"
    # Nothing went to the gateway itself: it would refuse the customer login.
    assert powerwall_simulator.posts == []


@pytest.mark.usefixtures("cloud_entry")
async def test_reserve_the_cloud_keeps_is_an_error(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, cloud: TeslaEnergySimulator
) -> None:
    """An "Updated" answer that left the reserve at 80 % is reported, not believed."""
    with pytest.raises(HomeAssistantError) as refused:
        await call(hass, "set_backup_reserve", percent=90)
    assert refused.value.translation_key == "powerwall_refused"
    assert refused.value.translation_placeholders is not None
    assert "80 %" in refused.value.translation_placeholders["error"]
    assert cloud.site(GATEWAY_SITE_ID)["backup_reserve_percent"] == 80
    await call(hass, "set_backup_reserve", percent=100)
    assert powerwall_simulator.reserve_raw_pct == pytest.approx(100)


@pytest.mark.usefixtures("cloud_entry")
async def test_cloud_refusals_are_translated(
    hass: HomeAssistant, cloud: TeslaEnergySimulator
) -> None:
    """A failing code, a server error and a refused token each give their own message."""
    cloud.command_answer = {"response": {"code": 409, "message": "site busy"}}
    with pytest.raises(HomeAssistantError) as failed:
        await call(hass, "set_grid_export", rule="never")
    assert failed.value.translation_key == "powerwall_refused"
    cloud.command_answer = None

    cloud.fault = "server_error"
    with pytest.raises(HomeAssistantError) as failed:
        await call(hass, "set_operating_mode", mode="backup")
    assert failed.value.translation_key == "powerwall_command_failed"
    cloud.fault = None

    cloud.tokens.clear()
    with pytest.raises(HomeAssistantError) as failed:
        await call(hass, "set_grid_charging", enabled=True)
    assert failed.value.translation_key == "powerwall_cloud_auth"


async def test_refused_token_raises_a_repair_and_keeps_the_gateway(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cloud_entry: MockConfigEntry,
    cloud: TeslaEnergySimulator,
) -> None:
    """The cloud half goes unavailable with a repair issue; the gateway half stays."""
    issue_id = f"powerwall_cloud_auth_{cloud_entry.entry_id}"
    cloud.tokens.clear()
    await advance(hass, freezer, CLOUD_SETTINGS_INTERVAL.total_seconds())
    assert state(hass, "switch", "grid_charging") == STATE_UNAVAILABLE
    assert state(hass, "sensor", "battery_level") != STATE_UNAVAILABLE
    assert cloud_entry.state is ConfigEntryState.LOADED
    assert not list(cloud_entry.async_get_active_flows(hass, {"reauth"}))
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    cloud.tokens.add(TESLA_TOKEN)
    await advance(hass, freezer, CLOUD_SETTINGS_INTERVAL.total_seconds())
    assert state(hass, "switch", "grid_charging") == STATE_OFF
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_cloud_down_at_start_does_not_hold_the_gateway(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, cloud: TeslaEnergySimulator
) -> None:
    """The local readings load while the cloud is unreachable."""
    cloud.fault = "server_error"
    entry = powerwall_entry(powerwall_simulator, options=cloud_options(cloud))
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert state(hass, "sensor", "battery_level") != STATE_UNAVAILABLE
    assert state(hass, "select", "export_rule") == STATE_UNAVAILABLE


# Services


async def test_services_without_cloud(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """Reserve and mode go to the gateway; grid settings need the cloud, and say so."""
    entry = powerwall_entry(powerwall_simulator, options={CONF_CONTROL: True})
    await setup_entry(hass, entry)
    await call(hass, "set_backup_reserve", percent=45)
    await call(hass, "set_operating_mode", mode="backup")
    assert powerwall_simulator.reserve_raw_pct == pytest.approx(app_to_raw_pct(45))
    assert powerwall_simulator.mode == "backup"
    assert state(hass, "sensor", "backup_reserve") == "45.0"

    for service, data in (
        ("set_grid_charging", {"enabled": True}),
        ("set_grid_export", {"rule": "never"}),
    ):
        with pytest.raises(ServiceValidationError) as invalid:
            await call(hass, service, **data)
        assert invalid.value.translation_key == "powerwall_cloud_required"

    powerwall_simulator.operation_writable = False  # what current firmware answers
    with pytest.raises(HomeAssistantError) as refused:
        await call(hass, "set_backup_reserve", percent=60)
    assert refused.value.translation_key == "powerwall_refused_locally"


async def test_services_need_control_and_one_entry(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    """Control off, no gateway, several gateways: each is a clear validation error."""
    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "set_backup_reserve", percent=40)
    assert invalid.value.translation_key == "no_powerwall_entry"

    first = await start_sim(din=DIN, batteries=2)
    second = await start_sim(din=OTHER_DIN, batteries=1)
    controlled = powerwall_entry(first, options={CONF_CONTROL: True})
    uncontrolled = powerwall_entry(second)
    await setup_entry(hass, controlled)
    await setup_entry(hass, uncontrolled)

    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "set_backup_reserve", percent=40)
    assert invalid.value.translation_key == "several_powerwall_entries"
    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "set_backup_reserve", percent=40, config_entry_id=uncontrolled.entry_id)
    assert invalid.value.translation_key == "powerwall_control_disabled"
    assert second.posts == []

    await call(hass, "set_backup_reserve", percent=40, config_entry_id=controlled.entry_id)
    assert first.reserve_raw_pct == pytest.approx(app_to_raw_pct(40))

    await hass.config_entries.async_unload(controlled.entry_id)
    with pytest.raises(ServiceValidationError) as invalid:
        await call(hass, "set_backup_reserve", percent=40, config_entry_id=controlled.entry_id)
    assert invalid.value.translation_key == "service_config_entry_not_loaded"
