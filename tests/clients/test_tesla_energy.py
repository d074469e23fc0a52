"""TeslaEnergyClient over real HTTP against the Tesla energy simulator (and a scripted server)."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.tesla_energy_sync.clients.errors import (
    AuthenticationError,
    ClientConnectionError,
    ClientTimeoutError,
    RateLimitError,
    RequestError,
    ResponseError,
    ServerError,
)
from custom_components.tesla_energy_sync.clients.tesla_energy import (
    DEFAULT_TESLA_BASE_URL,
    TeslaEnergyClient,
)
from custom_components.tesla_energy_sync.clients.tesla_energy_models import (
    ENERGY_HISTORY_FIELDS,
    CommandResult,
    ExportRule,
    OperationMode,
    OptimizationStrategy,
    SiteInfo,
)
from custom_components.tesla_energy_sync.tou.planner import build_tariff
from custom_components.tesla_energy_sync.tou.validate import same_rates
from simulators.__main__ import parse_args
from simulators.tesla_energy import (
    HISTORY_STEP,
    SECOND_SITE_ID,
    SITE_ID,
    TeslaEnergySimulator,
    app_tariff,
    check_tariff,
    interval_energy,
    two_energy_sites,
    without_sentinel,
)

from .conftest import Scripted
from .test_tou_planner import SYDNEY, day_of_intervals

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .conftest import ScriptedServer, SimClock


@pytest.fixture
async def tesla_sim(sim_clock: SimClock) -> AsyncIterator[TeslaEnergySimulator]:
    """Run a Tesla energy simulator with one site."""
    simulator = TeslaEnergySimulator(clock=sim_clock)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def client(session: aiohttp.ClientSession, tesla_sim: TeslaEnergySimulator) -> TeslaEnergyClient:
    """Return a client on the simulator."""
    return TeslaEnergyClient(session, "tesla_sim", base_url=tesla_sim.base_url)


def planned_tariff() -> dict[str, Any]:
    """Return a real planned tariff for uploads."""
    now = dt.datetime(2026, 1, 15, 13, 10, tzinfo=SYDNEY)
    general, feed_in = day_of_intervals(now)
    return build_tariff(general, feed_in, now=now, site_tz=SYDNEY).tariff


def test_default_base_url() -> None:
    assert DEFAULT_TESLA_BASE_URL == "https://fleet-api.prd.na.vn.cloud.tesla.com"


async def test_list_energy_sites_leaves_out_vehicles(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    sites = await client.list_energy_sites()
    assert len(sites) == 1
    site = sites[0]
    assert site.energy_site_id == SITE_ID
    assert site.site_name == "Sim Home"
    assert site.resource_type == "battery"
    assert site.gateway_id == "1232100-00-E--TG0000000000SIM1"
    assert site.asset_site_id is not None
    assert tesla_sim.path_counts["/api/1/products"] == 1


async def test_two_sites(session: aiohttp.ClientSession, sim_clock: SimClock) -> None:
    simulator = TeslaEnergySimulator(sites=two_energy_sites(), clock=sim_clock)
    await simulator.start()
    try:
        client = TeslaEnergyClient(session, "tesla_sim", base_url=simulator.base_url)
        ids = [site.energy_site_id for site in await client.list_energy_sites()]
        assert ids == [SITE_ID, SECOND_SITE_ID]
        info = await client.site_info(SECOND_SITE_ID)
        assert info.site_name == "Sim Shack"
    finally:
        await simulator.stop()


async def test_site_info_fields(client: TeslaEnergyClient) -> None:
    info = await client.site_info(SITE_ID)
    assert info.id is not None
    assert info.site_name == "Sim Home"
    assert info.installation_time_zone == "Australia/Sydney"
    assert info.time_zone == ZoneInfo("Australia/Sydney")
    assert info.default_real_mode == "self_consumption"
    assert info.backup_reserve_percent == 20.0
    assert info.optimization_strategy == "balanced"
    assert info.tou_capable is True
    assert info.customer_preferred_export_rule == "pv_only"
    assert info.disallow_charge_from_grid_with_solar_installed is True
    assert info.battery_count == 2
    assert info.nameplate_power == 10000.0
    assert info.nameplate_energy == 27000.0
    assert info.version is not None
    assert info.gateway_dins == ("1232100-00-E--TG0000000000SIM1",)
    assert info.tariff_content_v2 is None
    assert info.tariff_content is None
    assert info.components["gateway"] == "teg"


async def test_site_info_tariffs_as_others_left_them(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    """A tariff put there by the app, and a legacy v1 tariff, are both read back."""
    stored = tesla_sim.replace_tariff()
    assert stored == app_tariff()
    assert tesla_sim.foreign_tariffs == [(SITE_ID, stored)]
    assert tesla_sim.uploads == []
    check_tariff(stored)  # a tariff Tesla itself would accept
    legacy: dict[str, Any] = {"seasons": {}, "energy_charges": {}}
    tesla_sim.site()["tariff_content"] = legacy
    info = await client.site_info(SITE_ID)
    assert info.tariff_content_v2 == stored
    assert info.tariff_content == legacy


async def test_upload_then_read_back_equals_upload(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    tariff = planned_tariff()
    result = await client.set_time_of_use(SITE_ID, tariff)
    assert result == CommandResult(code=201, message="Updated")
    assert tesla_sim.upload_count == 1
    assert tesla_sim.uploads[0] == (SITE_ID, tariff)
    info = await client.site_info(SITE_ID)
    assert info.tariff_content_v2 == tariff
    assert same_rates(tariff, info.tariff_content_v2)
    assert info.optimization_strategy == "balanced"


async def test_read_back_without_sentinel_still_matches(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    tesla_sim.drop_sentinel = True
    tariff = planned_tariff()
    await client.set_time_of_use(
        SITE_ID, tariff, optimization_strategy=OptimizationStrategy.ECONOMICS
    )
    info = await client.site_info(SITE_ID)
    assert info.tariff_content_v2 is not None
    assert "ALL" not in info.tariff_content_v2["energy_charges"]
    assert "ALL" not in info.tariff_content_v2["sell_tariff"]["energy_charges"]
    assert info.tariff_content_v2 != tariff
    assert same_rates(tariff, info.tariff_content_v2)
    assert info.optimization_strategy == "economics"


async def test_upload_sends_the_documented_body(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    tariff = planned_tariff()
    await client.set_time_of_use(SITE_ID, tariff, optimization_strategy="balanced")  # type: ignore[arg-type]
    log = tesla_sim.request_log[-1]
    assert log.path == f"/api/1/energy_sites/{SITE_ID}/time_of_use_settings"
    assert tesla_sim.site()["optimization_strategy"] == "balanced"


async def test_simulator_rejects_tariff_that_does_not_tile(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    tariff = copy.deepcopy(planned_tariff())
    del tariff["seasons"]["AllYear"]["tou_periods"]["PERIOD_12_00"]
    del tariff["energy_charges"]["AllYear"]["rates"]["PERIOD_12_00"]
    with pytest.raises(RequestError) as err:
        await client.set_time_of_use(SITE_ID, tariff)
    assert err.value.status == 400
    assert "exactly once" in str(err.value)
    assert tesla_sim.upload_count == 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.pop("sell_tariff"), "both buy and sell"),
        (lambda t: t.__setitem__("energy_charges", []), "energy_charges"),
        (lambda t: t["seasons"].__setitem__("Bad", 3), "must be an object"),
        (
            lambda t: t["energy_charges"]["AllYear"]["rates"].__setitem__("PERIOD_00_00", "x"),
            "not a number",
        ),
        (lambda t: t["energy_charges"]["AllYear"]["rates"].pop("PERIOD_00_00"), "don't match"),
        (lambda t: t["energy_charges"].__setitem__("AllYear", 5), "don't match"),
        (
            lambda t: t["seasons"]["AllYear"]["tou_periods"].__setitem__("PERIOD_00_00", 1),
            "list of periods",
        ),
        (
            lambda t: t["seasons"]["AllYear"]["tou_periods"]["PERIOD_00_00"].__setitem__(
                "periods", [1]
            ),
            "must be objects",
        ),
        (
            lambda t: t["seasons"]["AllYear"]["tou_periods"]["PERIOD_00_00"]["periods"][0].update(
                fromHour=True
            ),
            "integers",
        ),
        (
            lambda t: t["seasons"]["AllYear"]["tou_periods"]["PERIOD_00_00"]["periods"][0].update(
                fromDayOfWeek=5, toDayOfWeek=1
            ),
            "day of week",
        ),
        (
            lambda t: t["seasons"]["AllYear"]["tou_periods"]["PERIOD_00_00"]["periods"][0].update(
                fromHour=24
            ),
            "bad period times",
        ),
    ],
)
def test_simulator_tariff_check(mutate: Any, message: str) -> None:
    tariff = copy.deepcopy(planned_tariff())
    check_tariff(tariff)
    mutate(tariff)
    with pytest.raises(Exception, match=message):
        check_tariff(tariff)


def test_simulator_check_accepts_wrapping_period_and_rejects_non_object() -> None:
    with pytest.raises(Exception, match="must be an object"):
        check_tariff([])
    season = {
        "tou_periods": {
            "NIGHT": {"periods": [{"fromHour": 22, "toHour": 6}]},
            "DAY": {"periods": [{"fromHour": 6, "toHour": 22}]},
        }
    }
    side = {
        "seasons": {"S": season},
        "energy_charges": {"S": {"rates": {"NIGHT": 0.1, "DAY": 0.2}}},
    }
    check_tariff({**side, "sell_tariff": side})
    assert without_sentinel({"energy_charges": {"ALL": {}}}) == {"energy_charges": {}}


async def test_upload_body_problems(
    client: TeslaEnergyClient, session: aiohttp.ClientSession, tesla_sim: TeslaEnergySimulator
) -> None:
    url = f"{tesla_sim.base_url}/api/1/energy_sites/{SITE_ID}/time_of_use_settings"
    headers = {"Authorization": "Bearer tesla_sim"}
    for body, status in [
        ("not json", 400),
        ("[1]", 400),
        ('{"tou_settings": {}}', 400),
        ('{"tou_settings": {"tariff_content_v2": {}, "optimization_strategy": "x"}}', 400),
    ]:
        async with session.post(url, data=body, headers=headers) as response:
            assert response.status == status
    tariff = planned_tariff()
    async with session.post(
        url,
        json={"tou_settings": {"tariff_content_v2": tariff, "optimization_strategy": "fast"}},
        headers=headers,
    ) as response:
        assert response.status == 400


async def test_operation(client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator) -> None:
    result = await client.set_operation(SITE_ID, OperationMode.AUTONOMOUS)
    assert result.code == 201
    assert (await client.site_info(SITE_ID)).default_real_mode == "autonomous"
    await client.set_operation(SITE_ID, "backup")
    assert tesla_sim.site()["default_real_mode"] == "backup"
    with pytest.raises(ValueError, match="turbo"):
        await client.set_operation(SITE_ID, "turbo")
    assert tesla_sim.commands[-1][0] == "operation"


async def test_backup_reserve(client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator) -> None:
    await client.set_backup_reserve(SITE_ID, 80.0)
    assert tesla_sim.commands[-1][2] == {"backup_reserve_percent": 80}
    assert (await client.site_info(SITE_ID)).backup_reserve_percent == 80.0
    await client.set_backup_reserve(SITE_ID, 35.5)
    assert tesla_sim.site()["backup_reserve_percent"] == 35.5
    for bad in (-1, 101):
        with pytest.raises(ValueError, match=r"0\.\.100"):
            await client.set_backup_reserve(SITE_ID, bad)


async def test_grid_import_export(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    await client.set_grid_import_export(
        SITE_ID,
        export_rule=ExportRule.BATTERY_OK,
        disallow_charge_from_grid_with_solar_installed=False,
    )
    info = await client.site_info(SITE_ID)
    assert info.customer_preferred_export_rule == "battery_ok"
    assert info.disallow_charge_from_grid_with_solar_installed is False
    await client.set_grid_import_export(SITE_ID, export_rule="never")
    assert tesla_sim.commands[-1][2] == {"customer_preferred_export_rule": "never"}
    await client.set_grid_import_export(
        SITE_ID, disallow_charge_from_grid_with_solar_installed=True
    )
    assert tesla_sim.commands[-1][2] == {"disallow_charge_from_grid_with_solar_installed": True}
    with pytest.raises(ValueError, match="give export_rule"):
        await client.set_grid_import_export(SITE_ID)
    with pytest.raises(ValueError, match="everything"):
        await client.set_grid_import_export(SITE_ID, export_rule="everything")


async def test_simulator_rejects_bad_commands(
    session: aiohttp.ClientSession, tesla_sim: TeslaEnergySimulator
) -> None:
    base = f"{tesla_sim.base_url}/api/1/energy_sites/{SITE_ID}"
    headers = {"Authorization": "Bearer tesla_sim"}
    for path, body in [
        ("operation", {"default_real_mode": "turbo"}),
        ("backup", {"backup_reserve_percent": True}),
        ("backup", {"backup_reserve_percent": 120}),
        ("grid_import_export", {}),
        ("grid_import_export", {"customer_preferred_export_rule": "all"}),
        ("grid_import_export", {"disallow_charge_from_grid_with_solar_installed": "no"}),
    ]:
        async with session.post(f"{base}/{path}", json=body, headers=headers) as response:
            assert response.status == 400, path
    assert tesla_sim.commands == []


async def test_live_status(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator, sim_clock: SimClock
) -> None:
    status = await client.live_status(SITE_ID)
    assert status.percentage_charged == 62.5
    assert status.grid_status == "Active"
    assert status.island_status == "on_grid"
    assert status.storm_mode_active is False
    assert status.timestamp == sim_clock.now
    assert status.solar_power is not None
    assert status.solar_power > 0
    assert status.battery_power is not None
    assert status.grid_power is not None
    assert status.load_power == 900.0
    assert status.energy_left == 16875.0
    assert status.total_pack_energy == 27000.0
    sim_clock.now = dt.datetime(2026, 1, 15, 2, 0, tzinfo=SYDNEY)
    night = await client.live_status(SITE_ID)
    assert night.solar_power == 0
    assert night.battery_power == 1500.0


async def test_energy_history_of_today(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator, sim_clock: SimClock
) -> None:
    """Today's 5-minute intervals from local midnight up to the last one that ended."""
    history = await client.energy_history(SITE_ID)
    assert history.period == "day"
    assert history.installation_time_zone == "Australia/Sydney"
    midnight = dt.datetime(2026, 1, 15, tzinfo=SYDNEY)
    # 12:10:20 in Brisbane is 13:10:20 in Sydney (daylight saving): 158 intervals have ended.
    ended = int((sim_clock.now - midnight) / HISTORY_STEP)
    assert ended == 158
    assert [entry.timestamp for entry in history.time_series] == [
        midnight + n * HISTORY_STEP for n in range(ended)
    ]
    # Energy is power times 5 minutes, Tesla leaving out what is zero (no sun at night).
    night, noon = history.time_series[0], history.time_series[-1]
    assert "solar_energy_exported" not in night.values
    assert night.values["battery_energy_exported"] == 1500 * 5 / 60
    assert set(noon.values) <= set(ENERGY_HISTORY_FIELDS)
    assert noon.values["solar_energy_exported"] > 0


