"""Options of a Wall Connector: vitals poll intervals, and the tariff that prices sessions."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import SelectOptionDict, SelectSelector, SelectSelectorConfig
import probatio

from ..const import (
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    CONF_VITALS_CONNECTED_S,
    CONF_VITALS_IDLE_S,
    CURRENCY_BY_KIND,
    DEFAULT_VITALS_CONNECTED_S,
    DEFAULT_VITALS_IDLE_S,
    DOMAIN,
)
from ..flow_helpers import interval_selector


class WallConnectorOptionsFlow(OptionsFlowWithReload):
    """A charger's vitals poll intervals and the tariff that prices its sessions."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options; saving them reloads the entry."""
        if user_input is not None:
            if not user_input.get(CONF_TARIFF_ENTRY):
                user_input.pop(CONF_TARIFF_ENTRY, None)
            return self.async_create_entry(data=user_input)
        options = self.config_entry.options
        tariffs = [
            SelectOptionDict(value=entry.entry_id, label=entry.title)
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_KIND) in CURRENCY_BY_KIND
        ]
        schema: dict[Any, Any] = {
            probatio.Required(
                CONF_VITALS_CONNECTED_S,
                default=options.get(CONF_VITALS_CONNECTED_S, DEFAULT_VITALS_CONNECTED_S),
            ): interval_selector(1, 60),
            probatio.Required(
                CONF_VITALS_IDLE_S,
                default=options.get(CONF_VITALS_IDLE_S, DEFAULT_VITALS_IDLE_S),
            ): interval_selector(5, 600),
        }
        linked = options.get(CONF_TARIFF_ENTRY)
        schema[probatio.Optional(CONF_TARIFF_ENTRY, description={"suggested_value": linked})] = (
            SelectSelector(SelectSelectorConfig(options=tariffs))
        )
        return self.async_show_form(step_id="init", data_schema=probatio.Schema(schema))
