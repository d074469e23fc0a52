"""Amber usage and cost become long-term statistics: back-fill, daily import, no double count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.statistics import (
    get_last_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.tesla_energy_sync.amber.coordinator import AmberRuntime
from custom_components.tesla_energy_sync.amber.usage import (
    USAGE_SETTLE,
    Cursor,
    energy_kwh,
    hourly_rows,
    money,
)
from custom_components.tesla_energy_sync.clients.amber_models import (
    ChannelType,
    Usage,
    UsageQuality,
)
from custom_components.tesla_energy_sync.const import CONF_USAGE_DAYS
from simulators import prices
from simulators.amber import AmberSimulator, two_sites

from ..conftest import AMBER_SITE_ID, FROZEN_TIME, setup_entry
from ..helpers import advance

SITE = AMBER_SITE_ID.lower()
# (statistic id suffix, channel, value of one half hour in the statistic's unit)
HALF_HOUR = timedelta(minutes=30)
DAYS = 3


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant (the shared fixture would start it after)."""


def _energy(channel: str, start: datetime) -> float:
    return prices.usage_kwh(channel, start)


def _money(channel: str, start: datetime) -> float:
    # The simulator's cost is c in Amber's sign; a feed-in credit is what the customer is paid.
    cents = prices.usage_cost(channel, start)
    return (-cents if channel == prices.FEED_IN else cents) / 100


STATISTICS = {
    f"tesla_energy_sync:amber_{SITE}_e1_energy": (prices.GENERAL, _energy),
    f"tesla_energy_sync:amber_{SITE}_e1_cost": (prices.GENERAL, _money),
    f"tesla_energy_sync:amber_{SITE}_e2_energy": (prices.CONTROLLED_LOAD, _energy),
    f"tesla_energy_sync:amber_{SITE}_e2_cost": (prices.CONTROLLED_LOAD, _money),
    f"tesla_energy_sync:amber_{SITE}_b1_energy": (prices.FEED_IN, _energy),
    f"tesla_energy_sync:amber_{SITE}_b1_credit": (prices.FEED_IN, _money),
}


def _nem_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=prices.NEM_TZ).astimezone(UTC)


def _expected_hours(
    now: datetime, billable_after: timedelta, *, days: int = DAYS, set_up: datetime = FROZEN_TIME
) -> list[datetime]:
    """Return the hours whose half hours are all billable at `now`, from the back-fill's start.

    The back-fill starts at NEM midnight `days` before the day of the first set-up.
    """
    first = _nem_midnight(prices.nem_date(set_up) - timedelta(days=days))
    hours = []
    hour = first
    # Both half hours of an hour are billable once the second has ended `billable_after` ago.
    while hour + timedelta(hours=1) + billable_after <= now:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _expected_sums(statistic_id: str, hours: list[datetime]) -> list[float]:
    channel, value = STATISTICS[statistic_id]
    sums, total = [], 0.0
    for hour in hours:
        total += value(channel, hour) + value(channel, hour + HALF_HOUR)
        sums.append(total)
    return sums


async def _rows(hass: HomeAssistant, statistic_id: str) -> list[dict[str, Any]]:
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic_id},
        "hour",
        None,
        {"sum", "state"},
    )
    return [dict(row) for row in found.get(statistic_id, [])]


async def _last(hass: HomeAssistant, statistic_id: str) -> dict[str, Any]:
    found = await get_instance(hass).async_add_executor_job(
        get_last_statistics, hass, 1, statistic_id, True, {"sum"}
    )
    return dict(found[statistic_id][0])


def _start(row: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(row["start"], UTC)


async def _settle(hass: HomeAssistant) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)


def _usage_entry(entry: MockConfigEntry, days: int = DAYS) -> MockConfigEntry:
    return MockConfigEntry(
        domain=entry.domain,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options={CONF_USAGE_DAYS: days},
    )


async def _assert_imported(hass: HomeAssistant, hours: list[datetime]) -> None:
    for statistic_id in STATISTICS:
        rows = await _rows(hass, statistic_id)
        assert [_start(row) for row in rows] == hours, statistic_id
        expected = _expected_sums(statistic_id, hours)
        assert [row["sum"] for row in rows] == pytest.approx(expected, abs=1e-6), statistic_id


