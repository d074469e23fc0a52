"""The cheapest window: the service, and the binary sensor on during the cheapest hours.

Expected windows are found by brute force here: every whole-minute start, over a per-minute
price grid built from the simulator's price model, independent of tariff.py's search.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.tesla_energy_sync.amber.cheap_window import CheapWindowPlanner
from custom_components.tesla_energy_sync.const import (
    CONF_CHEAP_DEADLINE,
    CONF_CHEAP_HOURS,
    CONF_PRICE_ADDER,
    DOMAIN,
)
from custom_components.tesla_energy_sync.tariff import (
    PriceInterval,
    PriceKind,
    PriceSegment,
    cheapest_window,
    price_timeline,
    window_average,
)
from simulators import prices
from simulators.amber import AmberSimulator, two_sites
from simulators.comed import ComEdSimulator

from ..conftest import setup_entry
from ..helpers import advance, entity_id

MINUTE = timedelta(minutes=1)
HALF_HOUR = timedelta(minutes=30)
# 07:02 in Sydney (UTC+11), on a whole minute so the brute force's grid holds every boundary.
NOW = datetime(2026, 11, 23, 20, 2, tzinfo=UTC)
SYDNEY = "Australia/Sydney"

type PriceOf = Callable[[datetime], float | None]


def thirty_minute_price(channel: str, sign: int = 1) -> PriceOf:
    """Return the price at a moment at a 30-minute site: its half hour's (predicted) price."""
    return lambda moment: (
        sign * prices.amber_point(channel, prices.floor_time(moment, 30), 30).per_kwh / 100
    )


def brute_force(
    price_of: PriceOf, since: datetime, until: datetime, minutes: int
) -> tuple[datetime, float] | None:
    """Return the start and average of the cheapest window, trying every whole minute."""
    grid = [price_of(since + i * MINUTE) for i in range(int((until - since) / MINUTE))]
    known = [0.0 if price is None else price for price in grid]
    gaps = list(accumulate((price is None for price in grid), initial=0))
    sums = list(accumulate(known, initial=0.0))
    best: tuple[int, float] | None = None
    for start in range(len(grid) - minutes + 1):
        if gaps[start + minutes] != gaps[start]:
            continue
        average = (sums[start + minutes] - sums[start]) / minutes
        if best is None or average < best[1] - 1e-9:
            best = (start, average)
    return None if best is None else (since + best[0] * MINUTE, best[1])


async def _thirty_minute_site(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    amber_simulator.sites = two_sites()[1:]
    site_id = amber_simulator.sites[0]["id"]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Amber Electric 31012345678",
        unique_id=site_id,
        data={**amber_entry.data, "site_id": site_id},
        options=options or {},
    )
    await setup_entry(hass, entry)
    return entry


