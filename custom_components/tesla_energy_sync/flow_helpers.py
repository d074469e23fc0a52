"""Form pieces and look-ups more than one source's steps share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .clients.errors import AuthenticationError, ClientConnectionError, ClientError
from .clients.tesla_energy import TeslaEnergyClient
from .clients.tesla_energy_models import EnergySite
from .const import CONF_ADVANCED, CONF_BASE_URL, LOGGER

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def advanced(base_url: str) -> dict[Any, Any]:
    """Return the collapsed section that holds the base URL (for proxies and simulators)."""
    return {
        probatio.Required(CONF_ADVANCED): section(
            probatio.Schema({probatio.Required(CONF_BASE_URL, default=base_url): URL}),
            {"collapsed": True},
        )
    }


def picker(key: str, options: list[SelectOptionDict]) -> probatio.Schema:
    """Return a one-field form that picks one of `options` (a site, an energy site)."""
    return probatio.Schema(
        {probatio.Required(key): SelectSelector(SelectSelectorConfig(options=options))}
    )


def entered_base_url(user_input: dict[str, Any], default: str) -> str:
    """Return the base URL from the advanced section, or `default` when it was not shown."""
    return str(user_input.get(CONF_ADVANCED, {}).get(CONF_BASE_URL, default))


async def fetch_energy_sites(
    hass: HomeAssistant, token: str, base_url: str
) -> tuple[list[EnergySite], str]:
    """Return the token's energy sites, or the form error explaining why there are none."""
    client = TeslaEnergyClient(async_get_clientsession(hass), token, base_url=base_url)
    try:
        sites = await client.list_energy_sites()
    except AuthenticationError:
        return [], "invalid_auth"
    except ClientConnectionError:
        return [], "cannot_connect"
    except ClientError:
        LOGGER.exception("Unexpected answer from the Tesla energy API")
        return [], "unknown"
    return (sites, "") if sites else ([], "no_energy_sites")


class TokenUpdateSteps(ConfigFlow):
    """Reauth and reconfigure of a cloud source: a new token (and URL) that still sees the site."""

    async def _token_update_step(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        *,
        with_url: bool,
        token_key: str,
        default_url: str,
        site_of: Callable[[ConfigEntry], Hashable],
        sites_seen: Callable[[str, str], Awaitable[tuple[set[Hashable], str]]],
    ) -> ConfigFlowResult:
        """Check the token with `sites_seen(token, url)`; keep it if the entry's site is there."""
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        current_url = entry.data.get(CONF_BASE_URL, default_url)
        errors: dict[str, str] = {}
        if user_input is not None:
            base_url = entered_base_url(user_input, current_url)
            sites, error = await sites_seen(user_input[token_key], base_url)
            if error:
                errors["base"] = error
            elif site_of(entry) not in sites:
                errors["base"] = "site_not_found"
            else:
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={token_key: user_input[token_key], CONF_BASE_URL: base_url},
                )
        schema: dict[Any, Any] = {probatio.Required(token_key): PASSWORD}
        if with_url:
            schema |= advanced(current_url)
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema(schema),
            description_placeholders={"title": entry.title},
            errors=errors,
        )


def interval_selector(minimum: int, maximum: int) -> NumberSelector:
    """Return a box that takes a whole number of seconds."""
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
        )
    )
