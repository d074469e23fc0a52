"""Something else replaced the tariff TOU sync uploaded: sync pauses and a repair asks.

The Tesla app stands for the other writer (the simulator's replace_tariff); TOU sync reads
the site through a Tesla account, and the repair is answered through Home Assistant's
repairs flow manager.
"""

from __future__ import annotations

import copy
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_ACCOUNT_ENTRY,
    CONF_AUTOMATIC,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    DOMAIN,
    EntryKind,
)
from custom_components.tesla_energy_sync.repairs import async_create_fix_flow
from custom_components.tesla_energy_sync.tou.validate import same_rates
from custom_components.tesla_energy_sync.tou_sync.conflict import rates_digest
from custom_components.tesla_energy_sync.tou_sync.coordinator import TouSyncRuntime
from simulators.tesla_energy import SITE_ID, TeslaEnergySimulator, app_tariff, without_sentinel

from ..conftest import setup_entry
from ..helpers import advance, entity_id

SITE_INFO = f"/api/1/energy_sites/{SITE_ID}/site_info"


def _tou_entry(amber: MockConfigEntry, account: MockConfigEntry, *, automatic: bool = True) -> Any:
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
        options={CONF_AUTOMATIC: automatic},
    )


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"tou_tariff_replaced_{entry.entry_id}")


def _last_result(entry: MockConfigEntry) -> str | None:
    runtime = entry.runtime_data
    assert isinstance(runtime, TouSyncRuntime)
    attempt = runtime.tou.data.last_attempt
    return attempt.result if attempt else None