async def _window(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "find_cheapest_window", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _known_until(now: datetime) -> datetime:
    """Return the end of a 30-minute site's forecast: the current half hour and 96 more."""
    return prices.floor_time(now, 30) + 97 * HALF_HOUR


@pytest.mark.parametrize(
    ("duration", "latest_finish"),
    [
        ({"hours": 2}, None),
        ({"hours": 3, "minutes": 30}, None),
        ({"minutes": 45}, None),
        ({"hours": 4}, NOW + timedelta(hours=10)),
        ({"hours": 1}, NOW + timedelta(hours=1, minutes=30)),
    ],
)
async def test_cheapest_general_window(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
    duration: dict[str, int],
    latest_finish: datetime | None,
) -> None:
    """The service's window is the brute force's: start, end and average price."""
    freezer.move_to(NOW)
    await _thirty_minute_site(hass, amber_entry, amber_simulator)
    length = timedelta(**duration)
    data: dict[str, Any] = {"duration": duration}
    if latest_finish is not None:
        data["latest_finish"] = latest_finish.isoformat()
    response = await _window(hass, **data)
    until = latest_finish or _known_until(NOW)
    found = brute_force(thirty_minute_price(prices.GENERAL), NOW, until, int(length / MINUTE))
    assert found is not None
    start, average = found
    assert response["start"] == start.isoformat()
    assert response["end"] == (start + length).isoformat()
    assert response["average_price"] == pytest.approx(average, abs=1e-5)
    assert response["currency"] == "AUD"
    assert response["channel"] == "general"


async def test_feed_in_window_pays_most_and_the_adder_counts(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """For feed-in the window is where exporting pays most; import averages carry the adder."""
    freezer.move_to(NOW)
    await _thirty_minute_site(hass, amber_entry, amber_simulator, {CONF_PRICE_ADDER: 0.05})
    response = await _window(hass, duration={"hours": 2}, channel="feed_in")
    # Cheapest for you = most negative Amber feed-in price = highest credit.
    found = brute_force(thirty_minute_price(prices.FEED_IN), NOW, _known_until(NOW), 120)
    assert found is not None
    start, average = found
    assert response["start"] == start.isoformat()
    assert response["average_price"] == pytest.approx(-average, abs=1e-5)
    assert response["average_price"] > 0

    general = await _window(hass, duration={"hours": 2})
    found = brute_force(thirty_minute_price(prices.GENERAL), NOW, _known_until(NOW), 120)
    assert found is not None
    assert general["start"] == found[0].isoformat()
    assert general["average_price"] == pytest.approx(found[1] + 0.05, abs=1e-5)


async def test_a_local_latest_finish_and_the_errors(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A latest finish without an offset is local time; a window that cannot fit is an error."""
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone(SYDNEY)
    await _thirty_minute_site(hass, amber_entry, amber_simulator)
    response = await _window(hass, duration={"hours": 2}, latest_finish="2026-11-24 12:00:00")
    until = datetime(2026, 11, 24, 1, tzinfo=UTC)  # noon in Sydney
    found = brute_force(thirty_minute_price(prices.GENERAL), NOW, until, 120)
    assert found is not None
    assert response["start"] == found[0].isoformat()

    with pytest.raises(ServiceValidationError) as caught:
        await _window(hass, duration={"hours": 60})
    assert caught.value.translation_key == "no_window"
    with pytest.raises(ServiceValidationError) as caught:
        await _window(
            hass, duration={"hours": 2}, latest_finish=(NOW + timedelta(hours=1)).isoformat()
        )
    assert caught.value.translation_key == "no_window"
    assert caught.value.translation_placeholders == {
        "duration": "2:00:00",
        "latest_finish": "2026-11-24T08:02+11:00",
    }


async def test_a_five_minute_site_has_a_gap_before_its_half_hours(
    hass: HomeAssistant, amber_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Live and next 5-minute prices, nothing until the half-hour forecasts: no window spans it."""
    freezer.move_to(NOW)
    await setup_entry(hass, amber_entry)
    current = prices.floor_time(NOW, 5)
    gap_from, gap_until = current + timedelta(minutes=10), prices.floor_time(NOW, 30) + HALF_HOUR

    def price_of(moment: datetime) -> float | None:
        if moment < gap_from:
            return (
                prices.amber_point(prices.CONTROLLED_LOAD, prices.floor_time(moment, 5)).per_kwh
                / 100
            )
        if moment < gap_until:
            return None
        return thirty_minute_price(prices.CONTROLLED_LOAD)(moment)

    for minutes in (5, 90):
        response = await _window(hass, duration={"minutes": minutes}, channel="controlled_load")
        found = brute_force(price_of, NOW, _known_until(NOW), minutes)
        assert found is not None
        assert response["start"] == found[0].isoformat()
        assert response["average_price"] == pytest.approx(found[1], abs=1e-5)


async def test_comed_has_no_forward_prices(
    hass: HomeAssistant, comed_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """ComEd publishes no forecast: the service says so, in words."""
    freezer.move_to(NOW)
    await setup_entry(hass, comed_entry)
    with pytest.raises(ServiceValidationError) as caught:
        await _window(hass, duration={"hours": 1})
    assert caught.value.translation_key == "no_forward_prices"
    assert caught.value.translation_placeholders == {"title": "ComEd hourly pricing"}
    with pytest.raises(ServiceValidationError) as caught:
        await _window(hass, duration={"hours": 1}, channel="feed_in")
    assert caught.value.translation_key == "channel_not_found"


# The binary sensor ------------------------------------------------------------------------------


def _sensor(hass: HomeAssistant, site_id: str) -> State:
    state = hass.states.get(entity_id(hass, "binary_sensor", f"{site_id}_cheap_window"))
    assert state is not None
    return state


async def test_sensor_is_on_during_the_cheapest_hours_before_the_deadline(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Off until the brute force's window starts, on through it, then planned for the next day."""
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone(SYDNEY)
    options = {CONF_CHEAP_HOURS: 3.0, CONF_CHEAP_DEADLINE: "07:00:00"}
    entry = await _thirty_minute_site(hass, amber_entry, amber_simulator, options)
    site_id = str(entry.unique_id)
    deadline = datetime(2026, 11, 24, 20, tzinfo=UTC)  # 07:00 tomorrow in Sydney
    general = thirty_minute_price(prices.GENERAL)
    found = brute_force(general, NOW, deadline, 180)
    assert found is not None
    start, average = found
    assert start > NOW
    state = _sensor(hass, site_id)
    assert state.state == "off"
    assert state.attributes["deadline"] == deadline.isoformat()
    assert state.attributes["window_start"] == start.isoformat()
    assert state.attributes["window_end"] == (start + timedelta(hours=3)).isoformat()
    assert state.attributes["average_price"] == pytest.approx(average, abs=1e-5)

    await advance(hass, freezer, (start - NOW).total_seconds() - 1)
    assert _sensor(hass, site_id).state == "off"
    await advance(hass, freezer, 1)
    assert _sensor(hass, site_id).state == "on"
    # A reload in the middle keeps the window running (the planner's state is restored).
    await advance(hass, freezer, 3600)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _sensor(hass, site_id).state == "on"
    end = start + timedelta(hours=3)
    await advance(hass, freezer, (end - start).total_seconds() - 3600 - 1)
    assert _sensor(hass, site_id).state == "on"
    await advance(hass, freezer, 1)
    after = _sensor(hass, site_id)
    assert after.state == "off"
    # This deadline is served: the next window is for the day after, found from now on.
    tomorrow = deadline + timedelta(days=1)
    assert after.attributes["deadline"] == tomorrow.isoformat()
    following = brute_force(general, end, tomorrow, 180)
    assert following is not None
    assert after.attributes["window_start"] == following[0].isoformat()


async def test_too_little_time_left_runs_until_the_deadline(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With less time left than the window, it is on at once and off at the deadline itself."""
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone(SYDNEY)
    # 09:17 is no price boundary: only the sensor's own timer can end the window on time.
    options = {CONF_CHEAP_HOURS: 4.0, CONF_CHEAP_DEADLINE: "09:17:00"}
    entry = await _thirty_minute_site(hass, amber_entry, amber_simulator, options)
    site_id = str(entry.unique_id)
    deadline = NOW + timedelta(hours=2, minutes=15)
    state = _sensor(hass, site_id)
    assert state.state == "on"
    assert state.attributes["window_start"] == NOW.isoformat()
    assert state.attributes["window_end"] == deadline.isoformat()
    await advance(hass, freezer, (deadline - NOW).total_seconds() - 1)
    assert _sensor(hass, site_id).state == "on"
    await advance(hass, freezer, 1)
    after = _sensor(hass, site_id)
    assert after.state == "off"
    assert after.attributes["deadline"] == (deadline + timedelta(days=1)).isoformat()


async def test_a_running_window_is_restored_after_a_restart(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A window that was running when Home Assistant stopped runs on to its end."""
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone(SYDNEY)
    running = {
        "deadline": "2026-11-24T20:00:00+00:00",
        "start": "2026-11-23T19:30:00+00:00",
        "end": "2026-11-23T20:30:00+00:00",
        "average": 0.2,
        "running": True,
    }
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("binary_sensor.amber_electric_31012345678_cheap_window", "on"),
                {"running": running, "served": None},
            )
        ],
    )
    options = {CONF_CHEAP_HOURS: 1.0, CONF_CHEAP_DEADLINE: "07:00:00"}
    entry = await _thirty_minute_site(hass, amber_entry, amber_simulator, options)
    state = _sensor(hass, str(entry.unique_id))
    assert state.entity_id == "binary_sensor.amber_electric_31012345678_cheap_window"
    assert state.state == "on"
    assert state.attributes["window_end"] == "2026-11-23T20:30:00+00:00"
    await advance(hass, freezer, (datetime(2026, 11, 23, 20, 30, tzinfo=UTC) - NOW).total_seconds())
    assert _sensor(hass, str(entry.unique_id)).state == "off"
    # Its deadline was served; the next plan is for the one after.
    assert _sensor(hass, str(entry.unique_id)).attributes["deadline"] == (
        "2026-11-25T20:00:00+00:00"
    )


# The planner and the window search, on their own ------------------------------------------------


def _segments(start: datetime, values: list[float]) -> list[PriceSegment]:
    return [
        PriceSegment(start + i * HALF_HOUR, start + (i + 1) * HALF_HOUR, value)
        for i, value in enumerate(values)
    ]


async def test_a_started_window_is_kept_when_the_forecast_changes(hass: HomeAssistant) -> None:
    """Once on, the window runs to its end even if a cheaper one appears later."""
    await hass.config.async_set_time_zone("UTC")
    start = datetime(2026, 6, 1, 10, tzinfo=UTC)
    planner = CheapWindowPlanner(timedelta(hours=1), time(20, 0))
    first = planner.plan(_segments(start, [0.3, 0.1, 0.1, 0.3, 0.3, 0.3]), start)
    assert (first.start, first.running) == (start + HALF_HOUR, False)
    running = planner.plan(_segments(start + HALF_HOUR, [0.1, 0.1, 0.3]), start + HALF_HOUR)
    assert running.running
    # Prices move: two hours later is now far cheaper. The running window stays.
    moved = planner.plan(
        _segments(start + HALF_HOUR + MINUTE, [0.5, 0.5, 0.5, 0.01, 0.01]),
        start + HALF_HOUR + MINUTE,
    )
    assert moved == running
    # At its end the deadline is served: the next plan is for tomorrow's.
    done = planner.plan(_segments(start + 3 * HALF_HOUR, [0.2, 0.01, 0.01]), start + 3 * HALF_HOUR)
    assert not done.running
    assert done.deadline == datetime(2026, 6, 2, 20, tzinfo=UTC)
    assert planner.stored()["served"] == "2026-06-01T20:00:00+00:00"


def test_timeline_prefers_the_finer_and_the_settled_price() -> None:
    """A 5-minute live price inside a half-hour forecast wins for its five minutes."""
    start = datetime(2026, 6, 1, 10, tzinfo=UTC)

    def interval(offset: int, minutes: int, kind: PriceKind, price: float) -> PriceInterval:
        begin = start + timedelta(minutes=offset)
        return PriceInterval(
            start=begin,
            end=begin + timedelta(minutes=minutes),
            kind=kind,
            import_price=price,
            export_price=None,
            estimate=kind is not PriceKind.ACTUAL,
            currency="AUD",
        )

    intervals = [
        interval(0, 30, PriceKind.FORECAST, 0.3),
        interval(5, 5, PriceKind.CURRENT, 0.2),
        interval(5, 5, PriceKind.ACTUAL, 0.25),
        interval(60, 30, PriceKind.FORECAST, 0.1),
    ]
    timeline = price_timeline(intervals, lambda i: i.import_price, start + timedelta(minutes=2))
    assert [(s.start.minute, s.end.minute, s.price) for s in timeline] == [
        (2, 5, 0.3),
        (5, 10, 0.25),
        (10, 30, 0.3),
        (0, 30, 0.1),
    ]
    # Twenty minutes fit on either side of the gap (the later half hour is cheaper); forty
    # would have to span it.
    window = cheapest_window(timeline, timedelta(minutes=20))
    assert window is not None
    assert window.start == start + timedelta(minutes=60)
    assert cheapest_window(timeline, timedelta(minutes=40)) is None
    assert cheapest_window(timeline, timedelta()) is None
    assert cheapest_window([], timedelta(minutes=5)) is None
    # Averages are time-weighted, and only over prices that are known.
    at = start + timedelta(minutes=2)
    assert window_average(timeline, at, at + timedelta(minutes=8)) == pytest.approx(
        (3 * 0.3 + 5 * 0.25) / 8
    )
    assert window_average(timeline, at, at) is None
    assert (
        window_average(timeline, start + timedelta(minutes=70), start + timedelta(hours=2)) is None
    )


def test_what_cannot_be_read_back_is_dropped() -> None:
    """A stored state from another version or a broken file restores as nothing running."""
    planner = CheapWindowPlanner(timedelta(hours=1), time(7))
    planner.restore({"running": {"deadline": "soon"}, "served": 7})
    assert planner.running is None
    assert planner.served is None
    planner.restore({"running": None, "served": "not a time"})
    assert planner.stored() == {"running": None, "served": None}


async def test_which_tariff_entry(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    comed_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    comed_simulator: ComEdSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The window service finds its tariff entry, or says why it cannot."""
    freezer.move_to(NOW)
    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(ServiceValidationError) as caught:
        await _window(hass, duration={"hours": 1})
    assert caught.value.translation_key == "no_tariff_entry"

    # The only tariff entry failed to set up.
    amber_simulator.fault = "server_error"
    await setup_entry(hass, amber_entry)
    with pytest.raises(ServiceValidationError) as caught:
        await _window(hass, duration={"hours": 1})
    assert caught.value.translation_key == "entry_not_loaded"
    amber_simulator.fault = None
    assert await hass.config_entries.async_reload(amber_entry.entry_id)
    await hass.async_block_till_done()

    other = MockConfigEntry(domain=DOMAIN, title="TOU sync", data={"kind": "tou_sync"})
    other.add_to_hass(hass)
    other.mock_state(hass, ConfigEntryState.LOADED)
    with pytest.raises(ServiceValidationError) as caught:
        await _window(hass, duration={"hours": 1}, config_entry_id=other.entry_id)
    assert caught.value.translation_key == "no_tariff_entry"

    await setup_entry(hass, comed_entry)
    with pytest.raises(ServiceValidationError) as caught:
        await _window(hass, duration={"hours": 1})
    assert caught.value.translation_key == "several_tariff_entries"
    named = await _window(hass, duration={"hours": 1}, config_entry_id=amber_entry.entry_id)
    assert named["currency"] == "AUD"

    # While ComEd fails there is no series to search at all.
    comed_simulator.fault = "server_error"
    await advance(hass, freezer, 300)
    with pytest.raises(HomeAssistantError) as failing:
        await _window(hass, duration={"hours": 1}, config_entry_id=comed_entry.entry_id)
    assert failing.value.translation_key == "prices_unavailable"