async def test_backfill_rerun_and_next_day(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The back-fill imports every billable hour; a re-run adds nothing; a day later, one day."""
    entry = _usage_entry(amber_entry)
    await setup_entry(hass, entry)
    await _settle(hass)
    billable_after = amber_simulator.usage_estimated_for
    hours = _expected_hours(FROZEN_TIME, billable_after)
    # Three NEM days back, up to the last hour that is billable a day later.
    assert hours[0] == datetime(2026, 11, 20, 14, tzinfo=UTC)
    assert hours[-1] == datetime(2026, 11, 22, 19, tzinfo=UTC)
    await _assert_imported(hass, hours)

    runtime = entry.runtime_data
    assert isinstance(runtime, AmberRuntime)
    assert runtime.usage is not None
    usage_requests = amber_simulator.path_counts[f"/v1/sites/{AMBER_SITE_ID}/usage"]
    assert usage_requests == 1
    # Diagnostics tell how far each statistic got, and where estimates hold it back.
    usage = runtime.diagnostics()["usage"]
    assert usage["backfill_days"] == DAYS
    assert usage["data"]["requests"] == 1
    energy = f"tesla_energy_sync:amber_{SITE}_e1_energy"
    assert usage["data"]["imported_until"][energy] == hours[-1].isoformat()
    assert usage["data"]["held_back_from"][energy] == (hours[-1] + timedelta(hours=1)).isoformat()
    assert usage["data"]["rows_added"][energy] == len(hours)

    # Run again at once: nothing new is billable, so nothing is added or changed.
    await runtime.usage.async_refresh()
    await _settle(hass)
    assert set(runtime.usage.data.rows_added.values()) == {0}
    await _assert_imported(hass, hours)

    # A day later the daily import adds the 24 hours that became billable, and only those;
    # the hours that were estimates yesterday come in with their billable values.
    await advance(hass, frozen, timedelta(days=1).total_seconds())
    await _settle(hass)
    later = _expected_hours(FROZEN_TIME + timedelta(days=1), billable_after)
    assert later[: len(hours)] == hours
    assert len(later) == len(hours) + 24
    assert set(runtime.usage.data.rows_added.values()) == {24}
    await _assert_imported(hass, later)
    assert amber_simulator.path_counts[f"/v1/sites/{AMBER_SITE_ID}/usage"] == usage_requests + 2


async def test_metadata_and_reload_continue_the_sum(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Statistics are hourly sums in kWh and AUD; a reload goes on from the last hour."""
    entry = _usage_entry(amber_entry)
    await setup_entry(hass, entry)
    await _settle(hass)
    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids=set(STATISTICS))
    )
    assert set(metadata) == set(STATISTICS)
    units = {
        statistic_id: meta["unit_of_measurement"] for statistic_id, (_, meta) in metadata.items()
    }
    assert units == {
        statistic_id: "kWh" if statistic_id.endswith("_energy") else "AUD"
        for statistic_id in STATISTICS
    }
    for _, meta in metadata.values():
        assert meta["source"] == "tesla_energy_sync"
        assert meta["has_sum"] is True
    assert metadata[f"tesla_energy_sync:amber_{SITE}_b1_credit"][1]["name"] == (
        "Amber Electric 41021234567 feed-in (B1) credit"
    )
    # The solar export of a summer afternoon was paid for: the credit grows.
    credit = await _last(hass, f"tesla_energy_sync:amber_{SITE}_b1_credit")
    assert credit["sum"] > 0

    before = {statistic_id: await _last(hass, statistic_id) for statistic_id in STATISTICS}
    # Six hours on, a reload imports from where the statistics end, once.
    frozen.tick(timedelta(hours=6))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await _settle(hass)
    assert entry.state is ConfigEntryState.LOADED
    hours = _expected_hours(FROZEN_TIME + timedelta(hours=6), amber_simulator.usage_estimated_for)
    await _assert_imported(hass, hours)
    for statistic_id, last in before.items():
        new = await _last(hass, statistic_id)
        assert _start(new) == _start(last) + timedelta(hours=6)


