"""A month of charging through Home Assistant: lifetime cost and energy, history, CSV, summary."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import io
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
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
from simulators import prices
from simulators.wall_connector import WallConnectorSimulator
from simulators.wall_connector_session import Stage, Step

from ..conftest import WALL_CONNECTOR_SERIAL, setup_entry
from ..helpers import advance, entity_id

SERIAL = "PGT2259876543"
SYDNEY = ZoneInfo("Australia/Sydney")
# A Monday, 07:00 in Sydney; the simulator's script starts here.
ORIGIN = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
PLUGGED_S, FULL_S, TAPER_S, FINISHED_S = 60, 1800, 600, 300
FULL_A, LOW_A = 40.0, 8.0
CONNECTED_S = PLUGGED_S + FULL_S + TAPER_S + FINISHED_S
# 3 days 3 h 17 min: each session starts at another time of day than the one before.
CYCLE_S = 3 * 86400 + 3 * 3600 + 17 * 60
IDLE_S = CYCLE_S - CONNECTED_S - 5
SCRIPT = [
    Step(Stage.UNPLUGGED, IDLE_S),
    Step(Stage.PLUGGED, PLUGGED_S),
    Step(Stage.CHARGING, FULL_S, FULL_A),
    Step(Stage.CHARGING, TAPER_S, FULL_A, LOW_A),
    Step(Stage.FINISHED, FINISHED_S),
    Step(Stage.UNPLUGGING, 5),
]
SESSIONS = 9  # the ninth is still charging when the month ends
RESTART_MID_SESSION = 3
RESTART_BETWEEN_SESSIONS = 5


@dataclass
class Expected:
    """A session as the simulator's script and Amber's price curve say it went."""

    plug_in: datetime
    unplug: datetime
    samples: list[datetime] = field(default_factory=list)
    energy_wh: float = 0.0
    cost: float = 0.0
    peak_w: float = 0.0

    @property
    def started_at(self) -> datetime:
        """The first poll that saw the car (the tracker's start)."""
        return self.samples[0]


def _price(moment: datetime) -> float:
    """Return AUD/kWh of the Amber interval running at `moment`."""
    return prices.general_price(prices.floor_time(moment, 5)) / 100


def _expected(sim: WallConnectorSimulator, expected: Expected) -> None:
    """Price each poll's energy step at the interval in force half way through it.

    Polls fall on whole minutes, so a step's midpoint is at least 30 s before its poll, by
    when Amber (polling 3 s after each boundary) has the interval running at the midpoint.
    """
    first = expected.samples[0]
    # The first poll starts the session; the car waits a minute before drawing anything.
    assert sim.session_energy_wh(sim.moment((first - ORIGIN).total_seconds())) == 0
    previous_wh, previous_poll = 0.0, first
    for moment in expected.samples:
        elapsed = (moment - ORIGIN).total_seconds()
        energy = sim.session_energy_wh(sim.moment(elapsed))
        midpoint = previous_poll + (moment - previous_poll) / 2
        expected.cost += (energy - previous_wh) / 1000 * _price(midpoint)
        expected.peak_w = max(expected.peak_w, sim.power_w(sim.moment(elapsed)))
        previous_wh, previous_poll = energy, moment
    expected.energy_wh = previous_wh


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> dict[str, Any]:
    """Call one of our services and return its response."""
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _state(hass: HomeAssistant, key: str) -> Any:
    state = hass.states.get(entity_id(hass, "sensor", f"{SERIAL}_{key}"))
    assert state is not None
    return state


class Month:
    """Walks the clock through a month of sessions, recording every vitals poll."""

    def __init__(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        sim: WallConnectorSimulator,
        entry: MockConfigEntry,
    ) -> None:
        """Keep what the walk needs."""
        self.hass, self.freezer, self.sim, self.entry = hass, freezer, sim, entry
        self.polls: list[datetime] = []
        self.restarts = 0
        self.sessions = [
            Expected(
                plug_in=ORIGIN + timedelta(seconds=IDLE_S + index * CYCLE_S),
                unplug=ORIGIN + timedelta(seconds=IDLE_S + index * CYCLE_S + CONNECTED_S),
            )
            for index in range(SESSIONS)
        ]

    def listen(self) -> None:
        """Record each vitals poll of the entry's (new) coordinator."""
        self.entry.runtime_data.vitals.async_add_listener(
            lambda: self.polls.append(datetime.now(UTC))
        )

    async def setup(self) -> None:
        """Set the entry up; its first poll happens now."""
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        self.polls.append(datetime.now(UTC))
        self.listen()

    async def restart(self) -> None:
        """Stop the entry (state written) for a minute, then start it again on a whole minute."""
        assert await self.hass.config_entries.async_unload(self.entry.entry_id)
        await self.hass.async_block_till_done()
        await advance(self.hass, self.freezer, 60)
        await self.setup()
        self.restarts += 1

    async def walk_to(self, until: datetime, *, restart_at: datetime | None = None) -> None:
        """Step 30 s at a time (vitals polls every 60 s, on whole minutes) up to `until`."""
        while datetime.now(UTC) < until:
            await advance(self.hass, self.freezer, 30)
            now = datetime.now(UTC)
            if restart_at is not None and now >= restart_at and now.second == 0:
                restart_at = None
                await self.restart()

    async def jump_before(self, moment: datetime) -> None:
        """Skip the idle days: one poll on a whole minute shortly before `moment`."""
        target = (moment - timedelta(seconds=90)).replace(second=0, microsecond=0)
        await advance(self.hass, self.freezer, (target - datetime.now(UTC)).total_seconds())

    def assign_polls(self) -> None:
        """Give each session the polls that saw its car connected, and price them."""
        for expected in self.sessions:
            expected.samples = [
                moment for moment in self.polls if expected.plug_in <= moment < expected.unplug
            ]
            _expected(self.sim, expected)


@pytest.fixture
async def month_sim(socket_enabled: None, freezer: FrozenDateTimeFactory) -> Any:
    """A Wall Connector whose script starts at ORIGIN, one session every 3 days and a bit."""
    freezer.move_to(ORIGIN)
    sim = WallConnectorSimulator(serial=SERIAL, script=SCRIPT)
    await sim.start()
    yield sim
    await sim.stop()


async def test_a_month_of_charging(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    month_sim: WallConnectorSimulator,
    amber_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> None:
    """Lifetime cost and energy, the history, its CSV export and the summary agree with a month."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    assert await async_setup_component(hass, "http", {})
    sim = month_sim
    await setup_entry(hass, amber_entry)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Wall Connector {SERIAL}",
        unique_id=SERIAL,
        data={CONF_KIND: EntryKind.WALL_CONNECTOR, CONF_HOST: sim.host, CONF_SERIAL: SERIAL},
        options={
            CONF_TARIFF_ENTRY: amber_entry.entry_id,
            CONF_VITALS_CONNECTED_S: 60,
            CONF_VITALS_IDLE_S: 60,
        },
    )
    entry.add_to_hass(hass)
    month = Month(hass, freezer, sim, entry)
    await month.setup()
    assert _state(hass, "charging_cost").attributes[ATTR_UNIT_OF_MEASUREMENT] == "AUD"
    assert float(_state(hass, "charging_cost").state) == 0
    assert float(_state(hass, "energy_charged").state) == 0

    seen_energy: list[float] = []
    for index, expected in enumerate(month.sessions):
        await month.jump_before(expected.plug_in)
        last = index == SESSIONS - 1
        until = expected.plug_in + timedelta(seconds=1200 if last else CONNECTED_S + 60)
        restart_at = (
            expected.plug_in + timedelta(seconds=900) if index == RESTART_MID_SESSION else None
        )
        await month.walk_to(until, restart_at=restart_at)
        seen_energy.append(float(_state(hass, "energy_charged").state))
        if index == RESTART_BETWEEN_SESSIONS:
            before = (_state(hass, "charging_cost").state, _state(hass, "energy_charged").state)
            await month.restart()
            after = (_state(hass, "charging_cost").state, _state(hass, "energy_charged").state)
            assert after == before
    assert month.restarts == 2  # one mid-session, one between sessions
    month.assign_polls()
    finished, active = month.sessions[:-1], month.sessions[-1]

    # Energy never goes down (cost may: Amber's price is negative some afternoons).
    assert seen_energy == sorted(seen_energy)
    assert len(set(seen_energy)) == SESSIONS
    # The script's energy per session, in closed form: V x the current's integral.
    script_wh = sim.wiring.grid_v * (FULL_A * FULL_S + (FULL_A + LOW_A) / 2 * TAPER_S) / 3600
    for expected in finished:
        assert expected.energy_wh == pytest.approx(script_wh)
    total_wh = sum(expected.energy_wh for expected in month.sessions)
    total_cost = sum(expected.cost for expected in month.sessions)
    assert float(_state(hass, "energy_charged").state) == pytest.approx(total_wh / 1000, abs=1e-4)
    cost = _state(hass, "charging_cost")
    assert float(cost.state) == pytest.approx(total_cost, abs=1e-5)
    assert cost.attributes["unpriced_energy_kwh"] == 0

    # The history, whole and by range.
    response = await _call(hass, "get_charging_sessions", {})
    assert response["serial_number"] == SERIAL
    rows: list[dict[str, Any]] = response["sessions"]
    assert len(rows) == len(finished)
    for row, expected in zip(rows, finished, strict=True):
        assert datetime.fromisoformat(row["started_at"]) == expected.started_at
        assert row["started_at"].endswith("+11:00")  # local time, Sydney in summer
        assert datetime.fromisoformat(row["ended_at"]) == min(
            poll for poll in month.polls if poll >= expected.unplug
        )
        assert row["energy_kwh"] == pytest.approx(script_wh / 1000, abs=1e-4)
        assert row["cost"] == pytest.approx(expected.cost, abs=1e-4)
        assert row["currency"] == "AUD"
        assert row["average_price"] == pytest.approx(expected.cost / row["energy_kwh"], abs=1e-5)
        assert row["unpriced_energy_kwh"] == 0
        assert row["duration_s"] == pytest.approx(CONNECTED_S, abs=60)
        assert row["charging_s"] == pytest.approx(FULL_S + TAPER_S, abs=60)
        assert row["peak_power_kw"] == pytest.approx(expected.peak_w / 1000)
        assert row["peak_power_kw"] == pytest.approx(sim.wiring.grid_v * FULL_A / 1000)
        assert row["average_power_kw"] == pytest.approx(
            row["energy_kwh"] / (row["charging_s"] / 3600), rel=1e-3
        )
    december = datetime(2026, 12, 1, tzinfo=SYDNEY)
    mid_december = datetime(2026, 12, 15, 12, tzinfo=SYDNEY)
    in_range = [e for e in finished if december <= e.started_at < mid_december]
    assert 0 < len(in_range) < len(finished)
    response = await _call(
        hass,
        "get_charging_sessions",
        {
            "start": "2026-12-01 00:00:00",  # no offset: Home Assistant's time zone
            "end": mid_december.isoformat(),
            "config_entry_id": entry.entry_id,
        },
    )
    ranged: list[dict[str, Any]] = response["sessions"]
    assert [datetime.fromisoformat(row["started_at"]) for row in ranged] == [
        e.started_at for e in in_range
    ]

    # The same rows as CSV, behind authentication. The fixture's token expired weeks ago.
    url = f"/api/{DOMAIN}/wall_connector/{SERIAL}/sessions.csv"
    anonymous = await hass_client_no_auth()
    assert (await anonymous.get(url)).status == 401
    refresh = await hass.auth.async_create_refresh_token(hass_admin_user, "https://example.com/app")
    client = await hass_client(hass.auth.async_create_access_token(refresh))
    answer = await client.get(url)
    assert answer.status == 200
    assert answer.content_type == "text/csv"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    body = await answer.text()
    assert body.count("\r\n") == len(finished) + 1
    reader = csv.DictReader(io.StringIO(body, newline=""))
    assert reader.fieldnames == list(rows[0])
    parsed = list(reader)
    assert len(parsed) == len(rows)
    for line, row in zip(parsed, rows, strict=True):
        assert line["started_at"] == row["started_at"]
        assert float(line["energy_kwh"]) == row["energy_kwh"]
        assert float(line["cost"]) == row["cost"]
        assert line["currency"] == "AUD"
    # An unencoded "+" in the offset arrives as a space; a bare date is local midnight.
    answer = await client.get(url, params={"start": "2026-12-01", "end": mid_december.isoformat()})
    assert len(list(csv.DictReader(io.StringIO(await answer.text(), newline="")))) == len(in_range)
    answer = await client.get(f"{url}?start=2026-12-01T00:00:00+11:00")
    in_december = [e for e in finished if e.started_at >= december]
    assert len(list(csv.DictReader(io.StringIO(await answer.text(), newline="")))) == len(
        in_december
    )
    assert (await client.get(url, params={"start": "soon"})).status == 400
    assert (await client.get(f"/api/{DOMAIN}/wall_connector/PGT000/sessions.csv")).status == 404

    # Today, this week, month and year in Sydney, the session in progress included.
    response = await _call(hass, "get_charging_summary", {})
    now = datetime.now(UTC).astimezone(SYDNEY)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = {
        "today": midnight,
        "week": midnight - timedelta(days=now.weekday()),
        "month": midnight.replace(day=1),
        "year": midnight.replace(month=1, day=1),
    }
    for period, start in starts.items():
        counted = [e for e in month.sessions if e.started_at >= start]
        summary: dict[str, Any] = response[period]
        assert datetime.fromisoformat(summary["start"]) == start
        assert summary["sessions"] == len(counted)
        assert summary["energy_kwh"] == pytest.approx(
            sum(e.energy_wh for e in counted) / 1000, abs=1e-3
        )
        assert summary["cost"] == pytest.approx(sum(e.cost for e in counted), abs=1e-3)
        assert summary["currency"] == "AUD"
    assert response["today"]["sessions"] == 1
    assert response["year"]["sessions"] == SESSIONS
    assert active.energy_wh > 0


async def test_service_errors_and_no_tariff(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    amber_entry: MockConfigEntry,
) -> None:
    """Calls that name no charger, several, or a backwards range are refused in words."""
    await setup_entry(hass, amber_entry)

    async def call(service: str, data: dict[str, Any]) -> dict[str, Any]:
        return await _call(hass, service, data)

    for data in ({}, {"config_entry_id": amber_entry.entry_id}):
        with pytest.raises(ServiceValidationError) as err:
            await call("get_charging_sessions", data)
        assert err.value.translation_key == "no_wall_connector_entry"

    await setup_entry(hass, wall_connector_entry)
    with pytest.raises(ServiceValidationError) as err:
        await call("get_charging_sessions", {"start": "2026-12-02", "end": "2026-12-01"})
    assert err.value.translation_key == "invalid_session_range"
    assert (await call("get_charging_sessions", {}))["sessions"] == []
    # No tariff linked: energy is summed, cost is not stated.
    summary = await call("get_charging_summary", {})
    assert summary["year"]["cost"] is None
    assert summary["year"]["currency"] is None
    assert summary["today"]["sessions"] == 0

    other = WallConnectorSimulator(serial="PGT2250000002")
    await other.start()
    try:
        second = MockConfigEntry(
            domain=DOMAIN,
            unique_id=other.serial,
            data={
                CONF_KIND: EntryKind.WALL_CONNECTOR,
                CONF_HOST: other.host,
                CONF_SERIAL: other.serial,
            },
        )
        await setup_entry(hass, second)
        with pytest.raises(ServiceValidationError) as err:
            await call("get_charging_summary", {})
        assert err.value.translation_key == "several_wall_connector_entries"
        named = await call("get_charging_summary", {"config_entry_id": second.entry_id})
        assert named["serial_number"] == other.serial
        assert await hass.config_entries.async_unload(second.entry_id)
    finally:
        await other.stop()


async def test_upgrade_keeps_the_last_session(
    hass: HomeAssistant,
    wall_connector_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A store from before the history and totals: its last session opens the history."""
    started = "2026-11-20T08:00:00+00:00"
    last = {
        "started_at": started,
        "ended_at": "2026-11-20T10:00:00+00:00",
        "energy_kwh": 12.5,
        "duration_s": 7200.0,
        "charging_s": 5400.0,
        "cost": 3.75,
        "currency": "AUD",
        "average_price": 0.3,
        "unpriced_energy_kwh": 0.0,
    }
    hass_storage[f"{DOMAIN}.sessions.{WALL_CONNECTOR_SERIAL}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.sessions.{WALL_CONNECTOR_SERIAL}",
        "data": {"active": None, "last": last, "connected": False},
    }
    await setup_entry(hass, wall_connector_entry)
    rows = (await _call(hass, "get_charging_sessions", {}))["sessions"]
    assert len(rows) == 1
    assert datetime.fromisoformat(rows[0]["started_at"]) == datetime.fromisoformat(started)
    assert rows[0]["cost"] == 3.75
    assert rows[0]["peak_power_kw"] is None  # not tracked then
    # Lifetime totals start from zero rather than guessing the past.
    state = hass.states.get(entity_id(hass, "sensor", f"{WALL_CONNECTOR_SERIAL}_energy_charged"))
    assert state is not None
    assert float(state.state) == 0
