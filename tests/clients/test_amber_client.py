"""AmberClient over real HTTP against the Amber simulator (and a scripted server for odd answers)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.tesla_energy_sync.clients.amber import DEFAULT_AMBER_BASE_URL, AmberClient
from custom_components.tesla_energy_sync.clients.amber_models import (
    ActualInterval,
    ChannelType,
    CurrentInterval,
    ForecastInterval,
    IntervalType,
    PriceDescriptor,
    SiteStatus,
    SpikeStatus,
    TariffPeriod,
    UsageQuality,
)
from custom_components.tesla_energy_sync.clients.errors import (
    AuthenticationError,
    ClientConnectionError,
    ClientTimeoutError,
    RateLimitError,
    RequestError,
    ResponseError,
    ServerError,
)
from simulators import prices
from simulators.amber import SECOND_SITE_ID, SITE_ID, AmberSimulator, two_sites

from .conftest import NOON, Scripted

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp

    from .conftest import MonoClock, ScriptedServer, SimClock

CHANNELS = [ChannelType.GENERAL, ChannelType.CONTROLLED_LOAD, ChannelType.FEED_IN]


def nem(hour: int, minute: int, second: int = 0, day: int = 15) -> dt.datetime:
    """Return a NEM (UTC+10) time on the test day."""
    return dt.datetime(2026, 1, day, hour, minute, second, tzinfo=prices.NEM_TZ)


def make_client(
    session: aiohttp.ClientSession, base_url: str, mono: MonoClock, **kwargs: Any
) -> AmberClient:
    """Return a client on the given server with the test's monotonic clock."""
    return AmberClient(session, "psk_sim", base_url=base_url, clock=mono, **kwargs)


@pytest.fixture
def client(
    session: aiohttp.ClientSession, amber_sim: AmberSimulator, mono: MonoClock
) -> AmberClient:
    """Return a client on the default simulator."""
    return make_client(session, amber_sim.base_url, mono)


@pytest.fixture
async def two_site_sim(sim_clock: SimClock) -> AsyncIterator[AmberSimulator]:
    """Run a simulator with a second, 30-minute site."""
    simulator = AmberSimulator(sites=two_sites(), clock=sim_clock)
    await simulator.start()
    yield simulator
    await simulator.stop()


def test_default_base_url() -> None:
    assert DEFAULT_AMBER_BASE_URL == "https://api.amber.com.au/v1"


async def test_get_sites_parses_every_field(client: AmberClient, amber_sim: AmberSimulator) -> None:
    assert client.rate_limit is None
    [site] = await client.get_sites()
    assert site.id == SITE_ID
    assert site.nmi == "41021234567"
    assert site.network == "Ausgrid"
    assert site.status is SiteStatus.ACTIVE
    assert site.active_from == dt.date(2024, 7, 1)
    assert site.closed_on is None
    assert site.interval_length == 5
    assert [(c.identifier, c.type, c.tariff) for c in site.channels] == [
        ("E1", ChannelType.GENERAL, "EA116"),
        ("E2", ChannelType.CONTROLLED_LOAD, "EA030"),
        ("B1", ChannelType.FEED_IN, "EA116"),
    ]
    assert site.has_channel(ChannelType.CONTROLLED_LOAD)
    assert amber_sim.path_counts["/v1/sites"] == 1


async def test_second_site_is_30_minutes_without_controlled_load(
    session: aiohttp.ClientSession, two_site_sim: AmberSimulator, mono: MonoClock
) -> None:
    client = make_client(session, two_site_sim.base_url, mono)
    first, second = await client.get_sites()
    assert first.id == SITE_ID
    assert second.id == SECOND_SITE_ID
    assert second.interval_length == 30
    assert not second.has_channel(ChannelType.CONTROLLED_LOAD)
    assert second.has_channel(ChannelType.FEED_IN)
    # Without a resolution the API answers at the site's own interval length.
    intervals = await client.get_current_prices(SECOND_SITE_ID)
    assert [(i.duration, i.channel_type) for i in intervals] == [
        (30, ChannelType.GENERAL),
        (30, ChannelType.FEED_IN),
    ]
    assert two_site_sim.request_log[-1].query == {}