async def test_energy_history_of_a_past_day(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    """end_date names a past day by its last second: all of its 288 intervals come back."""
    last_second = dt.datetime(2026, 1, 14, 23, 59, 59, tzinfo=SYDNEY)
    history = await client.energy_history(SITE_ID, end_date=last_second)
    assert len(history.time_series) == 288
    assert history.time_series[0].timestamp == dt.datetime(2026, 1, 14, tzinfo=SYDNEY)
    query = tesla_sim.request_log[-1].query
    assert query == {"kind": "energy", "period": "day", "end_date": last_second.isoformat()}
    with pytest.raises(ValueError, match="offset"):
        await client.energy_history(SITE_ID, end_date=last_second.replace(tzinfo=None))
    tesla_sim.history_days = 0
    with pytest.raises(RequestError, match="out of range"):
        await client.energy_history(SITE_ID, end_date=last_second)


def test_interval_energy_balances() -> None:
    """Each source's energy goes somewhere: solar, battery and grid add up to the home's."""
    for flows in (
        {"solar": 6000.0, "battery": -4000.0, "grid": -1100.0, "load": 900.0},
        {"solar": 0.0, "battery": 1500.0, "grid": -600.0, "load": 900.0},
        {"solar": 300.0, "battery": 0.0, "grid": 600.0, "load": 900.0},
        {"solar": 1000.0, "battery": -2000.0, "grid": 1900.0, "load": 900.0},
    ):
        energy = interval_energy(flows, 1.0)
        home = sum(
            energy[f"consumer_energy_imported_from_{src}"] for src in ("grid", "solar", "battery")
        )
        assert home == flows["load"]
        exported = (
            energy["grid_energy_exported_from_solar"] + energy["grid_energy_exported_from_battery"]
        )
        assert energy["grid_energy_imported"] - exported == flows["grid"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=power&period=day", "only kind=energy"),
        ("kind=energy&period=day&end_date=soon", "RFC 3339"),
        ("kind=energy&period=day&end_date=2026-01-14T23:59:59", "needs an offset"),
    ],
)
async def test_simulator_rejects_bad_history_requests(
    session: aiohttp.ClientSession, tesla_sim: TeslaEnergySimulator, query: str, message: str
) -> None:
    url = f"{tesla_sim.base_url}/api/1/energy_sites/{SITE_ID}/calendar_history?{query}"
    headers = {"Authorization": "Bearer tesla_sim"}
    async with session.get(url, headers=headers) as response:
        assert response.status == 400
        assert message in (await response.json())["error"]


