"""Options of a Powerwall gateway: poll interval, control, and the cloud account behind it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig
import probatio

from .. import validation
from ..clients.tesla_energy import DEFAULT_TESLA_BASE_URL
from ..clients.tesla_energy_models import EnergySite
from ..const import (
    CONF_ACCOUNT_ENTRY,
    CONF_BASE_URL,
    CONF_CLOUD,
    CONF_CONTROL,
    CONF_ENERGY_SITE_ID,
    CONF_POLL_INTERVAL,
    DEFAULT_POWERWALL_POLL_S,
    MAX_POWERWALL_POLL_S,
    MIN_POWERWALL_POLL_S,
)
from ..flow_helpers import PASSWORD, URL, fetch_energy_sites, interval_selector, retyped
from ..tesla_account.account import account_energy_sites, account_options

# Ticked, the stored token is dropped (an empty token field keeps it: it is never shown).
CONF_CLOUD_FORGET = "forget"
_CLOUD_KEYS = (CONF_ACCESS_TOKEN, CONF_BASE_URL, CONF_ENERGY_SITE_ID)


class PowerwallOptionsFlow(OptionsFlowWithReload):
    """A gateway's poll interval, control, and the cloud account that carries control."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options; saving them reloads the entry."""
        return await self.async_step_powerwall(user_input)

    async def async_step_powerwall(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Powerwall options: poll interval, control, and the cloud account that carries it."""
        errors: dict[str, str] = {}
        options = self.config_entry.options
        stored_url = options.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL)
        if user_input is not None:
            cloud = user_input.get(CONF_CLOUD, {})
            data: dict[str, Any] = {
                CONF_POLL_INTERVAL: user_input[CONF_POLL_INTERVAL],
                CONF_CONTROL: user_input[CONF_CONTROL],
            }
            cloud_data, errors = await self._cloud(cloud, options)
            if not errors:
                return self.async_create_entry(data=data | cloud_data)
            stored_url = retyped(cloud, CONF_BASE_URL, stored_url)
        schema = {
            probatio.Required(
                CONF_POLL_INTERVAL,
                default=options.get(CONF_POLL_INTERVAL, DEFAULT_POWERWALL_POLL_S),
            ): interval_selector(MIN_POWERWALL_POLL_S, MAX_POWERWALL_POLL_S),
            probatio.Required(CONF_CONTROL, default=options.get(CONF_CONTROL, False)): bool,
            probatio.Required(CONF_CLOUD): section(
                probatio.Schema(
                    {
                        **self._account_field(),
                        probatio.Optional(CONF_ACCESS_TOKEN): PASSWORD,
                        probatio.Optional(CONF_BASE_URL, default=stored_url): URL,
                        **(
                            {probatio.Optional(CONF_CLOUD_FORGET, default=False): bool}
                            if options.get(CONF_ACCESS_TOKEN)
                            else {}
                        ),
                    }
                ),
                {"collapsed": not (options.get(CONF_ACCESS_TOKEN) or account_options(self.hass))},
            ),
        }
        return self.async_show_form(
            step_id="powerwall", data_schema=probatio.Schema(schema), errors=errors
        )

    async def _cloud(
        self, cloud: object, options: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Return the cloud options to store (none without an account or token), or the errors.

        A Tesla account picked must hold the gateway. A token typed in is checked; an empty
        field keeps the stored token, checked again only if the URL changed; "forget" drops it.
        """
        stored = options.get(CONF_ACCESS_TOKEN)
        if not isinstance(cloud, Mapping):
            return {}, {}
        if account := cloud.get(CONF_ACCOUNT_ENTRY):
            sites, error = await account_energy_sites(self.hass, account)
            site_id = self._site_of_gateway(sites)
            if error or site_id is None:
                return {}, {"base": error or "gateway_not_on_account"}
            return {CONF_ACCOUNT_ENTRY: account, CONF_ENERGY_SITE_ID: site_id}, {}
        if cloud.get(CONF_CLOUD_FORGET):
            return {}, {}
        typed = cloud.get(CONF_ACCESS_TOKEN)
        if not typed and not stored:
            return {}, {}
        try:
            token = validation.token(typed) if typed else str(stored)
            base_url = validation.base_url(cloud.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL))
        except validation.InputError as err:
            # The section's fields: "base" is shown whether the section is open or not.
            return {}, {"base": err.error}
        if not typed and base_url == options.get(CONF_BASE_URL):
            return {key: options[key] for key in _CLOUD_KEYS if key in options}, {}
        site_id, error = await self._gateway_site(token, base_url)
        if error:
            return {}, {"base": error}
        return {CONF_ACCESS_TOKEN: token, CONF_BASE_URL: base_url, CONF_ENERGY_SITE_ID: site_id}, {}

    async def _gateway_site(self, token: str, base_url: str) -> tuple[int | None, str]:
        """Return the energy site that holds this gateway, or the form error."""
        sites, error = await fetch_energy_sites(self.hass, token, base_url)
        site_id = self._site_of_gateway(sites)
        return (site_id, "") if site_id is not None else (None, error or "gateway_not_on_account")

    def _account_field(self) -> dict[Any, Any]:
        """Offer the Tesla accounts, when there are any, as the cloud session to use."""
        accounts = account_options(self.hass)
        if not accounts:
            return {}
        current = self.config_entry.options.get(CONF_ACCOUNT_ENTRY)
        return {
            probatio.Optional(
                CONF_ACCOUNT_ENTRY, description={"suggested_value": current}
            ): SelectSelector(SelectSelectorConfig(options=accounts))
        }

    def _site_of_gateway(self, sites: list[EnergySite]) -> int | None:
        """Return the energy site that holds this gateway (known by its DIN)."""
        din = str(self.config_entry.unique_id).casefold()
        return next(
            (
                site.energy_site_id
                for site in sites
                if site.gateway_id is not None and site.gateway_id.casefold() == din
            ),
            None,
        )