async def test_current_prices_5_min_with_previous_and_next(
    client: AmberClient, amber_sim: AmberSimulator
) -> None:
    intervals = await client.get_current_prices(SITE_ID, previous=2, next=3)
    assert amber_sim.request_log[-1].query == {"previous": "2", "next": "3"}
    assert len(intervals) == 6 * 3
    assert [i.type for i in intervals[::3]] == [
        IntervalType.ACTUAL,
        IntervalType.ACTUAL,
        IntervalType.CURRENT,
        IntervalType.FORECAST,
        IntervalType.FORECAST,
        IntervalType.FORECAST,
    ]
    assert [i.channel_type for i in intervals] == CHANNELS * 6
    for index, interval in enumerate(intervals):
        start = nem(12, 0) + dt.timedelta(minutes=5 * (index // 3))
        end = start + dt.timedelta(minutes=5)
        point = prices.amber_point(interval.channel_type.value, start, 5)
        assert interval.duration == 5
        assert interval.per_kwh == point.per_kwh
        assert interval.spot_per_kwh == point.spot_per_kwh
        assert interval.renewables == point.renewables
        assert interval.date == dt.date(2026, 1, 15)
        assert interval.nem_time == end
        assert interval.nem_time.utcoffset() == dt.timedelta(hours=10)
        assert interval.start_time == start + dt.timedelta(seconds=1)
        assert interval.start_time.tzinfo is dt.UTC
        assert interval.end_time == end
        assert interval.end_time.tzinfo is dt.UTC
        assert interval.spike_status is SpikeStatus.NONE
        assert interval.descriptor == PriceDescriptor(point.descriptor)
        assert interval.tariff_information is not None
        assert interval.tariff_information.period is TariffPeriod.SOLAR_SPONGE
        assert interval.tariff_information.demand_window is False
        if isinstance(interval, ActualInterval):
            assert not hasattr(interval, "advanced_price")
        else:
            assert interval.range is None  # midday is not volatile
            assert interval.advanced_price is not None
            assert interval.advanced_price.predicted == point.per_kwh
            assert (interval.advanced_price.low, interval.advanced_price.high) == (
                point.advanced[0],
                point.advanced[2],
            )
    current = intervals[6]
    assert isinstance(current, CurrentInterval)
    assert current.estimate is True  # 20 s into the interval
    assert isinstance(intervals[-1], ForecastInterval)


async def test_current_price_is_locked_in_after_estimate_seconds(
    client: AmberClient, sim_clock: SimClock
) -> None:
    sim_clock.now = nem(12, 10, 41)
    general = (await client.get_current_prices(SITE_ID))[0]
    assert isinstance(general, CurrentInterval)
    assert general.estimate is False


async def test_current_prices_30_min_average_the_six_5_min_prices(
    client: AmberClient, sim_clock: SimClock, amber_sim: AmberSimulator
) -> None:
    intervals = await client.get_current_prices(SITE_ID, previous=1, next=2, resolution=30)
    assert amber_sim.request_log[-1].query == {"previous": "1", "next": "2", "resolution": "30"}
    assert [i.type for i in intervals[::3]] == [
        IntervalType.ACTUAL,
        IntervalType.CURRENT,
        IntervalType.FORECAST,
        IntervalType.FORECAST,
    ]
    current = intervals[3]
    assert isinstance(current, CurrentInterval)
    assert current.duration == 30
    assert current.nem_time == nem(12, 30)
    assert current.start_time == nem(12, 0, 1)
    six = [prices.general_price(nem(12, 5 * i)) for i in range(6)]
    assert current.per_kwh == pytest.approx(sum(six) / 6, abs=1e-5)
    assert current.estimate is True
    # The 30-minute price settles for the last five minutes of its interval.
    sim_clock.now = nem(12, 25, 0)
    current = (await client.get_current_prices(SITE_ID, resolution=30))[0]
    assert isinstance(current, CurrentInterval)
    assert current.estimate is False


async def test_feed_in_sign_follows_amber(client: AmberClient, sim_clock: SimClock) -> None:
    noon_feed_in = (await client.get_current_prices(SITE_ID))[2]
    assert noon_feed_in.channel_type is ChannelType.FEED_IN
    assert noon_feed_in.per_kwh > 0  # the customer pays to export into the solar trough
    sim_clock.now = nem(19, 40)
    evening = await client.get_current_prices(SITE_ID)
    feed_in = evening[2]
    assert isinstance(feed_in, CurrentInterval)
    assert feed_in.per_kwh < -20  # the customer is paid
    assert feed_in.advanced_price is not None
    # For feed-in Amber's "high" is the better price for the customer: more negative.
    assert feed_in.advanced_price.high < feed_in.advanced_price.predicted
    assert feed_in.advanced_price.predicted < feed_in.advanced_price.low
    assert feed_in.range is not None  # the evening peak is volatile
    assert feed_in.range.min < feed_in.spot_per_kwh < feed_in.range.max
    general = evening[0]
    assert isinstance(general, CurrentInterval)
    assert general.advanced_price is not None
    assert general.advanced_price.low < general.per_kwh < general.advanced_price.high


async def test_spike_and_potential_spike(client: AmberClient, sim_clock: SimClock) -> None:
    sim_clock.now = nem(18, 31)
    intervals = await client.get_current_prices(SITE_ID, previous=1)
    before, _, _, general, _, feed_in = intervals
    assert before.spike_status is SpikeStatus.POTENTIAL
    assert general.spike_status is SpikeStatus.SPIKE
    assert general.per_kwh >= 350
    assert general.descriptor is PriceDescriptor.SPIKE
    assert general.tariff_information is not None
    assert general.tariff_information.period is TariffPeriod.PEAK
    assert general.tariff_information.demand_window is True
    assert feed_in.per_kwh < -300


async def test_get_prices_today_in_30_min(client: AmberClient, amber_sim: AmberSimulator) -> None:
    intervals = await client.get_prices(SITE_ID, resolution=30)
    assert amber_sim.request_log[-1].query == {"resolution": "30"}
    assert len(intervals) == 48 * 3
    assert intervals[0].nem_time == nem(0, 30)
    assert intervals[-1].nem_time == nem(0, 0, day=16)
    kinds = [i.type for i in intervals[::3]]
    # 12:10 NEM: 24 settled half hours, the current one, then 23 forecasts.
    assert (
        kinds == [IntervalType.ACTUAL] * 24 + [IntervalType.CURRENT] + [IntervalType.FORECAST] * 23
    )


async def test_get_prices_for_dates_in_5_min(
    client: AmberClient, amber_sim: AmberSimulator
) -> None:
    start, end = dt.date(2026, 1, 16), dt.date(2026, 1, 17)
    intervals = await client.get_prices(SITE_ID, start_date=start, end_date=end, resolution=5)
    assert amber_sim.request_log[-1].query == {
        "startDate": "2026-01-16",
        "endDate": "2026-01-17",
        "resolution": "5",
    }
    assert len(intervals) == 2 * 288 * 3
    assert {i.type for i in intervals} == {IntervalType.FORECAST}
    assert {i.date for i in intervals} == {start, end}


async def test_get_usage_of_whole_days_by_channel(
    client: AmberClient, amber_sim: AmberSimulator
) -> None:
    """Published half hours of the asked NEM days, every channel, billable once a day old."""
    # NOON is 12:10 on Jan 15: the 14th is published (and billable up to 12:00 yesterday's
    # data), the 15th not yet (published 12 h after each half hour ends).
    start, end = dt.date(2026, 1, 13), dt.date(2026, 1, 15)
    usage = await client.get_usage(SITE_ID, start_date=start, end_date=end)
    assert amber_sim.request_log[-1].query == {
        "startDate": "2026-01-13",
        "endDate": "2026-01-15",
        "resolution": "30",
    }
    published = [
        half
        for half in (
            dt.datetime(2026, 1, 13, tzinfo=prices.NEM_TZ) + i * dt.timedelta(minutes=30)
            for i in range(3 * 48)
        )
        if half + dt.timedelta(minutes=30) + amber_sim.usage_delay <= NOON
    ]
    assert len(usage) == 3 * len(published)
    # Grouped by channel, in Amber's order.
    assert [u.channel_type for u in usage[:: len(published)]] == CHANNELS
    assert [u.channel_identifier for u in usage[:: len(published)]] == ["E1", "E2", "B1"]
    for reading in usage:
        assert reading.duration == 30
        assert reading.date == prices.nem_date(reading.start)
    billable = [u for u in usage if u.quality is UsageQuality.BILLABLE]
    estimated = [u for u in usage if u.quality is UsageQuality.ESTIMATED]
    assert billable
    assert estimated
    assert all(u.start + dt.timedelta(minutes=30, days=1) <= NOON for u in billable)
    assert all(u.start + dt.timedelta(minutes=30, days=1) > NOON for u in estimated)
    sample = next(u for u in billable if u.channel_type is ChannelType.FEED_IN and u.kwh > 0)
    assert sample.kwh == prices.usage_kwh(prices.FEED_IN, sample.start)
    assert sample.cost == prices.usage_cost(prices.FEED_IN, sample.start)
    assert sample.cost < 0  # Amber's sign: the export was paid for
    assert sample.per_kwh == prices.amber_point(prices.FEED_IN, sample.start, 30).per_kwh


async def test_get_usage_refuses_bad_ranges(
    client: AmberClient, amber_sim: AmberSimulator, session: aiohttp.ClientSession
) -> None:
    """The simulator keeps Amber's limits: both dates, in order, at most 90 days."""
    with pytest.raises(ValueError, match="before"):
        await client.get_usage(
            SITE_ID, start_date=dt.date(2026, 1, 2), end_date=dt.date(2026, 1, 1)
        )
    with pytest.raises(RequestError) as caught:
        await client.get_usage(
            SITE_ID, start_date=dt.date(2025, 10, 1), end_date=dt.date(2026, 1, 1)
        )
    assert caught.value.status == 400
    for query in (
        "",
        "?startDate=2026-01-01",
        "?startDate=2026-01-01&endDate=2026-01-01&resolution=5",
    ):
        async with session.get(
            f"{amber_sim.base_url}/sites/{SITE_ID}/usage{query}",
            headers={"Authorization": "Bearer psk_sim"},
        ) as response:
            assert response.status == 400, query


async def test_bad_token_is_an_authentication_error(
    session: aiohttp.ClientSession, amber_sim: AmberSimulator
) -> None:
    client = AmberClient(session, "psk_wrong", base_url=amber_sim.base_url)
    with pytest.raises(AuthenticationError):
        await client.get_sites()


async def test_auth_fault_is_an_authentication_error(
    client: AmberClient, amber_sim: AmberSimulator
) -> None:
    amber_sim.fault = "auth"
    with pytest.raises(AuthenticationError):
        await client.get_sites()


async def test_429_blocks_the_client_until_reset(
    session: aiohttp.ClientSession, sim_clock: SimClock, mono: MonoClock
) -> None:
    simulator = AmberSimulator(clock=sim_clock, rate_limit=3)
    await simulator.start()
    try:
        client = make_client(session, simulator.base_url, mono)
        await client.get_sites()
        sim_clock.advance(100)
        await client.get_sites()
        # Another user of the same key spends the last request.
        async with session.get(
            f"{simulator.base_url}/sites", headers={"Authorization": "Bearer psk_sim"}
        ) as response:
            assert response.status == 200
            assert response.headers["RateLimit-Remaining"] == "0"
        with pytest.raises(RateLimitError) as caught:
            await client.get_sites()
        # The oldest request leaves the server's window 200 s from now.
        assert caught.value.retry_after == 200
        assert client.rate_limit is not None
        assert client.rate_limit.remaining == 0
        assert client.rate_limit.policy == "3;w=300"
        sent = simulator.request_count
        mono.advance(199)
        with pytest.raises(RateLimitError) as caught:
            await client.get_sites()
        assert caught.value.retry_after == pytest.approx(1)
        assert simulator.request_count == sent  # refused without sending
        mono.advance(1)
        sim_clock.advance(200)
        assert len(await client.get_sites()) == 1
    finally:
        await simulator.stop()


async def test_remaining_zero_blocks_until_reset(
    session: aiohttp.ClientSession, sim_clock: SimClock, mono: MonoClock
) -> None:
    simulator = AmberSimulator(clock=sim_clock, rate_limit=2)
    await simulator.start()
    try:
        client = make_client(session, simulator.base_url, mono)
        await client.get_sites()
        sim_clock.advance(150)
        await client.get_sites()
        assert client.rate_limit is not None
        assert client.rate_limit.remaining == 0
        assert client.rate_limit.reset == 150
        with pytest.raises(RateLimitError) as caught:
            await client.get_sites()
        assert caught.value.retry_after == 150
        assert simulator.request_count == 2
        mono.advance(150)
        sim_clock.advance(150)
        await client.get_sites()
        assert simulator.request_count == 3
    finally:
        await simulator.stop()


async def test_local_sliding_window_budget(
    session: aiohttp.ClientSession, amber_sim: AmberSimulator, mono: MonoClock
) -> None:
    client = make_client(session, amber_sim.base_url, mono, max_requests=3, window=60.0)
    for _ in range(3):
        await client.get_sites()
        mono.advance(10)
    assert client.requests_in_window == 3
    with pytest.raises(RateLimitError) as caught:
        await client.get_sites()
    assert caught.value.retry_after == pytest.approx(30)
    assert amber_sim.request_count == 3
    mono.advance(30)  # the first request leaves the window
    assert client.requests_in_window == 2
    await client.get_sites()
    assert amber_sim.request_count == 4
    assert client.requests_in_window == 3


async def test_server_error(client: AmberClient, amber_sim: AmberSimulator) -> None:
    amber_sim.fault = "server_error"
    with pytest.raises(ServerError) as caught:
        await client.get_sites()
    assert caught.value.status == 503
    assert isinstance(caught.value, ClientConnectionError)


async def test_timeout(
    session: aiohttp.ClientSession, amber_sim: AmberSimulator, mono: MonoClock
) -> None:
    amber_sim.fault = "slow"
    amber_sim.slow_seconds = 0.3
    client = make_client(session, amber_sim.base_url, mono, request_timeout=0.05)
    with pytest.raises(ClientTimeoutError):
        await client.get_sites()


async def test_malformed_body(client: AmberClient, amber_sim: AmberSimulator) -> None:
    amber_sim.fault = "malformed"
    with pytest.raises(ResponseError, match="invalid JSON"):
        await client.get_current_prices(SITE_ID)


async def test_unknown_site_is_a_request_error(client: AmberClient) -> None:
    with pytest.raises(RequestError) as caught:
        await client.get_current_prices("01NOSUCHSITE")
    assert caught.value.status == 404
    assert client.rate_limit is not None
    assert client.rate_limit.limit == 50


async def test_unreachable_server(session: aiohttp.ClientSession, mono: MonoClock) -> None:
    simulator = AmberSimulator()
    base_url = await simulator.start()
    await simulator.stop()
    client = make_client(session, base_url, mono)
    with pytest.raises(ClientConnectionError) as caught:
        await client.get_sites()
    assert not isinstance(caught.value, ClientTimeoutError)


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"Retry-After": "17"}, 17.0),
        ({"Retry-After": "soon"}, 300.0),
        ({}, 300.0),
        ({"RateLimit-Reset": "42", "Retry-After": "17"}, 42.0),
    ],
)
async def test_429_wait_sources(
    session: aiohttp.ClientSession,
    scripted: ScriptedServer,
    mono: MonoClock,
    headers: dict[str, str],
    retry_after: float,
) -> None:
    scripted.answer = Scripted(status=429, body='{"message": "Too Many Requests"}', headers=headers)
    client = make_client(session, scripted.url, mono)
    with pytest.raises(RateLimitError) as caught:
        await client.get_sites()
    assert caught.value.retry_after == retry_after
    with pytest.raises(RateLimitError):
        await client.get_sites()
    assert scripted.hits == 1


