"""Energy counters of a cloud site: the day's history, days closed at midnight, never a drop."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulators.tesla_energy import SITE_ID, TeslaEnergySimulator

from ..conftest import setup_entry
from ..helpers import advance
from .conftest import site_entry, site_state

SYDNEY = ZoneInfo("Australia/Sydney")
STORE_KEY = f"tesla_energy_sync.energy_site.{SITE_ID}"
# Each counter and the calendar_history fields that add up to it, restated from Tesla's names.
FIELDS: dict[str, tuple[str, ...]] = {
    "site_energy_imported": ("grid_energy_imported",),
    "site_energy_exported": (
        "grid_energy_exported_from_solar",
        "grid_energy_exported_from_battery",
        "grid_energy_exported_from_generator",
    ),
    "solar_energy_exported": ("solar_energy_exported",),
    "battery_energy_imported": (
        "battery_energy_imported_from_grid",
        "battery_energy_imported_from_solar",
        "battery_energy_imported_from_generator",
    ),
    "battery_energy_exported": ("battery_energy_exported",),
    "load_energy_imported": (
        "consumer_energy_imported_from_grid",
        "consumer_energy_imported_from_solar",
        "consumer_energy_imported_from_battery",
        "consumer_energy_imported_from_generator",
    ),
}


def wh(entries: list[dict[str, Any]]) -> dict[str, float]:
    """Return each counter's energy over the entries (Wh)."""
    return {
        counter: sum(entry.get(name, 0) for entry in entries for name in names)
        for counter, names in FIELDS.items()
    }


def plus(*parts: dict[str, float]) -> dict[str, float]:
    """Add counters up."""
    return {counter: sum(part[counter] for part in parts) for counter in FIELDS}


def counters(hass: HomeAssistant) -> dict[str, float]:
    """Return every counter's state, in Wh (the entities show kWh)."""
    return {counter: float(site_state(hass, "sensor", counter)) * 1000 for counter in FIELDS}


def assert_counters(hass: HomeAssistant, expected: dict[str, float]) -> None:
    """Assert every counter shows the expected energy."""
    shown = counters(hass)
    for counter, value in expected.items():
        assert shown[counter] == pytest.approx(value, abs=1e-6), counter


def local(day: dt.date, hour: int, minute: int) -> dt.datetime:
    """Return a wall-clock moment at the site."""
    return dt.datetime.combine(day, dt.time(hour, minute, 10), SYDNEY)


@pytest.fixture
def sim(tesla_energy_simulator: TeslaEnergySimulator) -> TeslaEnergySimulator:
    """The simulated cloud, under a shorter name."""
    return tesla_energy_simulator


def today(sim: TeslaEnergySimulator) -> dt.date:
    """Return the site's date now."""
    return sim.now().astimezone(SYDNEY).date()


async def test_counters_are_the_days_history(
    hass: HomeAssistant, account: MockConfigEntry, sim: TeslaEnergySimulator, freezer: Any
) -> None:
    """Each counter is the sum of the day's intervals, and grows with each new one."""
    await setup_entry(hass, site_entry(sim, account))
    day = today(sim)
    assert_counters(hass, wh(sim.history(day)))
    assert counters(hass)["load_energy_imported"] > 0
    await advance(hass, freezer, 300)
    assert_counters(hass, wh(sim.history(day)))


