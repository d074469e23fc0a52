"""Options of ComEd hourly pricing: a fixed per-kWh adder for the delivery charges."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
import probatio

from ..const import CONF_PRICE_ADDER, USD_PER_KWH
from ..flow_helpers import price_adder_selector

PRICE_ADDER = price_adder_selector(USD_PER_KWH)


class ComEdOptionsFlow(OptionsFlowWithReload):
    """ComEd's price adder: hourly pricing bills delivery on top of the supply price."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options; saving them reloads the entry."""
        return await self.async_step_comed(user_input)

    async def async_step_comed(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """ComEd options."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    **self.config_entry.options,
                    CONF_PRICE_ADDER: float(user_input[CONF_PRICE_ADDER]),
                }
            )
        schema = {
            probatio.Required(
                CONF_PRICE_ADDER, default=self.config_entry.options.get(CONF_PRICE_ADDER, 0.0)
            ): PRICE_ADDER,
        }
        return self.async_show_form(step_id="comed", data_schema=probatio.Schema(schema))
