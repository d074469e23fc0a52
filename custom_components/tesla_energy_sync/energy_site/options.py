"""Options of a cloud energy site: how often live status is read, and control."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
import probatio

from ..const import CONF_CONTROL, CONF_POLL_INTERVAL
from ..flow_helpers import interval_selector
from .coordinator import LIVE_INTERVAL, MAX_LIVE_INTERVAL, live_interval


class EnergySiteOptionsFlow(OptionsFlowWithReload):
    """Live status interval and control; saving reloads the entry (control adds entities)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options."""
        return await self.async_step_energy_site(user_input)

    async def async_step_energy_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how often to read live status, and whether control is on."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_POLL_INTERVAL: int(user_input[CONF_POLL_INTERVAL]),
                    CONF_CONTROL: user_input[CONF_CONTROL],
                }
            )
        options = self.config_entry.options
        interval = int(live_interval(options).total_seconds())
        schema = probatio.Schema(
            {
                probatio.Required(CONF_POLL_INTERVAL, default=interval): interval_selector(
                    int(LIVE_INTERVAL.total_seconds()), int(MAX_LIVE_INTERVAL.total_seconds())
                ),
                probatio.Required(
                    CONF_CONTROL, default=bool(options.get(CONF_CONTROL, False))
                ): bool,
            }
        )
        return self.async_show_form(step_id="energy_site", data_schema=schema)
