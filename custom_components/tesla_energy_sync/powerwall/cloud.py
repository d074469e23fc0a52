"""The gateway's settings as the Tesla cloud holds them, for an entry given cloud credentials.

Grid charging and the export rule cannot be read or written through the customer login
or TEDAPI (pypowerwall: cloud and v1r only, docs/powerwall.md#writes), so they come from the energy
site that holds the gateway. Cloud trouble never holds back the local readings: the
first refresh may fail without failing the entry, and a refused token raises a repair
issue instead of a reauth flow (the token lives in the options, not in the entry).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self

from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo

from ..clients.errors import AuthenticationError, ClientError
from ..clients.tesla_energy import TeslaEnergyClient
from ..clients.tesla_energy_models import SiteInfo
from ..const import CLOUD_SETTINGS_INTERVAL, DOMAIN
from ..coordinator import TesCoordinator

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


@dataclass(frozen=True, slots=True)
class CloudSettings:
    """The settings control can change, as the cloud reports them (app scale)."""

    backup_reserve_pct: float | None
    operating_mode: str | None
    export_rule: str | None
    grid_charging: bool | None

    @classmethod
    def from_site_info(cls, info: SiteInfo) -> Self:
        """Take the settings out of a site_info answer."""
        disallowed = info.disallow_charge_from_grid_with_solar_installed
        return cls(
            backup_reserve_pct=info.backup_reserve_percent,
            operating_mode=info.default_real_mode,
            export_rule=info.customer_preferred_export_rule,
            grid_charging=None if disallowed is None else not disallowed,
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view."""
        return asdict(self)


class PowerwallCloudCoordinator(TesCoordinator[CloudSettings]):
    """Reads the energy site's settings every few minutes and after each command."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: TeslaEnergyClient,
        site_id: int,
        din: str,
    ) -> None:
        """Keep the client and the energy site that holds the gateway (known by its DIN)."""
        self.client = client
        self.site_id = site_id
        super().__init__(
            hass,
            entry,
            name=f"Tesla cloud settings of {entry.title}",
            unique_prefix=din,
            # Same identifiers, so the settings join the gateway's device.
            device_info=DeviceInfo(identifiers={(DOMAIN, din)}),
        )

    @property
    def issue_id(self) -> str:
        """Return the repair issue raised while the cloud refuses the token."""
        return f"powerwall_cloud_auth_{self.config_entry.entry_id}"

    async def async_config_entry_first_refresh(self) -> None:
        """Try once; the local gateway's entities must not wait for the cloud."""
        await self.async_refresh()

    async def async_read(self) -> CloudSettings:
        """Read site_info now (after a command) and publish what it says."""
        settings = await self._async_fetch()
        self.async_set_updated_data(settings)
        return settings

    async def _async_fetch(self) -> CloudSettings:
        try:
            info = await self.client.site_info(self.site_id)
        except AuthenticationError as err:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="powerwall_cloud_auth",
                translation_placeholders={"title": self.config_entry.title},
            )
            # Not ConfigEntryAuthFailed: reauth would ask for the gateway password.
            raise ClientError(f"the Tesla cloud refused the token: {err}") from err
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        return CloudSettings.from_site_info(info)

    def _next_poll_delay(self, data: CloudSettings) -> timedelta:
        return CLOUD_SETTINGS_INTERVAL
