"""The simulators' model day and their HTTP behaviour (headers, errors, loopback only)."""

from __future__ import annotations

import datetime as dt
from statistics import mean
from typing import TYPE_CHECKING

import pytest

from simulators import prices
from simulators.__main__ import parse_args, scaled_clock
from simulators._server import require_loopback
from simulators.amber import SITE_ID, AmberSimulator
from simulators.comed import ComEdSimulator

if TYPE_CHECKING:
    import aiohttp

    from .conftest import SimClock

DAY = dt.date(2026, 1, 15)
AUTH = {"Authorization": "Bearer psk_sim"}


def nem(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    """Return a NEM time on a day."""
    return dt.datetime.combine(day, dt.time(hour, minute), prices.NEM_TZ)


def starts(first: dt.datetime, last: dt.datetime) -> list[dt.datetime]:
    """Return the 5-min interval starts from first up to, not including, last."""
    count = int((last - first) / prices.FIVE_MINUTES)
    return [first + i * prices.FIVE_MINUTES for i in range(count)]


def general(first: dt.datetime, last: dt.datetime) -> list[float]:
    """Return the general prices over a span."""
    return [prices.general_price(start) for start in starts(first, last)]


def feed_in(first: dt.datetime, last: dt.datetime) -> list[float]:
    """Return the feed-in prices over a span."""
    return [prices.feed_in_price(start) for start in starts(first, last)]


@pytest.mark.parametrize("day", [DAY, dt.date(2026, 6, 30), dt.date(2027, 3, 3)])
def test_amber_day_shape(day: dt.date) -> None:
    assert all(17 <= p <= 23 for p in general(nem(0, 0, day), nem(5, 0, day)))
    morning = general(nem(7, 0, day), nem(9, 0, day))
    assert all(36 <= p <= 47 for p in morning)
    assert max(morning) >= 42
    trough = general(nem(10, 30, day), nem(15, 0, day))
    assert min(trough) < 0
    assert sum(1 for p in trough if p < 0) <= 8  # only briefly negative
    assert sorted(trough)[10] <= 2.5
    evening = general(nem(17, 0, day), nem(18, 30, day)) + general(nem(19), nem(21))
    assert all(48 <= p <= 62 for p in evening)


@pytest.mark.parametrize("day", [DAY, dt.date(2026, 6, 30)])
def test_amber_feed_in_sign(day: dt.date) -> None:
    assert all(-5.5 <= p <= -3 for p in feed_in(nem(0, 0, day), nem(5, 0, day)))
    # The customer pays to export through the solar trough (positive in Amber's sign) ...
    assert all(1.8 <= p <= 4.5 for p in feed_in(nem(10, 30, day), nem(15, 0, day)))
    # ... and is paid well in the evening peak.
    assert all(-27 <= p <= -20 for p in feed_in(nem(19, 0, day), nem(20, 30, day)))


def test_amber_spike() -> None:
    statuses = {
        start: prices.spike_status(start)
        for start in starts(nem(0), nem(0, day=DAY.replace(day=16)))
    }
    spiking = [start for start, status in statuses.items() if status == "spike"]
    potential = [start for start, status in statuses.items() if status == "potential"]
    assert spiking == starts(nem(18, 30), nem(19))
    assert potential == starts(nem(18), nem(18, 30))
    assert all(prices.general_price(start) >= 350 for start in spiking)
    assert all(prices.descriptor("general", prices.general_price(s)) == "spike" for s in spiking)
    half_hour = prices.amber_point("general", nem(18, 30), 30)
    assert half_hour.spike_status == "spike"
    assert half_hour.per_kwh >= 350
    assert half_hour.range is not None
    assert prices.amber_point("general", nem(18, 0), 30).spike_status == "potential"


def test_controlled_load_spot_and_renewables() -> None:
    for start in starts(nem(0), nem(6)):
        assert prices.controlled_load_price(start) == pytest.approx(
            0.6 * prices.general_price(start), abs=0.01
        )
    day = [prices.renewables(start) for start in starts(nem(0), nem(0, day=DAY.replace(day=16)))]
    assert min(day) >= 15
    assert max(day) <= 80
    assert mean(prices.renewables(s) for s in starts(nem(11, 30), nem(12, 30))) > 75
    assert mean(prices.renewables(s) for s in starts(nem(0), nem(4))) < 17
    assert prices.spot_price(nem(12, 0)) < prices.general_price(nem(12, 0))


def test_tariff_periods_and_demand_window() -> None:
    assert [prices.tariff_period(nem(h)) for h in (3, 8, 11, 14, 16, 21, 23)] == [
        "offPeak",
        "shoulder",
        "solarSponge",
        "shoulder",
        "peak",
        "shoulder",
        "offPeak",
    ]
    assert [prices.demand_window(nem(h, m)) for h, m in ((14, 55), (15, 0), (20, 55), (21, 0))] == [
        False,
        True,
        True,
        False,
    ]


def test_descriptors() -> None:
    assert [prices.descriptor("general", p) for p in (-1, 8, 20, 30, 50, 400)] == [
        "extremelyLow",
        "veryLow",
        "low",
        "neutral",
        "high",
        "spike",
    ]
    assert prices.descriptor("feedIn", 3.0) == "extremelyLow"
    assert prices.descriptor("feedIn", -25.0) == "high"
    with pytest.raises(ValueError, match="unknown channel"):
        prices.channel_price("battery", nem(0))


def test_model_is_deterministic_with_small_daily_variation() -> None:
    assert prices.amber_point("feedIn", nem(19), 30) == prices.amber_point("feedIn", nem(19), 30)
    today = general(nem(0), nem(23, 55))
    tomorrow = general(nem(0, day=DAY.replace(day=16)), nem(23, 55, day=DAY.replace(day=16)))
    assert today != tomorrow
    assert mean(today) == pytest.approx(mean(tomorrow), rel=0.1)


def test_comed_day_shape() -> None:
    first = dt.datetime(2026, 1, 15, 0, 5, tzinfo=prices.CHICAGO_TZ)
    ends = [first + i * prices.FIVE_MINUTES for i in range(288)]
    cents = {
        end.astimezone(prices.CHICAGO_TZ).strftime("%H:%M"): prices.comed_price(end) for end in ends
    }
    assert [t for t, c in cents.items() if c < 0] == ["03:20"]
    assert [t for t, c in cents.items() if c >= 20] == ["16:35"]
    assert 23 <= cents["16:35"] <= 27
    overnight = [c for t, c in cents.items() if "00:05" <= t <= "05:00" and c >= 0]
    assert all(1.3 <= c <= 3 for c in overnight)
    afternoon = [c for t, c in cents.items() if "15:00" < t <= "18:00" and c < 20]
    assert all(5.5 <= c <= 10 for c in afternoon)
    assert max(afternoon) >= 8


def test_comed_hour_average_first_minutes_show_the_newest_price() -> None:
    now = dt.datetime(2026, 1, 15, 23, 2, tzinfo=dt.UTC)
    latest, average = prices.comed_hour_average(now)
    assert latest == dt.datetime(2026, 1, 15, 23, 0, tzinfo=dt.UTC)
    assert average == prices.comed_price(latest)


async def test_amber_headers_and_401(
    session: aiohttp.ClientSession, amber_sim: AmberSimulator
) -> None:
    async with session.get(f"{amber_sim.base_url}/sites", headers=AUTH) as response:
        assert response.status == 200
        assert response.headers["RateLimit-Limit"] == "50"
        assert response.headers["RateLimit-Remaining"] == "49"
        assert response.headers["RateLimit-Reset"] == "300"
        assert response.headers["RateLimit-Policy"] == "50;w=300"
    async with session.get(f"{amber_sim.base_url}/sites") as response:
        assert response.status == 401
        assert await response.json() == {"message": "Unauthorized"}


async def test_amber_429_carries_headers(
    session: aiohttp.ClientSession, sim_clock: SimClock
) -> None:
    simulator = AmberSimulator(clock=sim_clock, rate_limit=1, rate_window=60)
    url = f"{await simulator.start()}/sites"
    try:
        async with session.get(url, headers=AUTH) as response:
            assert response.status == 200
        sim_clock.advance(15)
        async with session.get(url, headers=AUTH) as response:
            assert response.status == 429
            assert response.headers["RateLimit-Remaining"] == "0"
            assert response.headers["RateLimit-Reset"] == "45"
            assert response.headers["RateLimit-Policy"] == "1;w=60"
        sim_clock.advance(45)
        async with session.get(url, headers=AUTH) as response:
            assert response.status == 200
    finally:
        await simulator.stop()


@pytest.mark.parametrize(
    "query",
    [
        "/prices/current?next=2049",
        "/prices/current?previous=-1",
        "/prices/current?resolution=15",
        "/prices?startDate=15-01-2026",
        "/prices?startDate=2026-01-15&endDate=2026-01-14",
        "/prices?startDate=2026-01-01&endDate=2026-01-31",
    ],
)
async def test_amber_bad_queries(
    session: aiohttp.ClientSession, amber_sim: AmberSimulator, query: str
) -> None:
    async with session.get(
        f"{amber_sim.base_url}/sites/{SITE_ID}{query}", headers=AUTH
    ) as response:
        assert response.status == 400
        assert "message" in await response.json()
        assert "RateLimit-Remaining" in response.headers


async def test_amber_unknown_fault_is_a_500(
    session: aiohttp.ClientSession, amber_sim: AmberSimulator
) -> None:
    amber_sim.fault = "flood"
    async with session.get(f"{amber_sim.base_url}/sites", headers=AUTH) as response:
        assert response.status == 500


async def test_comed_unknown_type(
    session: aiohttp.ClientSession, comed_sim: ComEdSimulator
) -> None:
    async with session.get(comed_sim.base_url, params={"type": "daynexttomorrow"}) as response:
        assert response.status == 400
    assert comed_sim.request_count == 1
    assert comed_sim.path_counts["/api"] == 1


async def test_simulators_stay_on_loopback() -> None:
    simulator = ComEdSimulator()
    with pytest.raises(ValueError, match="loopback"):
        await simulator.start(host="0.0.0.0")  # noqa: S104 - the point is that it is refused
    assert require_loopback("::1") == "::1"
    with pytest.raises(ValueError, match="loopback IP"):
        require_loopback("localhost")
    with pytest.raises(SystemExit):
        parse_args(["--host", "192.168.1.10"])
    with pytest.raises(SystemExit):
        parse_args(["--speed", "0"])
    args = parse_args(["--amber-port", "9001"])
    assert (args.host, args.amber_port, args.comed_port, args.speed) == (
        "127.0.0.1",
        9001,
        8125,
        1.0,
    )


async def test_start_twice_and_naive_clock_are_refused(amber_sim: AmberSimulator) -> None:
    with pytest.raises(RuntimeError, match="already started"):
        await amber_sim.start()
    naive = AmberSimulator(clock=lambda: dt.datetime(2026, 1, 1))  # noqa: DTZ001 - deliberately naive
    with pytest.raises(ValueError, match="aware"):
        naive.now()


def test_scaled_clock_runs_ahead_of_real_time() -> None:
    clock = scaled_clock(3600.0)
    first = clock()
    assert first.tzinfo is not None
    assert clock() >= first
