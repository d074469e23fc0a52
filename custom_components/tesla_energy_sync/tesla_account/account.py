"""A Tesla account's cloud session: a token kept fresh, its Fleet API base URL, its energy sites.

TOU sync and Powerwall cloud control borrow the session instead of holding a token of their
own. What the account's trouble looks like to them: `AccountAuthError` while the account needs
signing in again (its own entry carries the reauth flow, so theirs never asks for a token), and
`AccountUnavailableError` while the account entry is not loaded. Both are client errors, so a
dependant's coordinator marks its entities unavailable and recovers by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_TOKEN
from homeassistant.exceptions import (
    ConfigEntryError,
    ConfigEntryNotReady,
    OAuth2TokenRequestBaseError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import SelectOptionDict

from ..clients.errors import AuthenticationError, ClientConnectionError, ClientError
from ..clients.tesla_energy import TeslaEnergyClient
from ..clients.tesla_energy_models import EnergySite
from ..const import CONF_ACCOUNT_ENTRY, CONF_BASE_URL, CONF_KIND, DOMAIN, EntryKind
from ..flow_helpers import check_service

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.config_entry_oauth2_flow import OAuth2Session

type TokenProvider = Callable[[], Awaitable[str]]

# A token request that hangs must not hold a TOU sync for longer than a Fleet API request would.
TOKEN_TIMEOUT: Final = 30.0


class AccountAuthError(ClientError):
    """The Tesla account behind a request needs signing in again; its entry asks for that."""


class AccountUnavailableError(ClientConnectionError):
    """The Tesla account entry is not loaded (starting, reloading or removed)."""


def oauth_token_provider(session: OAuth2Session) -> TokenProvider:
    """Return the session's access token, refreshed ahead of its expiry.

    Home Assistant's session stores the answer of each refresh in the entry at once, the rotated
    refresh token included (Tesla's are single use, docs/tesla-fleet-auth.md#tokens), and starts
    the entry's reauth flow when Tesla refuses the refresh token.
    """

    refused = False

    async def access_token() -> str:
        nonlocal refused
        if refused:
            # Spent or revoked: asking Tesla again cannot help until the user signs in, which
            # reloads the entry with a new session.
            raise AuthenticationError("Tesla refused the account's refresh token")
        try:
            async with asyncio.timeout(TOKEN_TIMEOUT):
                await session.async_ensure_token_valid()
        except OAuth2TokenRequestReauthError as err:
            refused = True
            raise AuthenticationError("Tesla refused the account's refresh token") from err
        except (OAuth2TokenRequestBaseError, TimeoutError) as err:
            raise ClientConnectionError(f"Tesla's sign-in server did not answer: {err}") from err
        return str(session.token[CONF_ACCESS_TOKEN])

    return access_token


def static_token_provider(token: str) -> TokenProvider:
    """Return a fixed token (a proxy's, which it refreshes on its side)."""

    async def access_token() -> str:
        return token

    return access_token


class TeslaAccount:
    """One Tesla account's session: what its dependants need to talk to the Fleet API."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], *, base_url: str, token: TokenProvider
    ) -> None:
        """Keep the token provider; nothing is fetched yet."""
        self.entry_id = entry.entry_id
        self.title = entry.title
        self.base_url = base_url
        self._token = token
        self._sites: tuple[EnergySite, ...] = ()
        # The account's own requests: a refused token is its own entry's auth failure.
        self.client = TeslaEnergyClient(async_get_clientsession(hass), token, base_url=base_url)

    async def async_get_token(self) -> str:
        """Return a valid access token (refreshed first when it is about to expire)."""
        return await self._token()

    def energy_sites(self) -> list[EnergySite]:
        """Return the energy sites the account had when last listed."""
        return list(self._sites)

    async def async_list_energy_sites(self) -> list[EnergySite]:
        """List the account's energy sites now, and remember them."""
        self._sites = tuple(await self.client.list_energy_sites())
        return list(self._sites)


def account_entries(hass: HomeAssistant) -> list[ConfigEntry[Any]]:
    """Return the Tesla account entries."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == EntryKind.TESLA_ACCOUNT
    ]


def account_options(hass: HomeAssistant) -> list[SelectOptionDict]:
    """Return the Tesla accounts as choices of a selector."""
    return [
        SelectOptionDict(value=entry.entry_id, label=entry.title) for entry in account_entries(hass)
    ]


def loaded_account(hass: HomeAssistant, entry_id: str) -> TeslaAccount | None:
    """Return the account of a loaded Tesla account entry, or None."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return None
    account = getattr(entry.runtime_data, "account", None)
    return account if isinstance(account, TeslaAccount) else None


def dependants(hass: HomeAssistant, account_entry_id: str) -> list[ConfigEntry[Any]]:
    """Return the entries that take their cloud session from this account."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if account_entry_id
        in (entry.data.get(CONF_ACCOUNT_ENTRY), entry.options.get(CONF_ACCOUNT_ENTRY))
    ]


async def account_energy_sites(hass: HomeAssistant, entry_id: str) -> tuple[list[EnergySite], str]:
    """Return a loaded account's energy sites, listed now, or the form error saying why not."""
    account = loaded_account(hass, entry_id)
    if account is None:
        return [], "account_not_loaded"
    sites, error = await check_service(
        account.async_list_energy_sites(),
        f"the Tesla energy API ({account.title})",
        secrets=_account_secrets(hass, entry_id),
    )
    if sites is None:
        # A refused token is the account's to fix: its own entry asks for a new sign-in.
        return [], "account_auth" if error == "invalid_auth" else error
    return (sites, "") if sites else ([], "no_energy_sites")


def _account_secrets(hass: HomeAssistant, entry_id: str) -> tuple[str, ...]:
    """Return the account's tokens, kept out of whatever a failed check logs."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None:
        return ()
    oauth = entry.data.get(CONF_TOKEN)
    tokens = [entry.data.get(CONF_ACCESS_TOKEN)]
    if isinstance(oauth, Mapping):
        tokens += [oauth.get(CONF_ACCESS_TOKEN), oauth.get("refresh_token")]
    return tuple(token for token in tokens if isinstance(token, str) and token)


class AccountEnergyClient(TeslaEnergyClient):
    """A dependant's Fleet API client: the account's current token; its refusal is the account's."""

    def __init__(self, hass: HomeAssistant, account_entry: ConfigEntry[Any]) -> None:
        """Look the account up afresh for every request, so a reloaded account is picked up."""
        self._hass = hass
        self._account_entry_id = account_entry.entry_id
        self._account_title = account_entry.title
        super().__init__(
            async_get_clientsession(hass),
            self._account_token,
            base_url=account_entry.data[CONF_BASE_URL],
        )

    async def _account_token(self) -> str:
        account = loaded_account(self._hass, self._account_entry_id)
        if account is None:
            raise AccountUnavailableError(f"the Tesla account {self._account_title} is not loaded")
        return await account.async_get_token()

    @override
    async def _exchange(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> tuple[Any, str]:
        """Send through the base client; a refused token asks the account to sign in again."""
        try:
            return await super()._exchange(method, path, body)
        except AuthenticationError as err:
            # The refresh path has started the reauth already; a refused access token has not.
            if (
                entry := self._hass.config_entries.async_get_entry(self._account_entry_id)
            ) is not None:
                entry.async_start_reauth(self._hass)
            raise AccountAuthError(
                f"the Tesla account needs signing in again ({self._account_title})"
            ) from err


def account_client(hass: HomeAssistant, account_entry_id: str) -> AccountEnergyClient:
    """Return a dependant's client of a loaded account; set-up waits while it is not loaded."""
    entry = hass.config_entries.async_get_entry(account_entry_id)
    if entry is None:
        raise ConfigEntryError(translation_domain=DOMAIN, translation_key="account_removed")
    if loaded_account(hass, account_entry_id) is None:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="account_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return AccountEnergyClient(hass, entry)
