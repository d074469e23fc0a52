"""Form pieces and look-ups more than one source's steps share."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from ..clients.errors import AuthenticationError, ClientConnectionError, ClientError
from ..clients.tesla_energy import TeslaEnergyClient
from ..clients.tesla_energy_models import EnergySite
from ..const import CONF_ADVANCED, CONF_BASE_URL, LOGGER

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
