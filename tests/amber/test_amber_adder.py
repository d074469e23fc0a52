"""The per-kWh adder: every import price the entry publishes carries it, export prices do not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import CONF_PRICE_ADDER, DOMAIN
from custom_components.tesla_energy_sync.tariff import PriceKind
from simulators import prices

from ..conftest import AMBER_SITE_ID, FROZEN_TIME, setup_entry
from ..helpers import entity_id

ADDER = 0.0731


def _state(hass: HomeAssistant, key: str) -> Any:
    state = hass.states.get(entity_id(hass, "sensor", f"{AMBER_SITE_ID}_{key}"))
    assert state is not None
    return state


async def _with_adder(hass: HomeAssistant, entry: MockConfigEntry, adder: float) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={CONF_PRICE_ADDER: adder})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("frozen")
async def test_sensors_carry_the_adder_on_import_channels(
    hass: HomeAssistant, amber_entry: MockConfigEntry
) -> None:
    """General and controlled-load prices, forecasts and bands; not feed-in, not spot."""
    await _with_adder(hass, amber_entry, ADDER)
    slot = prices.floor_time(FROZEN_TIME, 5)
    general = _state(hass, "general_price")
    assert float(general.state) == pytest.approx(prices.general_price(slot) / 100 + ADDER, abs=1e-5)
    # The spot price is the market's, not the customer's: no adder.
    assert general.attributes["spot_price"] == pytest.approx(
        prices.spot_price(slot) / 100, abs=1e-5
    )
    point = prices.amber_point(prices.GENERAL, slot, 5)
    assert general.attributes["advanced_price_predicted"] == pytest.approx(
        point.advanced[1] / 100 + ADDER, abs=1e-5
    )
    assert float(_state(hass, "controlled_load_price").state) == pytest.approx(
        prices.controlled_load_price(slot) / 100 + ADDER, abs=1e-5
    )
    assert float(_state(hass, "feed_in_price").state) == pytest.approx(
        -prices.feed_in_price(slot) / 100, abs=1e-5
    )

    forecast = _state(hass, "general_forecast")
    first = forecast.attributes["forecasts"][0]
    half = prices.amber_point(prices.GENERAL, datetime.fromisoformat(first["start_time"]), 30)
    assert first["price"] == pytest.approx(half.advanced[1] / 100 + ADDER, abs=1e-5)
    assert first["advanced_price_low"] == pytest.approx(half.advanced[0] / 100 + ADDER, abs=1e-5)
    assert float(forecast.state) == pytest.approx(first["price"])
    feed_in_first = _state(hass, "feed_in_forecast").attributes["forecasts"][0]
    sell = prices.amber_point(
        prices.FEED_IN, datetime.fromisoformat(feed_in_first["start_time"]), 30
    )
    assert feed_in_first["price"] == pytest.approx(-sell.advanced[1] / 100, abs=1e-5)


@pytest.mark.usefixtures("frozen")
async def test_the_tariff_seam_carries_it_for_chargers_and_planners(
    hass: HomeAssistant, amber_entry: MockConfigEntry
) -> None:
    """The series chargers and TOU sync read: import prices and bands up, export unchanged."""
    await _with_adder(hass, amber_entry, ADDER)
    tariff = amber_entry.runtime_data.tariff()
    assert tariff is not None
    series = tariff.series
    assert series is not None
    assert series.import_adder == ADDER
    current = tariff.current()
    assert current is not None
    slot = prices.floor_time(FROZEN_TIME, 5)
    assert current.import_price == pytest.approx(prices.general_price(slot) / 100 + ADDER)
    assert current.export_price == pytest.approx(-prices.feed_in_price(slot) / 100)
    forecasts = [
        i
        for i in series.intervals
        if i.kind is PriceKind.FORECAST and i.duration == timedelta(minutes=30)
    ]
    for interval in forecasts:
        buy = prices.amber_point(prices.GENERAL, interval.start, 30)
        sell = prices.amber_point(prices.FEED_IN, interval.start, 30)
        assert interval.import_price == pytest.approx(buy.advanced[1] / 100 + ADDER)
        assert interval.import_band is not None
        assert interval.import_band.high == pytest.approx(buy.advanced[2] / 100 + ADDER)
        assert interval.export_price == pytest.approx(-sell.advanced[1] / 100)


async def _dry_run(hass: HomeAssistant) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "sync_tou", {"dry_run": True}, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


@pytest.mark.usefixtures("frozen")
async def test_tou_sync_buys_at_the_price_plus_the_adder(
    hass: HomeAssistant, amber_entry: MockConfigEntry, tou_entry: MockConfigEntry
) -> None:
    """Planned buy prices rise by the adder (to Tesla's 4 decimals); sell prices do not move.

    Tesla takes no negative price, so a buy price the planner clamped to 0 rises by less.
    """
    await setup_entry(hass, amber_entry)
    await setup_entry(hass, tou_entry)
    without = await _dry_run(hass)
    hass.config_entries.async_update_entry(amber_entry, options={CONF_PRICE_ADDER: ADDER})
    assert await hass.config_entries.async_reload(amber_entry.entry_id)
    await hass.async_block_till_done()
    with_adder = await _dry_run(hass)
    assert with_adder["result"] == without["result"] == "dry_run"
    raised = 0
    for before, after in zip(without["slots"], with_adder["slots"], strict=True):
        assert after["sell"] == before["sell"]
        if before["spike"]:
            continue
        if before["buy"] > 0:
            assert after["buy"] == pytest.approx(before["buy"] + ADDER, abs=1.5e-4)
            raised += 1
        else:
            assert 0 <= after["buy"] <= ADDER
    assert raised > 40
