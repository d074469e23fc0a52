"""Adding the combined device: offered when a second gateway loads, or chosen from the menu.

An installation that had the combined device before it got an entry of its own gets the
entry without being asked (an import), so its entities keep working.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from ...const import CONF_KIND, EntryKind
from .coordinator import COMBINED_ID

TITLE = "Powerwall combined"


class PowerwallCombinedSteps(ConfigFlow):
    """Add the combined Powerwall device (one per installation)."""

    async def async_step_powerwall_combined(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """From the menu: needs two gateways."""
        if len(self._powerwall_gateways()) < 2:
            return self.async_abort(reason="powerwall_combined_needs_two")
        # An open offer does not stand in the way; it is dropped when this creates the entry.
        await self.async_set_unique_id(COMBINED_ID, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        return await self.async_step_powerwall_combined_confirm()

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """Offered when a second gateway loads (see offer.py)."""
        await self.async_set_unique_id(COMBINED_ID)
        self._abort_if_unique_id_configured()
        return await self.async_step_powerwall_combined_confirm()

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """Give an earlier version's combined device its entry, without asking."""
        await self.async_set_unique_id(COMBINED_ID)
        self._abort_if_unique_id_configured()
        return self._create_combined()

    async def async_step_powerwall_combined_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before adding the combined device."""
        if user_input is not None:
            return self._create_combined()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="powerwall_combined_confirm",
            description_placeholders={"count": str(len(self._powerwall_gateways()))},
        )

    async def async_step_powerwall_combined_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The combined device has nothing to change: it follows the gateways."""
        return self.async_abort(reason="powerwall_combined_follows_gateways")

    async def async_step_ignore(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Remember an ignored offer as an entry of its kind (every entry names its kind)."""
        if user_input["unique_id"] != COMBINED_ID:
            return await super().async_step_ignore(user_input)
        await self.async_set_unique_id(COMBINED_ID, raise_on_progress=False)
        return self.async_create_entry(
            title=user_input["title"], data={CONF_KIND: EntryKind.POWERWALL_COMBINED}
        )

    def _powerwall_gateways(self) -> list[str]:
        return [
            entry.entry_id
            for entry in self._async_current_entries(include_ignore=False)
            if entry.data.get(CONF_KIND) == EntryKind.POWERWALL
        ]

    def _create_combined(self) -> ConfigFlowResult:
        return self.async_create_entry(title=TITLE, data={CONF_KIND: EntryKind.POWERWALL_COMBINED})