async def test_midnight_closes_the_day_without_a_drop(
    hass: HomeAssistant,
    account: MockConfigEntry,
    sim: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Across midnight the counters add the day's final total and never go down."""
    day = today(sim)
    freezer.move_to(local(day, 23, 41))
    await setup_entry(hass, site_entry(sim, account))
    seen = [counters(hass)]
    for _ in range(10):
        await advance(hass, freezer, 300)
        seen.append(counters(hass))
    for before, after in itertools.pairwise(seen):
        assert all(after[name] >= before[name] for name in FIELDS)
    # The day's last intervals came after the last poll of the day: its final total has them.
    assert_counters(hass, plus(wh(sim.history(day)), wh(sim.history(day + dt.timedelta(days=1)))))
    asked = [entry.query for entry in sim.request_log if "end_date" in entry.query]
    assert [dt.datetime.fromisoformat(q["end_date"]) for q in asked] == [
        dt.datetime.combine(day, dt.time(23, 59, 59), SYDNEY)
    ]


async def test_a_closing_day_waits_for_the_cloud(
    hass: HomeAssistant,
    account: MockConfigEntry,
    sim: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unreachable at midnight: the counters go unavailable, then close the day in full."""
    day = today(sim)
    freezer.move_to(local(day, 23, 56))
    await setup_entry(hass, site_entry(sim, account))
    sim.fault_endpoints = frozenset({"calendar_history"})
    sim.fault = "server_error"
    await advance(hass, freezer, 300)
    assert site_state(hass, "sensor", "load_energy_imported") == STATE_UNAVAILABLE
    assert site_state(hass, "sensor", "load_power") != STATE_UNAVAILABLE
    sim.fault = None
    await advance(hass, freezer, 300)
    assert_counters(hass, plus(wh(sim.history(day)), wh(sim.history(day + dt.timedelta(days=1)))))


@pytest.mark.parametrize(
    ("reach", "ignores_end_date", "missed_day_counted"),
    [(None, False, True), (0, False, False), (None, True, False)],
    ids=["final totals", "days out of reach", "proxy ignores end_date"],
)
async def test_restart_days_later(
    hass: HomeAssistant,
    account: MockConfigEntry,
    sim: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
    reach: int | None,
    ignores_end_date: bool,
    missed_day_counted: bool,
) -> None:
    """Down across two midnights: the stored ledger carries on; missed days come when they can.

    Without a day's final total, the day closes at the most it was seen at.
    """
    day = today(sim)
    freezer.move_to(local(day, 21, 30))
    entry = site_entry(sim, account)
    await setup_entry(hass, entry)
    last_seen = wh(sim.history(day))
    before = counters(hass)
    await hass.config_entries.async_unload(entry.entry_id)

    later = day + dt.timedelta(days=2)
    freezer.move_to(local(later, 1, 0))
    sim.history_days = reach
    sim.ignore_end_date = ignores_end_date
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    missed = day + dt.timedelta(days=1)
    closed = last_seen if reach == 0 or ignores_end_date else wh(sim.history(day))
    parts = [closed, wh(sim.history(later))]
    if missed_day_counted:
        parts.append(wh(sim.history(missed)))
    assert_counters(hass, plus(*parts))
    after = counters(hass)
    assert all(after[name] >= before[name] for name in FIELDS)


async def test_restored_ledger(
    hass: HomeAssistant,
    account: MockConfigEntry,
    sim: TeslaEnergySimulator,
    hass_storage: dict[str, Any],
) -> None:
    """A stored ledger of yesterday: its base, plus yesterday's final total, plus today."""
    day = today(sim)
    yesterday = day - dt.timedelta(days=1)
    base = dict.fromkeys(FIELDS, 1000000.0)
    # Yesterday was seen higher than Tesla's final says: the higher stands.
    seen = dict.fromkeys(FIELDS, 0.0) | {"load_energy_imported": 99_000.0}
    hass_storage[STORE_KEY] = {
        "version": 1,
        "key": STORE_KEY,
        "data": {"day": yesterday.isoformat(), "today": seen, "base": base},
    }
    await setup_entry(hass, site_entry(sim, account))
    final = wh(sim.history(yesterday))
    closed = {name: max(final[name], seen[name]) for name in FIELDS}
    assert closed["load_energy_imported"] == 99_000.0
    assert_counters(hass, plus(base, closed, wh(sim.history(day))))


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {"day": "yesterday", "today": {}, "base": {}},
        {"day": None},
        ["not", "an", "object"],
    ],
)
async def test_unreadable_ledger_starts_afresh(
    hass: HomeAssistant,
    account: MockConfigEntry,
    sim: TeslaEnergySimulator,
    hass_storage: dict[str, Any],
    stored: Any,
) -> None:
    """Nothing readable stored: the counters start from today's history."""
    if stored is not None:
        hass_storage[STORE_KEY] = {"version": 1, "key": STORE_KEY, "data": stored}
    await setup_entry(hass, site_entry(sim, account))
    assert_counters(hass, wh(sim.history(today(sim))))


async def test_bad_stored_numbers_are_dropped(
    hass: HomeAssistant,
    account: MockConfigEntry,
    sim: TeslaEnergySimulator,
    hass_storage: dict[str, Any],
) -> None:
    """Of a stored base only the known, finite, non-negative counters are kept."""
    hass_storage[STORE_KEY] = {
        "version": 1,
        "key": STORE_KEY,
        "data": {
            "day": today(sim).isoformat(),
            "today": "not counters",
            "base": {
                "load_energy_imported": 500.0,
                "solar_energy_exported": -5,
                "battery_energy_exported": True,
                "unknown_counter": 7.0,
            },
        },
    }
    await setup_entry(hass, site_entry(sim, account))
    expected = wh(sim.history(today(sim)))
    expected["load_energy_imported"] += 500.0
    assert_counters(hass, expected)


async def test_odd_answers(
    hass: HomeAssistant,
    account: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    sim: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No interval yet, a negative reading, a lower answer, an answer for a closed day.

    Unknown at first; the negative reading is left out and counted; the counters stay put.
    """
    sim.history_hook = lambda entries: []
    entry = site_entry(sim, account)
    await setup_entry(hass, entry)
    assert site_state(hass, "sensor", "load_energy_imported") == STATE_UNKNOWN

    def negative(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries[0]["consumer_energy_imported_from_grid"] = -50.0
        return entries

    sim.history_hook = negative
    await advance(hass, freezer, 300)
    day = today(sim)
    expected = wh(sim.history(day))
    expected["load_energy_imported"] += 50.0  # the -50 is left out, not added
    assert_counters(hass, expected)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["coordinators"]["energy"]["rejected"] == {"negative_energy": 1}

    high = counters(hass)
    sim.history_hook = lambda entries: entries[: len(entries) // 2]
    await advance(hass, freezer, 300)
    assert counters(hass) == high

    def yesterday(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        earlier = dt.timedelta(days=1)
        return [
            entry
            | {"timestamp": (dt.datetime.fromisoformat(entry["timestamp"]) - earlier).isoformat()}
            for entry in entries
        ]

    # An answer for a day already closed changes nothing either.
    sim.history_hook = yesterday
    await advance(hass, freezer, 300)
    assert counters(hass) == high
