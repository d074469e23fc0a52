"""What Home Assistant's own powerwall integration shows, here too: packs, meters, flags, off-grid.

Every value is checked against the simulator's model of the gateway, through the real
pypowerwall and Home Assistant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.tesla_energy_sync.clients.powerwall import (
    PackGridState,
    PowerwallCredentials,
    PowerwallGateway,
    PowerwallMode,
)
from custom_components.tesla_energy_sync.const import CONF_CONTROL, DOMAIN
from custom_components.tesla_energy_sync.powerwall.control import PowerwallControl
from custom_components.tesla_energy_sync.powerwall.packs import PACK_SENSORS
from simulators.powerwall import PowerwallSimulator

from ..conftest import DIN, PASSWORD, gateway_state as state, powerwall_entry, setup_entry
from ..helpers import advance, entity_id

INTEGRATION = Path(__file__).parents[2] / "custom_components" / DOMAIN
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def pack_state(hass: HomeAssistant, serial: str, key: str) -> str:
    """Return the state of one pack entity."""
    found = hass.states.get(entity_id(hass, "sensor", f"{DIN}_{serial}_{key}"))
    assert found is not None
    return found.state


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_packs_follow_the_gateway(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """One device per Powerwall behind the gateway, each with the block's readings."""
    sim = powerwall_simulator
    entry = powerwall_entry(sim)
    await setup_entry(hass, entry)
    devices = dr.async_get(hass)
    gateway = devices.async_get_device_by_identifier((DOMAIN, DIN), entry.entry_id)
    assert gateway is not None
    for _ in range(2):
        flows = sim.flows()
        share = sim.energy_wh / sim.full_pack_wh
        for index, full in enumerate(sim.block_full_wh):
            serial = sim.pack_serial(index)
            device = devices.async_get_device_by_identifier(
                (DOMAIN, f"{DIN}_{serial}"), entry.entry_id
            )
            assert device is not None
            assert device.via_device_id == gateway.id
            assert (device.serial_number, device.model_id) == (serial, "2012170-25-E")
            assert float(pack_state(hass, serial, "pack_capacity")) == pytest.approx(
                round(full) / 1000
            )
            assert float(pack_state(hass, serial, "pack_energy_remaining")) == pytest.approx(
                round(full * share) / 1000
            )
            assert float(pack_state(hass, serial, "pack_power")) == round(flows.battery / 2)
            assert float(pack_state(hass, serial, "pack_voltage")) == 243.7
            assert float(pack_state(hass, serial, "pack_frequency")) == 60.008
            assert float(pack_state(hass, serial, "pack_current")) == round(
                flows.battery / 2 / 243.7, 1
            )
            assert float(pack_state(hass, serial, "pack_energy_charged")) == pytest.approx(
                round(sim.counters.battery_imported / 2) / 1000
            )
            assert float(pack_state(hass, serial, "pack_energy_discharged")) == pytest.approx(
                round(sim.counters.battery_exported / 2) / 1000
            )
            assert pack_state(hass, serial, "pack_grid_state") == "grid_compliant"
        await advance(hass, freezer, 15)
    sim.start_outage()
    await advance(hass, freezer, 15)
    assert pack_state(hass, sim.pack_serial(0), "pack_grid_state") == "grid_uncompliant"