@pytest.mark.parametrize(
    "body",
    [
        '{"response": {"time_series": {}}}',
        '{"response": {"time_series": [5]}}',
        '{"response": {"time_series": [{"solar_energy_exported": 5}]}}',
        '{"response": {"time_series": [{"timestamp": "2026-01-14T00:00:00"}]}}',
        '{"response": {"time_series": [{"timestamp": "2026-01-14T00:00:00+11:00", '
        '"grid_energy_imported": "5"}]}}',
        '{"response": {"period": 5}}',
    ],
)
async def test_bad_energy_history_bodies(
    session: aiohttp.ClientSession, scripted: ScriptedServer, body: str
) -> None:
    scripted.answer = Scripted(body=body)
    client = TeslaEnergyClient(session, "t", base_url=scripted.url)
    with pytest.raises(ResponseError):
        await client.energy_history(SITE_ID)


async def test_sparse_energy_history(
    session: aiohttp.ClientSession, scripted: ScriptedServer
) -> None:
    """No series yet (just after midnight), unknown fields left out, entries put in order."""
    client = TeslaEnergyClient(session, "t", base_url=scripted.url)
    scripted.answer = Scripted(body='{"response": {}}')
    history = await client.energy_history(7)
    assert history.time_series == ()
    assert history.installation_time_zone is None
    scripted.answer = Scripted(
        body='{"response": {"time_series": ['
        '{"timestamp": "2026-01-14T00:05:00+11:00", "grid_energy_imported": 2, "new_thing": "x"},'
        '{"timestamp": "2026-01-14T00:00:00+11:00"}]}}'
    )
    history = await client.energy_history(7)
    assert [entry.values for entry in history.time_series] == [{}, {"grid_energy_imported": 2.0}]
    assert scripted.last_path == "/api/1/energy_sites/7/calendar_history?kind=energy&period=day"


