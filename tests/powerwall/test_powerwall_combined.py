"""The combined Powerwall device: its own entry, offered with the second gateway.

Gateways are the real pypowerwall against HTTPS simulators; the combined entry follows
whichever gateway entries are loaded.
"""

from __future__ import annotations

from collections.abc import Iterable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_IMPORT,
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.tesla_energy_sync.clients.powerwall_models import raw_to_app_pct
from custom_components.tesla_energy_sync.const import CONF_KIND, DOMAIN, EntryKind
from simulators.powerwall import PowerwallSimulator

from ..conftest import DINS, StartSim, powerwall_entry, setup_entry
from ..helpers import advance

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

COMBINED_ID = "powerwall_combined"
# Every sensor of the combined device, by description key.
KEYS = (
    *(f"{meter}_power" for meter in ("site", "solar", "battery", "load")),
    "battery_level",
    "battery_capacity",
    *(
        f"{meter}_energy_{direction}"
        for meter in ("site", "solar", "battery", "load")
        for direction in ("imported", "exported")
    ),
)
# Solar does not import and the home does not export: those counters start disabled.
ENABLED_KEYS = tuple(
    key for key in KEYS if key not in {"solar_energy_imported", "load_energy_exported"}
)


def combined_entry() -> MockConfigEntry:
    """Return the combined device's entry, as the flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Powerwall combined",
        unique_id=COMBINED_ID,
        data={CONF_KIND: EntryKind.POWERWALL_COMBINED},
    )


def _registered(hass: HomeAssistant, key: str) -> er.RegistryEntry | None:
    registry = er.async_get(hass)
    found = registry.async_get_entity_id("sensor", DOMAIN, f"{COMBINED_ID}_{key}")
    return registry.async_get(found) if found else None


def _combined(hass: HomeAssistant, key: str) -> str | None:
    registered = _registered(hass, key)
    if registered is None:
        return None
    state = hass.states.get(registered.entity_id)
    assert state is not None
    return state.state


def _combined_devices(hass: HomeAssistant) -> list[dr.DeviceEntry]:
    return dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, COMBINED_ID)})


def _combined_entries(hass: HomeAssistant) -> list[str]:
    return [
        entry.source
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == EntryKind.POWERWALL_COMBINED
    ]


def _offers(hass: HomeAssistant) -> list[str]:
    return [
        flow["step_id"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    ]


async def _gateways(start_sim: StartSim, count: int, **options: object) -> list[PowerwallSimulator]:
    return [
        await start_sim(din=din, batteries=index + 1, **options)
        for index, din in enumerate(DINS[:count])
    ]


async def _setup_all(hass: HomeAssistant, entries: Iterable[MockConfigEntry]) -> None:
    for entry in entries:
        await setup_entry(hass, entry)
    # The offer of the combined device starts in the background.
    await hass.async_block_till_done(wait_background_tasks=True)


# Values


async def test_combined_follows_entries(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    """1, 2 and 3 gateways of different capacities: sums and a weighted level.

    The entities stay on the combined entry whichever gateway unloads; below two gateways
    they are unavailable, not removed, and they come back with the gateways.
    """
    sims = [
        await start_sim(din=din, batteries=count, level_raw_pct=level, site_name=f"Home {count}")
        for din, count, level in zip(DINS, (1, 2, 3), (30.0, 60.0, 90.0), strict=True)
    ]
    entries = [powerwall_entry(sim) for sim in sims]
    combined = combined_entry()

    def expect(members: list[PowerwallSimulator]) -> None:
        flows = [sim.flows() for sim in members]
        for meter in ("site", "solar", "battery", "load"):
            assert float(str(_combined(hass, f"{meter}_power"))) == pytest.approx(
                sum(getattr(flow, meter) for flow in flows), abs=0.2
            )
        capacity = sum(sim.full_pack_wh for sim in members)
        level = sum(raw_to_app_pct(sim.level_raw_pct) * sim.full_pack_wh for sim in members)
        assert float(str(_combined(hass, "battery_level"))) == pytest.approx(
            level / capacity, abs=0.01
        )
        assert float(str(_combined(hass, "battery_capacity"))) == pytest.approx(capacity / 1000)

    def expect_on_combined_entry() -> None:
        for key in KEYS:
            registered = _registered(hass, key)
            assert registered is not None
            assert registered.config_entry_id == combined.entry_id
        [device] = _combined_devices(hass)
        assert device.config_entry_id == combined.entry_id
        assert device.name == "Powerwall combined"

    await setup_entry(hass, entries[0])
    # One gateway and the combined entry: the entities exist, unavailable.
    await setup_entry(hass, combined)
    expect_on_combined_entry()
    assert _combined(hass, "site_power") == STATE_UNAVAILABLE
    await setup_entry(hass, entries[1])
    expect(sims[:2])
    await setup_entry(hass, entries[2])
    expect(sims)
    await advance(hass, freezer, 15)
    expect(sims)

    # The first gateway goes: nothing moves.
    assert await hass.config_entries.async_unload(entries[0].entry_id)
    await hass.async_block_till_done()
    expect(sims[1:])
    expect_on_combined_entry()

    # One gateway left: unavailable, still registered, on the same entry and device.
    assert await hass.config_entries.async_unload(entries[2].entry_id)
    await hass.async_block_till_done()
    assert all(_combined(hass, key) == STATE_UNAVAILABLE for key in ENABLED_KEYS)
    expect_on_combined_entry()

    await hass.config_entries.async_setup(entries[0].entry_id)
    await hass.async_block_till_done()
    expect([sims[0], sims[1]])


async def test_combined_energy_counts_while_members(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    """Combined counters add what members' counters advance, and never drop when one joins.

    A member that stops answering makes the combined view unavailable.
    """
    sims = await _gateways(start_sim, 2)
    await _setup_all(hass, [*(powerwall_entry(sim) for sim in sims), combined_entry()])
    assert float(str(_combined(hass, "solar_energy_exported"))) == 0
    before = [sim.counters.solar_exported for sim in sims]
    await advance(hass, freezer, 15)
    await advance(hass, freezer, 15)
    grown = sum(
        sim.counters.solar_exported - start for sim, start in zip(sims, before, strict=True)
    )
    assert grown > 0
    assert float(str(_combined(hass, "solar_energy_exported"))) == pytest.approx(
        grown / 1000, abs=0.001
    )
    sims[1].fault = "offline"
    await advance(hass, freezer, 15)
    assert _combined(hass, "solar_power") == STATE_UNAVAILABLE
    sims[1].fault = None
    await advance(hass, freezer, 30)
    assert _combined(hass, "solar_power") != STATE_UNAVAILABLE
    third = await start_sim(din=DINS[2], batteries=3)
    counted = float(str(_combined(hass, "solar_energy_exported")))
    await setup_entry(hass, powerwall_entry(third))
    assert float(str(_combined(hass, "solar_energy_exported"))) == pytest.approx(counted)


@pytest.mark.parametrize(("restored", "start_kwh"), [(1_234_500.0, 1234.5), ("garbage", 0.0)])
async def test_counters_continue_after_a_restart(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    restored: object,
    start_kwh: float,
) -> None:
    """A counter continues from its last state; a last state that is not a number is ignored."""
    sims = await _gateways(start_sim, 2)
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("sensor.powerwall_combined_home_energy_imported", "1234.5"),
                {"native_value": restored, "native_unit_of_measurement": "Wh"},
            )
        ],
    )
    combined = combined_entry()
    await _setup_all(hass, [combined, *(powerwall_entry(sim) for sim in sims)])
    registered = _registered(hass, "load_energy_imported")
    assert registered is not None
    assert registered.entity_id == "sensor.powerwall_combined_home_energy_imported"
    assert float(str(_combined(hass, "load_energy_imported"))) == pytest.approx(start_kwh)
    before = sum(sim.counters.load_imported for sim in sims)
    await advance(hass, freezer, 15)
    grown = sum(sim.counters.load_imported for sim in sims) - before
    assert grown > 0
    assert float(str(_combined(hass, "load_energy_imported"))) == pytest.approx(
        start_kwh + grown / 1000, abs=0.001
    )
    # A reload continues from the state it left, not from the cache again.
    reached = float(str(_combined(hass, "load_energy_imported")))
    await hass.config_entries.async_reload(combined.entry_id)
    await hass.async_block_till_done()
    assert float(str(_combined(hass, "load_energy_imported"))) == pytest.approx(reached)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    start_sim: StartSim,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The combined device and every entity of it over two gateways, snapshotted."""
    sims = await _gateways(start_sim, 2)
    combined = combined_entry()
    await _setup_all(hass, [*(powerwall_entry(sim) for sim in sims), combined])
    await snapshot_platform(hass, entity_registry, snapshot, combined.entry_id)
    [device] = _combined_devices(hass)
    assert device == snapshot(name="device")


