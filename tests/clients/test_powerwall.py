"""PowerwallGateway with the real pypowerwall against the HTTPS gateway simulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import datetime as dt
import json
import math
from pathlib import Path
import threading
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web
import pytest
import requests

from custom_components.tesla_energy_sync.clients.errors import (
    AuthenticationError,
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    CommandError,
    RateLimitError,
    ResponseError,
    ServerError,
)
from custom_components.tesla_energy_sync.clients.powerwall import (
    GridExportRule,
    GridStatus,
    OperatingMode,
    PackGridState,
    PowerwallCredentials,
    PowerwallGateway,
    PowerwallMode,
    PowerwallSnapshot,
    _consume_exception,
)
from custom_components.tesla_energy_sync.clients.powerwall_models import (
    MeterReading,
    app_to_raw_pct,
    build_snapshot,
    raw_to_app_pct,
    version_number,
)
from simulators.powerwall import PowerwallSimulator

from .conftest import MonoClock, SimClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

LA = ZoneInfo("America/Los_Angeles")
# A summer weekday just after 13:00 at the site: sun up, battery charging.
AFTERNOON = dt.datetime(2026, 6, 17, 13, 5, tzinfo=LA)
PASSWORD = "S1mulated"
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
EMAIL = "owner@example.com"


async def in_thread[T](target: Callable[[], T]) -> T:
    """Run target in the default executor, as hass.async_add_executor_job does."""
    return await asyncio.get_running_loop().run_in_executor(None, target)


@pytest.fixture
def clock() -> SimClock:
    """Return the simulators' clock at AFTERNOON."""
    return SimClock(AFTERNOON)


@pytest.fixture
async def start_sim(
    clock: SimClock,
) -> AsyncIterator[Callable[..., Awaitable[PowerwallSimulator]]]:
    """Return a starter of simulators on the shared clock; all are stopped at teardown."""
    started: list[PowerwallSimulator] = []

    async def start(
        kind: type[PowerwallSimulator] = PowerwallSimulator, **options: Any
    ) -> PowerwallSimulator:
        """Start one gateway."""
        simulator = kind(clock=clock, **options)
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    await asyncio.sleep(0.05)  # let the server see the clients' sockets close first
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def sim(start_sim: Callable[..., Awaitable[PowerwallSimulator]]) -> PowerwallSimulator:
    """Run one gateway with two Powerwalls."""
    return await start_sim(din="1232100-00-E--TG121000000001", batteries=2)


@pytest.fixture
async def make_gateway(
    start_sim: Callable[..., Awaitable[PowerwallSimulator]], tmp_path: Path, mono: MonoClock
) -> AsyncIterator[Callable[..., PowerwallGateway]]:
    """Return a factory of gateways, each with its own storage directory.

    Every gateway is closed before the simulators stop, so no TLS shutdown lingers.
    """
    made: list[PowerwallGateway] = []

    def make(
        simulator: PowerwallSimulator,
        *,
        password: str = PASSWORD,
        runner: Any = in_thread,
        storage: Path | None = None,
        **options: Any,
    ) -> PowerwallGateway:
        """Make a local-mode gateway for the simulator."""
        options.setdefault("pwcacheexpire", 0)
        gateway = PowerwallGateway(
            runner,
            simulator.host,
            PowerwallCredentials(PowerwallMode.LOCAL, password, EMAIL),
            storage or tmp_path / f"gateway-{len(made)}",
            monotonic=mono,
            **options,
        )
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.close()


