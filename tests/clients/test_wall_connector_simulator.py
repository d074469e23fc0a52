"""The Wall Connector stand-in: a whole session walked on an injected clock, reboots, faults."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from custom_components.tesla_energy_sync.clients.wall_connector import (
    EvseState,
    WallConnectorClient,
    session_power_w,
)
from simulators.__main__ import parse_args, wall_connector_serial
from simulators.wall_connector import (
    INITIAL_SESSION_ENERGY_WH,
    LIFETIME_BASE,
    WallConnectorSimulator,
)
from simulators.wall_connector_session import BOOT_SECONDS, SessionScript, Stage, Step

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp

    from .conftest import SimClock

SPLIT_W = 239.6  # W per amp: grid_v x vehicle_current_a on split phase
THREE_W = 231.2 + 229.8 + 230.5  # W per amp: sum over phases when each carries the current
# The default script's boundaries, in seconds from the start.
PLUG, FULL_END, TAPER_END, PAUSE_END, RESUME_END, FINISH_END, CYCLE = (
    600,
    4260,
    5160,
    5460,
    6060,
    6660,
    6665,
)


def split_session_wh() -> float:
    """Return one default split-phase session's energy, computed by hand."""
    full = 48 * 3600
    taper = (48 + 8) / 2 * 900
    resume = 8 * 600
    return SPLIT_W * (full + taper + resume) / 3600


@pytest.fixture
async def wall(sim_clock: SimClock) -> AsyncIterator[WallConnectorSimulator]:
    """Run a split-phase simulator."""
    unit = WallConnectorSimulator(clock=sim_clock)
    await unit.start()
    yield unit
    await unit.stop()


async def test_whole_session_walk(
    session: aiohttp.ClientSession, wall: WallConnectorSimulator, sim_clock: SimClock
) -> None:
    client = WallConnectorClient(session, wall.host)
    start = sim_clock.now
    seen: list[tuple[int, bool, bool]] = []
    last_session_wh = -1.0
    last_uptime = -1
    for second in range(0, CYCLE + 60, 30):
        sim_clock.now = start
        sim_clock.advance(second)
        vitals = await client.get_vitals()
        lifetime = await client.get_lifetime()
        state = (vitals.evse_state_code, vitals.vehicle_connected, vitals.contactor_closed)
        if not seen or seen[-1] != state:
            seen.append(state)
        assert vitals.uptime_s > last_uptime
        last_uptime = vitals.uptime_s
        assert session_power_w(vitals) == pytest.approx(wall.power_w(), abs=SPLIT_W * 0.05)
        if vitals.vehicle_connected and second >= PLUG:
            assert vitals.session_energy_wh is not None
            assert vitals.session_energy_wh >= last_session_wh
            last_session_wh = vitals.session_energy_wh
        if second < CYCLE - 5:
            assert lifetime.energy_wh == LIFETIME_BASE["energy_wh"]
    assert seen == [
        (1, False, False),  # unplugged
        (4, True, False),  # plugged in, not charging
        (11, True, True),  # charging, then tapering
        (9, True, False),  # paused, car still connected
        (11, True, True),  # resumed
        (8, True, False),  # finished
        (13, False, False),  # just unplugged: unmapped code 13 for 5 s
        (1, False, False),  # unplugged again
    ]
    assert last_session_wh == pytest.approx(split_session_wh(), abs=0.001)


def test_session_energy_and_lifetime_in_closed_form(sim_clock: SimClock) -> None:
    unit = WallConnectorSimulator(clock=sim_clock)
    assert unit.session_energy_wh(unit.moment(PLUG - 1)) == INITIAL_SESSION_ENERGY_WH
    assert unit.session_energy_wh(unit.moment(PLUG + 30)) == 0.0  # restarts at plug-in
    assert unit.moment(PLUG + 30).session_s == 30
    full = unit.moment(FULL_END)
    assert unit.session_energy_wh(full) == pytest.approx(SPLIT_W * 48, abs=1e-6)
    taper = unit.moment(FULL_END + 450)
    assert taper.amps == pytest.approx(28.0)
    assert unit.power_w(taper) == pytest.approx(SPLIT_W * 28)
    assert unit.session_energy_wh(unit.moment(PAUSE_END)) == pytest.approx(
        SPLIT_W * (48 * 3600 + 28 * 900) / 3600
    )
    finished = unit.moment(FINISH_END - 1)
    assert finished.stage is Stage.FINISHED
    assert finished.session_s == 0  # as core#74219 shows
    assert unit.energy_wh(finished) == LIFETIME_BASE["energy_wh"]  # not until unplug
    unplugging = unit.moment(FINISH_END + 1)
    assert unplugging.stage is Stage.UNPLUGGING
    assert unit.vitals(unplugging)["evse_state"] == 13
    wh = split_session_wh()
    assert unit.energy_wh(unplugging) == LIFETIME_BASE["energy_wh"] + int(wh)
    # Idle after the session: the last session's energy stays on show.
    assert unit.session_energy_wh(unit.moment(CYCLE + 100)) == pytest.approx(wh)
    # Two sessions later the counters have moved twice.
    later = unit.moment(2 * CYCLE + 10)
    lifetime = unit.lifetime(later)
    assert lifetime["energy_wh"] == LIFETIME_BASE["energy_wh"] + int(2 * wh)
    assert lifetime["connector_cycles"] == LIFETIME_BASE["connector_cycles"] + 2
    assert lifetime["charge_starts"] == LIFETIME_BASE["charge_starts"] + 4  # start + resume
    assert lifetime["contactor_cycles"] == LIFETIME_BASE["contactor_cycles"] + 4
    assert lifetime["charging_time_s"] == LIFETIME_BASE["charging_time_s"] + 2 * 5100
    assert lifetime["uptime_s"] == LIFETIME_BASE["uptime_s"] + 2 * CYCLE + 10


