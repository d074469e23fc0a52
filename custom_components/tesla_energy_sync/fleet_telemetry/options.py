"""Options of a Fleet Telemetry entry: the Tesla account that sends vehicle commands."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig
import probatio

from ..const import CONF_ACCOUNT_ENTRY
from ..tesla_account.account import account_options, loaded_account


class FleetTelemetryOptionsFlow(OptionsFlowWithReload):
    """Pick the Tesla account whose session commands the vehicles; none turns control off."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options; saving them reloads the entry."""
        return await self.async_step_fleet_telemetry(user_input)

    async def async_step_fleet_telemetry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Vehicle control: which Tesla account (through a signing proxy) sends the commands."""
        accounts = account_options(self.hass)
        current = self.config_entry.options.get(CONF_ACCOUNT_ENTRY)
        if not accounts and not current:
            return self.async_abort(reason="no_tesla_account")
        errors: dict[str, str] = {}
        if user_input is not None:
            account = user_input.get(CONF_ACCOUNT_ENTRY)
            if not account:
                return self.async_create_entry(data={})
            if loaded_account(self.hass, account) is None:
                errors["base"] = "account_not_loaded"
            else:
                return self.async_create_entry(data={CONF_ACCOUNT_ENTRY: account})
        schema = {
            probatio.Optional(
                CONF_ACCOUNT_ENTRY, description={"suggested_value": current}
            ): SelectSelector(SelectSelectorConfig(options=accounts)),
        }
        return self.async_show_form(
            step_id="fleet_telemetry", data_schema=probatio.Schema(schema), errors=errors
        )