def assert_matches(snapshot: PowerwallSnapshot, simulator: PowerwallSimulator) -> None:
    """Check every snapshot field against the simulator's model."""
    flows = simulator.flows()
    counters = simulator.counters
    assert snapshot.mode is PowerwallMode.LOCAL
    assert snapshot.din == simulator.din
    assert snapshot.site_name == simulator.site_name
    assert snapshot.firmware == simulator.firmware
    assert snapshot.site.power_w == flows.site
    assert snapshot.solar.power_w == flows.solar
    assert snapshot.battery.power_w == flows.battery
    assert snapshot.load.power_w == flows.load
    assert snapshot.site.energy_imported_wh == pytest.approx(counters.site_imported, abs=0.01)
    assert snapshot.site.energy_exported_wh == pytest.approx(counters.site_exported, abs=0.01)
    assert snapshot.battery.energy_imported_wh == pytest.approx(counters.battery_imported, abs=0.01)
    assert snapshot.battery.energy_exported_wh == pytest.approx(counters.battery_exported, abs=0.01)
    assert snapshot.solar.energy_exported_wh == pytest.approx(counters.solar_exported, abs=0.01)
    assert snapshot.load.energy_imported_wh == pytest.approx(counters.load_imported, abs=0.01)
    assert snapshot.battery_level_raw_pct == pytest.approx(simulator.level_raw_pct)
    assert snapshot.battery_level_pct == pytest.approx((simulator.level_raw_pct - 5) / 0.95)
    assert snapshot.backup_reserve_raw_pct == simulator.reserve_raw_pct
    assert snapshot.backup_reserve_pct == pytest.approx((simulator.reserve_raw_pct - 5) / 0.95)
    assert snapshot.operating_mode == OperatingMode(simulator.mode)
    assert snapshot.grid_status is (GridStatus.UP if simulator.grid_up else GridStatus.DOWN)
    assert snapshot.nominal_full_pack_energy_wh == round(simulator.full_pack_wh)
    assert snapshot.nominal_energy_remaining_wh == round(simulator.energy_wh)
    assert snapshot.battery_count == simulator.batteries
    assert snapshot.time_remaining_h == pytest.approx(round(simulator.energy_wh) / flows.load)
    assert snapshot.grid_status_raw == simulator.grid_state
    assert snapshot.off_grid is not simulator.grid_up
    assert snapshot.grid_services_active is simulator.grid_services_active
    assert snapshot.sitemaster_running is simulator.sitemaster_running
    assert snapshot.connected_to_tesla is simulator.connected_to_tesla
    assert (
        snapshot.max_charge_power_w
        == snapshot.max_discharge_power_w
        == 5_000 * len(simulator.block_full_wh)
    )
    # The meters' instant readings: frequency and voltage as configured, current = |P| / V.
    assert (snapshot.site.frequency_hz, snapshot.site.voltage_v) == (0, 240.1)
    assert (snapshot.battery.frequency_hz, snapshot.battery.voltage_v) == (60.019, 243.95)
    assert snapshot.solar.current_a == pytest.approx(flows.solar / 243.8, abs=0.001)
    assert snapshot.load.current_a == pytest.approx(flows.load / 240.1, abs=0.001)
    # One pack per Powerwall, sharing the battery's power and counters.
    share = simulator.energy_wh / simulator.full_pack_wh
    assert [pack.serial for pack in snapshot.packs] == [
        simulator.pack_serial(index) for index in range(simulator.batteries)
    ]
    for pack, full in zip(snapshot.packs, simulator.block_full_wh, strict=True):
        assert pack.part_number == "2012170-25-E"
        assert pack.capacity_wh == round(full)
        assert pack.energy_remaining_wh == round(full * share)
        assert pack.power_w == round(flows.battery / simulator.batteries)
        assert (pack.voltage_v, pack.frequency_hz) == (243.7, 60.008)
        assert pack.current_a == round(flows.battery / simulator.batteries / 243.7, 1)
        assert pack.energy_charged_wh == round(counters.battery_imported / simulator.batteries)
        assert pack.energy_discharged_wh == round(counters.battery_exported / simulator.batteries)
        assert pack.grid_state is (
            PackGridState.GRID_COMPLIANT if simulator.grid_up else PackGridState.GRID_UNCOMPLIANT
        )
    assert snapshot.rejected == 0


async def test_one_two_and_three_gateways_read_concurrently(
    start_sim: Callable[..., Awaitable[PowerwallSimulator]],
    make_gateway: Callable[..., PowerwallGateway],
) -> None:
    sims = [await start_sim(din=f"1232100-00-E--TG12100000000{n}", batteries=n) for n in (1, 2, 3)]
    assert len({simulator.host for simulator in sims}) == 3
    gateways = [make_gateway(simulator) for simulator in sims]
    snapshots = await asyncio.gather(*(gateway.read() for gateway in gateways))
    for snapshot, simulator in zip(snapshots, sims, strict=True):
        assert_matches(snapshot, simulator)
        assert simulator.login.attempts == 1
    assert [s.nominal_full_pack_energy_wh for s in snapshots] == [13_500, 26_805, 39_915]
    # Early afternoon: the sun covers the home and charges the battery.
    assert (snapshots[0].solar.power_w or 0) > 5_000
    assert (snapshots[0].battery.power_w or 0) < 0
    assert snapshots[0].alerts == ("SystemConnectedToGrid",)
    json.dumps([snapshot.as_dict() for snapshot in snapshots])