async def test_backfill_is_bounded_by_the_option_and_the_site(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Ninety days are asked for 14 days at a time, never before the site became active."""
    active_from = date(2026, 9, 1)
    amber_simulator.sites[0]["activeFrom"] = active_from.isoformat()
    entry = _usage_entry(amber_entry, days=90)
    await setup_entry(hass, entry)
    await _settle(hass)
    asked = [
        (logged.query["startDate"], logged.query["endDate"])
        for logged in amber_simulator.request_log
        if logged.path.endswith("/usage")
    ]
    assert asked[0] == ("2026-09-01", "2026-09-14")
    assert asked[-1][1] == "2026-11-24"
    assert all(
        (date.fromisoformat(end) - date.fromisoformat(start)).days < 14 for start, end in asked
    )
    rows = await _rows(hass, f"tesla_energy_sync:amber_{SITE}_e1_energy")
    assert _start(rows[0]) == _nem_midnight(active_from)


async def test_a_failed_import_is_retried_and_the_prices_carry_on(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed import adds nothing and says so once; the retry, within the hour, imports."""
    entry = _usage_entry(amber_entry)
    amber_simulator.usage_delay = timedelta(days=400)  # nothing published yet
    await setup_entry(hass, entry)
    await _settle(hass)
    runtime = entry.runtime_data
    assert isinstance(runtime, AmberRuntime)
    assert runtime.usage is not None
    assert runtime.usage.data.readings == 0
    assert await _rows(hass, f"tesla_energy_sync:amber_{SITE}_e1_energy") == []

    amber_simulator.fault = "server_error"
    await runtime.usage.async_refresh()
    await runtime.usage.async_refresh()
    assert runtime.usage.last_exception is not None
    assert caplog.text.count("Error fetching Amber Electric") == 1
    assert entry.runtime_data.prices.last_update_success

    amber_simulator.fault = None
    amber_simulator.usage_delay = timedelta(hours=12)
    await advance(hass, frozen, timedelta(hours=1).total_seconds())
    await _settle(hass)
    assert runtime.usage.last_update_success
    assert caplog.text.count("usage data recovered") == 1
    await _assert_imported(
        hass,
        _expected_hours(FROZEN_TIME + timedelta(hours=1), amber_simulator.usage_estimated_for),
    )


async def test_a_refused_token_starts_reauth(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Amber refusing the token to the usage import asks for a new one, as the prices do."""
    entry = _usage_entry(amber_entry)
    await setup_entry(hass, entry)
    await _settle(hass)
    runtime = entry.runtime_data
    assert isinstance(runtime, AmberRuntime)
    assert runtime.usage is not None
    amber_simulator.fault = "auth"
    await runtime.usage.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler("tesla_energy_sync")
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


def _reading(
    start: datetime,
    *,
    kwh: float = 1.0,
    cost: float = 20.0,
    quality: UsageQuality | None = UsageQuality.BILLABLE,
    channel: ChannelType = ChannelType.GENERAL,
) -> Usage:
    return Usage(
        channel_identifier="E1",
        channel_type=channel,
        duration=30,
        date=start.date(),
        nem_time=start + HALF_HOUR,
        per_kwh=20.0,
        spot_per_kwh=10.0,
        kwh=kwh,
        cost=cost,
        quality=quality,
    )


NOW = datetime(2026, 6, 20, 12, tzinfo=UTC)


def test_an_estimate_holds_the_statistic_back() -> None:
    """The first hour with an estimated half hour ends the run; nothing after it goes in."""
    start = NOW - timedelta(days=2)
    readings = [_reading(start + i * HALF_HOUR) for i in range(8)]
    readings[5] = _reading(start + 5 * HALF_HOUR, quality=UsageQuality.ESTIMATED)
    rows, held = hourly_rows(readings, energy_kwh, Cursor(start, 10.0), NOW)
    assert [row["start"] for row in rows] == [start, start + timedelta(hours=1)]
    assert [row["sum"] for row in rows] == [12.0, 14.0]
    assert held == start + timedelta(hours=2)


def test_a_missing_half_hour_holds_back_until_it_is_old() -> None:
    """A gap within the settling time stops the run; an older one goes in as it is."""
    recent = NOW - timedelta(days=1)
    rows, held = hourly_rows([_reading(recent)], energy_kwh, Cursor(recent, 0.0), NOW)
    assert rows == []
    assert held == recent

    old = NOW - USAGE_SETTLE - timedelta(hours=3)
    readings = [_reading(old), _reading(old + timedelta(hours=1), quality=None)]
    rows, held = hourly_rows(readings, energy_kwh, Cursor(old, 0.0), NOW)
    # The three old hours go in (one half, one unknown quality, one empty), then it stops.
    assert [row["state"] for row in rows[:3]] == [1.0, 1.0, 0.0]
    assert held == old + timedelta(hours=3)


@pytest.mark.parametrize(("kwh", "cost"), [(2.0, -16.0), (-2.0, 16.0)])
def test_feed_in_credit_is_positive_when_paid(kwh: float, cost: float) -> None:
    """Exported energy counts positive, and so does a credit, whichever sign Amber sends kWh."""
    reading = _reading(NOW, kwh=kwh, cost=cost, channel=ChannelType.FEED_IN)
    assert energy_kwh(reading) == 2.0
    assert money(reading) == pytest.approx(0.16)
    general = _reading(NOW, kwh=1.5, cost=30.0)
    assert energy_kwh(general) == 1.5
    assert money(general) == pytest.approx(0.30)


async def test_thirty_minute_site_without_controlled_load(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Each channel the site has gets its pair of statistics, and only those."""
    amber_simulator.sites = two_sites()[1:]
    site_id = amber_simulator.sites[0]["id"]
    entry = MockConfigEntry(
        domain=amber_entry.domain,
        title="Amber Electric 31012345678",
        unique_id=site_id,
        data={**amber_entry.data, "site_id": site_id},
        options={CONF_USAGE_DAYS: 1},
    )
    await setup_entry(hass, entry)
    await _settle(hass)
    prefix = f"tesla_energy_sync:amber_{site_id.lower()}"
    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    assert sorted(metadata) == [
        f"{prefix}_b1_credit",
        f"{prefix}_b1_energy",
        f"{prefix}_e1_cost",
        f"{prefix}_e1_energy",
    ]
