"""Cloud energy site: pick a Tesla account, then one of its energy sites (no gateway address)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import SelectOptionDict, SelectSelector, SelectSelectorConfig
import probatio

from ..clients.tesla_energy_models import EnergySite
from ..const import CONF_ACCOUNT_ENTRY, CONF_ENERGY_SITE_ID, CONF_KIND, DOMAIN, EntryKind
from ..flow_helpers import picker
from ..tesla_account.account import account_energy_sites, account_options
from .coordinator import CONF_GATEWAY_DIN, site_prefix


def local_gateways(flow: ConfigFlow) -> dict[str, str]:
    """Return the title of each local gateway entry, by its DIN (casefolded)."""
    return {
        str(entry.unique_id).casefold(): entry.title
        for entry in flow.hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == EntryKind.POWERWALL
    }


def account_picker(flow: ConfigFlow, current: str | None = None) -> probatio.Schema:
    """Return the form field that picks one of the Tesla accounts."""
    key = (
        probatio.Required(CONF_ACCOUNT_ENTRY)
        if current is None
        else probatio.Required(CONF_ACCOUNT_ENTRY, default=current)
    )
    return probatio.Schema(
        {key: SelectSelector(SelectSelectorConfig(options=account_options(flow.hass)))}
    )


class EnergySiteSteps(ConfigFlow):
    """Add an energy site of a Tesla account; reconfigure it onto another account."""

    def __init__(self) -> None:
        """Remember the account and the sites it offered."""
        super().__init__()
        self._site_account = ""
        self._site_choices: list[EnergySite] = []

    async def async_step_energy_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask which Tesla account holds the site; its session is what the site is read with."""
        if not account_options(self.hass):
            return self.async_abort(reason="no_tesla_account")
        errors: dict[str, str] = {}
        if user_input is not None:
            account = user_input[CONF_ACCOUNT_ENTRY]
            sites, error = await account_energy_sites(self.hass, account)
            added = {entry.unique_id for entry in self._async_current_entries()}
            choices = [s for s in sites if site_prefix(s.energy_site_id) not in added]
            if error:
                errors["base"] = error
            elif not choices:
                return self.async_abort(reason="already_configured")
            else:
                self._site_account, self._site_choices = account, choices
                return await self.async_step_energy_site_pick()
        return self.async_show_form(
            step_id="energy_site", data_schema=account_picker(self), errors=errors
        )

    async def async_step_energy_site_pick(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick a site; one already added as a local gateway names that gateway."""
        if user_input is not None:
            chosen = int(user_input[CONF_ENERGY_SITE_ID])
            site = next(s for s in self._site_choices if s.energy_site_id == chosen)
            # Prefixed: a TOU sync of the same site already holds the bare site id.
            await self.async_set_unique_id(site_prefix(site.energy_site_id))
            self._abort_if_unique_id_configured()
            data: dict[str, Any] = {
                CONF_KIND: EntryKind.ENERGY_SITE,
                CONF_ACCOUNT_ENTRY: self._site_account,
                CONF_ENERGY_SITE_ID: site.energy_site_id,
            }
            if site.gateway_id:
                data[CONF_GATEWAY_DIN] = site.gateway_id
            return self.async_create_entry(
                title=site.site_name or f"Energy site {site.energy_site_id}", data=data
            )
        local = local_gateways(self)
        options = []
        for site in self._site_choices:
            label = site.site_name or str(site.energy_site_id)
            gateway = local.get((site.gateway_id or "").casefold())
            options.append(
                SelectOptionDict(
                    value=str(site.energy_site_id),
                    label=label if gateway is None else f"{label} ({gateway})",
                )
            )
        return self.async_show_form(
            step_id="energy_site_pick", data_schema=picker(CONF_ENERGY_SITE_ID, options)
        )

    async def energy_site_reconfigure(self, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        """Read the site through another Tesla account; that account must hold the site."""
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
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=account_picker(self, entry.data[CONF_ACCOUNT_ENTRY]),
            errors=errors,
        )
