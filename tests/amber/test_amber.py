"""Amber entities and coordinator: values, schedule, failures, recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_energy_sync.const import DOMAIN
from simulators import prices
from simulators.amber import AmberSimulator, two_sites

from ..conftest import AMBER_SITE_ID, FROZEN_TIME, setup_entry
from ..helpers import advance, entity_id, fire_early


def _price(hass: HomeAssistant, key: str) -> float:
    state = hass.states.get(entity_id(hass, "sensor", f"{AMBER_SITE_ID}_{key}"))
    assert state is not None
    return float(state.state)


def _slot(moment: datetime) -> datetime:
    return prices.floor_time(moment, 5)


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen")
async def test_entities(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every Amber entity, snapshotted at a frozen moment, one platform at a time."""
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await setup_entry(hass, amber_entry)
    assert amber_entry.state is ConfigEntryState.LOADED
    await snapshot_platform(hass, entity_registry, snapshot, amber_entry.entry_id)


@pytest.mark.usefixtures("frozen")
async def test_prices_follow_the_simulator(
    hass: HomeAssistant, amber_entry: MockConfigEntry
) -> None:
    """Prices are the simulator's c/kWh in AUD/kWh; feed-in is positive when paid."""
    await setup_entry(hass, amber_entry)
    slot = _slot(FROZEN_TIME)
    assert _price(hass, "general_price") == pytest.approx(
        prices.general_price(slot) / 100, abs=1e-5
    )
    assert _price(hass, "controlled_load_price") == pytest.approx(
        prices.controlled_load_price(slot) / 100, abs=1e-5
    )
    feed_in = prices.feed_in_price(slot)
    assert feed_in < 0  # Amber's sign: the customer is paid at this hour
    assert _price(hass, "feed_in_price") == pytest.approx(-feed_in / 100, abs=1e-5)

    state = hass.states.get(entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_forecast"))
    assert state is not None
    forecasts = state.attributes["forecasts"]
    assert len(forecasts) == 96  # 48 h at 30 minutes
    first_start = datetime.fromisoformat(forecasts[0]["start_time"])
    point = prices.amber_point(prices.GENERAL, first_start, 30)
    assert forecasts[0]["advanced_price_predicted"] == pytest.approx(
        point.advanced[1] / 100, abs=1e-5
    )
    assert forecasts[0]["advanced_price_low"] == pytest.approx(point.advanced[0] / 100, abs=1e-5)
    assert forecasts[0]["advanced_price_high"] == pytest.approx(point.advanced[2] / 100, abs=1e-5)
    assert float(state.state) == pytest.approx(point.advanced[1] / 100, abs=1e-5)


async def test_solar_trough_negative_feed_in_and_spike(
    hass: HomeAssistant, amber_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """At midday exporting costs money (negative feed-in); at the spike the binary sensor is on."""
    midday = datetime(2026, 11, 24, 2, 30, 5, tzinfo=UTC)  # 12:30 NEM time
    freezer.move_to(midday)
    await setup_entry(hass, amber_entry)
    assert prices.feed_in_price(_slot(midday)) > 0
    assert _price(hass, "feed_in_price") < 0
    spike_id = entity_id(hass, "binary_sensor", f"{AMBER_SITE_ID}_price_spike")
    assert hass.states.get(spike_id).state == "off"  # type: ignore[union-attr]

    spike = datetime(2026, 11, 24, 8, 35, 5, tzinfo=UTC)  # 18:35 NEM time
    assert prices.spike_status(_slot(spike)) == "spike"
    freezer.move_to(spike)
    await advance(hass, freezer, 0)
    state = hass.states.get(spike_id)
    assert state is not None
    assert state.state == "on"
    assert state.attributes["spike_status"] == "spike"
    assert _price(hass, "general_price") > 3.0  # above $3/kWh
    descriptor = hass.states.get(entity_id(hass, "sensor", f"{AMBER_SITE_ID}_price_descriptor"))
    assert descriptor is not None
    assert descriptor.state == "spike"
    demand = hass.states.get(entity_id(hass, "binary_sensor", f"{AMBER_SITE_ID}_demand_window"))
    assert demand is not None
    assert demand.state == "on"


async def test_polls_on_boundaries_and_while_estimate(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Just after a boundary the price is an estimate: re-poll, then wait for the next boundary."""
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(boundary + timedelta(seconds=3))
    await setup_entry(hass, amber_entry)
    coordinator = amber_entry.runtime_data.prices
    general = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_price")
    assert hass.states.get(general).attributes["estimate"] is True  # type: ignore[union-attr]
    assert coordinator.update_interval == timedelta(seconds=15)
    current_calls = amber_simulator.path_counts[f"/v1/sites/{AMBER_SITE_ID}/prices/current"]

    await advance(hass, freezer, 15)  # +18 s: still an estimate
    await advance(hass, freezer, 15)  # +33 s: still an estimate
    await advance(hass, freezer, 15)  # +48 s: locked in
    assert hass.states.get(general).attributes["estimate"] is False  # type: ignore[union-attr]
    # Re-polls fetch only the current price; the forecast was fetched once for this interval.
    assert (
        amber_simulator.path_counts[f"/v1/sites/{AMBER_SITE_ID}/prices/current"]
        == current_calls + 3
    )
    now = boundary + timedelta(seconds=48)
    assert coordinator.update_interval is not None
    assert now + coordinator.update_interval == boundary + timedelta(minutes=5, seconds=3)


async def test_thirty_minute_site(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 30-minute site gets price and forecast from one request, and no controlled load."""
    site = two_sites()[1]
    amber_simulator.sites = [site]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Amber Electric second",
        unique_id=site["id"],
        data={**amber_entry.data, "site_id": site["id"]},
    )
    moment = datetime(2026, 11, 23, 20, 20, 5, tzinfo=UTC)
    freezer.move_to(moment)
    await setup_entry(hass, entry)
    before = amber_simulator.request_count
    await advance(hass, freezer, 300)
    assert amber_simulator.request_count == before + 1
    point = prices.amber_point(prices.GENERAL, moment + timedelta(seconds=300), 30)
    state = hass.states.get(entity_id(hass, "sensor", f"{site['id']}_general_price"))
    assert state is not None
    assert float(state.state) == pytest.approx(point.per_kwh / 100, abs=1e-5)
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id("sensor", DOMAIN, f"{site['id']}_controlled_load_price")
        is None
    )


async def test_unavailable_while_failing_and_logs_once(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing API makes entities unavailable, logged once; recovery is logged once too."""
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    general = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_price")
    assert hass.states.get(general).state != STATE_UNAVAILABLE  # type: ignore[union-attr]

    amber_simulator.fault = "server_error"
    await advance(hass, freezer, 300)
    assert hass.states.get(general).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    # A failed poll is retried 30 s later (Home Assistant's retry_after), not at the boundary.
    failed = amber_simulator.request_count
    await advance(hass, freezer, 29)
    assert amber_simulator.request_count == failed
    await advance(hass, freezer, 1)
    assert amber_simulator.request_count == failed + 1
    await advance(hass, freezer, 30)
    assert amber_simulator.request_count == failed + 2
    assert caplog.text.count("Error fetching Amber Electric") == 1

    amber_simulator.fault = None
    await advance(hass, freezer, 30)
    assert hass.states.get(general).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert caplog.text.count("Fetching Amber Electric") == 1
    assert "data recovered" in caplog.text


async def test_malformed_body_is_a_failed_poll(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A truncated body fails the poll cleanly; the next good one restores the entities."""
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    general = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_price")
    amber_simulator.fault = "malformed"
    await advance(hass, freezer, 300)
    assert hass.states.get(general).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    amber_simulator.fault = None
    await advance(hass, freezer, 30)
    assert hass.states.get(general).state != STATE_UNAVAILABLE  # type: ignore[union-attr]


async def test_auth_failure_starts_reauth(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A refused token at runtime opens the reauth flow."""
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    amber_simulator.tokens = set()
    await advance(hass, freezer, 300)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert flows[0]["context"]["entry_id"] == amber_entry.entry_id


async def test_rate_limited_waits_for_reset(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 postpones the next poll until the server's reset, not the usual retry."""
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    amber_simulator.rate_limit = amber_simulator.request_count
    await advance(hass, freezer, 300 - 130 + 3)
    coordinator = amber_entry.runtime_data.prices
    assert not coordinator.last_update_success
    refused = amber_simulator.request_count
    assert refused == 4  # sites, prices, forecast, then the refused poll
    # The server's window opened with the first request, at set-up 173 s ago: it resets in
    # 127 s, and nothing is sent before (the usual 30 s retry would be refused again).
    await advance(hass, freezer, 126)
    assert amber_simulator.request_count == refused
    await advance(hass, freezer, 1)
    assert amber_simulator.request_count > refused
    assert coordinator.last_update_success


@pytest.mark.parametrize(
    ("fault", "sites", "state"),
    [
        ("server_error", None, ConfigEntryState.SETUP_RETRY),
        ("auth", None, ConfigEntryState.SETUP_ERROR),
        (None, [], ConfigEntryState.SETUP_ERROR),
    ],
)
@pytest.mark.usefixtures("frozen")
async def test_setup_failures(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    fault: str | None,
    sites: list[dict[str, str]] | None,
    state: ConfigEntryState,
) -> None:
    """Unreachable → retry later; refused token → reauth; site gone → error."""
    amber_simulator.fault = fault
    if sites is not None:
        amber_simulator.sites = sites
    await setup_entry(hass, amber_entry)
    assert amber_entry.state is state


@pytest.mark.usefixtures("frozen")
async def test_unload(hass: HomeAssistant, amber_entry: MockConfigEntry) -> None:
    """Unloading removes the entities' live state."""
    await setup_entry(hass, amber_entry)
    assert await hass.config_entries.async_unload(amber_entry.entry_id)
    await hass.async_block_till_done()
    assert amber_entry.state is ConfigEntryState.NOT_LOADED
    general = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_price")
    assert hass.states.get(general).state == STATE_UNAVAILABLE  # type: ignore[union-attr]


def test_platforms_declared() -> None:
    """Every platform a source uses is set up."""
    from custom_components.tesla_energy_sync import PLATFORMS
    from custom_components.tesla_energy_sync.registry import SOURCES

    used = {
        platform
        for spec in SOURCES.values()
        for platform in (*spec.descriptions, *spec.platform_setup)
    }
    assert set(PLATFORMS) == used
    # Vehicle controls (Fleet Telemetry with a Tesla account) bring these besides the readings.
    assert {Platform.LOCK, Platform.CLIMATE, Platform.COVER, Platform.BUTTON} <= used


async def test_a_live_source_device_cannot_be_removed(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, amber_entry: MockConfigEntry
) -> None:
    """Only vehicles that stopped reporting may be deleted; a tariff's device is its entry's."""
    assert await async_setup_component(hass, "config", {})
    await setup_entry(hass, amber_entry)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"amber_{AMBER_SITE_ID}"), amber_entry.entry_id
    )
    assert device is not None
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": amber_entry.entry_id,
            "device_id": device.id,
        }
    )
    assert not (await client.receive_json())["success"]
    assert dr.async_get(hass).async_get(device.id) is not None