async def test_readings_follow_the_day_and_counters_integrate(
    sim: PowerwallSimulator, clock: SimClock, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    sim.token_lifetime = 7 * 86_400
    gateway = make_gateway(sim)
    first = await gateway.read()
    clock.advance(6 * 3600)  # 19:05, the evening peak
    evening = await gateway.read()
    assert_matches(evening, sim)
    assert (evening.battery.power_w or 0) > 0
    # It charged all afternoon.
    assert (evening.battery_level_pct or 0) > (first.battery_level_pct or 100)
    assert evening.solar.energy_exported_wh is not None
    assert first.solar.energy_exported_wh is not None
    assert evening.solar.energy_exported_wh > first.solar.energy_exported_wh + 10_000
    clock.advance(4 * 3600)  # 23:05: the battery still covers the home
    night = await gateway.read()
    assert_matches(night, sim)
    assert (night.battery_level_pct or 100) < (evening.battery_level_pct or 0)
    assert night.site.power_w == pytest.approx(0, abs=5)
    sim.mode = "autonomous"  # time-based control keeps the charge for the peak: grid at night
    clock.advance(3600)
    late = await gateway.read()
    assert_matches(late, sim)
    assert late.battery.power_w == 0
    assert (late.site.power_w or 0) > 300
    sim.mode = "self_consumption"
    sim.energy_wh = sim.full_pack_wh * sim.reserve_raw_pct / 100  # at the reserve
    floor = await gateway.read()
    assert floor.battery.power_w == 0
    assert floor.site.power_w == (floor.load.power_w or 0) - (floor.solar.power_w or 0)
    assert sim.login.attempts == 1
    await gateway.close()


async def test_outage_and_recovery(
    sim: PowerwallSimulator, clock: SimClock, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim)
    assert (await gateway.read()).grid_status is GridStatus.UP
    clock.advance(6 * 3600)
    sim.start_outage()
    down = await gateway.read()
    assert_matches(down, sim)
    assert down.grid_status is GridStatus.DOWN
    assert down.site.power_w == 0
    assert down.battery.power_w == pytest.approx(
        (down.load.power_w or 0) - max(down.solar.power_w or 0, 0), abs=0.2
    )
    assert "SystemIslandedActive" in down.alerts
    imported = sim.counters.site_imported
    clock.advance(1800)
    sim.end_outage()
    assert sim.counters.site_imported == imported  # nothing came from the grid meanwhile
    up = await gateway.read()
    assert up.grid_status is GridStatus.UP
    assert "SystemConnectedToGrid" in up.alerts
    await gateway.close()


async def test_syncing_and_injected_alerts(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    sim.grid_state = "SystemTransitionToGrid"
    sim.alerts = {"PVS_a018_MciStringB", "PVAC_a014_PVS_disabled_relay"}
    snapshot = await make_gateway(sim).read()
    assert snapshot.grid_status is GridStatus.SYNCING
    assert snapshot.alerts == (
        "PVAC_a014_PVS_disabled_relay",
        "PVS_a018_MciStringB",
        "SystemTransitionToGrid",
    )


async def test_object_made_once_and_cookie_reused_across_restarts(
    sim: PowerwallSimulator,
    clock: SimClock,
    make_gateway: Callable[..., PowerwallGateway],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    storage = tmp_path / "entry" / "powerwall"
    gateway = make_gateway(sim, storage=storage, pwcacheexpire=5)
    assert gateway.powerwall is None
    await gateway.read()
    made = gateway.powerwall
    for _ in range(3):
        clock.advance(30)
        await gateway.read()
    assert gateway.powerwall is made
    assert gateway.powerwalls_created == 1
    assert sim.login.attempts == 1
    cookie = gateway.cache_file
    assert cookie.parent == storage
    assert set(json.loads(cookie.read_text())) == {"AuthCookie", "UserRecord"}
    assert cookie.stat().st_mode & 0o777 == 0o600
    assert list(workdir.iterdir()) == []  # nothing in the working directory
    await gateway.close()
    assert gateway.powerwall is None
    # A restart with the same directory reuses the cookie: close did not log out.
    again = make_gateway(sim, storage=storage)
    assert_matches(await again.read(), sim)
    assert sim.login.attempts == 1
    assert sim.path_counts["/api/logout"] == 0
    await again.close()


async def test_expired_token_logs_in_again_once(
    sim: PowerwallSimulator, clock: SimClock, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim)
    await gateway.read()
    clock.advance(sim.token_lifetime + 60)
    assert_matches(await gateway.read(), sim)
    assert sim.login.attempts == 2


async def test_unusable_cookie_file_is_dropped_before_construction(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway], tmp_path: Path
) -> None:
    storage = tmp_path / "broken"
    storage.mkdir()
    (storage / "powerwall_auth.json").write_text("{not json")
    gateway = make_gateway(sim, password="wrong", storage=storage)
    # The constructor would have logged in and swallowed the refusal; here it is raised.
    with pytest.raises(AuthenticationError):
        await gateway.read()
    assert sim.login.attempts == 1


async def test_wrong_password_raises_without_repeated_logins(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim, password="wrong")
    with pytest.raises(AuthenticationError):
        await gateway.read()
    requests_seen = sim.request_count
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            await gateway.read()
    with pytest.raises(AuthenticationError):
        await gateway.set_reserve(50)
    assert sim.login.attempts == 1
    assert sim.request_count == requests_seen


async def test_lock_out_raises_rate_limit_until_it_passes(
    sim: PowerwallSimulator,
    clock: SimClock,
    mono: MonoClock,
    make_gateway: Callable[..., PowerwallGateway],
) -> None:
    sim.lockout_after = 2
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            await make_gateway(sim, password="wrong").read()
    gateway = make_gateway(sim)
    with pytest.raises(RateLimitError) as caught:
        await gateway.read()
    assert caught.value.retry_after == 300
    attempts = sim.login.attempts
    mono.advance(299)
    with pytest.raises(RateLimitError) as again:
        await gateway.read()
    assert again.value.retry_after == pytest.approx(1)
    assert sim.login.attempts == attempts  # the gateway was left alone
    mono.advance(2)
    clock.advance(sim.lockout_seconds)
    assert_matches(await gateway.read(), sim)


async def test_rate_limited_reads_raise_from_pypowerwalls_cooldown(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim)
    await gateway.read()
    sim.fault = "rate_limited"
    with pytest.raises(RateLimitError) as caught:
        await gateway.read()
    assert 290 < caught.value.retry_after <= 300


async def test_control_round_trips(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim)
    await gateway.set_reserve(30)
    assert sim.reserve_raw_pct == pytest.approx(33.5)
    assert sim.mode == "self_consumption"
    snapshot = await gateway.read()
    assert snapshot.backup_reserve_pct == pytest.approx(30)
    await gateway.set_mode(OperatingMode.BACKUP)
    assert sim.mode == "backup"
    assert sim.reserve_raw_pct == pytest.approx(33.5)  # the back-fill kept the reserve
    snapshot = await gateway.read()
    assert snapshot.operating_mode is OperatingMode.BACKUP
    assert snapshot.backup_reserve_pct == pytest.approx(30)
    await gateway.set_reserve(100)
    assert sim.reserve_raw_pct == 100
    assert sim.posts[-1] == {"backup_reserve_percent": 100.0, "real_mode": "backup"}
    with pytest.raises(ValueError, match="0-100"):
        await gateway.set_reserve(101)


async def test_refused_control_raises_command_error(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim)
    sim.operation_writable = False  # what real firmware answers the customer role
    with pytest.raises(CommandError, match="refused backup reserve"):
        await gateway.set_reserve(40)
    with pytest.raises(CommandError, match="refused mode"):
        await gateway.set_mode(OperatingMode.AUTONOMOUS)
    assert sim.reserve_raw_pct == 24.0
    assert sim.mode == "self_consumption"
    # pypowerwall has grid charging and export only for the cloud and v1r.
    with pytest.raises(CommandError, match="grid charging"):
        await gateway.set_grid_charging(True)
    with pytest.raises(CommandError, match="grid export"):
        await gateway.set_grid_export(GridExportRule.PV_ONLY)


async def test_off_grid_round_trip(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    """Islanding goes through /api/v2/islanding/mode and shows in the next read at once."""
    gateway = make_gateway(sim, pwcacheexpire=60)  # the new grid state must not wait for it
    assert not (await gateway.read()).off_grid
    await gateway.set_off_grid(True)
    assert sim.posts[-1] == {"island_mode": "intentional_reconnect_failsafe"}
    off = await gateway.read()
    assert off.off_grid
    assert off.grid_status is GridStatus.DOWN
    assert_matches(off, sim)
    await gateway.set_off_grid(False)
    assert sim.posts[-1] == {"island_mode": "backup"}
    assert not (await gateway.read()).off_grid
    sim.islanding_writable = False  # what current firmware answers the customer role
    with pytest.raises(CommandError, match=r"refused island mode .* \(HTTP 403\)"):
        await gateway.set_off_grid(True)
    assert sim.grid_up


async def test_off_grid_needs_the_customer_login(tmp_path: Path) -> None:
    """Pypowerwall islands over TEDAPI only with the signed v1r command: refused unsent."""
    gateway = PowerwallGateway(
        in_thread,
        "192.168.91.1",
        PowerwallCredentials(PowerwallMode.TEDAPI, PASSWORD),
        tmp_path,
    )
    with pytest.raises(CommandError, match="customer login"):
        await gateway.set_off_grid(True)
    assert gateway.powerwall is None


async def test_older_firmware_din_from_powerwalls(
    start_sim: Callable[..., Awaitable[PowerwallSimulator]],
    make_gateway: Callable[..., PowerwallGateway],
) -> None:
    """Firmware whose /api/status has no DIN is known by /api/powerwalls' gateway_din, read once."""
    sim = await start_sim(din="1118431-01-D--TG119000000001", status_din=False)
    gateway = make_gateway(sim)
    first = await gateway.read()
    second = await gateway.read()
    assert first.din == second.din == sim.din
    assert sim.path_counts["/api/powerwalls"] == 1
    assert_matches(second, sim)


async def test_vitals_of_older_firmware(
    start_sim: Callable[..., Awaitable[PowerwallSimulator]],
    make_gateway: Callable[..., PowerwallGateway],
) -> None:
    """Firmware before 23.44 serves vitals: temperatures, strings and alerts come from them."""
    sim = await start_sim(batteries=2, vitals=True, firmware="23.28.2 27626f98")
    sim.alerts = {"PINV_a067_overvoltageNeutralChassis"}
    snapshot = await make_gateway(sim).read()
    assert_matches(snapshot, sim)
    assert snapshot.vitals is not None
    assert set(snapshot.vitals) == set(sim.vitals_devices())
    tethc = [name for name in sim.vitals_devices() if name.startswith("TETHC")]
    assert snapshot.temps == {name: 22.5 + 1.5 * index for index, name in enumerate(tethc)}
    assert snapshot.strings is not None
    assert set(snapshot.strings) == {"A", "B"}
    assert snapshot.alerts == ("PINV_a067_overvoltageNeutralChassis", "SystemConnectedToGrid")


def test_version_number_is_pypowerwalls() -> None:
    """The firmware number the /version view shows is pypowerwall's parse_version."""
    from pypowerwall import parse_version

    for version in (
        "24.44.1 6c12f5a9",
        "23.28.2",
        "25.10",
        "7",
        "unknown",
        "1/2.3",
        "2²",
        "",
        ". x",
    ):
        assert version_number(version) == parse_version(version), version
    assert version_number(None) is None


def test_packs_and_flags_that_cannot_be_used() -> None:
    """Odd block fields read as unknown and are counted; a block without a serial is skipped."""
    parsed = snapshot(
        grid_status_payload={"grid_status": "SystemIslandedActive", "grid_services_active": 1},
        sitemaster={"running": "yes", "connected_to_tesla": False},
        system_status={
            "battery_blocks": [
                {"PackageSerialNumber": "TG1", "p_out": "12", "pinv_grid_state": "Grid_Odd"},
                {"p_out": 5},
                "block",
            ],
            "max_charge_power": float("inf"),
        },
    )
    assert parsed.off_grid
    assert (parsed.grid_services_active, parsed.sitemaster_running) == (None, None)
    assert parsed.connected_to_tesla is False
    [pack] = parsed.packs
    assert (pack.serial, pack.power_w, pack.grid_state) == ("TG1", None, None)
    assert len(parsed.battery_blocks) == 2
    assert parsed.max_charge_power_w is None
    # grid services, running, p_out, the grid state, the serial-less block, max charge power
    assert parsed.rejected == 6
    assert parsed.pack("TG1") is pack
    assert parsed.pack("TG2") is None
    assert parsed.as_dict()["battery_blocks"] == 2


class StubbornSimulator(PowerwallSimulator):
    """Answers 200 to POST /api/operation and the island mode but keeps its settings."""

    async def _post_operation(self, request: web.Request) -> web.StreamResponse:
        """Ignore the write."""
        denied = await self._gate(request)
        return denied or web.json_response(self.operation())

    async def _post_island_mode(self, request: web.Request) -> web.StreamResponse:
        """Ignore the write."""
        denied = await self._gate(request)
        return denied or web.json_response({"island_mode": "backup"})


async def test_an_ignored_write_raises_command_error(
    start_sim: Callable[..., Awaitable[PowerwallSimulator]],
    make_gateway: Callable[..., PowerwallGateway],
) -> None:
    gateway = make_gateway(await start_sim(StubbornSimulator))
    with pytest.raises(CommandError, match="kept reserve 24"):
        await gateway.set_reserve(50)
    with pytest.raises(CommandError, match="kept mode self_consumption"):
        await gateway.set_mode(OperatingMode.BACKUP)
    await gateway.set_mode(OperatingMode.SELF_CONSUMPTION)
    with pytest.raises(CommandError, match="kept island mode backup"):
        await gateway.set_off_grid(True)


class LoginScriptSimulator(PowerwallSimulator):
    """Lets a test replace the login answer, or drop the login connection."""

    login_answer: web.Response | None = None
    drop_login = False

    async def _login(self, request: web.Request) -> web.StreamResponse:
        """Answer as scripted."""
        if self.drop_login:
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable
        if self.login_answer is not None:
            self.record(request)
            return self.login_answer
        return await super()._login(request)


@pytest.fixture
async def login_sim(
    start_sim: Callable[..., Awaitable[PowerwallSimulator]],
) -> PowerwallSimulator:
    """Run a gateway whose login answer the test scripts."""
    return await start_sim(LoginScriptSimulator)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (lambda: web.json_response({"code": 503}, status=503), ServerError),
        (lambda: web.json_response({"token": "x"}), ResponseError),
    ],
)
async def test_odd_login_answers(
    login_sim: Any,
    make_gateway: Callable[..., PowerwallGateway],
    answer: Callable[[], web.Response],
    error: type[Exception],
) -> None:
    login_sim.login_answer = answer()
    with pytest.raises(error):
        await make_gateway(login_sim).read()


async def test_login_connection_dropped(
    login_sim: Any, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    login_sim.drop_login = True
    with pytest.raises(ClientConnectionError, match="unreachable"):
        await make_gateway(login_sim).read()


async def test_unreachable_server_error_and_unusable_answers(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim)
    await gateway.read()
    sim.fault = "sitemaster_stopped"
    with pytest.raises(ServerError) as caught:
        await gateway.read()
    assert caught.value.status == 502
    sim.fault = "malformed"
    with pytest.raises(ResponseError, match="aggregates"):
        await gateway.read()
    sim.fault = "offline"
    with pytest.raises(ClientConnectionError, match="no answer"):
        await gateway.read()
    sim.fault = None
    assert_matches(await gateway.read(), sim)


async def test_nothing_listening(make_gateway: Callable[..., PowerwallGateway]) -> None:
    gone = PowerwallSimulator()
    await gone.start()
    await gone.stop()
    with pytest.raises(ClientConnectionError):
        await make_gateway(gone, timeout=1).read()


class TextSoeSimulator(PowerwallSimulator):
    """Serves the state of energy as text, which pypowerwall hands back as a string."""

    async def _get(self, request: web.Request) -> web.StreamResponse:
        """Break /api/system_status/soe."""
        if request.path == "/api/system_status/soe":
            return web.Response(text="percentage: 60", content_type="text/plain")
        return await super()._get(request)


async def test_an_answer_pypowerwall_chokes_on_is_a_response_error(
    start_sim: Callable[..., Awaitable[PowerwallSimulator]],
    make_gateway: Callable[..., PowerwallGateway],
) -> None:
    odd = await start_sim(TextSoeSimulator)
    with pytest.raises(ResponseError, match="unusable answer"):
        await make_gateway(odd).read()


async def test_poll_timeout_and_a_call_still_running(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim, poll_timeout=0.3, timeout=5)
    await gateway.read()
    sim.fault = "slow"
    sim.slow_seconds = 1.0
    with pytest.raises(ClientTimeoutError, match=r"within 0\.3 s"):
        await gateway.read()
    with pytest.raises(ClientTimeoutError, match="still running"):
        await gateway.read()
    sim.fault = None
    await asyncio.sleep(1.2)
    assert_matches(await gateway.read(), sim)
    await gateway.close()


@pytest.mark.fault
async def test_call_deadline_frees_the_thread_and_the_gateway_recovers(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    # 2 s: long enough for a normal read on a loaded machine, far below the 70 s a hang took.
    gateway = make_gateway(sim, call_deadline=2.0, poll_timeout=600)
    await gateway.read()
    sim.fault = "hang"  # requests go unanswered; pypowerwall waits 5 s for each
    async with asyncio.timeout(20):  # without the deadline: about 14 requests x 5 s
        for _ in range(2):  # the second is run, not refused as still running
            with pytest.raises(ClientTimeoutError, match=r"no complete answer within 2 s"):
                await gateway.read()
    sim.fault = None
    assert_matches(await gateway.read(), sim)
    assert sim.login.attempts == 1


async def test_close_waits_for_a_running_call_then_refuses_calls(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    gateway = make_gateway(sim, poll_timeout=0.3)
    await gateway.read()
    sim.fault = "slow"
    sim.slow_seconds = 0.8
    with pytest.raises(ClientTimeoutError):
        await gateway.read()
    await gateway.close()  # gives up waiting after poll_timeout, then closes
    sim.fault = None
    with pytest.raises(ClientError, match="closed"):
        await gateway.read()
    await make_gateway(sim).close()  # never used: nothing to close
    await asyncio.sleep(1.0)  # the abandoned call ends on the closed session


async def test_bad_host(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        PowerwallGateway(in_thread, " ", PowerwallCredentials(PowerwallMode.LOCAL, "x"), tmp_path)
    gateway = PowerwallGateway(
        in_thread, "not a host!", PowerwallCredentials(PowerwallMode.LOCAL, "x"), tmp_path
    )
    with pytest.raises(ClientError, match="Invalid powerwall host"):
        await gateway.read()


def test_credentials_repr_hides_the_password() -> None:
    credentials = PowerwallCredentials(PowerwallMode.LOCAL, "secret-pass", EMAIL)
    assert "secret-pass" not in repr(credentials)
    assert EMAIL in repr(credentials)


async def test_no_pypowerwall_call_runs_in_the_event_loop(
    sim: PowerwallSimulator,
    make_gateway: Callable[..., PowerwallGateway],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop_thread = threading.current_thread()
    seen: list[tuple[str, bool]] = []
    real_request = requests.Session.request

    def watched(self: requests.Session, method: str, url: str, **kwargs: Any) -> Any:
        """Note whether the request runs on the loop's thread."""
        seen.append((url, threading.current_thread() is loop_thread))
        return real_request(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", watched)
    gateway = make_gateway(sim)
    await gateway.read()
    await gateway.set_reserve(25)
    await gateway.set_mode(OperatingMode.BACKUP)
    with pytest.raises(CommandError):
        await gateway.set_grid_export(GridExportRule.NEVER)
    await gateway.close()
    assert len(seen) > 10
    assert not [url for url, on_loop in seen if on_loop]

    # The check itself works: a runner that calls inline is caught.
    seen.clear()

    def inline[T](target: Callable[[], T]) -> Awaitable[T]:
        """Run target on the loop's thread (what must never happen)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        future.set_result(target())
        return future

    gone = PowerwallSimulator()  # nothing listens, so the inline calls fail fast
    await gone.start()
    await gone.stop()
    with pytest.raises(ClientConnectionError):
        await make_gateway(gone, runner=inline, timeout=1).read()
    assert seen
    assert all(on_loop for _url, on_loop in seen)


def test_scaling_helpers() -> None:
    assert raw_to_app_pct(24.0) == pytest.approx(20.0)
    assert raw_to_app_pct(81.0) == pytest.approx(80.0)
    assert raw_to_app_pct(3.0) == 0.0
    assert raw_to_app_pct(100.0) == 100.0
    assert app_to_raw_pct(20.0) == pytest.approx(24.0)
    assert math.isclose(raw_to_app_pct(app_to_raw_pct(37.5)), 37.5)


# Parsing, on shapes the simulator never sends.

# A real gateway's aggregates (docs/powerwall.md#aggregates), trimmed to the fields read.
AGGREGATES = {
    "site": {"instant_power": 27, "energy_exported": 4319958.27, "energy_imported": 6800365.84},
    "battery": {"instant_power": -990, "energy_exported": 12319540, "energy_imported": 13853641},
    "load": {"instant_power": 866.25, "energy_exported": 0, "energy_imported": 27290482.57},
    "solar": {"instant_power": 1840, "energy_exported": 26344176, "energy_imported": 0},
}


def snapshot(**changes: Any) -> Any:
    """Build from captured values, with changes."""
    readings: dict[str, Any] = {
        "status": {"din": "1232100-00-E--TG1234567890G1", "version": "23.28.2 27626f98"},
        "site_name": "Home",
        "aggregates": AGGREGATES,
        "soe": 20.109166592431226,
        "operation": {"real_mode": "self_consumption", "backup_reserve_percent": 81},
        "grid_status": "UP",
        "system_status": {
            "nominal_full_pack_energy": 25995,
            "nominal_energy_remaining": 16693,
            "available_blocks": 2,
        },
        "time_remaining": 16693 / 866.25,
        "alerts": ["SystemConnectedToGrid", "FWUpdateSucceeded", "SystemConnectedToGrid"],
    }
    readings.update(changes)
    return build_snapshot(PowerwallMode.LOCAL, **readings)


def test_captured_values() -> None:
    parsed = snapshot()
    assert parsed.site == MeterReading(27.0, 6800365.84, 4319958.27)
    assert parsed.battery_level_pct == pytest.approx(15.904385886769713)  # pypowerwall's scale=True
    assert parsed.backup_reserve_pct == pytest.approx(80.0)  # the app shows 80 for raw 81
    assert parsed.grid_status is GridStatus.UP
    assert parsed.alerts == ("FWUpdateSucceeded", "SystemConnectedToGrid")
    assert parsed.time_remaining_h == pytest.approx(19.27, abs=0.01)
    assert json.loads(json.dumps(parsed.as_dict()))["site"]["power_w"] == 27.0
    assert parsed.as_dict()["grid_status"] == "up"
    assert MeterReading(1.0, None, 2.0, voltage_v=240.1).as_dict() == {
        "power_w": 1.0,
        "energy_imported_wh": None,
        "energy_exported_wh": 2.0,
        "frequency_hz": None,
        "voltage_v": 240.1,
        "current_a": None,
    }


@pytest.mark.parametrize("aggregates", [None, "TIMEOUT!", [], {}, {"site": 5, "load": None}])
def test_unusable_aggregates(aggregates: Any) -> None:
    assert snapshot(aggregates=aggregates) is None


def test_partial_and_odd_values() -> None:
    parsed = snapshot(
        status=None,
        site_name="",
        aggregates={"site": {"instant_power": float("nan"), "energy_imported": True}},
        soe=None,
        operation={"mode": "scheduler", "backup_reserve_percent": "81"},
        grid_status="MAYBE",
        system_status={"available_blocks": True, "battery_blocks": [{}, {}, {}]},
        time_remaining=None,
        alerts=None,
    )
    assert (parsed.din, parsed.site_name, parsed.firmware) == (None, None, None)
    assert parsed.site == MeterReading(None, None, None)
    assert parsed.solar == MeterReading(None, None, None)
    assert (parsed.battery_level_pct, parsed.backup_reserve_pct) == (None, None)
    assert parsed.operating_mode is None
    assert parsed.operating_mode_raw == "scheduler"  # legacy, kept for diagnostics
    assert parsed.grid_status is None
    assert parsed.battery_count == 3
    assert parsed.alerts == ()


def test_old_firmware_mode_field_and_no_blocks() -> None:
    parsed = snapshot(operation={"mode": "backup"}, system_status={"battery_blocks": []})
    assert parsed.operating_mode is OperatingMode.BACKUP
    assert parsed.battery_count is None
    assert snapshot(operation=None).operating_mode is None


def test_tedapi_zero_counters_are_unknown() -> None:
    zeros = {
        name: {"instant_power": 5, "energy_imported": 0, "energy_exported": 0}
        for name in ("site", "battery", "load", "solar")
    }
    parsed = build_snapshot(
        PowerwallMode.TEDAPI,
        status=None,
        site_name=None,
        aggregates=zeros,
        soe=50,
        operation=None,
        grid_status=None,
        system_status=None,
        time_remaining=None,
        alerts=[],
    )
    assert parsed is not None
    assert parsed.load == MeterReading(5.0, None, None)
    assert snapshot(aggregates=zeros).load == MeterReading(5.0, 0.0, 0.0)  # local: real zeros


async def test_a_cancelled_abandoned_call_is_fine() -> None:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.cancel()
    _consume_exception(future)


async def test_malformed_first_answer_is_a_response_error(
    sim: PowerwallSimulator, make_gateway: Callable[..., PowerwallGateway]
) -> None:
    """A malformed body on a fresh gateway (protobuf vitals included) is a ResponseError."""
    gateway = make_gateway(sim)
    sim.fault = "malformed"
    with pytest.raises(ResponseError):
        await gateway.read()
