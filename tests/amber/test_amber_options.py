"""The options of an Amber site: usage back-fill, price adder, cheap window."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import CONF_PRICE_ADDER, CONF_USAGE_DAYS

from ..conftest import setup_entry


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
    assert schema({}) == {CONF_PRICE_ADDER: 0.0, CONF_USAGE_DAYS: 30}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PRICE_ADDER: 0.05, CONF_USAGE_DAYS: 60.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The selector sends a float; days are whole.
    assert amber_entry.options == {CONF_PRICE_ADDER: 0.05, CONF_USAGE_DAYS: 60}
    assert isinstance(amber_entry.options[CONF_USAGE_DAYS], int)
    assert amber_entry.state is ConfigEntryState.LOADED
    # The reload applied it: the prices carry the adder now.
    assert amber_entry.runtime_data.prices.adder == 0.05


@pytest.mark.parametrize(("adder", "days"), [(0, 0), (0, 91), (-0.01, 30), (1.5, 30)])
@pytest.mark.usefixtures("frozen")
async def test_options_are_bounded(
    hass: HomeAssistant, amber_entry: MockConfigEntry, adder: float, days: float
) -> None:
    """Amber keeps 90 days: the back-fill asks for 1 to 90; the adder is 0 to 1 AUD/kWh."""
    await setup_entry(hass, amber_entry)
    result = await hass.config_entries.options.async_init(amber_entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    with pytest.raises(probatio.Invalid, match=r"too (small|large)"):
        schema({CONF_PRICE_ADDER: adder, CONF_USAGE_DAYS: days})