async def test_token_may_be_a_callable(
    session: aiohttp.ClientSession, tesla_sim: TeslaEnergySimulator
) -> None:
    client = TeslaEnergyClient(session, lambda: "tesla_sim", base_url=tesla_sim.base_url)
    assert len(await client.list_energy_sites()) == 1

    async def fresh_token() -> str:
        """Return the token the way an OAuth session refreshes it."""
        return "tesla_sim"

    client = TeslaEnergyClient(session, fresh_token, base_url=tesla_sim.base_url)
    assert len(await client.list_energy_sites()) == 1


# ---- error mapping ---------------------------------------------------------------------------


async def test_wrong_token_is_authentication_error(
    session: aiohttp.ClientSession, tesla_sim: TeslaEnergySimulator
) -> None:
    client = TeslaEnergyClient(session, "nope", base_url=tesla_sim.base_url)
    with pytest.raises(AuthenticationError):
        await client.site_info(SITE_ID)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("auth", AuthenticationError),
        ("server_error", ServerError),
        ("malformed", ResponseError),
    ],
)
async def test_faults(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator, fault: str, error: type[Exception]
) -> None:
    tesla_sim.fault = fault
    with pytest.raises(error):
        await client.list_energy_sites()
    with pytest.raises(error):
        await client.set_operation(SITE_ID, OperationMode.AUTONOMOUS)


