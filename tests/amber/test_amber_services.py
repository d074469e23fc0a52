"""The Amber services: get_forecasts per channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import CONF_PRICE_ADDER, DOMAIN
from simulators import prices
from simulators.amber import AmberSimulator, two_sites

from ..conftest import FROZEN_TIME, setup_entry
from ..helpers import advance

HALF_HOUR = timedelta(minutes=30)
# Amber's descriptors in the snake case Home Assistant core uses.
DESCRIPTORS = {
    "extremelyLow": "extremely_low",
    "veryLow": "very_low",
    "low": "low",
    "neutral": "neutral",
    "high": "high",
    "spike": "spike",
}


async def _call(hass: HomeAssistant, service: str, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _forecast_starts(now: datetime) -> list[datetime]:
    """Return the 96 half hours the site's forecast covers: from the next half hour on."""
    first = prices.floor_time(now, 30) + HALF_HOUR
    return [first + i * HALF_HOUR for i in range(96)]


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    ("channel_type", "channel", "sign"),
    [
        ("general", prices.GENERAL, 1),
        ("controlled_load", prices.CONTROLLED_LOAD, 1),
        ("feed_in", prices.FEED_IN, -1),
    ],
)
async def test_get_forecasts_per_channel(
    hass: HomeAssistant, amber_entry: MockConfigEntry, channel_type: str, channel: str, sign: int
) -> None:
    """Every upcoming half hour in $/kWh; feed-in positive when paid, as the sensors show it."""
    await setup_entry(hass, amber_entry)
    response = await _call(hass, "get_forecasts", channel_type=channel_type)
    forecasts = response["forecasts"]
    starts = _forecast_starts(FROZEN_TIME)
    assert [datetime.fromisoformat(item["start_time"]) for item in forecasts] == starts
    for item, start in zip(forecasts, starts, strict=True):
        point = prices.amber_point(channel, start, 30)
        low, predicted, high = (sign * value / 100 for value in point.advanced)
        assert item["end_time"] == (start + HALF_HOUR).isoformat()
        assert item["duration"] == 30
        assert item["per_kwh"] == pytest.approx(predicted, abs=1e-5)
        assert item["advanced_price_low"] == pytest.approx(low, abs=1e-5)
        assert item["advanced_price_predicted"] == pytest.approx(predicted, abs=1e-5)
        assert item["advanced_price_high"] == pytest.approx(high, abs=1e-5)
        assert item["spot_per_kwh"] == pytest.approx(sign * point.spot_per_kwh / 100, abs=1e-5)
        assert item["descriptor"] == DESCRIPTORS[point.descriptor]
        assert item["spike_status"] == point.spike_status
        assert item["renewables"] == round(point.renewables)
        assert item["nem_date"] == (start + HALF_HOUR).astimezone(prices.NEM_TZ).isoformat()
        assert ("range_min" in item) is (point.range is not None)
        if point.range is not None:
            assert item["range_min"] == pytest.approx(sign * point.range[0] / 100, abs=1e-5)


async def test_forecasts_that_ended_are_left_out_and_the_adder_is_in(
    hass: HomeAssistant, amber_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """An answer an hour old lists only what is still ahead; import prices carry the adder."""
    freezer.move_to(FROZEN_TIME)
    amber_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(amber_entry, options={CONF_PRICE_ADDER: 0.1})
    await hass.config_entries.async_setup(amber_entry.entry_id)
    await hass.async_block_till_done()
    # The clock moves on without a poll: the first forecast has ended, the second is running.
    freezer.tick(timedelta(hours=1))
    general = (await _call(hass, "get_forecasts", channel_type="general"))["forecasts"]
    feed_in = (await _call(hass, "get_forecasts", channel_type="feed_in"))["forecasts"]
    starts = _forecast_starts(FROZEN_TIME)[1:]
    assert [datetime.fromisoformat(item["start_time"]) for item in general] == starts
    first = prices.amber_point(prices.GENERAL, starts[0], 30)
    assert general[0]["per_kwh"] == pytest.approx(first.advanced[1] / 100 + 0.1, abs=1e-5)
    sell = prices.amber_point(prices.FEED_IN, starts[0], 30)
    assert feed_in[0]["per_kwh"] == pytest.approx(-sell.advanced[1] / 100, abs=1e-5)


async def test_a_channel_the_site_lacks(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A site without controlled load says so, in words."""
    freezer.move_to(FROZEN_TIME)
    amber_simulator.sites = two_sites()[1:]
    site_id = amber_simulator.sites[0]["id"]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Amber Electric second",
        unique_id=site_id,
        data={**amber_entry.data, "site_id": site_id},
    )
    await setup_entry(hass, entry)
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "get_forecasts", channel_type="controlled_load")
    assert caught.value.translation_key == "channel_not_found"
    assert caught.value.translation_placeholders == {"channel_type": "controlled_load"}


async def test_no_forecasts_while_the_prices_fail(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """While Amber fails the service refuses rather than hand out the last answer's prices."""
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, amber_entry)
    amber_simulator.fault = "server_error"
    await advance(hass, freezer, 300)
    with pytest.raises(HomeAssistantError) as caught:
        await _call(hass, "get_forecasts", channel_type="general")
    assert caught.value.translation_key == "prices_unavailable"


async def test_which_entry(
    hass: HomeAssistant,
    amber_entry: MockConfigEntry,
    comed_entry: MockConfigEntry,
    amber_simulator: AmberSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without an Amber entry, or with two and none named, the call says what is wrong."""
    freezer.move_to(FROZEN_TIME)
    await setup_entry(hass, comed_entry)
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "get_forecasts", channel_type="general")
    assert caught.value.translation_key == "no_amber_entry"
    with pytest.raises(ServiceValidationError) as caught:
        await _call(
            hass,
            "get_forecasts",
            channel_type="general",
            **{ATTR_CONFIG_ENTRY_ID: comed_entry.entry_id},
        )
    assert caught.value.translation_key == "no_amber_entry"

    amber_simulator.sites = two_sites()
    await setup_entry(hass, amber_entry)
    second_id = amber_simulator.sites[1]["id"]
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Amber Electric second",
        unique_id=second_id,
        data={**amber_entry.data, "site_id": second_id},
    )
    await setup_entry(hass, second)
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "get_forecasts", channel_type="general")
    assert caught.value.translation_key == "several_amber_entries"
    named = await _call(
        hass,
        "get_forecasts",
        channel_type="general",
        **{ATTR_CONFIG_ENTRY_ID: second.entry_id},
    )
    assert len(named["forecasts"]) == 96