async def test_three_phase_unit(session: aiohttp.ClientSession, sim_clock: SimClock) -> None:
    unit = WallConnectorSimulator(serial="PGT2251239999", three_phase=True, clock=sim_clock)
    await unit.start()
    try:
        sim_clock.advance(PLUG + 600)
        vitals = await WallConnectorClient(session, unit.host).get_vitals()
    finally:
        await unit.stop()
    assert vitals.vehicle_current_a == 16.0
    assert (vitals.current_a_a, vitals.current_b_a, vitals.current_c_a) == (16.0, 16.0, 16.0)
    assert vitals.grid_hz is not None
    assert 49.9 < vitals.grid_hz < 50.1
    assert session_power_w(vitals) == pytest.approx(THREE_W * 16)
    assert vitals.session_energy_wh == pytest.approx(
        THREE_W * 16 * 540 / 3600, abs=0.001
    )  # charging from PLUG + 60
    assert vitals.prox_v == 1.9


async def test_split_phase_voltages_look_like_north_america(sim_clock: SimClock) -> None:
    unit = WallConnectorSimulator(clock=sim_clock)
    body = unit.vitals(unit.moment(PLUG + 100))
    assert body["voltageC_v"] == pytest.approx(body["grid_v"] / 2, abs=1)
    phase_sum = sum(body[f"voltage{p}_v"] * body[f"current{p}_a"] for p in "ABC")
    assert phase_sum > 1.2 * body["grid_v"] * body["vehicle_current_a"]
    assert 59.9 < body["grid_hz"] < 60.1


async def test_reboot_while_charging(
    session: aiohttp.ClientSession, wall: WallConnectorSimulator, sim_clock: SimClock
) -> None:
    client = WallConnectorClient(session, wall.host)
    sim_clock.advance(PLUG + 1000)
    before = await client.get_vitals()
    lifetime_before = await client.get_lifetime()
    wall.reboot()
    sim_clock.advance(10)
    booting = await client.get_vitals()
    assert booting.evse_state is EvseState.BOOTING
    assert (booting.contactor_closed, booting.session_s, booting.uptime_s) == (False, 0, 10)
    assert booting.session_energy_wh == 0.0
    assert session_power_w(booting) == 0.0
    assert lifetime_before.uptime_s is not None
    assert (await client.get_lifetime()).uptime_s == lifetime_before.uptime_s + 10
    sim_clock.advance(BOOT_SECONDS)  # 40 s after the reboot, 10 s of charging again
    after = await client.get_vitals()
    assert after.evse_state is EvseState.CHARGING
    assert after.uptime_s == 40
    assert after.uptime_s < before.uptime_s
    assert after.session_s == 10
    assert after.session_energy_wh == pytest.approx(SPLIT_W * 48 * 10 / 3600, abs=0.001)
    # The unplug adds the session minus what the boot window did not deliver.
    unplugged = wall.moment(FINISH_END + 1)
    assert wall.energy_wh(unplugged) == LIFETIME_BASE["energy_wh"] + int(
        split_session_wh() - SPLIT_W * 48 * BOOT_SECONDS / 3600
    )
    assert unplugged.lifetime.charging_s == 5100 - BOOT_SECONDS


def test_reboot_while_idle_clears_the_last_session(sim_clock: SimClock) -> None:
    unit = WallConnectorSimulator(clock=sim_clock)
    sim_clock.advance(CYCLE + 100)
    assert unit.session_energy_wh() == pytest.approx(split_session_wh())
    unit.reboot()
    assert unit.phase is Stage.BOOTING
    assert unit.session_energy_wh() == 0.0
    sim_clock.advance(BOOT_SECONDS)
    assert unit.moment().stage is Stage.UNPLUGGED
    assert unit.moment().uptime_s == BOOT_SECONDS
    # The reboot came after that unplug: lifetime keeps every session.
    assert unit.energy_wh() == LIFETIME_BASE["energy_wh"] + int(split_session_wh())


