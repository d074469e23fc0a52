"""A month of charging through the recorder: long-term statistics and the Energy Dashboard."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncGenerator, Generator
from datetime import UTC, date, datetime, timedelta
import logging
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.tesla_energy_sync.const import (
    CONF_KIND,
    CONF_SERIAL,
    CONF_TARIFF_ENTRY,
    CONF_USAGE_DAYS,
    CONF_VITALS_CONNECTED_S,
    CONF_VITALS_IDLE_S,
    DOMAIN,
    EntryKind,
)
from simulators import prices
from simulators.wall_connector import WallConnectorSimulator
from simulators.wall_connector_session import Stage, Step

from ..helpers import advance, entity_id

SERIAL = "PGT2254242424"
SYDNEY = ZoneInfo("Australia/Sydney")
# December 2026 in Sydney (UTC+11 all month): the month the dashboard shows.
MONTH_START = datetime(2026, 12, 1, tzinfo=SYDNEY)
MONTH_END = datetime(2027, 1, 1, tzinfo=SYDNEY)
# Set up an hour early, so the statistics hold a zero before the month begins.
ORIGIN = MONTH_START.astimezone(UTC) - timedelta(hours=1)
HOUR = timedelta(hours=1)
PLUGGED_S, FULL_S, TAPER_S, FINISHED_S = 60, 420, 240, 30
FULL_A, LOW_A = 40.0, 8.0
CONNECTED_S = PLUGGED_S + FULL_S + TAPER_S + FINISHED_S
# 8 h 7 min: three sessions most days, each at another time of day than the one before.
CYCLE_S = 8 * 3600 + 7 * 60
IDLE_S = CYCLE_S - CONNECTED_S - 5
SCRIPT = [
    Step(Stage.UNPLUGGED, IDLE_S),
    Step(Stage.PLUGGED, PLUGGED_S),
    Step(Stage.CHARGING, FULL_S, FULL_A),
    Step(Stage.CHARGING, TAPER_S, FULL_A, LOW_A),
    Step(Stage.FINISHED, FINISHED_S),
    Step(Stage.UNPLUGGING, 5),
]
RESTART_MID_SESSION = 31
RESTART_BETWEEN_SESSIONS = 58


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Ask for the recorder's database before `hass`, as the recorder fixture requires."""


@pytest.fixture(autouse=True)
def quiet_sql() -> Generator[None]:
    """Keep the recorder's SQL (logged at INFO in tests) out of a month's captured log."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Leave asyncio's debug mode off here: a stack capture per callback triples a month's run.

    The other tests drive the same code with it on.
    """


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """Record the charger's two lifetime counters: a month of every other entity is slow."""
    return {"include": {"entity_globs": ["sensor.*_energy_charged", "sensor.*_charging_cost"]}}


@pytest.fixture
def enable_statistics() -> bool:
    """Let the recorder compile statistics on its own 5-minute schedule."""
    return True


