"""Config flow: a menu of sources, then the steps each source needs (one module each, flows/)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import callback

from .const import CONF_KIND, DOMAIN, EntryKind
from .flows.amber import AmberSteps
from .flows.comed import ComEdSteps
from .flows.fleet_telemetry import FleetTelemetrySteps
from .flows.options import TesOptionsFlow
from .flows.powerwall import PowerwallSteps
from .flows.tou_sync import TouSyncSteps
from .flows.wall_connector import WallConnectorSteps


class TesConfigFlow(
    AmberSteps,
    ComEdSteps,
    WallConnectorSteps,
    TouSyncSteps,
    FleetTelemetrySteps,
    PowerwallSteps,
    ConfigFlow,
    domain=DOMAIN,
):
    """Add one source (an Amber site, ComEd, ...) per config entry."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which source to add."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[
                EntryKind.AMBER,
                EntryKind.COMED,
                EntryKind.WALL_CONNECTOR,
                EntryKind.TOU_SYNC,
                EntryKind.FLEET_TELEMETRY,
                EntryKind.POWERWALL,
            ],
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TesOptionsFlow:
        """Return the options flow (a charger's intervals and tariff, a gateway's poll and control)."""
        return TesOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Chargers and gateways have options; the other sources have nothing to tune."""
        return config_entry.data.get(CONF_KIND) in {EntryKind.WALL_CONNECTOR, EntryKind.POWERWALL}

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when a cloud API refuses the stored token."""
        if entry_data[CONF_KIND] == EntryKind.TOU_SYNC:
            return await self.async_step_tou_reauth()
        if entry_data[CONF_KIND] == EntryKind.POWERWALL:
            return await self.async_step_powerwall_reauth()
        return await self.async_step_reauth_confirm()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the token or base URL of an existing entry."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_KIND] == EntryKind.COMED:
            return await self.async_step_comed(user_input)
        if entry.data[CONF_KIND] == EntryKind.WALL_CONNECTOR:
            return await self.async_step_wall_connector(user_input)
        if entry.data[CONF_KIND] == EntryKind.TOU_SYNC:
            return await self._tou_update_step("reconfigure", user_input, with_url=True)
        if entry.data[CONF_KIND] == EntryKind.POWERWALL:
            return await self.async_step_powerwall(user_input)
        if entry.data[CONF_KIND] == EntryKind.FLEET_TELEMETRY:
            return await self.async_step_fleet_telemetry_reconfigure(user_input)
        return await self._amber_update_step("reconfigure", user_input, with_url=True)
