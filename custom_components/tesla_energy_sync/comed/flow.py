"""ComEd hourly pricing: nothing to ask but, in advanced mode, the API's base URL."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlow, ConfigFlowResult
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import probatio

from ..clients.comed import DEFAULT_COMED_BASE_URL, ComEdClient
from ..const import COMED_UNIQUE_ID, CONF_BASE_URL, CONF_KIND, EntryKind
from ..flow_helpers import advanced, check_service, check_timeout, validated


class ComEdSteps(ConfigFlow):
    """Add ComEd hourly pricing, or change its base URL."""

    async def async_step_comed(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm adding ComEd hourly pricing (one per installation)."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        if not reconfiguring:
            await self.async_set_unique_id(COMED_UNIQUE_ID)
            self._abort_if_unique_id_configured()
        errors: dict[str, str] = {}
        default_url = (
            self._get_reconfigure_entry().data.get(CONF_BASE_URL, DEFAULT_COMED_BASE_URL)
            if reconfiguring
            else DEFAULT_COMED_BASE_URL
        )
        if user_input is not None:
            values, errors = validated(user_input, {}, base_url=default_url)
            if not errors:
                client = ComEdClient(
                    async_get_clientsession(self.hass),
                    base_url=values[CONF_BASE_URL],
                    request_timeout=check_timeout(),
                )
                _, error = await check_service(client.get_current_hour_average(), "ComEd")
                if error:
                    errors["base"] = error
            if not errors:
                data = {CONF_KIND: EntryKind.COMED, CONF_BASE_URL: values[CONF_BASE_URL]}
                if reconfiguring:
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data_updates=data
                    )
                return self.async_create_entry(title="ComEd hourly pricing", data=data)
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "comed",
            data_schema=probatio.Schema(advanced(default_url)),
            errors=errors,
        )
