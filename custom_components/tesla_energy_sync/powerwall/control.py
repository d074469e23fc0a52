"""Powerwall control: where each command goes, how its result is checked, how refusals read.

With cloud credentials every command goes to the energy site in the Tesla cloud, which
is what the Tesla app does; the cloud's answer alone proves little (firmware snaps a
reserve of 81-99 % to 80 %, docs/tesla-energy-api.md#backup-reserve), so the setting is read back and compared.
Without them, backup reserve and mode go to the gateway through pypowerwall, which
real gateways refuse to the customer login (HTTP 403, docs/powerwall.md#writes) and old firmware
accepts; grid charging and the export rule have no local path in the supported modes.
Off-grid operation has no cloud path this integration can use (the cloud islands only on a
signed command), so it always goes to the gateway, with the same caveat
(docs/powerwall.md#islanding).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from ..clients.errors import AuthenticationError, ClientError, CommandError, RequestError
from ..clients.powerwall import GridExportRule, OperatingMode, PowerwallGateway, PowerwallMode
from ..const import DOMAIN
from .cloud import CloudSettings, PowerwallCloudCoordinator

# The cloud reports the reserve as a whole percent.
_RESERVE_TOLERANCE = 0.5


class PowerwallControl:
    """The settings control may change on one gateway, and off-grid operation."""

    def __init__(
        self,
        *,
        title: str,
        enabled: bool,
        gateway: PowerwallGateway,
        cloud: PowerwallCloudCoordinator | None,
        refresh: Callable[[], Awaitable[None]],
    ) -> None:
        """Route through the cloud when there is one, else through the gateway.

        `refresh` re-reads the gateway after a change, so its entities show the new setting.
        """
        self.title = title
        self.enabled = enabled
        self.gateway = gateway
        self.cloud = cloud
        self._refresh = refresh

    async def set_backup_reserve(self, pct: float) -> None:
        """Set the backup reserve in the app's percent."""
        await self._set(
            f"the backup reserve to {pct:g} %",
            local=lambda: self.gateway.set_reserve(pct),
            remote=lambda cloud: cloud.client.set_backup_reserve(cloud.site_id, pct),
            check=lambda settings: check_reserve_kept(settings, pct),
        )

    async def set_operating_mode(self, mode: OperatingMode) -> None:
        """Set the operating mode."""
        mode = OperatingMode(mode)
        await self._set(
            f"the operating mode to {mode.value}",
            local=lambda: self.gateway.set_mode(mode),
            remote=lambda cloud: cloud.client.set_operation(cloud.site_id, mode.value),
            check=lambda settings: check_kept("mode", settings.operating_mode, mode.value),
        )

    async def set_grid_charging(self, enabled: bool) -> None:
        """Allow or forbid charging the battery from the grid (no local path)."""
        await self._set(
            f"grid charging to {'allowed' if enabled else 'forbidden'}",
            local=None,
            remote=lambda cloud: cloud.client.set_grid_import_export(
                cloud.site_id, disallow_charge_from_grid_with_solar_installed=not enabled
            ),
            check=lambda settings: check_kept("grid charging", settings.grid_charging, enabled),
        )

    async def set_grid_export(self, rule: GridExportRule) -> None:
        """Set what may be exported to the grid (no local path)."""
        rule = GridExportRule(rule)
        await self._set(
            f"the export rule to {rule.value}",
            local=None,
            remote=lambda cloud: cloud.client.set_grid_import_export(
                cloud.site_id, export_rule=rule.value
            ),
            check=lambda settings: check_kept("export rule", settings.export_rule, rule.value),
        )

    async def set_off_grid(self, off_grid: bool) -> None:
        """Take the site off the grid, or back onto it, through the gateway (no cloud path)."""
        if self.gateway.mode is not PowerwallMode.LOCAL:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="powerwall_off_grid_customer_login",
                translation_placeholders={"title": self.title},
            )
        await self._run(
            f"off-grid operation {'on' if off_grid else 'off'}",
            self.gateway.set_off_grid(off_grid),
            local_refusal="powerwall_off_grid_refused",
        )

    async def _set(
        self,
        what: str,
        *,
        local: Callable[[], Awaitable[None]] | None,
        remote: Callable[[PowerwallCloudCoordinator], Awaitable[object]],
        check: Callable[[CloudSettings], None],
    ) -> None:
        """Send through the cloud (then read back) when there is one, else to the gateway."""
        if (cloud := self.cloud) is not None:
            await self._run(what, self._through_cloud(cloud, remote, check))
        elif local is not None:
            await self._run(what, local(), local_refusal="powerwall_refused_locally")
        else:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="powerwall_cloud_required",
                translation_placeholders={"title": self.title},
            )

    async def _through_cloud(
        self,
        cloud: PowerwallCloudCoordinator,
        remote: Callable[[PowerwallCloudCoordinator], Awaitable[object]],
        check: Callable[[CloudSettings], None],
    ) -> None:
        await remote(cloud)
        # pypowerwall's cache would show the gateway's old reserve and mode until it expires.
        self.gateway.settings_changed()
        check(await cloud.async_read())

    async def _run(
        self, what: str, command: Awaitable[None], *, local_refusal: str | None = None
    ) -> None:
        """Await the command; map a refusal to a translated error; then re-read the gateway.

        `local_refusal` is the error a refusal by the gateway gives; without it the command
        went to the cloud.
        """
        try:
            await command
        except AuthenticationError as err:
            if local_refusal is not None:
                # The gateway's login was refused: the next poll asks for the password again.
                raise command_error("powerwall_command_failed", what, err) from err
            raise command_error("powerwall_cloud_auth", what, err) from err
        except (CommandError, RequestError) as err:
            raise command_error(local_refusal or "powerwall_refused", what, err) from err
        except ClientError as err:
            raise command_error("powerwall_command_failed", what, err) from err
        await self._refresh()


def command_error(key: str, what: str, err: ClientError) -> HomeAssistantError:
    """Return the translated error for a refused or failed command."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"what": what, "error": str(err)},
    )


def check_kept[T](name: str, actual: T | None, wanted: T) -> None:
    """Raise when the setting read back is not the one sent."""
    if actual != wanted:
        raise CommandError(f"the Tesla cloud kept the {name} at {actual}")


def check_reserve_kept(settings: CloudSettings, pct: float) -> None:
    """Raise when the reserve read back is not the one sent (the cloud rounds to whole %)."""
    actual = settings.backup_reserve_pct
    if actual is None or abs(actual - pct) > _RESERVE_TOLERANCE:
        kept = "unknown" if actual is None else f"{actual:g} %"
        raise CommandError(f"the Tesla cloud kept the backup reserve at {kept}")
