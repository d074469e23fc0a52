"""Options of a cloud energy site: whether Home Assistant may change its settings."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
import probatio

from ..const import CONF_CONTROL


class EnergySiteOptionsFlow(OptionsFlowWithReload):
    """Control on or off; saving reloads the entry, adding or removing the control entities."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options."""
        return await self.async_step_energy_site(user_input)

    async def async_step_energy_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask whether control is on."""
        if user_input is not None:
            return self.async_create_entry(data={CONF_CONTROL: user_input[CONF_CONTROL]})
        current = bool(self.config_entry.options.get(CONF_CONTROL, False))
        schema = probatio.Schema({probatio.Required(CONF_CONTROL, default=current): bool})
        return self.async_show_form(step_id="energy_site", data_schema=schema)