# ---- aligned polls: never twice for one boundary ----------------------------------------------

CURRENT_PATH = f"/v1/sites/{AMBER_SITE_ID}/prices/current"


def _polls(simulator: AmberSimulator) -> tuple[int, int]:
    """Return how many current-price and forecast requests the simulator has answered."""
    current = forecast = 0
    for request in simulator.request_log:
        if request.path == CURRENT_PATH:
            if request.query.get("next") == "1":
                current += 1
            else:
                forecast += 1
    return current, forecast


async def test_an_early_timer_polls_its_boundary_once(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A refresh that fires 5 ms before its moment stands for it: no second poll for it."""
    amber_simulator.estimate_seconds = 0  # locked in at once: no re-polls in this test
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    assert _polls(amber_simulator) == (1, 1)

    await fire_early(hass, freezer, boundary + timedelta(seconds=3))
    assert _polls(amber_simulator) == (2, 2)  # one current price, one forecast: no more
    coordinator = amber_entry.runtime_data.prices
    assert coordinator.last_update_success

    # The next poll is the next boundary's, 5 minutes on, and it too runs once. (Home
    # Assistant may start it up to a second early, hence 298 s rather than 299 s.)
    await advance(hass, freezer, 298)
    assert _polls(amber_simulator) == (2, 2)
    await fire_early(hass, freezer, boundary + timedelta(minutes=5, seconds=3))
    assert _polls(amber_simulator) == (3, 3)
    await advance(hass, freezer, 1)
    assert _polls(amber_simulator) == (3, 3)


async def test_reload_just_before_a_boundary(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Reloaded 40 s before a boundary, with a timer 5 ms early and Amber 5 s late to roll over.

    The boundary's answer still describes the interval that just ended: it is not shown as
    current, and three re-polls later the interval's locked-in price is.
    """
    boundary = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    freezer.move_to(boundary - timedelta(seconds=40))
    assert await hass.config_entries.async_reload(amber_entry.entry_id)
    await hass.async_block_till_done()
    assert amber_simulator.path_counts["/v1/sites"] == 2
    assert _polls(amber_simulator) == (2, 2)
    general = entity_id(hass, "sensor", f"{AMBER_SITE_ID}_general_price")

    amber_simulator.lag = timedelta(seconds=5)
    await fire_early(hass, freezer, boundary + timedelta(seconds=3))
    assert _polls(amber_simulator) == (3, 3)
    coordinator = amber_entry.runtime_data.prices
    assert coordinator.stale_answers == 1
    state = hass.states.get(general)
    assert state is not None
    # Not the ended interval: the forecast of the one now running, flagged as an estimate.
    assert state.attributes["start_time"] == (boundary + timedelta(seconds=1)).isoformat()
    assert state.attributes["estimate"] is True

    for seconds in (18, 33, 48):
        await fire_early(hass, freezer, boundary + timedelta(seconds=seconds))
    assert _polls(amber_simulator) == (6, 3)
    state = hass.states.get(general)
    assert state is not None
    assert state.attributes["estimate"] is False
    assert float(state.state) == pytest.approx(prices.general_price(boundary) / 100, abs=1e-5)

    # Nothing more until the next boundary.
    await advance(hass, freezer, 300 - 48 - 1)
    assert _polls(amber_simulator) == (6, 3)
    assert amber_simulator.request_count == 2 + 6 + 3


@pytest.mark.usefixtures("frozen")
async def test_price_descriptor_per_channel(
    hass: HomeAssistant, amber_entry: MockConfigEntry, amber_simulator: AmberSimulator
) -> None:
    """Each channel has its descriptor, in the translated enum's words; general keeps its id."""
    await setup_entry(hass, amber_entry)
    slot = _slot(FROZEN_TIME)
    words = {"extremelyLow": "extremely_low", "veryLow": "very_low"}
    for key, channel in (
        ("price_descriptor", prices.GENERAL),
        ("feed_in_price_descriptor", prices.FEED_IN),
        ("controlled_load_price_descriptor", prices.CONTROLLED_LOAD),
    ):
        state = hass.states.get(entity_id(hass, "sensor", f"{AMBER_SITE_ID}_{key}"))
        assert state is not None
        expected = prices.amber_point(channel, slot, 5).descriptor
        assert state.state == words.get(expected, expected), key
        assert state.attributes["options"] == [
            "negative",
            "extremely_low",
            "very_low",
            "low",
            "neutral",
            "high",
            "spike",
        ]


async def test_no_controlled_load_descriptor_without_the_channel(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A site without a controlled-load circuit gets no descriptor for it."""
    freezer.move_to(FROZEN_TIME)
    site = two_sites()[1]
    amber_simulator.sites = [site]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Amber Electric second",
        unique_id=site["id"],
        data={**amber_entry.data, "site_id": site["id"]},
    )
    await setup_entry(hass, entry)
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{site['id']}_feed_in_price_descriptor")
    assert (
        registry.async_get_entity_id(
            "sensor", DOMAIN, f"{site['id']}_controlled_load_price_descriptor"
        )
        is None
    )