async def test_remaining_zero_without_reset_waits_a_window(
    session: aiohttp.ClientSession, scripted: ScriptedServer, mono: MonoClock
) -> None:
    scripted.answer = Scripted(headers={"RateLimit-Remaining": "0"})
    client = make_client(session, scripted.url, mono, window=120.0)
    assert await client.get_sites() == []
    with pytest.raises(RateLimitError) as caught:
        await client.get_sites()
    assert caught.value.retry_after == 120


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Scripted(status=403, body="{}"), AuthenticationError),
        (Scripted(status=400, body='{"message": "bad"}'), RequestError),
        (Scripted(status=502, body="bad gateway"), ServerError),
        (Scripted(body='{"sites": []}'), ResponseError),
        (Scripted(body='[{"id": "x"}]'), ResponseError),
    ],
)
async def test_error_mapping(
    session: aiohttp.ClientSession,
    scripted: ScriptedServer,
    mono: MonoClock,
    answer: Scripted,
    error: type[Exception],
) -> None:
    scripted.answer = answer
    client = make_client(session, scripted.url, mono)
    with pytest.raises(error):
        await client.get_sites()


async def test_site_id_is_quoted(
    session: aiohttp.ClientSession, scripted: ScriptedServer, mono: MonoClock
) -> None:
    client = make_client(session, scripted.url + "/v1/", mono)
    assert await client.get_prices("a/b") == []
    assert scripted.hits == 1
    assert scripted.last_path == "/v1/sites/a%2Fb/prices"


def test_noon_fixture_is_in_the_solar_trough() -> None:
    assert prices.tariff_period(NOON) == "solarSponge"
