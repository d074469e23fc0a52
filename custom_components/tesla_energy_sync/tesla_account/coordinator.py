"""A Tesla account's energy sites, listed at set-up: the check that its session works."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from ..clients.tesla_energy_models import EnergySite
from ..const import DOMAIN
from ..coordinator import TesCoordinator
from ..runtime import SourceRuntime
from .account import TeslaAccount, dependants

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

# Nothing listens to the listing, so it is refreshed only when asked (set-up, a flow).
SITES_INTERVAL: Final = timedelta(hours=6)


@dataclass(frozen=True, kw_only=True)
class AccountSites:
    """The energy sites the account holds."""

    sites: tuple[EnergySite, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {
            "energy_sites": [
                {
                    "energy_site_id": site.energy_site_id,
                    "site_name": site.site_name,
                    "resource_type": site.resource_type,
                    "gateway_id": site.gateway_id,
                }
                for site in self.sites
            ]
        }


class TeslaAccountCoordinator(TesCoordinator[AccountSites]):
    """Lists the account's energy sites; a refused token fails the account's set-up into reauth."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], account: TeslaAccount) -> None:
        """Keep the account."""
        self.account = account
        super().__init__(
            hass,
            entry,
            name=entry.title,
            unique_prefix=f"account_{entry.entry_id}",
            device_info=DeviceInfo(
                identifiers={(DOMAIN, f"account_{entry.entry_id}")},
                name=entry.title,
                manufacturer="Tesla",
                model="Tesla account",
                entry_type=DeviceEntryType.SERVICE,
            ),
        )

    async def _async_setup_source(self) -> None:
        """Once loaded, bring up the dependants that were waiting for the account."""
        entry = self.config_entry

        @callback
        def loaded() -> None:
            if entry.state is not ConfigEntryState.LOADED:
                return
            for waiting in dependants(self.hass, entry.entry_id):
                if waiting.state is ConfigEntryState.SETUP_RETRY:
                    self.hass.config_entries.async_schedule_reload(waiting.entry_id)

        entry.async_on_unload(entry.async_on_state_change(loaded))

    async def _async_fetch(self) -> AccountSites:
        return AccountSites(sites=tuple(await self.account.async_list_energy_sites()))

    def _next_poll_delay(self, data: AccountSites) -> timedelta:
        return SITES_INTERVAL


@dataclass(kw_only=True)
class TeslaAccountRuntime(SourceRuntime):
    """A Tesla account: the session its dependants borrow, and its energy sites."""

    account: TeslaAccount
    sites: TeslaAccountCoordinator

    def diagnostics(self) -> dict[str, Any]:
        """Return the listing and where the account's requests go."""
        return {**super().diagnostics(), "base_url": self.account.base_url}
