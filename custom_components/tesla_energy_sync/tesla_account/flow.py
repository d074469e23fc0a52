"""Tesla account: sign in with the user's developer app (OAuth), or a proxy's static token."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
import logging
from typing import Any, cast, override

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigFlowResult
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_REGION, CONF_TOKEN
from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig, SelectSelectorMode
import jwt
import probatio

from .. import validation
from ..clients.tesla_energy import DEFAULT_TESLA_BASE_URL
from ..clients.tesla_energy_models import EnergySite
from ..const import CONF_ADVANCED, CONF_BASE_URL, CONF_KIND, DOMAIN, LOGGER, EntryKind
from ..flow_helpers import (
    PASSWORD,
    URL,
    TokenUpdateSteps,
    advanced,
    fetch_energy_sites,
    retyped,
    validated,
)
from .account import dependants
from .oauth import DEFAULT_REGION, REGION_BASE_URLS, TeslaAccountImplementation

AUTH_IMPLEMENTATION = "auth_implementation"


def static_unique_id(sites: list[EnergySite]) -> str:
    """Return a proxy token's identity: its account's energy sites (the token names no user)."""
    return "energy_sites_" + "_".join(str(i) for i in sorted(s.energy_site_id for s in sites))


def account_title(sites: list[EnergySite]) -> str:
    """Name the account after its homes."""
    names = ", ".join(site.site_name or str(site.energy_site_id) for site in sites)
    return f"Tesla account ({names})"


class TeslaAccountSteps(TokenUpdateSteps, config_entry_oauth2_flow.AbstractOAuth2FlowHandler):
    """Add a Tesla account; sign in again when Tesla refuses its refresh token."""

    DOMAIN = DOMAIN

    def __init__(self) -> None:
        """Start in the default region until the user picks one."""
        super().__init__()
        self._region = DEFAULT_REGION
        self._base_url = REGION_BASE_URLS[DEFAULT_REGION]

    @property
    @override
    def logger(self) -> logging.Logger:
        """Return the logger of Home Assistant's OAuth steps."""
        return LOGGER

    @property
    @override
    def extra_authorize_data(self) -> dict[str, Any]:
        """Ask Tesla for a token of the chosen region's Fleet API."""
        return {"audience": REGION_BASE_URLS[self._region]}

    async def async_step_tesla_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how to sign in: the user's developer app, or a proxy's token."""
        return self.async_show_menu(
            step_id="tesla_account", menu_options=["tesla_account_oauth", "tesla_account_token"]
        )

    async def async_step_tesla_account_oauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the account's region, then sign in at Tesla."""
        entry = self._get_reconfigure_entry() if self.source == SOURCE_RECONFIGURE else None
        if entry is not None:
            self._region = entry.data.get(CONF_REGION, DEFAULT_REGION)
        errors: dict[str, str] = {}
        current_url = entry.data.get(CONF_BASE_URL) if entry is not None else None
        if user_input is not None:
            self._region = user_input[CONF_REGION]
            region_url = REGION_BASE_URLS[self._region]
            section_input = user_input.get(CONF_ADVANCED)
            if not isinstance(section_input, Mapping):
                section_input = {}
            typed = section_input.get(CONF_BASE_URL)
            try:
                # Left empty (or blank), the URL follows the region.
                self._base_url = (
                    validation.base_url(typed)
                    if typed is not None and (not isinstance(typed, str) or typed.strip())
                    else region_url
                )
            except validation.InputError as err:
                # "base": a collapsed section may hide an error under its own field.
                errors["base"] = err.error
                current_url = retyped(section_input, CONF_BASE_URL, region_url)
            else:
                # Reconfiguring keeps the developer app the account signed in with.
                return await self.async_step_pick_implementation(
                    {"implementation": entry.data[AUTH_IMPLEMENTATION]} if entry else None
                )
        overridden = current_url not in (None, REGION_BASE_URLS[self._region])
        schema = {
            probatio.Required(CONF_REGION, default=self._region): SelectSelector(
                SelectSelectorConfig(
                    options=list(REGION_BASE_URLS),
                    translation_key="region",
                    mode=SelectSelectorMode.LIST,
                )
            ),
            # The Fleet API host follows the region; a simulator or test server replaces it.
            probatio.Required(CONF_ADVANCED): section(
                probatio.Schema(
                    {
                        probatio.Optional(
                            CONF_BASE_URL,
                            description={"suggested_value": current_url if overridden else None},
                        ): URL
                    }
                ),
                {"collapsed": not overridden},
            ),
        }
        return self.async_show_form(
            step_id="tesla_account_oauth", data_schema=probatio.Schema(schema), errors=errors
        )

    @override
    async def async_step_creation(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Exchange the code for tokens, naming the region's Fleet API as Tesla asks."""
        if isinstance(self.flow_impl, TeslaAccountImplementation):
            self.flow_impl.audience = REGION_BASE_URLS[self._region]
        return await super().async_step_creation(user_input)

    @override
    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Identify the account by its token's subject, and check the token sees its sites."""
        access_token = str(data[CONF_TOKEN].get(CONF_ACCESS_TOKEN, ""))
        try:
            claims = jwt.decode(access_token, options={"verify_signature": False})
        except jwt.DecodeError:
            return self.async_abort(reason="oauth_error")
        subject = claims.get("sub") if isinstance(claims, dict) else None
        if not isinstance(subject, str) or not subject:
            return self.async_abort(reason="oauth_error")
        await self.async_set_unique_id(subject)
        if self.source in {SOURCE_REAUTH, SOURCE_RECONFIGURE}:
            self._abort_if_unique_id_mismatch(reason="account_mismatch")
        else:
            self._abort_if_unique_id_configured()
        sites, error = await fetch_energy_sites(self.hass, access_token, self._base_url)
        if error:
            return self.async_abort(reason=error)
        account = {
            **data,
            CONF_KIND: EntryKind.TESLA_ACCOUNT,
            CONF_REGION: self._region,
            CONF_BASE_URL: self._base_url,
        }
        if self.source == SOURCE_REAUTH:
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data=account)
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            self._reload_dependants(entry.entry_id)
            return self.async_update_reload_and_abort(entry, data=account)
        return self.async_create_entry(title=account_title(sites), data=account)

    async def async_step_tesla_account_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take a Fleet API proxy's token and base URL; the token must see an energy site."""
        errors: dict[str, str] = {}
        if user_input is not None:
            values, errors = validated(
                user_input, {CONF_ACCESS_TOKEN: validation.token}, base_url=DEFAULT_TESLA_BASE_URL
            )
            token, base_url = values.get(CONF_ACCESS_TOKEN, ""), values.get(CONF_BASE_URL, "")
            sites: list[EnergySite] = []
            if not errors:
                sites, error = await fetch_energy_sites(self.hass, token, base_url)
                if error:
                    errors["base"] = error
            if not errors:
                await self.async_set_unique_id(static_unique_id(sites))
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=account_title(sites),
                    data={
                        CONF_KIND: EntryKind.TESLA_ACCOUNT,
                        CONF_ACCESS_TOKEN: token,
                        CONF_BASE_URL: base_url,
                    },
                )
        schema: dict[Any, Any] = {
            probatio.Required(CONF_ACCESS_TOKEN): PASSWORD,
            **advanced(DEFAULT_TESLA_BASE_URL),
        }
        return self.async_show_form(
            step_id="tesla_account_token", data_schema=probatio.Schema(schema), errors=errors
        )

    async def async_step_tesla_account_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in again: at Tesla for an OAuth account, or with a new proxy token."""
        entry = self._get_reauth_entry()
        if CONF_TOKEN not in entry.data:
            return await self._static_update_step(
                "tesla_account_reauth", user_input, with_url=False
            )
        if user_input is None:
            return self.async_show_form(
                step_id="tesla_account_reauth",
                description_placeholders={"title": entry.title},
            )
        self._region = entry.data.get(CONF_REGION, DEFAULT_REGION)
        self._base_url = entry.data[CONF_BASE_URL]
        return await self.async_step_pick_implementation(
            {"implementation": entry.data[AUTH_IMPLEMENTATION]}
        )

    async def tesla_account_reconfigure(
        self, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Change the region (signing in again) or the proxy's token and base URL."""
        entry = self._get_reconfigure_entry()
        if CONF_TOKEN in entry.data:
            return await self.async_step_tesla_account_oauth(None)
        result = await self._static_update_step("reconfigure", user_input, with_url=True)
        if result.get("reason") == "reconfigure_successful":
            self._reload_dependants(entry.entry_id)
        return result

    async def _static_update_step(
        self, step_id: str, user_input: dict[str, Any] | None, *, with_url: bool
    ) -> ConfigFlowResult:
        """A new proxy token (and URL) that still sees the same energy sites."""

        async def sites_seen(token: str, base_url: str) -> tuple[set[Hashable], str]:
            sites, error = await fetch_energy_sites(self.hass, token, base_url)
            return ({static_unique_id(sites)} if sites else set()), error

        return await self._token_update_step(
            step_id,
            user_input,
            with_url=with_url,
            token_key=CONF_ACCESS_TOKEN,
            default_url=DEFAULT_TESLA_BASE_URL,
            site_of=lambda entry: cast("str", entry.unique_id),
            sites_seen=sites_seen,
        )

    def _reload_dependants(self, account_entry_id: str) -> None:
        """Reload the entries that use the account: their clients hold its base URL."""
        for entry in dependants(self.hass, account_entry_id):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