def test_reboot_before_any_session(sim_clock: SimClock) -> None:
    unit = WallConnectorSimulator(clock=sim_clock)
    assert unit.session_energy_wh() == INITIAL_SESSION_ENERGY_WH
    sim_clock.advance(5)
    unit.reboot()
    assert unit.session_energy_wh() == 0.0


async def test_fault_bodies(session: aiohttp.ClientSession, wall: WallConnectorSimulator) -> None:
    wall.fault = "nan"
    async with session.get(f"{wall.base_url}/api/1/lifetime") as response:
        text = await response.text()
        assert response.content_type == "application/json"
    assert '"alert_count":nan' in text
    assert '"avg_startup_temp":nan' in text
    wall.fault = "truncated"
    async with session.get(f"{wall.base_url}/api/1/vitals") as response:
        text = await response.text()
    assert not text.endswith("}")
    assert json.loads(text + "}")["evse_state"] == 1
    wall.fault = "bogus"
    async with session.get(f"{wall.base_url}/api/1/vitals") as response:
        assert response.status == 500


async def test_health_knobs(
    session: aiohttp.ClientSession, wall: WallConnectorSimulator, sim_clock: SimClock
) -> None:
    client = WallConnectorClient(session, wall.host)
    wall.alerts = [23, "ground_fault"]
    assert (await client.get_vitals()).current_alerts == (23, "ground_fault")
    sim_clock.advance(PLUG + 10)  # plugged, waiting: the routine 49 first, injected after it
    wall.alerts = [49, 23]
    assert (await client.get_vitals()).current_alerts == (49, 23)
    wall.reboot()
    assert (await client.get_vitals()).current_alerts == ()  # nothing while booting
    sim_clock.advance(BOOT_SECONDS + 60)  # charging again
    wall.alerts = [23]
    wall.fault = "error"
    faulted = await client.get_vitals()
    assert faulted.evse_state is EvseState.ERROR
    assert (faulted.contactor_closed, faulted.vehicle_connected) == (False, True)
    assert session_power_w(faulted) == 0.0
    assert faulted.current_alerts == (23,)
    wall.fault = None
    assert (await client.get_vitals()).evse_state is EvseState.CHARGING


def test_elapsed_never_runs_backwards(sim_clock: SimClock) -> None:
    unit = WallConnectorSimulator(clock=sim_clock)
    sim_clock.advance(-60)
    assert unit.elapsed() == 0.0


def test_custom_script(sim_clock: SimClock) -> None:
    script = [Step(Stage.UNPLUGGED, 10), Step(Stage.PLUGGED, 5), Step(Stage.CHARGING, 60, 32)]
    unit = WallConnectorSimulator(clock=sim_clock, script=script)
    assert unit.moment(74).stage is Stage.CHARGING
    assert unit.energy_wh(unit.moment(74)) == LIFETIME_BASE["energy_wh"]
    # Connected until the end of the script: the unplug is the cycle boundary.
    assert unit.energy_wh(unit.moment(76)) == LIFETIME_BASE["energy_wh"] + int(SPLIT_W * 32 / 60)
    assert unit.script.step_at(76).stage is Stage.UNPLUGGED


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "at least one step"),
        ([Step(Stage.PLUGGED, 5)], "start with the vehicle unplugged"),
    ],
)
def test_script_validation(steps: list[Step], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SessionScript(steps)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stage": Stage.CHARGING, "seconds": 0}, "positive"),
        ({"stage": Stage.BOOTING, "seconds": 5}, "reboot"),
        ({"stage": Stage.PAUSED, "seconds": 5, "amps": 8}, "only charging"),
        ({"stage": Stage.CHARGING, "seconds": 5, "amps": -1}, "negative"),
    ],
)
def test_step_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Step(**kwargs)  # type: ignore[arg-type]


def test_command_line_wall_connectors() -> None:
    args = parse_args(["--wall-connector-ports", "8127,8128", "--wall-connector-three-phase"])
    assert args.wall_connector_ports == (8127, 8128)
    assert args.wall_connector_three_phase is True
    assert parse_args([]).wall_connector_ports == ()
    for bad in ("81x6", "0", "70000"):
        with pytest.raises(SystemExit):
            parse_args(["--wall-connector-ports", bad])
    assert [wall_connector_serial(i) for i in range(2)] == ["PGT2251234567", "PGT2251234568"]