@pytest.mark.usefixtures("frozen")  # before the client's token is issued
async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics of the combined entry: members and counters."""
    sims = await _gateways(start_sim, 2)
    combined = combined_entry()
    await _setup_all(hass, [*(powerwall_entry(sim) for sim in sims), combined])
    await advance(hass, freezer, 15)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, combined)
    assert diagnostics["members"] == 2
    assert diagnostics["available"] is True
    assert diagnostics == snapshot(exclude=props("created_at", "modified_at", "entry_id"))


# The offer, the menu, deleting


async def test_offered_with_the_second_gateway(hass: HomeAssistant, start_sim: StartSim) -> None:
    """One gateway: no offer. The second one loads: "Combine your gateways?", once."""
    sims = await _gateways(start_sim, 3)
    await _setup_all(hass, [powerwall_entry(sims[0])])
    assert _offers(hass) == []
    await _setup_all(hass, [powerwall_entry(sims[1])])
    [offer] = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    ]
    assert offer["step_id"] == "powerwall_combined_confirm"
    form = await hass.config_entries.flow.async_configure(offer["flow_id"])
    assert form["description_placeholders"] == {"count": "2"}
    # A third gateway does not start another offer while one is open.
    await _setup_all(hass, [powerwall_entry(sims[2])])
    assert _offers(hass) == ["powerwall_combined_confirm"]

    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Powerwall combined"
    assert result["data"] == {CONF_KIND: EntryKind.POWERWALL_COMBINED}
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert float(str(_combined(hass, "battery_capacity"))) == pytest.approx(
        sum(sim.full_pack_wh for sim in sims) / 1000
    )
    # With the entry there, gateways loading again offer nothing.
    await hass.config_entries.async_reload(hass.config_entries.async_entries(DOMAIN)[0].entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _offers(hass) == []


async def test_ignored_offer_stays_ignored(hass: HomeAssistant, start_sim: StartSim) -> None:
    """An ignored offer is an entry of its kind; it is not offered again."""
    sims = await _gateways(start_sim, 2)
    gateways = [powerwall_entry(sim) for sim in sims]
    await _setup_all(hass, gateways)
    [offer] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": offer["context"]["unique_id"], "title": "Powerwall combined"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [ignored] = hass.config_entries.async_entries(DOMAIN, include_ignore=True)[2:]
    assert ignored.source == SOURCE_IGNORE
    assert ignored.data == {CONF_KIND: EntryKind.POWERWALL_COMBINED}
    # Every entry names its kind, so the integrations page can ask about its options.
    assert ignored.supports_options is False
    assert _offers(hass) == []
    await hass.config_entries.async_reload(gateways[1].entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _offers(hass) == []
    assert _combined(hass, "site_power") is None


async def test_ignoring_another_discovery_is_left_to_home_assistant(
    hass: HomeAssistant,
) -> None:
    """Ignoring something that is not the combined device keeps Home Assistant's own step."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": "PGT2251234567", "title": "Wall Connector"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "PGT2251234567"


