"""Config flow: a menu of sources, then the steps each source's package contributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2FlowHandler

from .const import DOMAIN
from .registry import SOURCES, kind_of, spec_of

if TYPE_CHECKING:
    _SourceSteps = ConfigFlow
else:
    # Each source's steps are a ConfigFlow mixin in its own package (flow.py); the flow
    # inherits them all, in the registry's order. Home Assistant's OAuth2 handler (the Tesla
    # account's sign-in) is put last: its __init__ does not call super(), so every other
    # source's __init__ must come before it.
    _SourceSteps = type(
        "_SourceSteps",
        (*(spec.flow for spec in SOURCES.values()), AbstractOAuth2FlowHandler),
        {},
    )


class TesConfigFlow(_SourceSteps, domain=DOMAIN):
    """Add one source (an Amber site, ComEd, ...) per config entry."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which source to add."""
        return self.async_show_menu(step_id="user", menu_options=list(SOURCES))

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow of the entry's source."""
        options_flow = spec_of(config_entry).options_flow
        assert options_flow is not None  # noqa: S101 - offered only where there is one
        return options_flow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Only sources with something to tune (chargers, gateways) have options."""
        # An ignored discovery is stored with no kind at all.
        spec = kind_of(config_entry)
        return spec is not None and spec.options_flow is not None

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when a source refuses the stored credentials."""
        reauth = spec_of(self._get_reauth_entry()).reauth
        assert reauth is not None  # noqa: S101 - only sources with credentials raise auth failures
        return await reauth(self, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how an existing entry reaches its source."""
        reconfigure = spec_of(self._get_reconfigure_entry()).reconfigure
        assert reconfigure is not None  # noqa: S101 - every source can be reconfigured
        return await reconfigure(self, user_input)