async def test_server_error_is_a_connection_error(
    client: TeslaEnergyClient, tesla_sim: TeslaEnergySimulator
) -> None:
    tesla_sim.fault = "server_error"
    with pytest.raises(ClientConnectionError) as err:
        await client.live_status(SITE_ID)
    assert isinstance(err.value, ServerError)
    assert err.value.status == 503


async def test_slow_answer_times_out(
    session: aiohttp.ClientSession, tesla_sim: TeslaEnergySimulator
) -> None:
    tesla_sim.fault = "slow"
    tesla_sim.slow_seconds = 0.3
    client = TeslaEnergyClient(
        session, "tesla_sim", base_url=tesla_sim.base_url, request_timeout=0.05
    )
    with pytest.raises(ClientTimeoutError):
        await client.site_info(SITE_ID)


async def test_unreachable_is_connection_error(
    session: aiohttp.ClientSession, tesla_sim: TeslaEnergySimulator
) -> None:
    url = tesla_sim.base_url
    await tesla_sim.stop()
    client = TeslaEnergyClient(session, "tesla_sim", base_url=url)
    with pytest.raises(ClientConnectionError):
        await client.list_energy_sites()


async def test_unknown_site_is_request_error(client: TeslaEnergyClient) -> None:
    with pytest.raises(RequestError) as err:
        await client.site_info(42)
    assert err.value.status == 404
    with pytest.raises(RequestError):
        await client.site_info("not-a-number")


