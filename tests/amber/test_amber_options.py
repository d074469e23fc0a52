"""The options of an Amber site: usage back-fill, price adder, cheap window."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_CHEAP_DEADLINE,
    CONF_CHEAP_HOURS,
    CONF_PRICE_ADDER,
    CONF_USAGE_DAYS,
)

from ..conftest import AMBER_SITE_ID, setup_entry
from ..helpers import entity_id


@pytest.mark.usefixtures("frozen")
async def test_options_are_saved_and_reload_the_entry(
    hass: HomeAssistant, amber_entry: MockConfigEntry
) -> None:
    """Saving the options stores them and reloads the site with them."""
    await setup_entry(hass, amber_entry)
    assert amber_entry.supports_options
    result = await hass.config_entries.options.async_init(amber_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "amber"
    schema = result["data_schema"]
    assert schema is not None
    assert schema({}) == {
        CONF_PRICE_ADDER: 0.0,
        CONF_CHEAP_HOURS: 4.0,
        CONF_CHEAP_DEADLINE: "07:00:00",
        CONF_USAGE_DAYS: 30,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_PRICE_ADDER: 0.05,
            CONF_CHEAP_HOURS: 2.5,
            CONF_CHEAP_DEADLINE: "06:30:00",
            CONF_USAGE_DAYS: 60.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The selector sends a float; days are whole.
    assert amber_entry.options == {
        CONF_PRICE_ADDER: 0.05,
        CONF_CHEAP_HOURS: 2.5,
        CONF_CHEAP_DEADLINE: "06:30:00",
        CONF_USAGE_DAYS: 60,
    }
    assert isinstance(amber_entry.options[CONF_USAGE_DAYS], int)
    assert amber_entry.state is ConfigEntryState.LOADED
    # The reload applied them: the prices carry the adder, the cheap window its new length.
    assert amber_entry.runtime_data.prices.adder == 0.05
    window = hass.states.get(entity_id(hass, "binary_sensor", f"{AMBER_SITE_ID}_cheap_window"))
    assert window is not None
    start = datetime.fromisoformat(window.attributes["window_start"])
    end = datetime.fromisoformat(window.attributes["window_end"])
    assert end - start == timedelta(hours=2.5)


@pytest.mark.parametrize(
    ("adder", "hours", "days"),
    [(0, 4, 0), (0, 4, 91), (-0.01, 4, 30), (1.5, 4, 30), (0, 0.25, 30), (0, 25, 30)],
)
@pytest.mark.usefixtures("frozen")
async def test_options_are_bounded(
    hass: HomeAssistant, amber_entry: MockConfigEntry, adder: float, hours: float, days: float
) -> None:
    """Back-fill 1 to 90 days (all Amber keeps); adder 0 to 1 AUD/kWh; window 0.5 to 24 h."""
    await setup_entry(hass, amber_entry)
    result = await hass.config_entries.options.async_init(amber_entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    with pytest.raises(probatio.Invalid, match=r"too (small|large)"):
        schema(
            {
                CONF_PRICE_ADDER: adder,
                CONF_CHEAP_HOURS: hours,
                CONF_CHEAP_DEADLINE: "07:00:00",
                CONF_USAGE_DAYS: days,
            }
        )
