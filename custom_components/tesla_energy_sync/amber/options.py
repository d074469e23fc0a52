"""Options of an Amber site: a per-kWh adder, the cheap window, and the usage back-fill."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TimeSelector,
)
import probatio

from ..const import (
    AUD_PER_KWH,
    CONF_CHEAP_DEADLINE,
    CONF_CHEAP_HOURS,
    CONF_PRICE_ADDER,
    CONF_USAGE_DAYS,
    DEFAULT_CHEAP_DEADLINE,
    DEFAULT_CHEAP_HOURS,
    DEFAULT_USAGE_DAYS,
    MAX_USAGE_DAYS,
)
from ..flow_helpers import price_adder_selector

PRICE_ADDER = price_adder_selector(AUD_PER_KWH)
CHEAP_HOURS = NumberSelector(
    NumberSelectorConfig(
        min=0.5, max=24, step=0.5, mode=NumberSelectorMode.BOX, unit_of_measurement="h"
    )
)
USAGE_DAYS = NumberSelector(
    NumberSelectorConfig(
        min=1, max=MAX_USAGE_DAYS, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="d"
    )
)


class AmberOptionsFlow(OptionsFlowWithReload):
    """An Amber site's price adder, cheap window and usage back-fill."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options; saving them reloads the entry."""
        return await self.async_step_amber(user_input)

    async def async_step_amber(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Amber options."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    **self.config_entry.options,
                    CONF_PRICE_ADDER: float(user_input[CONF_PRICE_ADDER]),
                    CONF_CHEAP_HOURS: float(user_input[CONF_CHEAP_HOURS]),
                    CONF_CHEAP_DEADLINE: user_input[CONF_CHEAP_DEADLINE],
                    CONF_USAGE_DAYS: int(user_input[CONF_USAGE_DAYS]),
                }
            )
        options = self.config_entry.options
        schema = {
            probatio.Required(
                CONF_PRICE_ADDER, default=options.get(CONF_PRICE_ADDER, 0.0)
            ): PRICE_ADDER,
            probatio.Required(
                CONF_CHEAP_HOURS, default=options.get(CONF_CHEAP_HOURS, DEFAULT_CHEAP_HOURS)
            ): CHEAP_HOURS,
            probatio.Required(
                CONF_CHEAP_DEADLINE,
                default=options.get(CONF_CHEAP_DEADLINE, DEFAULT_CHEAP_DEADLINE),
            ): TimeSelector(),
            probatio.Required(
                CONF_USAGE_DAYS, default=options.get(CONF_USAGE_DAYS, DEFAULT_USAGE_DAYS)
            ): USAGE_DAYS,
        }
        return self.async_show_form(step_id="amber", data_schema=probatio.Schema(schema))
