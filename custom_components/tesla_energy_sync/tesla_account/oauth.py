"""Tesla's OAuth 2.0 sign-in for the Fleet API, through Home Assistant's application credentials."""

from __future__ import annotations

from typing import Any, Final, override

from homeassistant.components.application_credentials import (
    AuthImplementation,
    AuthorizationServer,
    ClientCredential,
)
from homeassistant.core import HomeAssistant

# docs/tesla-fleet-auth.md#endpoints. Module constants, read at each use, so tests can point
# them at the local simulator.
AUTHORIZE_URL = "https://auth.tesla.com/oauth2/v3/authorize"
TOKEN_URL = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token"  # noqa: S105 - a URL
# openid and offline_access bring the refresh token; energy_cmds covers every write, the tariff
# included (docs/tesla-energy-api.md#base-url-and-auth).
SCOPES: Final = ("openid", "offline_access", "energy_device_data", "energy_cmds")
# Each region's Fleet API host; the chosen one is the token's audience (docs/tesla-fleet-auth.md#regions).
REGION_BASE_URLS: Final = {
    "na": "https://fleet-api.prd.na.vn.cloud.tesla.com",
    "eu": "https://fleet-api.prd.eu.vn.cloud.tesla.com",
    "cn": "https://fleet-api.prd.cn.vn.cloud.tesla.cn",
}
DEFAULT_REGION: Final = "na"


def authorization_server() -> AuthorizationServer:
    """Return Tesla's authorize and token endpoints."""
    return AuthorizationServer(authorize_url=AUTHORIZE_URL, token_url=TOKEN_URL)


class TeslaAccountImplementation(AuthImplementation):
    """The user's developer app (from application credentials) signing in to a Tesla account."""

    def __init__(self, hass: HomeAssistant, auth_domain: str, credential: ClientCredential) -> None:
        """Use Tesla's endpoints; the audience is set by the flow once a region is chosen."""
        super().__init__(hass, auth_domain, credential, authorization_server())
        self.audience: str | None = None

    @property
    @override
    def extra_authorize_data(self) -> dict[str, Any]:
        """Ask for the energy scopes, and again for any the user declined before."""
        return {"scope": " ".join(SCOPES), "prompt_missing_scopes": "true"}

    @property
    @override
    def extra_token_resolve_data(self) -> dict[str, Any]:
        """Name the region's Fleet API in the code exchange, as Tesla asks."""
        return {"audience": self.audience} if self.audience else {}
