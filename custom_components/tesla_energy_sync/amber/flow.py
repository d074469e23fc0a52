"""Amber Electric: an API token, then one of its sites; reauth and reconfigure keep the site."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_API_TOKEN
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import SelectOptionDict
import probatio

from .. import validation
from ..clients.amber import DEFAULT_AMBER_BASE_URL, AmberClient
from ..clients.amber_models import Site, SiteStatus
from ..const import CONF_BASE_URL, CONF_KIND, CONF_SITE_ID, EntryKind
from ..flow_helpers import (
    PASSWORD,
    TokenUpdateSteps,
    advanced,
    check_service,
    check_timeout,
    picker,
    validated,
)


class AmberSteps(TokenUpdateSteps):
    """Add an Amber site; ask for a new token when Amber refuses the stored one."""

    def __init__(self) -> None:
        """Remember the token, base URL and sites the first step learned."""
        super().__init__()
        self._token = ""
        self._base_url = DEFAULT_AMBER_BASE_URL
        self._sites: list[Site] = []

    async def _amber_sites(self, token: str, base_url: str) -> tuple[list[Site], dict[str, str]]:
        """Return the token's usable sites, or the form errors explaining why there are none."""
        client = AmberClient(
            async_get_clientsession(self.hass),
            token,
            base_url=base_url,
            request_timeout=check_timeout(),
        )
        sites, error = await check_service(client.get_sites(), "Amber", secrets=(token,))
        if sites is None:
            return [], {"base": error}
        usable = [site for site in sites if site.status is not SiteStatus.CLOSED]
        if not usable:
            return [], {"base": "no_sites"}
        return usable, {}

    async def async_step_amber(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the Amber API token (and, in advanced mode, the API's base URL)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            values, errors = validated(
                user_input, {CONF_API_TOKEN: validation.token}, base_url=DEFAULT_AMBER_BASE_URL
            )
            if not errors:
                self._token, self._base_url = values[CONF_API_TOKEN], values[CONF_BASE_URL]
                self._sites, errors = await self._amber_sites(self._token, self._base_url)
            if not errors:
                if len(self._sites) == 1:
                    return await self._create_amber_entry(self._sites[0])
                return await self.async_step_amber_site()
        return self.async_show_form(
            step_id="amber",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_API_TOKEN): PASSWORD, **advanced(self._base_url)}
            ),
            errors=errors,
        )

    async def async_step_amber_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick one of the token's sites."""
        if user_input is not None:
            site = next(s for s in self._sites if s.id == user_input[CONF_SITE_ID])
            return await self._create_amber_entry(site)
        options = [
            SelectOptionDict(value=site.id, label=f"{site.nmi} ({site.network}, {site.status})")
            for site in self._sites
        ]
        return self.async_show_form(step_id="amber_site", data_schema=picker(CONF_SITE_ID, options))

    async def _create_amber_entry(self, site: Site) -> ConfigFlowResult:
        await self.async_set_unique_id(site.id)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=f"Amber Electric {site.nmi}",
            data={
                CONF_KIND: EntryKind.AMBER,
                CONF_API_TOKEN: self._token,
                CONF_SITE_ID: site.id,
                CONF_BASE_URL: self._base_url,
            },
        )

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token and check it still reaches the configured site."""
        return await self._amber_update_step("reauth_confirm", user_input, with_url=False)

    async def amber_reconfigure(self, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        """Change the token or base URL of an existing entry (same site)."""
        return await self._amber_update_step("reconfigure", user_input, with_url=True)

    async def _amber_update_step(
        self, step_id: str, user_input: dict[str, Any] | None, *, with_url: bool
    ) -> ConfigFlowResult:
        """Shared by reauth and reconfigure: new token (and URL), same site."""

        async def sites_seen(token: str, base_url: str) -> tuple[set[Hashable], str]:
            sites, errors = await self._amber_sites(token, base_url)
            return {site.id for site in sites}, errors.get("base", "")

        return await self._token_update_step(
            step_id,
            user_input,
            with_url=with_url,
            token_key=CONF_API_TOKEN,
            default_url=DEFAULT_AMBER_BASE_URL,
            site_of=lambda entry: entry.unique_id,
            sites_seen=sites_seen,
        )
