"""Amber edge cases: channels missing from a payload, estimates that never lock in, low budget."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientSession, web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import CONF_BASE_URL
from simulators import prices
from simulators.amber import AmberSimulator

from ..conftest import AMBER_SITE_ID, FROZEN_TIME, setup_entry
from ..helpers import advance, entity_id


class FilteringProxy:
    """Forward to the simulator, dropping intervals the test says Amber left out."""

    def __init__(self, upstream: str) -> None:
        """Remember where the simulator is."""
        self.upstream = upstream
        self.drop: set[tuple[str, str]] = set()  # (channelType, type) pairs to remove
        self._runner: web.AppRunner | None = None

    async def _forward(self, request: web.Request) -> web.Response:
        path = request.match_info["tail"]
        async with (
            ClientSession() as session,
            session.get(
                f"{self.upstream}/{path}", params=request.query, headers=request.headers
            ) as upstream,
        ):
            body: Any = await upstream.json()
            if isinstance(body, list) and "prices" in path:
                body = [
                    item for item in body if (item["channelType"], item["type"]) not in self.drop
                ]
            return web.json_response(body, status=upstream.status)

    async def start(self) -> str:
        """Listen on loopback and return the base URL."""
        app = web.Application()
        app.router.add_get("/v1/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"

    async def stop(self) -> None:
        """Stop listening."""
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def proxy(amber_simulator: AmberSimulator) -> AsyncGenerator[tuple[FilteringProxy, str]]:
    """A filtering proxy in front of the Amber simulator."""
    server = FilteringProxy(amber_simulator.base_url)
    url = await server.start()
    yield server, url
    await server.stop()


async def test_missing_channels(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    proxy: tuple[FilteringProxy, str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A channel absent from one payload reads unknown; no general price fails the poll."""
    server, url = proxy
    freezer.move_to(FROZEN_TIME)
    entry = MockConfigEntry(
        domain=amber_entry.domain,
        title=amber_entry.title,
        unique_id=amber_entry.unique_id,
        data={**amber_entry.data, CONF_BASE_URL: url},
    )
    server.drop = {("feedIn", "CurrentInterval"), ("feedIn", "ForecastInterval")}
    await setup_entry(hass, entry)
    feed_in = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_feed_in_price")
    feed_in_forecast = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_feed_in_forecast")
    general = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_price")
    assert hass.states.get(feed_in).state == STATE_UNKNOWN  # type: ignore[union-attr]
    assert hass.states.get(feed_in_forecast).state == STATE_UNKNOWN  # type: ignore[union-attr]
    assert hass.states.get(general).state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)  # type: ignore[union-attr]

    server.drop = {("general", "CurrentInterval")}
    await advance(hass, freezer, 300)
    assert hass.states.get(general).state == STATE_UNAVAILABLE  # type: ignore[union-attr]


async def test_gives_up_on_estimate_until_next_boundary(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After three re-polls of an estimate, the next poll waits for the boundary."""
    amber_simulator.estimate_seconds = 290
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(boundary + timedelta(seconds=3))
    await setup_entry(hass, amber_entry)
    coordinator = amber_entry.runtime_data.prices
    for backoff in (15, 15, 15):
        assert coordinator.update_interval == timedelta(seconds=backoff)
        await advance(hass, freezer, backoff)
    assert coordinator.update_interval == timedelta(minutes=5) - timedelta(seconds=45)


async def test_no_repoll_past_the_boundary(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An estimate late in the interval waits for the boundary instead of re-polling."""
    amber_simulator.estimate_seconds = 300
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(boundary + timedelta(seconds=296))
    await setup_entry(hass, amber_entry)
    coordinator = amber_entry.runtime_data.prices
    assert coordinator.update_interval == timedelta(seconds=7)


async def test_low_budget_skips_repolls(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With fewer than 10 requests left in Amber's window, only boundary polls are made."""
    amber_simulator.rate_limit = 12
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(boundary + timedelta(seconds=3))
    await setup_entry(hass, amber_entry)
    coordinator = amber_entry.runtime_data.prices
    assert coordinator.client.rate_limit is not None
    assert coordinator.client.rate_limit.remaining is not None
    assert coordinator.client.rate_limit.remaining < 10
    assert coordinator.update_interval == timedelta(minutes=5)


async def test_an_ended_interval_is_never_current(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """At its end the interval gives way to the next one's forecast, before any new poll."""
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    general = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_price")
    polls = amber_simulator.request_count

    await advance(hass, freezer, (boundary - FROZEN_TIME).total_seconds() + 1)
    assert amber_simulator.request_count == polls  # the +3 s poll has not run yet
    state = hass.states.get(general)
    assert state is not None
    assert state.attributes["start_time"] == (boundary + timedelta(seconds=1)).isoformat()
    assert state.attributes["estimate"] is True
    # The 5-minute forecast Amber gave for this interval: its predicted price.
    forecast = prices.amber_point(prices.GENERAL, boundary, 5)
    assert float(state.state) == pytest.approx(forecast.advanced[1] / 100, abs=1e-5)


async def test_stale_answer_is_not_shown_or_planned(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An answer whose current interval ended 30 minutes ago: no price shown, counted."""
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    amber_simulator.lag = timedelta(minutes=30)
    await advance(hass, freezer, (boundary - FROZEN_TIME).total_seconds() + 3)

    coordinator = amber_entry.runtime_data.prices
    assert coordinator.last_update_success
    assert coordinator.stale_answers == 1
    assert coordinator.current() is None
    for key in ("general_price", "feed_in_price", "controlled_load_price", "renewables"):
        state = hass.states.get(entity_id(hass, "sensor", f"{AMBER_SITE_ID}_{key}"))
        assert state is not None
        assert state.state == STATE_UNKNOWN, key
    for key in ("price_spike", "demand_window"):
        state = hass.states.get(entity_id(hass, "binary_sensor", f"{AMBER_SITE_ID}_{key}"))
        assert state is not None
        assert state.state == STATE_UNKNOWN, key
    forecast = hass.states.get(entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_forecast"))
    assert forecast is not None
    assert all(
        datetime.fromisoformat(item["end_time"]) > boundary
        for item in forecast.attributes["forecasts"]
    )

    # Still stale on each re-poll (three of them), then the next boundary answers afresh.
    for _ in range(3):
        await advance(hass, freezer, 15)
    assert coordinator.stale_answers == 4
    amber_simulator.lag = timedelta()
    await advance(hass, freezer, 300 - 48 + 3)
    general = hass.states.get(entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_price"))
    assert general is not None
    assert float(general.state) == pytest.approx(
        prices.general_price(boundary + timedelta(minutes=5)) / 100, abs=1e-5
    )
