"""TOU sync end to end: Amber simulator prices → planner → Tesla energy simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_energy_sync.clients.amber import AmberClient
from custom_components.tesla_energy_sync.clients.amber_models import ChannelType
from custom_components.tesla_energy_sync.const import CONF_AUTOMATIC, DOMAIN
from custom_components.tesla_energy_sync.tou.planner import build_tariff
from custom_components.tesla_energy_sync.tou.validate import same_rates
from simulators import prices
from simulators.amber import AmberSimulator
from simulators.comed import ComEdSimulator
from simulators.tesla_energy import SITE_ID, TeslaEnergySimulator

from ..conftest import AMBER_SITE_ID, AMBER_TOKEN, FROZEN_TIME, setup_entry
from ..helpers import advance, entity_id

SYDNEY = ZoneInfo("Australia/Sydney")
SWITCH_DOMAIN = "switch"


async def _expected_tariff(amber_simulator: AmberSimulator) -> dict[str, object]:
    """Plan independently of the integration: fetch the simulator's prices and plan them."""
    async with ClientSession() as session:
        client = AmberClient(session, AMBER_TOKEN, base_url=amber_simulator.base_url)
        five = await client.get_current_prices(AMBER_SITE_ID, previous=1, next=1, resolution=5)
        thirty = await client.get_current_prices(AMBER_SITE_ID, next=96, resolution=30)
    intervals = [*five, *thirty]
    general = [i for i in intervals if i.channel_type is ChannelType.GENERAL]
    feed_in = [i for i in intervals if i.channel_type is ChannelType.FEED_IN]
    from homeassistant.util import dt as dt_util

    return build_tariff(general, feed_in, now=dt_util.utcnow(), site_tz=SYDNEY).tariff


async def _setup(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    options: dict[str, object] | None = None,
) -> str:
    await setup_entry(hass, amber_entry)
    tou_entry.add_to_hass(hass)
    if options:
        hass.config_entries.async_update_entry(tou_entry, options=options)
    await hass.config_entries.async_setup(tou_entry.entry_id)
    await hass.async_block_till_done()
    assert tou_entry.state is ConfigEntryState.LOADED
    return entity_id(hass, "switch", f"tou_{SITE_ID}_automatic_sync")


async def _sync_tou(hass: HomeAssistant, **data: object) -> dict[str, Any]:
    """Call tesla_energy_sync.sync_tou and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "sync_tou", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _sensor(hass: HomeAssistant, key: str) -> str:
    state = hass.states.get(entity_id(hass, "sensor", f"tou_{SITE_ID}_{key}"))
    assert state is not None
    return state.state


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.SWITCH])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen")
async def test_entities(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every TOU sync entity after automatic sync was turned on and uploaded, per platform."""
    await setup_entry(hass, amber_entry)
    tou_entry.add_to_hass(hass)
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await hass.config_entries.async_setup(tou_entry.entry_id)
        await hass.async_block_till_done()
    await tou_entry.runtime_data.tou.async_set_automatic(True)
    await hass.async_block_till_done()
    assert tou_entry.runtime_data.tou.data.last_attempt.result == "uploaded"
    await snapshot_platform(hass, entity_registry, snapshot, tou_entry.entry_id)


