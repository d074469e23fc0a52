"""TOU sync: a tariff entry, a Tesla energy API token, then one of the token's energy sites."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.helpers.selector import SelectOptionDict, SelectSelector, SelectSelectorConfig
import probatio

from .. import validation
from ..clients.tesla_energy import DEFAULT_TESLA_BASE_URL
from ..clients.tesla_energy_models import EnergySite
from ..const import (
    CONF_ACCOUNT_ENTRY,
    CONF_BASE_URL,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    CURRENCY_BY_KIND,
    DOMAIN,
    EntryKind,
)
from ..flow_helpers import (
    PASSWORD,
    TokenUpdateSteps,
    advanced,
    fetch_energy_sites,
    picker,
    validated,
)
from ..tesla_account.account import account_energy_sites, account_options


class TouSyncSteps(TokenUpdateSteps):
    """Add a TOU sync; ask for a new token when the Tesla energy API refuses the stored one."""

    def __init__(self) -> None:
        """Remember the entry data and energy sites the first step learned."""
        super().__init__()
        self._tou: dict[str, Any] = {}
        self._energy_sites: list[EnergySite] = []

    async def async_step_tou_sync(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask which tariff feeds the sync and for Tesla energy API access."""
        tariffs = [
            SelectOptionDict(value=entry.entry_id, label=entry.title)
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_KIND) in CURRENCY_BY_KIND
        ]
        if not tariffs:
            return self.async_abort(reason="no_tariff_entry")
        # With a Tesla account configured, the sync borrows its session instead of a token.
        accounts = account_options(self.hass)
        errors: dict[str, str] = {}
        if user_input is not None:
            # The form shown decides (an account added or removed meanwhile changes nothing).
            if CONF_ACCOUNT_ENTRY in user_input:
                values = {CONF_ACCOUNT_ENTRY: user_input[CONF_ACCOUNT_ENTRY]}
                self._energy_sites, error = await account_energy_sites(
                    self.hass, user_input[CONF_ACCOUNT_ENTRY]
                )
            else:
                values, errors = validated(
                    user_input,
                    {CONF_ACCESS_TOKEN: validation.token},
                    base_url=DEFAULT_TESLA_BASE_URL,
                )
                error = ""
                if not errors:
                    self._energy_sites, error = await fetch_energy_sites(
                        self.hass, values[CONF_ACCESS_TOKEN], values[CONF_BASE_URL]
                    )
            if error:
                errors["base"] = error
            if not errors:
                self._tou = {
                    CONF_KIND: EntryKind.TOU_SYNC,
                    CONF_TARIFF_ENTRY: user_input[CONF_TARIFF_ENTRY],
                    **values,
                }
                if len(self._energy_sites) == 1:
                    return await self._create_tou_entry(self._energy_sites[0])
                return await self.async_step_tou_sync_site()
        schema: dict[Any, Any] = {
            probatio.Required(CONF_TARIFF_ENTRY): SelectSelector(
                SelectSelectorConfig(options=tariffs)
            ),
        }
        if accounts:
            schema[probatio.Required(CONF_ACCOUNT_ENTRY)] = SelectSelector(
                SelectSelectorConfig(options=accounts)
            )
        else:
            schema |= {
                probatio.Required(CONF_ACCESS_TOKEN): PASSWORD,
                **advanced(DEFAULT_TESLA_BASE_URL),
            }
        return self.async_show_form(
            step_id="tou_sync", data_schema=probatio.Schema(schema), errors=errors
        )

    async def async_step_tou_sync_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick one of the token's energy sites."""
        if user_input is not None:
            chosen = int(user_input[CONF_ENERGY_SITE_ID])
            site = next(s for s in self._energy_sites if s.energy_site_id == chosen)
            return await self._create_tou_entry(site)
        options = [
            SelectOptionDict(
                value=str(site.energy_site_id), label=site.site_name or str(site.energy_site_id)
            )
            for site in self._energy_sites
        ]
        return self.async_show_form(
            step_id="tou_sync_site", data_schema=picker(CONF_ENERGY_SITE_ID, options)
        )

    async def _create_tou_entry(self, site: EnergySite) -> ConfigFlowResult:
        await self.async_set_unique_id(str(site.energy_site_id))
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=f"TOU sync {site.site_name or site.energy_site_id}",
            data={**self._tou, CONF_ENERGY_SITE_ID: site.energy_site_id},
        )

    async def async_step_tou_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new Tesla energy API token."""
        return await self._tou_update_step("tou_reauth", user_input, with_url=False)

    async def tou_reconfigure(self, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        """Change the token or base URL of an existing entry (same energy site)."""
        if CONF_ACCOUNT_ENTRY in self._get_reconfigure_entry().data:
            return await self._tou_account_reconfigure(user_input)
        return await self._tou_update_step("reconfigure", user_input, with_url=True)

    async def _tou_account_reconfigure(self, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        """Pick the Tesla account the sync borrows its session from; it must hold the site."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            sites, error = await account_energy_sites(self.hass, user_input[CONF_ACCOUNT_ENTRY])
            if error:
                errors["base"] = error
            elif entry.data[CONF_ENERGY_SITE_ID] not in {site.energy_site_id for site in sites}:
                errors["base"] = "site_not_found"
            else:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_ACCOUNT_ENTRY: user_input[CONF_ACCOUNT_ENTRY]}
                )
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_ACCOUNT_ENTRY, default=entry.data[CONF_ACCOUNT_ENTRY]
                ): SelectSelector(SelectSelectorConfig(options=account_options(self.hass)))
            }
        )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema,
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    async def _tou_update_step(
        self, step_id: str, user_input: dict[str, Any] | None, *, with_url: bool
    ) -> ConfigFlowResult:
        """Shared by reauth and reconfigure: a new token (and URL) that still sees the site."""

        async def sites_seen(token: str, base_url: str) -> tuple[set[Hashable], str]:
            sites, error = await fetch_energy_sites(self.hass, token, base_url)
            return {site.energy_site_id for site in sites}, error

        return await self._token_update_step(
            step_id,
            user_input,
            with_url=with_url,
            token_key=CONF_ACCESS_TOKEN,
            default_url=DEFAULT_TESLA_BASE_URL,
            site_of=lambda entry: entry.data[CONF_ENERGY_SITE_ID],
            sites_seen=sites_seen,
        )
