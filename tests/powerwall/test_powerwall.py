"""Powerwall gateways in Home Assistant: the real pypowerwall against the HTTPS simulator."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
import inspect
from pathlib import Path
import threading
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.tesla_energy_sync.clients.errors import ResponseError
from custom_components.tesla_energy_sync.clients.powerwall import PowerwallMode, PowerwallSnapshot
from custom_components.tesla_energy_sync.clients.powerwall_models import (
    MeterReading,
    app_to_raw_pct,
    build_snapshot,
    raw_to_app_pct,
)
from custom_components.tesla_energy_sync.const import (
    CONF_CLOUD,
    CONF_CONTROL,
    CONF_EMAIL,
    CONF_POLL_INTERVAL,
    CONF_POWERWALL_MODE,
    DOMAIN,
)
from custom_components.tesla_energy_sync.powerwall import views
from custom_components.tesla_energy_sync.powerwall.combined.coordinator import CombinedCoordinator
from custom_components.tesla_energy_sync.powerwall.combined.values import PowerwallCombined
from simulators.powerwall import PowerwallSimulator

from ..conftest import (
    DIN,
    DINS,
    EMAIL,
    PASSWORD,
    StartSim,
    gateway_state as state,
    powerwall_entry,
    setup_entry,
)
from ..helpers import advance, entity_id

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture
def entry(powerwall_simulator: PowerwallSimulator) -> MockConfigEntry:
    """A Powerwall entry for the simulated gateway."""
    return powerwall_entry(powerwall_simulator)


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every gateway entity at midday, snapshotted."""
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await setup_entry(hass, entry)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_values_follow_the_gateway(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    powerwall_simulator: PowerwallSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Power, levels and counters match the simulator, poll after poll."""
    sim = powerwall_simulator
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    for _ in range(3):
        flows = sim.flows()
        assert float(state(hass, "sensor", "site_power")) == pytest.approx(flows.site)
        assert float(state(hass, "sensor", "solar_power")) == pytest.approx(flows.solar)
        assert float(state(hass, "sensor", "battery_power")) == pytest.approx(flows.battery)
        assert float(state(hass, "sensor", "load_power")) == pytest.approx(flows.load)
        assert float(state(hass, "sensor", "battery_level")) == pytest.approx(
            raw_to_app_pct(sim.level_raw_pct), abs=0.01
        )
        assert float(state(hass, "sensor", "backup_reserve")) == pytest.approx(
            raw_to_app_pct(sim.reserve_raw_pct)
        )
        assert float(state(hass, "sensor", "site_energy_imported")) == pytest.approx(
            sim.counters.site_imported / 1000, abs=0.001
        )
        assert float(state(hass, "sensor", "battery_capacity")) == pytest.approx(
            sim.full_pack_wh / 1000
        )
        assert state(hass, "sensor", "operating_mode") == "self_consumption"
        assert state(hass, "sensor", "grid_state") == "up"
        assert state(hass, "binary_sensor", "grid_status") == "on"
        await advance(hass, freezer, 15)
    gateway = entry.runtime_data.gateway.gateway
    assert gateway.powerwalls_created == 1
    assert sim.login.attempts == 1


async def test_outage_and_recovery(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    powerwall_simulator: PowerwallSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A grid outage turns grid status off; a gateway that stops answering is unavailable."""
    sim = powerwall_simulator
    await setup_entry(hass, entry)
    sim.start_outage()
    await advance(hass, freezer, 15)
    assert state(hass, "binary_sensor", "grid_status") == "off"
    assert state(hass, "sensor", "grid_state") == "down"
    assert float(state(hass, "sensor", "site_power")) == 0
    sim.end_outage()
    await advance(hass, freezer, 15)
    assert state(hass, "binary_sensor", "grid_status") == "on"

    sim.fault = "offline"
    await advance(hass, freezer, 15)
    assert state(hass, "binary_sensor", "grid_status") == STATE_UNAVAILABLE
    assert state(hass, "sensor", "battery_level") == STATE_UNAVAILABLE
    sim.fault = None
    await advance(hass, freezer, 30)
    assert state(hass, "sensor", "grid_state") == "up"
    assert state(hass, "sensor", "battery_level") != STATE_UNAVAILABLE


async def test_poll_interval_option(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The poll interval option sets how often the gateway is read."""
    sim = powerwall_simulator
    entry = powerwall_entry(sim, options={CONF_POLL_INTERVAL: 5})
    await setup_entry(hass, entry)
    before = sim.request_count
    await advance(hass, freezer, 5)
    assert sim.request_count > before


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """A refused password fails set-up with a reauth flow, after one login attempt."""
    entry = powerwall_entry(powerwall_simulator, password="wrong")
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert powerwall_simulator.login.attempts == 1


async def test_unreachable_is_not_ready(hass: HomeAssistant, start_sim: StartSim) -> None:
    """A gateway that does not answer leaves the entry to retry."""
    sim = await start_sim(din=DIN)
    sim.fault = "offline"
    entry = powerwall_entry(sim)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_unload_closes_the_gateway(
    hass: HomeAssistant, entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Unloading closes pypowerwall's connections; the login cookie stays for the next start."""
    await setup_entry(hass, entry)
    gateway = entry.runtime_data.gateway.gateway
    assert gateway.storage_dir == Path(
        hass.config.path(".storage", DOMAIN, "powerwall", entry.entry_id)
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert gateway.powerwall is None
    assert gateway.cache_file.exists()


@pytest.mark.usefixtures("frozen")  # before the client's token is issued
async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics hold the snapshot without the DIN, the address, the login or the site name."""
    await setup_entry(hass, entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = str(diagnostics)
    for secret in (DIN, PASSWORD, EMAIL, entry.data[CONF_HOST], "Simulated Home"):
        assert secret not in text
    assert diagnostics == snapshot(exclude=props("created_at", "modified_at", "entry_id"))


# Config flow


def _flow_dirs(storage: str) -> list[Path]:
    return list(Path(storage).glob("flow_*"))


async def _start_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "powerwall"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "powerwall"
    return str(result["flow_id"])


def _form(sim: PowerwallSimulator, password: str = PASSWORD) -> dict[str, Any]:
    return {
        CONF_HOST: sim.host,
        CONF_POWERWALL_MODE: "local",
        CONF_EMAIL: EMAIL,
        CONF_PASSWORD: password,
    }


async def test_flow_creates_entry(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """Host and customer login make an entry identified by the DIN; a second is refused."""
    sim = powerwall_simulator
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        flow_id = await _start_flow(hass)
        result = await hass.config_entries.flow.async_configure(flow_id, _form(sim))
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == "Simulated Home"
        assert result["result"].unique_id == DIN
        assert result["data"][CONF_HOST] == sim.host
        flow_id = await _start_flow(hass)
        result = await hass.config_entries.flow.async_configure(flow_id, _form(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    # The flow's own cookie directory is gone.
    assert not _flow_dirs(hass.config.path(".storage", DOMAIN, "powerwall"))


@pytest.mark.parametrize(
    ("fault", "password", "error"),
    [
        (None, "wrong", "invalid_auth"),
        ("offline", PASSWORD, "cannot_connect"),
        ("locked", PASSWORD, "rate_limited"),
        ("sitemaster_stopped", PASSWORD, "cannot_connect"),
        ("server_error", PASSWORD, "cannot_connect"),
    ],
)
async def test_flow_errors(
    hass: HomeAssistant,
    powerwall_simulator: PowerwallSimulator,
    fault: str | None,
    password: str,
    error: str,
) -> None:
    """A wrong password, an unreachable gateway and a lock-out are told apart."""
    sim = powerwall_simulator
    if fault == "locked":
        sim.lock_out()
    else:
        sim.fault = fault
    flow_id = await _start_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, _form(sim, password))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    sim.fault = None
    sim.login.locked_until = None
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(flow_id, _form(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_flow_unexpected_answer(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """An answer the client cannot use is an invalid response (logged at debug level)."""
    flow_id = await _start_flow(hass)
    with patch(
        "custom_components.tesla_energy_sync.clients.powerwall.PowerwallGateway.read",
        side_effect=ResponseError("no usable aggregates"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, _form(powerwall_simulator))
    assert result["errors"] == {"base": "invalid_response"}


async def test_flow_without_din(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """A gateway that does not say its DIN cannot be added."""
    flow_id = await _start_flow(hass)
    with patch.object(powerwall_simulator, "status", return_value={"version": "24.44.1"}):
        result = await hass.config_entries.flow.async_configure(flow_id, _form(powerwall_simulator))
    assert result["errors"] == {"base": "no_din"}


async def test_reauth(hass: HomeAssistant, powerwall_simulator: PowerwallSimulator) -> None:
    """Reauth takes a new password, refuses a wrong one, and reloads the entry."""
    sim = powerwall_simulator
    entry = powerwall_entry(sim, password="old")
    await setup_entry(hass, entry)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "powerwall_reauth"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_EMAIL: EMAIL, CONF_PASSWORD: "still wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_EMAIL: EMAIL, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_PASSWORD] == PASSWORD
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_other_gateway(hass: HomeAssistant, start_sim: StartSim) -> None:
    """Reauth refuses credentials that reach another gateway."""
    sim = await start_sim(din=DIN)
    entry = powerwall_entry(sim, password="old")
    await setup_entry(hass, entry)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    other = await start_sim(din="1232100-00-E--TG129999999999")
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: other.host})
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: PASSWORD}
    )
    assert result["errors"] == {"base": "wrong_gateway"}


async def test_reconfigure(hass: HomeAssistant, start_sim: StartSim) -> None:
    """Reconfigure moves the entry to a new address of the same gateway, never another one."""
    sim = await start_sim(din=DIN)
    entry = powerwall_entry(sim)
    await setup_entry(hass, entry)
    moved = await start_sim(din=DIN)
    other = await start_sim(din="1232100-00-E--TG129999999999")

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(other) | {CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(other))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_gateway"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(moved))
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_HOST] == moved.host
    assert entry.state is ConfigEntryState.LOADED


async def test_options(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The poll interval can be set down to 5 s; saving reloads the entry."""
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "powerwall"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_POLL_INTERVAL: 5, CONF_CONTROL: True, CONF_CLOUD: {}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_POLL_INTERVAL: 5, CONF_CONTROL: True}
    assert entity_id(hass, "number", f"{DIN}_backup_reserve")
    coordinator = entry.runtime_data.gateway
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == 5


# Control


async def test_no_control_by_default(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Without the control option there is nothing to change the gateway with."""
    await setup_entry(hass, entry)
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("number", DOMAIN, f"{DIN}_backup_reserve") is None
    assert registry.async_get_entity_id("select", DOMAIN, f"{DIN}_operating_mode") is None


async def test_control(hass: HomeAssistant, powerwall_simulator: PowerwallSimulator) -> None:
    """With control on, the reserve and the mode are written and read back."""
    sim = powerwall_simulator
    entry = powerwall_entry(sim, options={CONF_CONTROL: True})
    await setup_entry(hass, entry)
    number = entity_id(hass, "number", f"{DIN}_backup_reserve")
    select = entity_id(hass, "select", f"{DIN}_operating_mode")
    assert state(hass, "number", "backup_reserve") == "20.0"
    assert state(hass, "select", "operating_mode") == "self_consumption"

    await hass.services.async_call(
        "number", "set_value", {"entity_id": number, "value": 50}, blocking=True
    )
    await hass.async_block_till_done()
    assert sim.reserve_raw_pct == pytest.approx(app_to_raw_pct(50))
    assert state(hass, "number", "backup_reserve") == "50.0"
    assert state(hass, "sensor", "backup_reserve") == "50.0"

    await hass.services.async_call(
        "select", "select_option", {"entity_id": select, "option": "backup"}, blocking=True
    )
    await hass.async_block_till_done()
    assert sim.mode == "backup"
    assert state(hass, "select", "operating_mode") == "backup"


async def test_control_refused(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """A gateway that refuses the customer role's writes gives a translated error."""
    sim = powerwall_simulator
    sim.operation_writable = False
    entry = powerwall_entry(sim, options={CONF_CONTROL: True})
    await setup_entry(hass, entry)
    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": entity_id(hass, "number", f"{DIN}_backup_reserve"), "value": 80},
            blocking=True,
        )
    assert refused.value.translation_key == "powerwall_refused_locally"
    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": entity_id(hass, "select", f"{DIN}_operating_mode"), "option": "backup"},
            blocking=True,
        )
    assert refused.value.translation_key == "powerwall_refused_locally"
    assert sim.mode == "self_consumption"
    assert sim.reserve_raw_pct == 24.0


async def test_control_rate_limited(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """A gateway that rate limits us gives the other translated error."""
    sim = powerwall_simulator
    entry = powerwall_entry(sim, options={CONF_CONTROL: True})
    await setup_entry(hass, entry)
    sim.fault = "rate_limited"
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": entity_id(hass, "number", f"{DIN}_backup_reserve"), "value": 80},
            blocking=True,
        )
    assert failed.value.translation_key == "powerwall_command_failed"


# Proxy-compatible views


@pytest.mark.usefixtures("frozen")  # before the client's token is issued
async def test_proxy_views(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    start_sim: StartSim,
) -> None:
    """Per gateway and combined, the views answer like the pypowerwall proxy, behind auth."""
    assert await async_setup_component(hass, "http", {})
    sims = [await start_sim(din=din, batteries=index + 1) for index, din in enumerate(DINS[:2])]
    base = f"/api/{DOMAIN}/powerwall"

    async def get(path: str) -> Any:
        response = await client.get(f"{base}/{path}")
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        return await response.json()

    await setup_entry(hass, powerwall_entry(sims[0]))
    # The test client freezes the router; Home Assistant's own server allows late routes.
    client = await hass_client()
    assert await get("combined/aggregates") is None
    await setup_entry(hass, powerwall_entry(sims[1]))

    flows = [sim.flows() for sim in sims]
    aggregates = await get(f"{DINS[0]}/aggregates")
    assert aggregates["site"]["instant_power"] == pytest.approx(flows[0].site)
    assert aggregates["solar"]["energy_exported"] == pytest.approx(sims[0].counters.solar_exported)
    assert (await get(f"{DINS[0]}/soe"))["percentage"] == pytest.approx(sims[0].level_raw_pct)
    assert await get(f"{DINS[0]}/alerts") == ["SystemConnectedToGrid"]
    # Firmware 23.44+ has no vitals on the customer API; strings come from solar_powerwall.
    assert await get(f"{DINS[0]}/vitals") is None
    strings = await get(f"{DINS[0]}/strings")
    assert set(strings) == {"A", "B"}
    assert all(string["Connected"] for string in strings.values())
    assert await get("TG000/aggregates") is None

    combined = await get("combined/aggregates")
    assert combined["load"]["instant_power"] == pytest.approx(
        sum(flow.load for flow in flows), abs=0.2
    )
    assert combined["site"]["energy_imported"] == pytest.approx(
        sum(sim.counters.site_imported for sim in sims)
    )
    capacity = sum(sim.full_pack_wh for sim in sims)
    assert (await get("combined/soe"))["percentage"] == pytest.approx(
        sum(sim.level_raw_pct * sim.full_pack_wh for sim in sims) / capacity, abs=0.01
    )
    assert await get("combined/alerts") == ["SystemConnectedToGrid"]
    assert await get("combined/vitals") is None
    assert set(await get("combined/strings")) == {
        f"{din}/{name}" for din in DINS[:2] for name in "AB"
    }

    sims[1].fault = "offline"
    await hass.config_entries.async_reload(hass.config_entries.async_entries(DOMAIN)[1].entry_id)
    await hass.async_block_till_done()
    assert await get(f"{DINS[1]}/aggregates") is None
    assert await get("combined/aggregates") is None
    assert await get("combined/alerts") is None

    assert (await client.get(f"{base}/combined/temps")).status == 404
    anonymous = await hass_client_no_auth()
    assert (await anonymous.get(f"{base}/combined/aggregates")).status == 401


def _snapshot(**fields: Any) -> PowerwallSnapshot:
    base = build_snapshot(
        PowerwallMode.LOCAL,
        status=None,
        site_name=None,
        aggregates={meter: {"instant_power": 100.0} for meter in ("site", "solar")},
        soe=None,
        operation=None,
        grid_status=None,
        system_status=None,
        time_remaining=None,
        alerts=None,
    )
    assert base is not None
    return replace(base, **fields)


async def test_combined_with_partial_gateways(hass: HomeAssistant) -> None:
    """A gateway without a level, a capacity, a meter or counters leaves those combined unknown."""
    members = [
        SimpleNamespace(data=_snapshot(), last_update_success=True),
        SimpleNamespace(data=_snapshot(), last_update_success=True),
    ]
    combined = PowerwallCombined({str(index): member for index, member in enumerate(members)})  # type: ignore[misc]
    assert combined.power_w("site") == 200.0
    assert combined.power_w("battery") is None
    assert combined.battery_level_pct() is None
    assert combined.capacity_wh() is None
    members[1].data = _snapshot(battery_level_pct=50.0, nominal_full_pack_energy_wh=0.0)
    members[0].data = members[1].data
    assert combined.battery_level_pct() is None
    members[1].last_update_success = False
    assert combined.power_w("site") is None
    assert combined.battery_level_pct() is None
    assert combined.capacity_wh() is None
    assert not combined.available
    # A counter that goes back (a replaced meter) is a new baseline, not a negative step.
    counting = CombinedCoordinator(hass)
    meter = MeterReading(0.0, 1000.0, None)
    counting._accumulate("a", _snapshot(site=meter))
    counting._accumulate("a", _snapshot(site=replace(meter, energy_imported_wh=1500.0)))
    counting._accumulate("a", _snapshot(site=replace(meter, energy_imported_wh=100.0)))
    counting._accumulate("a", _snapshot(site=replace(meter, energy_imported_wh=150.0)))
    assert counting.energy_wh == {"site_imported": 550.0}
    # A restored value is taken once, added to what was counted before the entity restored it.
    counting.restore("site_imported", 10_000.0)
    counting.restore("site_imported", 99_999.0)
    counting.restore("load_imported", float("nan"))
    counting.restore("load_imported", 5.0)
    assert counting.energy_wh == {"site_imported": 10_550.0}


def test_combined_vitals_and_strings() -> None:
    """Vitals merge by device serial; strings are told apart by their gateway."""
    tedapi = _snapshot(din="TG1", vitals={"TEPOD--1": {"x": 1}}, strings={"A": {"Power": 1.0}})
    customer = _snapshot(din=None)

    def of(*snapshots: PowerwallSnapshot) -> Any:
        return SimpleNamespace(complete=list(snapshots) if snapshots else None)

    assert views._combined_vitals(of()) is None
    assert views._combined_vitals(of(customer, customer)) is None
    assert views._combined_strings(of(customer, customer)) is None
    assert views._combined_vitals(of(tedapi, customer)) == {"TEPOD--1": {"x": 1}}
    assert views._combined_strings(of(customer, tedapi, replace(tedapi, din=None))) == {
        "TG1/A": {"Power": 1.0},
        "2/A": {"Power": 1.0},
    }


async def test_no_pypowerwall_call_in_the_event_loop(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Set-up, polls, control, reload and unload call pypowerwall only from executor threads."""
    import pypowerwall

    in_loop: list[str] = []
    seen: set[str] = set()
    loop_thread = threading.get_ident()

    def watch(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any, **kwargs: Any) -> Any:
            seen.add(name)
            if threading.get_ident() == loop_thread:
                in_loop.append(name)
            return original(*args, **kwargs)

        return watched

    names = [
        name
        for name, value in vars(pypowerwall.Powerwall).items()
        if inspect.isfunction(value) and not name.startswith("__")
    ] + ["__init__"]
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(
                patch.object(
                    pypowerwall.Powerwall, name, watch(name, getattr(pypowerwall.Powerwall, name))
                )
            )
        entry = powerwall_entry(powerwall_simulator, options={CONF_CONTROL: True})
        await setup_entry(hass, entry)
        await advance(hass, freezer, 15)
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": entity_id(hass, "number", f"{DIN}_backup_reserve"), "value": 40},
            blocking=True,
        )
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert powerwall_simulator.reserve_raw_pct == pytest.approx(app_to_raw_pct(40))
    assert {"__init__", "poll", "level", "set_reserve"} <= seen
    assert in_loop == []
