"""Powerwall gateway (pypowerwall): how to reach and log in to it; its DIN is the identity."""

from __future__ import annotations

from collections.abc import Mapping
import shutil
from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from ..clients.errors import (
    AuthenticationError,
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    RateLimitError,
)
from ..clients.powerwall import PowerwallMode, PowerwallSnapshot
from ..const import (
    CONF_EMAIL,
    CONF_KIND,
    CONF_POWERWALL_MODE,
    DEFAULT_POWERWALL_POLL_S,
    LOGGER,
    EntryKind,
)
from ..flow_helpers import PASSWORD


class PowerwallSteps(ConfigFlow):
    """Add a Powerwall gateway, reconfigure it, or ask for its password again."""

    async def _powerwall_read(
        self, data: Mapping[str, Any]
    ) -> tuple[PowerwallSnapshot | None, str]:
        """Log in and read the gateway once, or say why not (wrong password vs unreachable)."""
        from .gateway import powerwall_gateway, powerwall_storage

        storage = powerwall_storage(self.hass, f"flow_{self.flow_id}")
        gateway = powerwall_gateway(self.hass, data, storage, DEFAULT_POWERWALL_POLL_S)
        try:
            return await gateway.read(), ""
        except AuthenticationError:
            return None, "invalid_auth"
        except RateLimitError:
            return None, "rate_limited"
        except ClientConnectionError, ClientTimeoutError:
            return None, "cannot_connect"
        except ClientError:
            LOGGER.exception("Unexpected answer from the Powerwall gateway at %s", data[CONF_HOST])
            return None, "unknown"
        finally:
            await gateway.close()
            await self.hass.async_add_executor_job(shutil.rmtree, storage, True)

    async def async_step_powerwall(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how to reach the gateway (also used to reconfigure it)."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        current: Mapping[str, Any] = (
            self._get_reconfigure_entry().data
            if reconfiguring
            else {CONF_POWERWALL_MODE: PowerwallMode.LOCAL}
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_KIND: EntryKind.POWERWALL,
                CONF_HOST: user_input[CONF_HOST].strip(),
                CONF_POWERWALL_MODE: user_input[CONF_POWERWALL_MODE],
                CONF_EMAIL: user_input.get(CONF_EMAIL, "").strip(),
                CONF_PASSWORD: user_input[CONF_PASSWORD],
            }
            snapshot, error = await self._powerwall_read(data)
            if snapshot is not None and snapshot.din is None:
                error = "no_din"
            if snapshot is None or snapshot.din is None:
                errors["base"] = error
            else:
                await self.async_set_unique_id(snapshot.din)
                if reconfiguring:
                    self._abort_if_unique_id_mismatch(reason="wrong_gateway")
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data_updates=data
                    )
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=snapshot.site_name or f"Powerwall {snapshot.din}", data=data
                )
            current = data
        schema = {
            probatio.Required(CONF_HOST, default=current.get(CONF_HOST, "")): TextSelector(),
            probatio.Required(
                CONF_POWERWALL_MODE, default=current[CONF_POWERWALL_MODE]
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[str(mode) for mode in PowerwallMode],
                    translation_key=CONF_POWERWALL_MODE,
                )
            ),
            probatio.Optional(CONF_EMAIL, default=current.get(CONF_EMAIL, "")): TextSelector(
                TextSelectorConfig(type=TextSelectorType.EMAIL)
            ),
            probatio.Required(CONF_PASSWORD): PASSWORD,
        }
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "powerwall",
            data_schema=probatio.Schema(schema),
            errors=errors,
        )

    async def async_step_powerwall_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the password (and email) again after the gateway refused them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                **entry.data,
                CONF_EMAIL: user_input.get(CONF_EMAIL, "").strip(),
                CONF_PASSWORD: user_input[CONF_PASSWORD],
            }
            snapshot, error = await self._powerwall_read(data)
            if snapshot is None:
                errors["base"] = error
            elif snapshot.din != entry.unique_id:
                errors["base"] = "wrong_gateway"
            else:
                return self.async_update_reload_and_abort(entry, data=data)
        schema = {
            probatio.Optional(CONF_EMAIL, default=entry.data.get(CONF_EMAIL, "")): TextSelector(
                TextSelectorConfig(type=TextSelectorType.EMAIL)
            ),
            probatio.Required(CONF_PASSWORD): PASSWORD,
        }
        return self.async_show_form(
            step_id="powerwall_reauth",
            data_schema=probatio.Schema(schema),
            description_placeholders={"title": entry.title},
            errors=errors,
        )