async def test_rate_limit_uses_retry_after(
    session: aiohttp.ClientSession, sim_clock: SimClock
) -> None:
    simulator = TeslaEnergySimulator(clock=sim_clock, rate_limit=2, rate_window=60.0)
    await simulator.start()
    try:
        client = TeslaEnergyClient(session, "tesla_sim", base_url=simulator.base_url)
        await client.list_energy_sites()
        sim_clock.advance(15)
        await client.list_energy_sites()
        with pytest.raises(RateLimitError) as err:
            await client.list_energy_sites()
        assert err.value.retry_after == 45.0
        for header, expected in [("0", 1.0), ("1000", 300.0), ("soon", 60.0), ("7", 7.0)]:
            simulator.retry_after = header
            with pytest.raises(RateLimitError) as err:
                await client.site_info(SITE_ID)
            assert err.value.retry_after == expected
        sim_clock.advance(60)
        assert len(await client.list_energy_sites()) == 1
    finally:
        await simulator.stop()


async def test_rate_limit_without_retry_after(
    session: aiohttp.ClientSession, scripted: ScriptedServer
) -> None:
    scripted.answer = Scripted(status=429, body="{}")
    client = TeslaEnergyClient(session, "t", base_url=scripted.url)
    with pytest.raises(RateLimitError) as err:
        await client.list_energy_sites()
    assert err.value.retry_after == 60.0


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, AuthenticationError), (408, RequestError), (422, RequestError), (500, ServerError)],
)
async def test_status_mapping(
    session: aiohttp.ClientSession, scripted: ScriptedServer, status: int, error: type[Exception]
) -> None:
    scripted.answer = Scripted(status=status, body='{"response": null, "error": "x"}')
    client = TeslaEnergyClient(session, "t", base_url=scripted.url)
    with pytest.raises(error):
        await client.site_info(SITE_ID)


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '{"result": {}}',
        '{"response": []}',
        '{"response": {"site_name": 5}}',
        '{"response": {"backup_reserve_percent": "20"}}',
        '{"response": {"backup_reserve_percent": true}}',
        '{"response": {"backup_reserve_percent": NaN}}',
        '{"response": {"components": []}}',
        '{"response": {"components": {"tou_capable": "yes"}}}',
    ],
)
async def test_bad_site_info_bodies(
    session: aiohttp.ClientSession, scripted: ScriptedServer, body: str
) -> None:
    scripted.answer = Scripted(body=body)
    client = TeslaEnergyClient(session, "t", base_url=scripted.url)
    with pytest.raises(ResponseError):
        await client.site_info(SITE_ID)


@pytest.mark.parametrize(
    "body",
    [
        '{"response": {}}',
        '{"response": [{"energy_site_id": "123"}]}',
        '{"response": [{"energy_site_id": null}]}',
        '{"response": [5, {"energy_site_id": 1}, {"energy_site_id": 2, "site_name": []}]}',
    ],
)
async def test_bad_products_bodies(
    session: aiohttp.ClientSession, scripted: ScriptedServer, body: str
) -> None:
    scripted.answer = Scripted(body=body)
    client = TeslaEnergyClient(session, "t", base_url=scripted.url)
    with pytest.raises(ResponseError):
        await client.list_energy_sites()