async def _synced(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    account: MockConfigEntry,
    sim: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """Set up a TOU sync on the account and let its first automatic upload happen."""
    await async_setup_component(hass, "repairs", {})
    await setup_entry(hass, amber_entry)
    tou = _tou_entry(amber_entry, account)
    await setup_entry(hass, tou)
    # The first upload comes once the next interval's price is final (or at its deadline).
    for _ in range(30):
        await advance(hass, freezer, 10)
        if sim.upload_count:
            break
    assert sim.upload_count == 1
    return tou


async def _next_interval(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Move through one price interval, ten seconds at a time."""
    for _ in range(30):
        await advance(hass, freezer, 10)


async def test_replaced_tariff_pauses_until_resumed(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The app's tariff stays while paused; resuming puts TOU sync's back and syncs again."""
    sim = tesla_energy_simulator
    tou = await _synced(hass, amber_entry, account, sim, freezer)
    ours = sim.site()["tariff_content_v2"]
    theirs = sim.replace_tariff()

    await _next_interval(hass, freezer)
    assert sim.upload_count == 1
    assert sim.site()["tariff_content_v2"] == theirs
    assert _last_result(tou) == "tariff_replaced"
    issue = _issue(hass, tou)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"site": "TOU sync Sim Home"}
    # Not a failed upload: that repair stays away.
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"tou_sync_failed_{tou.entry_id}") is None
    state = hass.states.get(entity_id(hass, "sensor", f"tou_{SITE_ID}_last_result"))
    assert state is not None
    assert state.state == "tariff_replaced"

    # Paused: no upload, and no more reads before uploads, interval after interval.
    reads = sim.path_counts[SITE_INFO]
    for _ in range(3):
        await _next_interval(hass, freezer)
    assert sim.upload_count == 1
    assert sim.path_counts[SITE_INFO] == reads
    assert caplog.text.count("Another app replaced the tariff") == 1

    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, context={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["resume", "keep"]
    assert result["description_placeholders"] == {"site": "TOU sync Sim Home"}
    result = await manager.async_configure(result["flow_id"], {"next_step_id": "resume"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sim.upload_count == 2
    stored = sim.site()["tariff_content_v2"]
    assert not same_rates(theirs, stored)
    assert stored["code"] == ours["code"]
    assert _issue(hass, tou) is None
    assert tou.options[CONF_AUTOMATIC] is True

    # Syncing on: the next new plan is uploaded as usual.
    for _ in range(3):
        await _next_interval(hass, freezer)
    assert sim.upload_count > 2
    assert _issue(hass, tou) is None


async def test_keep_the_other_tariff(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Keeping the other tariff turns automatic sync off; nothing more is uploaded."""
    sim = tesla_energy_simulator
    tou = await _synced(hass, amber_entry, account, sim, freezer)
    theirs = sim.replace_tariff()
    await _next_interval(hass, freezer)
    issue = _issue(hass, tou)
    assert issue is not None

    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, context={"issue_id": issue.issue_id})
    result = await manager.async_configure(result["flow_id"], {"next_step_id": "keep"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert tou.options[CONF_AUTOMATIC] is False
    assert _issue(hass, tou) is None
    switch = hass.states.get(entity_id(hass, "switch", f"tou_{SITE_ID}_automatic_sync"))
    assert switch is not None
    assert switch.state == "off"
    for _ in range(3):
        await _next_interval(hass, freezer)
    assert sim.upload_count == 1
    assert sim.site()["tariff_content_v2"] == theirs

    # Turning automatic sync on again is a choice too: TOU sync's tariff goes up at once.
    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": entity_id(hass, "switch", f"tou_{SITE_ID}_automatic_sync")},
        blocking=True,
    )
    assert sim.upload_count == 2
    assert _issue(hass, tou) is None


async def test_noticed_while_nothing_is_uploaded_and_across_a_restart(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The site's regular read notices too; a replacement while down is noticed at start."""
    sim = tesla_energy_simulator
    tou = await _synced(hass, amber_entry, account, sim, freezer)
    await hass.config_entries.async_unload(tou.entry_id)
    sim.replace_tariff()
    await hass.config_entries.async_setup(tou.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, tou) is not None
    await _next_interval(hass, freezer)
    assert sim.upload_count == 1

    # The regular 30-minute read, with automatic sync off: nothing to fight, nothing raised.
    runtime = tou.runtime_data
    assert isinstance(runtime, TouSyncRuntime)
    await runtime.tou.async_set_automatic(False)
    assert _issue(hass, tou) is None
    await runtime.tou.async_refresh()
    assert _issue(hass, tou) is None


async def test_a_manual_sync_is_the_users_choice(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With automatic sync off, a replaced tariff raises nothing; sync_tou puts TOU's back."""
    sim = tesla_energy_simulator
    tou = await _synced(hass, amber_entry, account, sim, freezer)
    runtime = tou.runtime_data
    assert isinstance(runtime, TouSyncRuntime)
    await runtime.tou.async_set_automatic(False)
    sim.replace_tariff()
    await runtime.tou.async_refresh()  # the regular read notices: the plan is not "unchanged"
    assert _issue(hass, tou) is None
    response = await hass.services.async_call(
        DOMAIN, "sync_tou", {}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["result"] == "already_synced"  # this interval had its upload
    await advance(hass, freezer, 300)
    response = await hass.services.async_call(
        DOMAIN, "sync_tou", {}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["result"] == "uploaded"
    assert _issue(hass, tou) is None


@pytest.mark.parametrize(
    ("fault", "result"),
    [("server_error", "upload_failed"), ("rate", "rate_limited"), ("rate_before", "rate_limited")],
)
async def test_the_check_before_uploading_fails(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
    fault: str,
    result: str,
) -> None:
    """No upload without knowing what the site holds; it says why, and tries next interval."""
    sim = tesla_energy_simulator
    tou = await _synced(hass, amber_entry, account, sim, freezer)
    if fault == "server_error":
        sim.fault_endpoints = frozenset({"site_info"})
        sim.fault = fault
    else:
        # One request per 10 minutes: the check before uploading takes it, and the upload is
        # refused; or a read just before takes it, and the check itself is refused.
        sim.rate_limit, sim.rate_window, sim.retry_after = 1, 600.0, "30"
        if fault == "rate_before":
            runtime = tou.runtime_data
            assert isinstance(runtime, TouSyncRuntime)
            await runtime.tou.async_refresh()
    await _next_interval(hass, freezer)
    assert _last_result(tou) == result
    assert sim.upload_count == 1
    assert sim.path_counts[f"/api/1/energy_sites/{SITE_ID}/time_of_use_settings"] == (
        2 if fault == "rate" else 1
    )
    sim.fault = None
    sim.rate_limit = 0
    await _next_interval(hass, freezer)
    await _next_interval(hass, freezer)
    assert sim.upload_count >= 2
    assert _issue(hass, tou) is None


async def test_the_fix_flow_needs_the_entry_loaded(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An unloaded TOU sync cannot resume or keep anything: the flow says so."""
    sim = tesla_energy_simulator
    tou = await _synced(hass, amber_entry, account, sim, freezer)
    sim.replace_tariff(app_tariff())
    await _next_interval(hass, freezer)
    issue = _issue(hass, tou)
    assert issue is not None
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flows = [await manager.async_init(DOMAIN, context={"issue_id": issue.issue_id}) for _ in "ab"]
    await hass.config_entries.async_unload(tou.entry_id)
    for flow, step in zip(flows, ("resume", "keep"), strict=True):
        result = await manager.async_configure(flow["flow_id"], {"next_step_id": step})
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "entry_not_loaded"
    result = await manager.async_init(DOMAIN, context={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.ABORT
    with pytest.raises(ValueError, match="no fix flow"):
        await async_create_fix_flow(hass, "something_else", None)


def test_rates_digest() -> None:
    """Equal for the same prices however Tesla stores them; different for other prices."""
    tariff = app_tariff()
    assert rates_digest(None) is None
    assert rates_digest(tariff) == rates_digest(without_sentinel(tariff))
    cheaper = copy.deepcopy(tariff)
    cheaper["energy_charges"]["Summer"]["rates"]["ON_PEAK"] = 0.51
    assert rates_digest(cheaper) != rates_digest(tariff)
    no_sell = {key: value for key, value in tariff.items() if key != "sell_tariff"}
    assert rates_digest(no_sell) != rates_digest(tariff)
    assert rates_digest({"energy_charges": []}) == rates_digest({})


@pytest.mark.usefixtures("frozen")
async def test_a_refused_token_at_the_check(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A TOU sync with its own token: refused at the check, the upload asks for a new one."""
    sim = tesla_energy_simulator
    await setup_entry(hass, amber_entry)
    await setup_entry(hass, tou_entry)
    runtime = tou_entry.runtime_data
    assert isinstance(runtime, TouSyncRuntime)
    assert (await runtime.tou.async_sync()).result == "uploaded"
    await advance(hass, freezer, 300)  # the next interval: a new plan
    reads = sim.path_counts[SITE_INFO]
    sim.tokens = set()
    with pytest.raises(ConfigEntryAuthFailed):
        await runtime.tou.async_sync(automatic=True)
    assert sim.path_counts[SITE_INFO] == reads + 1
    assert sim.upload_count == 1
    flows = hass.config_entries.flow.async_progress()
    assert [(flow["context"]["source"], flow["context"]["entry_id"]) for flow in flows] == [
        ("reauth", tou_entry.entry_id)
    ]
