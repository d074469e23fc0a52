"""ComEdClient over real HTTP against the ComEd simulator (and a scripted server for odd answers)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import pytest

from custom_components.tesla_energy_sync.clients.comed import (
    DEFAULT_COMED_BASE_URL,
    ComEdClient,
    ComEdPrice,
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
from simulators.comed import ComEdSimulator

from .conftest import Scripted

if TYPE_CHECKING:
    import aiohttp

    from .conftest import ScriptedServer, SimClock

# 17:02:10 in Chicago: the day's spike (16:30-16:35) and the early negative price are both
# within the last 24 h.
EVENING = dt.datetime(2026, 1, 15, 17, 2, 10, tzinfo=prices.CHICAGO_TZ)


@pytest.fixture
def client(session: aiohttp.ClientSession, comed_sim: ComEdSimulator) -> ComEdClient:
    """Return a client on the simulator."""
    return ComEdClient(session, base_url=comed_sim.base_url)


def test_default_base_url() -> None:
    assert DEFAULT_COMED_BASE_URL == "https://hourlypricing.comed.com/api"


async def test_five_minute_feed(
    client: ComEdClient, comed_sim: ComEdSimulator, sim_clock: SimClock
) -> None:
    sim_clock.now = EVENING
    feed = await client.get_five_minute_prices()
    assert comed_sim.request_log[-1].query == {"type": "5minutefeed"}
    assert len(feed) == 288
    newest = dt.datetime(2026, 1, 15, 23, 0, tzinfo=dt.UTC)  # 17:00 Chicago, last completed end
    assert feed[0].time == newest
    assert feed[0].time.tzinfo is dt.UTC
    assert [p.time for p in feed] == [newest - i * prices.FIVE_MINUTES for i in range(288)]
    assert all(p.cents_per_kwh == prices.comed_price(p.time) for p in feed)
    cents = [p.cents_per_kwh for p in feed]
    assert sum(1 for c in cents if c < 0) == 1
    assert max(cents) >= 20


async def test_current_hour_average(
    client: ComEdClient, comed_sim: ComEdSimulator, sim_clock: SimClock
) -> None:
    sim_clock.now = EVENING.replace(minute=37)
    average = await client.get_current_hour_average()
    assert comed_sim.request_log[-1].query == {"type": "currenthouraverage"}
    assert average.time == dt.datetime(2026, 1, 15, 23, 35, tzinfo=dt.UTC)
    hour = [prices.comed_price(EVENING.replace(minute=5 * i)) for i in range(1, 8)]
    assert average.cents_per_kwh == pytest.approx(sum(hour) / 7, abs=0.051)


async def test_served_as_text_html_with_string_fields(
    session: aiohttp.ClientSession, comed_sim: ComEdSimulator
) -> None:
    async with session.get(comed_sim.base_url, params={"type": "5minutefeed"}) as response:
        assert response.content_type == "text/html"
        first = json.loads(await response.text())[0]
    assert isinstance(first["millisUTC"], str)
    assert isinstance(first["price"], str)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("server_error", ServerError),
        ("malformed", ResponseError),
        ("auth", AuthenticationError),
    ],
)
async def test_faults(
    client: ComEdClient, comed_sim: ComEdSimulator, fault: str, error: type[Exception]
) -> None:
    comed_sim.fault = fault
    with pytest.raises(error):
        await client.get_five_minute_prices()


async def test_timeout(session: aiohttp.ClientSession, comed_sim: ComEdSimulator) -> None:
    comed_sim.fault = "slow"
    comed_sim.slow_seconds = 0.3
    client = ComEdClient(session, base_url=comed_sim.base_url, request_timeout=0.05)
    with pytest.raises(ClientTimeoutError):
        await client.get_current_hour_average()


async def test_unreachable(session: aiohttp.ClientSession) -> None:
    simulator = ComEdSimulator()
    base_url = await simulator.start()
    await simulator.stop()
    with pytest.raises(ClientConnectionError):
        await ComEdClient(session, base_url=base_url).get_five_minute_prices()


async def test_numbers_instead_of_strings_are_accepted(
    session: aiohttp.ClientSession, scripted: ScriptedServer
) -> None:
    scripted.answer = Scripted(
        body='[{"millisUTC": 1706227800000, "price": -0.5}]', content_type="text/html"
    )
    [price] = await ComEdClient(session, base_url=scripted.url).get_five_minute_prices()
    assert price == ComEdPrice(dt.datetime(2024, 1, 26, 0, 10, tzinfo=dt.UTC), -0.5)
    assert price.as_dict() == {"time": "2024-01-26T00:10:00+00:00", "cents_per_kwh": -0.5}


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '{"price": "3.0"}',
        '["3.0"]',
        '[{"price": "3.0"}]',
        '[{"millisUTC": "1706227800000", "price": "n/a"}]',
        '[{"millisUTC": "1706227800000", "price": "nan"}]',
        '[{"millisUTC": "1706227800000", "price": true}]',
        '[{"millisUTC": "1e30", "price": "3.0"}]',
        "<html>maintenance</html>",
    ],
)
async def test_bad_bodies_are_response_errors(
    session: aiohttp.ClientSession, scripted: ScriptedServer, body: str
) -> None:
    scripted.answer = Scripted(body=body, content_type="text/html")
    with pytest.raises(ResponseError):
        await ComEdClient(session, base_url=scripted.url).get_five_minute_prices()


@pytest.mark.parametrize(
    ("answer", "error", "retry_after"),
    [
        (Scripted(status=429, headers={"Retry-After": "60"}), RateLimitError, 60.0),
        (Scripted(status=429), RateLimitError, 300.0),
        (Scripted(status=404, body="not here"), RequestError, None),
    ],
)
async def test_status_mapping(
    session: aiohttp.ClientSession,
    scripted: ScriptedServer,
    answer: Scripted,
    error: type[Exception],
    retry_after: float | None,
) -> None:
    scripted.answer = answer
    with pytest.raises(error) as caught:
        await ComEdClient(session, base_url=scripted.url).get_current_hour_average()
    if retry_after is not None:
        assert isinstance(caught.value, RateLimitError)
        assert caught.value.retry_after == retry_after
    else:
        assert isinstance(caught.value, RequestError)
        assert caught.value.status == 404
        assert "not here" in str(caught.value)