@pytest.mark.usefixtures("frozen")
async def test_switch_syncs_the_planned_tariff(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """Turning automatic sync on uploads the planner's tariff; the site reads it back."""
    switch = await _setup(hass, amber_entry, tou_entry)
    assert hass.states.get(switch).state == "off"  # type: ignore[union-attr]
    assert tesla_energy_simulator.upload_count == 0

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert hass.states.get(switch).state == "on"  # type: ignore[union-attr]
    assert tou_entry.options[CONF_AUTOMATIC] is True
    assert tesla_energy_simulator.upload_count == 1
    stored = tesla_energy_simulator.site(SITE_ID)["tariff_content_v2"]
    assert same_rates(await _expected_tariff(amber_simulator), stored)
    assert _sensor(hass, "last_result") == "uploaded"
    assert _sensor(hass, "last_sync") == FROZEN_TIME.isoformat()
    assert float(_sensor(hass, "next_planned_price")) >= 0

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert tou_entry.options[CONF_AUTOMATIC] is False


async def test_automatic_sync_follows_price_intervals(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """At most one upload per price interval; an unchanged tariff is not sent again."""
    freezer.move_to(FROZEN_TIME)
    await _setup(hass, amber_entry, tou_entry, {CONF_AUTOMATIC: True})
    assert tesla_energy_simulator.upload_count == 0  # waits for the next price boundary

    # 30 s after each boundary for an hour: twelve intervals, twelve uploads at most.
    for _ in range(12 * 30):
        await advance(hass, freezer, 10)
    assert 1 <= tesla_energy_simulator.upload_count <= 12
    assert _sensor(hass, "last_result") in {"uploaded", "unchanged"}

    # A manual sync in an interval that already had an upload sends nothing.
    uploads = tesla_energy_simulator.upload_count
    response = await _sync_tou(hass)
    assert response["result"] in {"unchanged", "already_synced"}
    assert tesla_energy_simulator.upload_count == uploads


@pytest.mark.usefixtures("frozen")
async def test_dry_run_returns_the_tariff_without_sending(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """dry_run plans only."""
    await _setup(hass, amber_entry, tou_entry)
    response = await _sync_tou(hass, config_entry_id=tou_entry.entry_id, dry_run=True)
    assert response["result"] == "dry_run"
    assert response["uploaded"] is False
    assert len(response["slots"]) == 48
    assert same_rates(await _expected_tariff(amber_simulator), response["tariff"])
    assert tesla_energy_simulator.upload_count == 0


@pytest.mark.usefixtures("frozen")
async def test_missing_prices_upload_nothing_and_raise_a_repair(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """Without forecasts the planner refuses; nothing is sent and a repair issue says why."""
    await _setup(hass, amber_entry, tou_entry)
    prices = amber_entry.runtime_data.prices
    general = prices.data.channels[ChannelType.GENERAL]
    from dataclasses import replace

    stripped = replace(
        prices.data,
        channels={**prices.data.channels, ChannelType.GENERAL: replace(general, forecasts=())},
    )
    prices.async_set_updated_data(stripped)
    response = await _sync_tou(hass)
    assert response["result"] == "missing_prices"
    assert tesla_energy_simulator.upload_count == 0
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"tou_sync_failed_{tou_entry.entry_id}") is not None
    assert _sensor(hass, "last_result") == "missing_prices"

    await hass.config_entries.async_reload(amber_entry.entry_id)
    await hass.async_block_till_done()
    response = await _sync_tou(hass)
    assert response["result"] == "uploaded"
    assert issues.async_get_issue(DOMAIN, f"tou_sync_failed_{tou_entry.entry_id}") is None


@pytest.mark.usefixtures("frozen")
async def test_tariff_source_down_uploads_nothing(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """With the Amber entry not loaded there is nothing to plan from."""
    await _setup(hass, amber_entry, tou_entry)
    await hass.config_entries.async_unload(amber_entry.entry_id)
    response = await _sync_tou(hass)
    assert response["result"] == "no_prices"
    assert tesla_energy_simulator.upload_count == 0


@pytest.mark.usefixtures("frozen")
async def test_refused_upload_is_reported(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """An upload Tesla answers with an error is reported, and not counted as sent."""
    await _setup(hass, amber_entry, tou_entry)
    tesla_energy_simulator.command_answer = {"response": {"code": 400, "message": "no"}}
    response = await _sync_tou(hass)
    assert response["result"] == "upload_failed"
    assert response["uploaded"] is False


async def test_rate_limits_are_honoured(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 (on read-back, then on upload) stops uploads until Retry-After has passed."""
    freezer.move_to(FROZEN_TIME)
    await _setup(hass, amber_entry, tou_entry)
    tesla_energy_simulator.rate_limit = 1
    tesla_energy_simulator.rate_window = 3600
    tesla_energy_simulator.retry_after = "600"
    response = await _sync_tou(hass)
    assert response["result"] == "unverified"  # sent; the read-back was refused
    assert response["uploaded"] is True
    assert tesla_energy_simulator.upload_count == 1

    for _ in range(30):  # five minutes: a new price interval
        await advance(hass, freezer, 10)
    response = await _sync_tou(hass)
    assert response["result"] == "rate_limited"  # not even tried inside Retry-After
    assert tesla_energy_simulator.upload_count == 1


@pytest.mark.usefixtures("frozen")
async def test_refused_token_starts_reauth(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """A 401 on upload opens the reauth flow."""
    await _setup(hass, amber_entry, tou_entry)
    tesla_energy_simulator.tokens = set()
    with pytest.raises(Exception, match="refused the credentials"):
        await hass.services.async_call(DOMAIN, "sync_tou", {}, blocking=True, return_response=True)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.usefixtures("frozen")
async def test_service_targets(
    hass: HomeAssistant, amber_entry: MockConfigEntry, tou_entry: MockConfigEntry
) -> None:
    """The service needs a loaded TOU entry, and says which when it cannot tell."""
    await setup_entry(hass, amber_entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "sync_tou", {}, blocking=True, return_response=True)
    assert err.value.translation_key == "no_tou_entry"

    tou_entry.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "sync_tou", {}, blocking=True, return_response=True)
    assert err.value.translation_key == "entry_not_loaded"

    other = MockConfigEntry(domain=DOMAIN, data={**tou_entry.data}, unique_id="other")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "sync_tou", {}, blocking=True, return_response=True)
    assert err.value.translation_key == "several_tou_entries"


@pytest.mark.usefixtures("frozen")
async def test_site_refresh_keeps_history(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The site is re-read every 30 minutes; the sync history survives that."""
    switch = await _setup(hass, amber_entry, tou_entry)
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    tou = tou_entry.runtime_data.tou
    reads_before = tou.data.site
    await advance(hass, freezer, timedelta(minutes=31).total_seconds())
    assert tou.data.site is not reads_before  # re-read
    assert _sensor(hass, "last_result") in {"uploaded", "unchanged", "already_synced"}
    assert _sensor(hass, "last_sync") == FROZEN_TIME.isoformat()


async def test_refuses_without_trustworthy_prices(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Failing, stale or incomplete prices upload nothing."""
    freezer.move_to(FROZEN_TIME)
    await _setup(hass, amber_entry, tou_entry)
    prices = amber_entry.runtime_data.prices

    async def sync() -> str:
        response = await _sync_tou(hass)
        return str(response["result"])

    # Amber's last poll failed: its data is not current.
    amber_simulator.fault = "server_error"
    await advance(hass, freezer, 300)
    assert await sync() == "no_prices"
    amber_simulator.fault = None
    await advance(hass, freezer, 30)
    assert prices.last_update_success

    # Twenty minutes on without a poll: the prices are stale.
    freezer.tick(timedelta(minutes=20))
    assert await sync() == "stale_prices"

    # A payload without the feed-in channel the site has is refused, not treated as "sell 0".
    await advance(hass, freezer, 0)
    without_feed_in = {
        k: v for k, v in prices.data.channels.items() if k is not ChannelType.FEED_IN
    }
    from dataclasses import replace

    prices.async_set_updated_data(replace(prices.data, channels=without_feed_in))
    assert await sync() in {"missing_prices", "stale_prices"}
    assert tesla_energy_simulator.upload_count == 0


async def test_site_without_time_zone_is_refused(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Half hours cannot be placed without the site's time zone: nothing is sent."""
    freezer.move_to(FROZEN_TIME)
    tesla_energy_simulator.site(SITE_ID)["installation_time_zone"] = None
    await _setup(hass, amber_entry, tou_entry)
    response = await _sync_tou(hass)
    assert response["result"] == "invalid_tariff"
    assert tesla_energy_simulator.upload_count == 0


@pytest.mark.usefixtures("frozen")
async def test_comed_as_the_source(
    hass: HomeAssistant,
    comed_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
) -> None:
    """ComEd's prices (USD, hourly) feed the tariff the same way."""
    await setup_entry(hass, comed_entry)
    tou_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        tou_entry, data={**tou_entry.data, "tariff_entry_id": comed_entry.entry_id}
    )
    await hass.config_entries.async_setup(tou_entry.entry_id)
    await hass.async_block_till_done()
    response = await _sync_tou(hass)
    assert response["result"] == "uploaded"
    stored = tesla_energy_simulator.site(SITE_ID)["tariff_content_v2"]
    assert stored["currency"] == "USD"
    assert same_rates(response["tariff"], stored)
    state = hass.states.get(entity_id(hass, "sensor", f"tou_{SITE_ID}_next_planned_price"))
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "USD/kWh"


# ---- automatic sync follows the tariff: final price, deadline, reloads -------------------------

# The first boundary after FROZEN_TIME (07:05 in Sydney, the PERIOD_07_00 slot).
BOUNDARY = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
LIVE_PERIOD = "PERIOD_07_00"
ESTIMATE_ERROR = 5.0  # c/kWh an estimate is off from the locked-in price


def _live_buy(tariff: dict[str, Any]) -> float:
    """Return the buy price a tariff gives the slot that was live at BOUNDARY."""
    rates: dict[str, float] = tariff["energy_charges"]["AllYear"]["rates"]
    return rates[LIVE_PERIOD]


def _locked_in_buy() -> float:
    """Return the simulator's locked-in price of BOUNDARY's interval, as Tesla's $/kWh."""
    return round(prices.amber_point(prices.GENERAL, BOUNDARY, 5).advanced[1] / 100, 4)


async def _until(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime) -> None:
    """Advance the clock to `moment`, letting every timer due by then run."""
    await advance(hass, freezer, (moment - datetime.now(UTC)).total_seconds())


async def test_syncs_once_the_price_is_final(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Estimates at +3/+18/+33 s upload nothing; the final price at +48 s is uploaded once."""
    freezer.move_to(FROZEN_TIME)
    amber_simulator.estimate_error = ESTIMATE_ERROR  # locks in at +40 s (estimate_seconds)
    await _setup(hass, amber_entry, tou_entry, {CONF_AUTOMATIC: True})
    for seconds in (3, 18, 33):
        await _until(hass, freezer, BOUNDARY + timedelta(seconds=seconds))
        assert amber_entry.runtime_data.prices.current().estimate is True
    await _until(hass, freezer, BOUNDARY + timedelta(seconds=47))
    assert tesla_energy_simulator.upload_count == 0

    await _until(hass, freezer, BOUNDARY + timedelta(seconds=48))
    assert amber_entry.runtime_data.prices.current().estimate is False
    await _until(hass, freezer, BOUNDARY + timedelta(seconds=50))  # past the 1 s debounce
    assert tesla_energy_simulator.upload_count == 1
    uploaded = tesla_energy_simulator.uploads[0][1]
    assert same_rates(await _expected_tariff(amber_simulator), uploaded)
    assert _live_buy(uploaded) == _locked_in_buy()

    # Neither the deadline nor later updates of this interval upload again.
    await _until(hass, freezer, BOUNDARY + timedelta(seconds=299))
    assert tesla_energy_simulator.upload_count == 1
    assert _sensor(hass, "last_result") == "uploaded"


async def test_deadline_syncs_with_an_estimate(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A price still an estimate at +60 s is uploaded then, once, as it is."""
    freezer.move_to(FROZEN_TIME)
    amber_simulator.estimate_seconds = 290
    amber_simulator.estimate_error = ESTIMATE_ERROR
    await _setup(hass, amber_entry, tou_entry, {CONF_AUTOMATIC: True})
    await _until(hass, freezer, BOUNDARY + timedelta(seconds=59))
    assert tesla_energy_simulator.upload_count == 0

    await _until(hass, freezer, BOUNDARY + timedelta(seconds=60))
    assert tesla_energy_simulator.upload_count == 1
    uploaded = tesla_energy_simulator.uploads[0][1]
    assert _live_buy(uploaded) == round(_locked_in_buy() + ESTIMATE_ERROR / 100, 4)
    await _until(hass, freezer, BOUNDARY + timedelta(seconds=299))
    assert tesla_energy_simulator.upload_count == 1


async def test_follows_the_tariff_across_reloads(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After the tariff entry is unloaded and set up again, its final prices still trigger syncs."""
    freezer.move_to(FROZEN_TIME)
    await _setup(hass, amber_entry, tou_entry, {CONF_AUTOMATIC: True})
    assert await hass.config_entries.async_unload(amber_entry.entry_id)
    await _until(hass, freezer, BOUNDARY + timedelta(seconds=60))
    assert _sensor(hass, "last_result") == "no_prices"  # the deadline found no tariff loaded
    assert tesla_energy_simulator.upload_count == 0

    assert await hass.config_entries.async_setup(amber_entry.entry_id)
    await hass.async_block_till_done()
    await hass.config_entries.async_reload(amber_entry.entry_id)
    await hass.async_block_till_done()
    # Next interval: final at +48 s, synced at +49 s, before the +60 s deadline could do it.
    second = BOUNDARY + timedelta(minutes=5)
    for seconds in (3, 18, 33, 48):
        await _until(hass, freezer, second + timedelta(seconds=seconds))
    assert tesla_energy_simulator.upload_count == 0
    await _until(hass, freezer, second + timedelta(seconds=50))
    assert tesla_energy_simulator.upload_count == 1
    assert _sensor(hass, "last_result") == "uploaded"


@pytest.mark.parametrize("source", ["amber", "comed"])
async def test_stale_answers_never_reach_the_powerwall(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    comed_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    comed_simulator: ComEdSimulator,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
    source: str,
) -> None:
    """A tariff answering with prices 30 minutes old: every sync is refused, nothing uploaded."""
    freezer.move_to(FROZEN_TIME)
    linked = amber_entry if source == "amber" else comed_entry
    await setup_entry(hass, linked)
    tou_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        tou_entry,
        data={**tou_entry.data, "tariff_entry_id": linked.entry_id},
        options={CONF_AUTOMATIC: True},
    )
    await hass.config_entries.async_setup(tou_entry.entry_id)
    await hass.async_block_till_done()
    amber_simulator.lag = comed_simulator.lag = timedelta(minutes=30)
    for seconds in (3, 18, 20, 33, 48, 50, 60):
        await _until(hass, freezer, BOUNDARY + timedelta(seconds=seconds))
    assert linked.runtime_data.prices.stale_answers >= 1
    assert _sensor(hass, "last_result") == "stale_prices"  # the deadline's attempt
    response = await _sync_tou(hass)
    assert response["result"] == "stale_prices"
    assert tesla_energy_simulator.upload_count == 0