@pytest.fixture
async def month_sim(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncGenerator[WallConnectorSimulator]:
    """A Wall Connector whose script starts at ORIGIN, one session every 8 h 7 min."""
    freezer.move_to(ORIGIN)
    sim = WallConnectorSimulator(serial=SERIAL, script=SCRIPT)
    await sim.start()
    yield sim
    await sim.stop()


def _price(moment: datetime) -> float:
    """Return AUD/kWh of the Amber interval running at `moment`."""
    return prices.general_price(prices.floor_time(moment, 5)) / 100


class Walk:
    """Moves the clock through the month and notes the moment of every vitals poll."""

    def __init__(
        self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
    ) -> None:
        """Keep what the walk needs."""
        self.hass, self.freezer, self.entry = hass, freezer, entry
        self.polls: list[datetime] = []
        self.restarts = 0

    async def setup(self) -> None:
        """Set the entry up (its first poll happens now) and listen to its polls."""
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        self.polls.append(datetime.now(UTC))
        self.entry.runtime_data.vitals.async_add_listener(
            lambda: self.polls.append(datetime.now(UTC))
        )

    async def restart(self) -> None:
        """Reload the entry with a minute's gap: entities unavailable, then restored."""
        assert await self.hass.config_entries.async_unload(self.entry.entry_id)
        await self.hass.async_block_till_done()
        await advance(self.hass, self.freezer, 60)
        await self.setup()
        self.restarts += 1

    async def step_to(self, moment: datetime) -> None:
        """Jump to `moment`, letting every timer that fell due run once."""
        await advance(self.hass, self.freezer, (moment - datetime.now(UTC)).total_seconds())

    async def idle_to(self, moment: datetime) -> None:
        """Jump across an idle stretch to `moment`, each hour in it compiled on the way.

        Nothing changes while the car is away, so rather than stepping through every hour
        (a poll each) the recorder's own statistics task compiles each hour's last 5 minutes,
        and with it the hour, in order, before the clock jumps (a compiled period is skipped).
        """
        # From this hour's start: on a whole hour, its last 5 minutes await the 10-second tick.
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        while hour <= moment:
            do_adhoc_statistics(self.hass, start=hour - timedelta(minutes=5))
            hour += HOUR
        await self.step_to(moment)

    async def walk_to(self, until: datetime, *, restart_at: datetime | None = None) -> None:
        """Step a minute at a time (vitals polls every 60 s, on whole minutes) up to `until`."""
        while datetime.now(UTC) < until:
            await advance(self.hass, self.freezer, 60)
            if restart_at is not None and datetime.now(UTC) >= restart_at:
                restart_at = None
                await self.restart()


def _steps(
    sim: WallConnectorSimulator, polls: list[datetime], plug_in: datetime, unplug: datetime
) -> list[tuple[datetime, float, float]]:
    """Return (poll, Wh, AUD) for each poll of one session: energy since the last poll, priced.

    Each step is priced at Amber's interval half way through it, the price in force then.
    """
    samples = [moment for moment in polls if plug_in <= moment < unplug]
    steps: list[tuple[datetime, float, float]] = []
    previous_wh, previous_poll = 0.0, samples[0]
    for moment in samples:
        energy = sim.session_energy_wh(sim.moment((moment - ORIGIN).total_seconds()))
        midpoint = previous_poll + (moment - previous_poll) / 2
        steps.append(
            (moment, energy - previous_wh, (energy - previous_wh) / 1000 * _price(midpoint))
        )
        previous_wh, previous_poll = energy, moment
    return steps


async def test_a_month_in_statistics_and_the_energy_dashboard(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    month_sim: WallConnectorSimulator,
    amber_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
) -> None:
    """The recorder's hourly sums, a day and a month of them, and the dashboard's cost agree."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    assert await async_setup_component(hass, "energy", {})
    sim = month_sim
    amber_entry.add_to_hass(hass)
    # Amber's own usage import back-fills a single day: its statistics are not under test here.
    hass.config_entries.async_update_entry(amber_entry, options={CONF_USAGE_DAYS: 1})
    assert await hass.config_entries.async_setup(amber_entry.entry_id)
    await hass.async_block_till_done()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Wall Connector {SERIAL}",
        unique_id=SERIAL,
        data={CONF_KIND: EntryKind.WALL_CONNECTOR, CONF_HOST: sim.host, CONF_SERIAL: SERIAL},
        options={
            CONF_TARIFF_ENTRY: amber_entry.entry_id,
            CONF_VITALS_CONNECTED_S: 60,
            CONF_VITALS_IDLE_S: 600,
        },
    )
    entry.add_to_hass(hass)
    walk = Walk(hass, freezer, entry)
    await walk.setup()
    energy_id = entity_id(hass, "sensor", f"{SERIAL}_energy_charged")
    cost_id = entity_id(hass, "sensor", f"{SERIAL}_charging_cost")

    sessions: list[tuple[datetime, datetime]] = []
    index = 0
    while (plug_in := ORIGIN + timedelta(seconds=IDLE_S + index * CYCLE_S)) < MONTH_END:
        unplug = plug_in + timedelta(seconds=CONNECTED_S)
        sessions.append((plug_in, unplug))
        # The last whole minute before the car arrives: the poll there still sees no car.
        await walk.idle_to(plug_in.replace(second=0, microsecond=0))
        restart_at = plug_in + timedelta(seconds=420) if index == RESTART_MID_SESSION else None
        await walk.walk_to(unplug + timedelta(seconds=60), restart_at=restart_at)
        if index == RESTART_BETWEEN_SESSIONS:
            await walk.restart()
        index += 1
    # Past the month's end and into the hour after, so its last hour is compiled too.
    await walk.idle_to(MONTH_END.astimezone(UTC) + timedelta(hours=1, minutes=1))
    await async_wait_recording_done(hass)
    assert walk.restarts == 2
    cost_state = hass.states.get(cost_id)
    assert cost_state is not None
    assert cost_state.attributes["unpriced_energy_kwh"] == 0  # every step had Amber's price

    # What the month cost, from the simulator's energy and Amber's prices, by Sydney day.
    by_day: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    falls = 0
    for plug_in, unplug in sessions:
        for moment, wh, aud in _steps(sim, walk.polls, plug_in, unplug):
            falls += aud < 0
            if MONTH_START <= moment < MONTH_END:
                totals = by_day[moment.astimezone(SYDNEY).date()]
                totals[0] += wh / 1000
                totals[1] += aud
    assert len(sessions) == 91
    # Some steps cost less than nothing (Amber's negative prices): the cost sum must fall there.
    assert falls > 0
    assert len(by_day) == 31
    total_kwh = sum(totals[0] for totals in by_day.values())
    total_cost = sum(totals[1] for totals in by_day.values())

    # The fixture's token expired weeks ago, on the simulated clock.
    refresh = await hass.auth.async_create_refresh_token(hass_admin_user, "https://example.com/app")
    client = await hass_ws_client(hass, hass.auth.async_create_access_token(refresh))

    async def ask(message: dict[str, Any]) -> Any:
        await client.send_json_auto_id(message)
        response = await client.receive_json()
        assert response["success"], response
        return response["result"]

    listed = {
        row["statistic_id"]: row
        for row in await ask({"type": "recorder/list_statistic_ids", "statistic_type": "sum"})
    }
    assert listed[energy_id]["statistics_unit_of_measurement"] == "kWh"
    assert listed[energy_id]["unit_class"] == "energy"
    assert listed[cost_id]["statistics_unit_of_measurement"] == "AUD"
    for statistic in (energy_id, cost_id):
        assert listed[statistic]["has_sum"] is True
        assert listed[statistic]["source"] == "recorder"

    async def during(period: str) -> dict[str, list[dict[str, Any]]]:
        # The frontend's energy panel asks exactly this: the change of each sum per period.
        return dict(
            await ask(
                {
                    "type": "recorder/statistics_during_period",
                    "start_time": MONTH_START.isoformat(),
                    # The frontend ends a period a millisecond before the next one starts.
                    "end_time": (MONTH_END - timedelta(milliseconds=1)).isoformat(),
                    "statistic_ids": [energy_id, cost_id],
                    "period": period,
                    "types": ["change", "sum"],
                    "units": {"energy": "kWh"},
                }
            )
        )

    month = await during("month")
    assert [row["start"] for row in month[energy_id]] == [MONTH_START.timestamp() * 1000]
    assert month[energy_id][0]["change"] == pytest.approx(total_kwh, abs=0.0005)
    assert month[cost_id][0]["change"] == pytest.approx(total_cost, abs=0.005)
    days = await during("day")
    expected_days = sorted(by_day)
    for statistic, column in ((energy_id, 0), (cost_id, 1)):
        rows = days[statistic]
        assert [datetime.fromtimestamp(row["start"] / 1000, SYDNEY).date() for row in rows] == (
            expected_days
        )
        for row, day in zip(rows, expected_days, strict=True):
            assert row["change"] == pytest.approx(by_day[day][column], abs=1e-5), day
    # The energy sum never drops, the reloads included (a reset would have added a cycle).
    hours = await during("hour")
    energy_sums = [row["sum"] for row in hours[energy_id]]
    assert energy_sums == sorted(energy_sums)
    assert len(hours[cost_id]) == 31 * 24

    # The Energy Dashboard takes them: the charger's energy as a device; its cost can only be
    # attached to a source (grid, gas, water) in this Home Assistant, so a grid import of its
    # own carries Energy charged with Charging cost, as for a separately metered EV circuit.
    prefs = {
        "energy_sources": [
            {
                "type": "grid",
                "stat_energy_from": energy_id,
                "stat_cost": cost_id,
                "cost_adjustment_day": 0,
            }
        ],
        "device_consumption": [{"stat_consumption": energy_id}],
    }
    saved = await ask({"type": "energy/save_prefs", **prefs})
    assert saved["energy_sources"][0]["stat_cost"] == cost_id
    validation = await ask({"type": "energy/validate"})
    assert validation["energy_sources"] == [[]]
    assert validation["device_consumption"] == [[]]
    # What the dashboard shows for December: the day changes of the cost statistic, summed.
    assert sum(row["change"] for row in days[cost_id]) == pytest.approx(total_cost, abs=0.005)
    assert sum(row["change"] for row in days[energy_id]) == pytest.approx(total_kwh, abs=0.0005)