@pytest.mark.usefixtures("frozen")  # before the websocket's token is issued
async def test_packs_come_and_go(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    powerwall_simulator: PowerwallSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A pack seen later gets its entities; one no longer reported is unavailable, then removable."""
    sim = powerwall_simulator
    real = sim.system_status

    def first_block_only() -> dict[str, Any]:
        answer = real()
        return {**answer, "battery_blocks": answer["battery_blocks"][:1]}

    entry = powerwall_entry(sim)
    with patch.object(sim, "system_status", first_block_only):
        await setup_entry(hass, entry)
    second = sim.pack_serial(1)
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{DIN}_{second}_pack_power") is None
    await advance(hass, freezer, 15)
    assert float(pack_state(hass, second, "pack_power")) == round(sim.flows().battery / 2)

    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier((DOMAIN, f"{DIN}_{second}"), entry.entry_id)
    gateway = devices.async_get_device_by_identifier((DOMAIN, DIN), entry.entry_id)
    assert device is not None
    assert gateway is not None
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)

    async def remove(device_id: str) -> bool:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry.entry_id,
                "device_id": device_id,
            }
        )
        return bool((await client.receive_json())["success"])

    assert not await remove(device.id)  # still reported
    with patch.object(sim, "system_status", first_block_only):
        await advance(hass, freezer, 15)
        assert pack_state(hass, second, "pack_power") == STATE_UNAVAILABLE
        assert pack_state(hass, sim.pack_serial(0), "pack_power") != STATE_UNAVAILABLE
        assert not await remove(gateway.id)
        assert await remove(device.id)
    assert devices.async_get(device.id) is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_meters_and_flags(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Meter frequency, voltage and current; running, Tesla, grid services and charging."""
    sim = powerwall_simulator
    await setup_entry(hass, powerwall_entry(sim))
    flows = sim.flows()
    assert float(state(hass, "sensor", "battery_frequency")) == 60.019
    assert float(state(hass, "sensor", "solar_voltage")) == 243.8
    assert float(state(hass, "sensor", "load_current")) == pytest.approx(
        flows.load / 240.1, abs=0.001
    )
    assert float(state(hass, "sensor", "site_frequency")) == 0
    assert float(state(hass, "sensor", "max_charge_power")) == 10.0  # kW, two Powerwalls
    # Midday: the sun charges the battery.
    assert flows.battery < -50
    assert state(hass, "binary_sensor", "battery_charging") == STATE_ON
    assert state(hass, "binary_sensor", "running") == STATE_ON
    assert state(hass, "binary_sensor", "connected_to_tesla") == STATE_ON
    assert state(hass, "binary_sensor", "grid_services_active") == STATE_OFF

    sim.connected_to_tesla = False
    sim.grid_services_active = True
    freezer.move_to("2026-11-24T03:00:00+00:00")  # 19:00 at the site: the battery covers the peak
    await advance(hass, freezer, 15)
    assert sim.flows().battery > 0
    assert state(hass, "binary_sensor", "battery_charging") == STATE_OFF
    assert state(hass, "binary_sensor", "connected_to_tesla") == STATE_OFF
    assert state(hass, "binary_sensor", "grid_services_active") == STATE_ON


async def test_meter_readings_are_disabled_by_default(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """As in core, a meter's frequency, voltage and current start disabled."""
    await setup_entry(hass, powerwall_entry(powerwall_simulator))
    registry = er.async_get(hass)
    for key in ("site_frequency", "solar_voltage", "load_current"):
        registered = registry.async_get(entity_id(hass, "sensor", f"{DIN}_{key}"))
        assert registered is not None
        assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_no_flags_the_gateway_does_not_report(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """A gateway without /api/sitemaster (a Powerwall 3 on the LAN) gets no running sensor."""
    sim = powerwall_simulator
    real = sim.body

    def no_sitemaster(path: str) -> dict[str, Any] | None:
        return None if path == "/api/sitemaster" else real(path)

    with patch.object(sim, "body", no_sitemaster):
        await setup_entry(hass, powerwall_entry(sim))
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("binary_sensor", DOMAIN, f"{DIN}_running") is None
    assert (
        registry.async_get_entity_id("binary_sensor", DOMAIN, f"{DIN}_connected_to_tesla") is None
    )
    assert entity_id(hass, "binary_sensor", f"{DIN}_grid_services_active")


async def _switch(hass: HomeAssistant, on: bool) -> None:
    await hass.services.async_call(
        "switch",
        "turn_on" if on else "turn_off",
        {"entity_id": entity_id(hass, "switch", f"{DIN}_off_grid_operation")},
        blocking=True,
    )


async def test_off_grid_switch(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """With control on, the switch islands the site and brings it back, as core's does."""
    sim = powerwall_simulator
    await setup_entry(hass, powerwall_entry(sim, options={CONF_CONTROL: True}))
    assert state(hass, "switch", "off_grid_operation") == STATE_OFF
    await _switch(hass, True)
    assert sim.posts[-1] == {"island_mode": "intentional_reconnect_failsafe"}
    assert sim.grid_state == "SystemIslandedActive"
    assert state(hass, "switch", "off_grid_operation") == STATE_ON
    assert state(hass, "binary_sensor", "grid_status") == STATE_OFF
    assert float(state(hass, "sensor", "site_power")) == 0
    await _switch(hass, False)
    assert sim.grid_state == "SystemGridConnected"
    assert state(hass, "switch", "off_grid_operation") == STATE_OFF
    assert state(hass, "binary_sensor", "grid_status") == STATE_ON


async def test_off_grid_refused(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """Current firmware refuses the customer role: a translated error says why."""
    sim = powerwall_simulator
    sim.islanding_writable = False
    await setup_entry(hass, powerwall_entry(sim, options={CONF_CONTROL: True}))
    with pytest.raises(HomeAssistantError) as refused:
        await _switch(hass, True)
    assert refused.value.translation_key == "powerwall_off_grid_refused"
    assert "HTTP 403" in (refused.value.translation_placeholders or {})["error"]
    assert sim.grid_up
    assert state(hass, "switch", "off_grid_operation") == STATE_OFF


async def test_no_off_grid_switch_without_control(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """Like reserve and mode, the switch exists only with control enabled."""
    await setup_entry(hass, powerwall_entry(powerwall_simulator))
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("switch", DOMAIN, f"{DIN}_off_grid_operation") is None


async def test_off_grid_over_tedapi_is_refused_unsent(hass: HomeAssistant, tmp_path: Path) -> None:
    """Over TEDAPI pypowerwall islands only with the signed v1r command: a translated refusal."""
    refreshed: list[bool] = []

    async def refresh() -> None:
        refreshed.append(True)

    gateway = PowerwallGateway(
        hass.async_add_executor_job,
        "192.168.91.1",
        PowerwallCredentials(PowerwallMode.TEDAPI, PASSWORD),
        tmp_path,
    )
    control = PowerwallControl(
        title="Garage", enabled=True, gateway=gateway, cloud=None, refresh=refresh
    )
    with pytest.raises(ServiceValidationError) as refused:
        await control.set_off_grid(True)
    assert refused.value.translation_key == "powerwall_off_grid_customer_login"
    assert refused.value.translation_placeholders == {"title": "Garage"}
    assert gateway.powerwall is None
    assert refreshed == []


async def test_pack_entities_on_reload_keep_their_ids(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """Reloading the entry finds the same pack entities (no duplicates)."""
    entry: MockConfigEntry = powerwall_entry(powerwall_simulator)
    await setup_entry(hass, entry)
    registry = er.async_get(hass)
    before = {e.unique_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)}
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    after = {e.unique_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)}
    assert before == after
    assert {f"{DIN}_{powerwall_simulator.pack_serial(i)}_pack_power" for i in (0, 1)} <= after


async def test_off_grid_after_the_password_changed(
    hass: HomeAssistant, powerwall_simulator: PowerwallSimulator
) -> None:
    """A gateway that refuses the stored login on a command says the command failed."""
    sim = powerwall_simulator
    await setup_entry(hass, powerwall_entry(sim, options={CONF_CONTROL: True}))
    sim.password = "changed by a firmware update"
    sim.login.tokens.clear()
    with pytest.raises(HomeAssistantError) as failed:
        await _switch(hass, True)
    assert failed.value.translation_key == "powerwall_command_failed"
    assert sim.grid_state == "SystemGridConnected"


def test_pack_names_and_icons() -> None:
    """The packs' sensors are named in strings.json and have icons, as described ones must."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    for description in PACK_SENSORS:
        assert description.translation_key in strings["entity"]["sensor"]
        assert description.translation_key in icons["entity"]["sensor"]
    states = strings["entity"]["sensor"]["pack_grid_state"]["state"]
    assert set(states) == {str(state) for state in PackGridState}