async def test_menu(hass: HomeAssistant, start_sim: StartSim) -> None:
    """From the menu: refused with one gateway, confirmed with two, then already there."""

    async def pick() -> dict[str, object]:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        return dict(
            await hass.config_entries.flow.async_configure(
                result["flow_id"], {"next_step_id": "powerwall_combined"}
            )
        )

    sims = await _gateways(start_sim, 2)
    await _setup_all(hass, [powerwall_entry(sims[0])])
    result = await pick()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "powerwall_combined_needs_two"

    await _setup_all(hass, [powerwall_entry(sims[1])])
    result = await pick()
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "powerwall_combined_confirm"
    result = dict(await hass.config_entries.flow.async_configure(str(result["flow_id"]), {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    # The open offer went with it.
    assert _offers(hass) == []
    assert _combined_entries(hass) == [SOURCE_USER]

    result = await pick()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_has_nothing_to_change(hass: HomeAssistant, start_sim: StartSim) -> None:
    """The combined entry has no settings."""
    combined = combined_entry()
    await setup_entry(hass, combined)
    result = await combined.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "powerwall_combined_follows_gateways"


async def test_deleting_the_combined_entry(hass: HomeAssistant, start_sim: StartSim) -> None:
    """Deleting it takes its device and entities; the gateways stay; it is offered again."""
    sims = await _gateways(start_sim, 2)
    gateways = [powerwall_entry(sim) for sim in sims]
    combined = combined_entry()
    await _setup_all(hass, [*gateways, combined])
    assert _registered(hass, "site_power") is not None
    assert await hass.config_entries.async_remove(combined.entry_id)
    await hass.async_block_till_done()
    assert all(_registered(hass, key) is None for key in KEYS)
    assert _combined_devices(hass) == []
    assert all(entry.state is ConfigEntryState.LOADED for entry in gateways)
    await hass.config_entries.async_reload(gateways[0].entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _offers(hass) == ["powerwall_combined_confirm"]


# Earlier versions: the combined entities lived on a gateway entry.


@pytest.mark.parametrize("split", [False, True], ids=["one_host", "moved_host"])
async def test_entities_of_earlier_versions_are_adopted(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    split: bool,
) -> None:
    """The combined entry is made without asking and takes the same entity ids and states.

    `moved_host`: the entities had moved to the second gateway's entry, so the registry
    holds one combined device per gateway entry.
    """
    sims = await _gateways(start_sim, 2)
    gateways = [powerwall_entry(sim) for sim in sims]
    for entry in gateways:
        entry.add_to_hass(hass)
    hosts = gateways if split else gateways[:1]
    devices = [
        device_registry.async_get_or_create(
            config_entry_id=host.entry_id,
            identifiers={(DOMAIN, COMBINED_ID)},
            name="Powerwall combined",
            manufacturer="Tesla",
            model="Combined Powerwall gateways",
        )
        for host in hosts
    ]
    # As the earlier version registered them, one renamed by the user.
    entity_ids = {}
    for index, key in enumerate(KEYS):
        registered = entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{COMBINED_ID}_{key}",
            config_entry=hosts[index % len(hosts)],
            device_id=devices[index % len(devices)].id,
            suggested_object_id=f"powerwall_combined_{key}",
        )
        entity_ids[key] = registered.entity_id
        if key.endswith(("imported", "exported", "capacity")):
            # Registered with the kWh the description suggests, as Home Assistant does.
            entity_registry.async_update_entity_options(
                registered.entity_id, "sensor.private", {"suggested_unit_of_measurement": "kWh"}
            )
    entity_registry.async_update_entity(
        entity_ids["site_energy_exported"], new_entity_id="sensor.house_grid_export"
    )
    entity_ids["site_energy_exported"] = "sensor.house_grid_export"
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_ids[key], str(wh / 1000)),
                {"native_value": wh, "native_unit_of_measurement": "Wh"},
            )
            for key, wh in (("site_energy_exported", 4_321_000.0), ("load_energy_imported", 8e6))
        ],
    )

    # Setting up the integration sets up every gateway entry.
    await hass.config_entries.async_setup(gateways[0].entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _combined_entries(hass) == [SOURCE_IMPORT]
    [combined] = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data[CONF_KIND] == EntryKind.POWERWALL_COMBINED
    ]
    assert combined.state is ConfigEntryState.LOADED
    [device] = _combined_devices(hass)
    assert device.id == devices[0].id
    assert device.config_entry_id == combined.entry_id
    for key in KEYS:
        adopted = _registered(hass, key)
        assert adopted is not None
        assert adopted.entity_id == entity_ids[key]
        assert adopted.config_entry_id == combined.entry_id
        assert adopted.device_id == device.id
    assert float(str(_combined(hass, "site_energy_exported"))) == pytest.approx(4321.0)
    assert float(str(_combined(hass, "load_energy_imported"))) == pytest.approx(8000.0)
    assert hass.states.get("sensor.house_grid_export") is not None
    # Nothing else was offered: the import made the entry.
    assert _offers(hass) == []

    before = sum(sim.counters.load_imported for sim in sims)
    await advance(hass, freezer, 15)
    grown = sum(sim.counters.load_imported for sim in sims) - before
    assert float(str(_combined(hass, "load_energy_imported"))) == pytest.approx(
        8000.0 + grown / 1000, abs=0.001
    )
    # The gateways keep their own devices and entities.
    for entry in gateways:
        assert entry.state is ConfigEntryState.LOADED
        owned = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        assert owned
        assert all(not item.unique_id.startswith(COMBINED_ID) for item in owned)


async def test_platform_is_sensor_only(hass: HomeAssistant) -> None:
    """The combined kind adds sensors only (its other platforms have nothing to add)."""
    combined = combined_entry()
    await setup_entry(hass, combined)
    platforms = {
        item.domain
        for item in er.async_entries_for_config_entry(er.async_get(hass), combined.entry_id)
    }
    assert platforms == {Platform.SENSOR}
