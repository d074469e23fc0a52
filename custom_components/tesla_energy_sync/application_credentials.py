"""Application credentials: the user's Tesla developer app signs in to Tesla accounts."""

from __future__ import annotations

from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_entry_oauth2_flow

from .tesla_account.oauth import TeslaAccountImplementation


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> config_entry_oauth2_flow.AbstractOAuth2Implementation:
    """Return the Tesla sign-in for one stored client id and secret."""
    return TeslaAccountImplementation(hass, auth_domain, credential)


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Return the links the application credentials dialog shows."""
    return {
        "developer_url": "https://developer.tesla.com/",
        "redirect_url": "https://my.home-assistant.io/redirect/oauth",
    }