async def test_sparse_products_and_site_info(
    session: aiohttp.ClientSession, scripted: ScriptedServer
) -> None:
    client = TeslaEnergyClient(session, "t", base_url=scripted.url + "/")
    scripted.answer = Scripted(body='{"response": [5, {"energy_site_id": 7}]}')
    sites = await client.list_energy_sites()
    assert [site.energy_site_id for site in sites] == [7]
    assert sites[0].site_name is None
    assert scripted.last_path == "/api/1/products"
    scripted.answer = Scripted(
        body='{"response": {"installation_time_zone": "Mars/Olympus", '
        '"components": {"gateways": [{"din": 5}, "x", {"din": "D"}]}}}'
    )
    info = await client.site_info(7)
    assert info.time_zone is None
    assert info.gateway_dins == ("D",)
    assert info.components == {"gateways": [{"din": 5}, "x", {"din": "D"}]}
    scripted.answer = Scripted(body='{"response": {}}')
    info = await client.site_info(7)
    assert info == SiteInfo(
        id=None,
        site_name=None,
        installation_time_zone=None,
        default_real_mode=None,
        backup_reserve_percent=None,
        optimization_strategy=None,
        tou_capable=None,
        customer_preferred_export_rule=None,
        disallow_charge_from_grid_with_solar_installed=None,
        battery_count=None,
        nameplate_power=None,
        nameplate_energy=None,
        version=None,
        gateway_dins=(),
        tariff_content_v2=None,
        components={},
    )
    assert info.time_zone is None


async def test_live_status_bodies(session: aiohttp.ClientSession, scripted: ScriptedServer) -> None:
    client = TeslaEnergyClient(session, "t", base_url=scripted.url)
    scripted.answer = Scripted(body='{"response": {"timestamp": "yesterday"}}')
    with pytest.raises(ResponseError, match="timestamp"):
        await client.live_status(1)
    scripted.answer = Scripted(body='{"response": {}}')
    status = await client.live_status(1)
    assert status.timestamp is None
    assert status.grid_power is None


@pytest.mark.parametrize(
    ("answer", "error", "status"),
    [
        (
            {"response": None, "error": "upstream timeout", "error_description": "try later"},
            RequestError,
            200,
        ),
        ({"response": {"code": 409, "message": "busy"}}, RequestError, 409),
        ({"response": {"Code": 400, "Message": "bad tariff"}}, RequestError, 400),
        ({"response": {"code": 503}}, ServerError, 503),
    ],
)
async def test_failing_command_answers(
    client: TeslaEnergyClient,
    tesla_sim: TeslaEnergySimulator,
    answer: dict[str, Any],
    error: type[RequestError | ServerError],
    status: int,
) -> None:
    tesla_sim.command_answer = answer
    with pytest.raises(error) as err:
        await client.set_time_of_use(SITE_ID, planned_tariff())
    assert isinstance(err.value, RequestError | ServerError)
    assert err.value.status == status
    assert tesla_sim.upload_count == 0
    with pytest.raises(error):
        await client.set_backup_reserve(SITE_ID, 50)
    assert tesla_sim.site()["backup_reserve_percent"] == 20


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"response": True}, CommandResult(None, None)),
        ({"response": {"Code": 201, "Message": "Updated"}}, CommandResult(201, "Updated")),
        ({"response": {"result": True, "reason": ""}}, CommandResult(None, None)),
    ],
)
async def test_passing_command_answers(
    client: TeslaEnergyClient,
    tesla_sim: TeslaEnergySimulator,
    answer: dict[str, Any],
    expected: CommandResult,
) -> None:
    tesla_sim.command_answer = answer
    assert await client.set_operation(SITE_ID, OperationMode.SELF_CONSUMPTION) == expected


async def test_concurrent_requests_share_the_session(client: TeslaEnergyClient) -> None:
    sites, info, status = await asyncio.gather(
        client.list_energy_sites(), client.site_info(SITE_ID), client.live_status(SITE_ID)
    )
    assert sites[0].energy_site_id == SITE_ID
    assert info.site_name == "Sim Home"
    assert status.grid_status == "Active"


def test_command_line_port() -> None:
    assert parse_args([]).tesla_energy_port == 8126
    assert parse_args(["--tesla-energy-port", "9003"]).tesla_energy_port == 9003
