"""The Powerwall gateway stand-in over HTTPS: its login, its edges and the CLI option."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from simulators.__main__ import parse_args, powerwall_din
from simulators.powerwall import PowerwallSimulator, load_w, solar_w

from .conftest import SimClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

NIGHT = dt.datetime(2026, 6, 17, 2, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[PowerwallSimulator, SimClock]]:
    """Run a one-Powerwall gateway at 02:00."""
    clock = SimClock(NIGHT)
    simulator = PowerwallSimulator(clock=clock, lockout_after=2, lockout_seconds=60)
    await simulator.start()
    yield simulator, clock
    await simulator.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a session that accepts the self-signed certificate."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
        yield session


async def login(
    http: aiohttp.ClientSession, simulator: PowerwallSimulator, password: str
) -> aiohttp.ClientResponse:
    """POST the form pypowerwall sends."""
    form = {"username": "customer", "password": password, "email": "owner@example.com"}
    async with http.post(f"{simulator.base_url}/api/login/Basic", data=form) as response:
        await response.read()
        return response


def test_cli_option_and_dins() -> None:
    assert parse_args(["--powerwall-ports", "8130,8131"]).powerwall_ports == (8130, 8131)
    assert parse_args([]).powerwall_ports == ()
    assert powerwall_din(0) != powerwall_din(1)


def test_day_shape_and_battery_count() -> None:
    assert solar_w(3.0, 6500) == -3.0
    assert solar_w(12.5, 6500) == 6500
    assert load_w(19.0, 450) > load_w(3.0, 450)
    with pytest.raises(ValueError, match="1 to 3"):
        PowerwallSimulator(batteries=4)


async def test_login_lock_out_and_tokens(
    gateway: tuple[PowerwallSimulator, SimClock], http: aiohttp.ClientSession
) -> None:
    simulator, clock = gateway
    assert simulator.base_url.startswith("https://127.0.0.1:")
    async with http.get(f"{simulator.base_url}/api/meters/aggregates") as response:
        assert response.status == 401
        assert await response.json() == {
            "code": 401,
            "error": "bad credentials",
            "message": "Login Error",
        }
    assert (await login(http, simulator, "nope")).status == 401
    assert (await login(http, simulator, "nope")).status == 401
    locked = await login(http, simulator, simulator.password)
    assert locked.status == 429
    clock.advance(61)
    good = await login(http, simulator, simulator.password)
    assert good.status == 200
    token = good.cookies["AuthCookie"].value
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(f"{simulator.base_url}/api/site_info", headers=headers) as response:
        assert (await response.json())["nominal_system_energy_kWh"] == 14
    async with http.get(f"{simulator.base_url}/api/nothing", headers=headers) as response:
        assert response.status == 404
    async with http.get(f"{simulator.base_url}/api/powerwalls", headers=headers) as response:
        assert len((await response.json())["powerwalls"]) == 1
    async with http.get(f"{simulator.base_url}/api/sitemaster", headers=headers) as response:
        assert (await response.json())["running"] is True
    async with http.get(f"{simulator.base_url}/api/logout", headers=headers) as response:
        assert response.status == 204
    async with http.get(f"{simulator.base_url}/api/status") as response:
        assert (await response.json())["din"] == simulator.din  # no login needed


async def test_operation_writes_are_validated(
    gateway: tuple[PowerwallSimulator, SimClock], http: aiohttp.ClientSession
) -> None:
    simulator, _clock = gateway
    token = (await login(http, simulator, simulator.password)).cookies["AuthCookie"].value
    url = f"{simulator.base_url}/api/operation"
    cookies = {"AuthCookie": token}
    for body in ({"backup_reserve_percent": 120}, {"real_mode": "party"}):
        async with http.post(url, json=body, cookies=cookies) as response:
            assert response.status == 400
    async with http.post(url, data="{", cookies=cookies) as response:
        assert response.status == 400
    async with http.post(url, json={"backup_reserve_percent": 50}, cookies=cookies) as response:
        assert (await response.json())["backup_reserve_percent"] == 50
    simulator.fault = "auth"
    async with http.post(url, json={}, cookies=cookies) as response:
        assert response.status == 401
    simulator.fault = None
    clock_token_age = simulator.token_lifetime + 1
    simulator.login.tokens[token] -= dt.timedelta(seconds=clock_token_age)
    async with http.get(url, cookies=cookies) as response:
        assert (await response.json()) == {"code": 401, "message": "Token Expired"}


async def test_island_mode_writes_are_validated(
    gateway: tuple[PowerwallSimulator, SimClock], http: aiohttp.ClientSession
) -> None:
    simulator, _clock = gateway
    url = f"{simulator.base_url}/api/v2/islanding/mode"
    async with http.post(url, json={"island_mode": "backup"}) as response:
        assert response.status == 401  # no login
    token = (await login(http, simulator, simulator.password)).cookies["AuthCookie"].value
    cookies = {"AuthCookie": token}
    for body in ({"island_mode": "off"}, ["backup"]):
        async with http.post(url, json=body, cookies=cookies) as response:
            assert response.status == 400
    async with http.post(url, data="{", cookies=cookies) as response:
        assert response.status == 400
    off = {"island_mode": "intentional_reconnect_failsafe"}
    async with http.post(url, json=off, cookies=cookies) as response:
        assert await response.json() == off
    assert simulator.grid_state == "SystemIslandedActive"
    simulator.islanding_writable = False
    async with http.post(url, json={"island_mode": "backup"}, cookies=cookies) as response:
        assert response.status == 403
    assert simulator.grid_state == "SystemIslandedActive"
    assert simulator.posts == [off]


async def test_older_firmware_status_and_vitals(
    gateway: tuple[PowerwallSimulator, SimClock], http: aiohttp.ClientSession
) -> None:
    """Without vitals the path is 404; with them a protobuf body; status may lack the DIN."""
    from pypowerwall.local import tesla_pb2

    simulator, _clock = gateway
    cookies = {
        "AuthCookie": (await login(http, simulator, simulator.password)).cookies["AuthCookie"].value
    }
    url = f"{simulator.base_url}/api/devices/vitals"
    async with http.get(url, cookies=cookies) as response:
        assert response.status == 404
    simulator.vitals = True
    simulator.status_din = False
    async with http.get(url, cookies=cookies) as response:
        assert response.content_type == "application/octet-stream"
        message = tesla_pb2.DevicesWithVitals.FromString(await response.read())
    names = [entry.device.device.din.value for entry in message.devices]
    assert names == list(simulator.vitals_devices())
    tethc = message.devices[0]
    assert {vital.name: vital.floatValue for vital in tethc.vitals}["THC_AmbientTemp"] == 22.5
    async with http.get(f"{simulator.base_url}/api/status") as response:
        assert "din" not in await response.json()
    async with http.get(f"{simulator.base_url}/api/powerwalls", cookies=cookies) as response:
        assert (await response.json())["gateway_din"] == simulator.din


async def test_outage_overnight_runs_the_battery_down_then_sheds_load(
    gateway: tuple[PowerwallSimulator, SimClock],
) -> None:
    simulator, clock = gateway
    simulator.energy_wh = 300.0
    simulator.start_outage()
    clock.advance(3600)
    flows = simulator.flows()
    assert simulator.energy_wh == 0
    assert flows.site == 0
    assert flows.battery == 0
    assert flows.load == 0  # nothing left to run the home on
    simulator.end_outage()
    assert simulator.flows().site > 0


async def test_outage_at_noon_with_a_full_battery_curtails_solar(
    gateway: tuple[PowerwallSimulator, SimClock],
) -> None:
    simulator, clock = gateway
    clock.advance(10.5 * 3600)
    simulator.energy_wh = simulator.full_pack_wh
    simulator.start_outage()
    flows = simulator.flows()
    assert flows.battery == 0
    assert flows.solar == flows.load
