"""Powerwall control: where each command goes, how its result is checked, how refusals read.

With cloud credentials every command goes to the energy site in the Tesla cloud, which
is what the Tesla app does; the cloud's answer alone proves little (firmware snaps a
reserve of 81-99 % to 80 %, docs/tesla-energy-api.md#backup-reserve), so the setting is read back and compared.
Without them, backup reserve and mode go to the gateway through pypowerwall, which
real gateways refuse to the customer login (HTTP 403, docs/powerwall.md#writes) and old firmware
accepts; grid charging and the export rule have no local path in the supported modes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from ..clients.errors import AuthenticationError, ClientError, CommandError, RequestError
from ..clients.powerwall import GridExportRule, OperatingMode, PowerwallGateway
from ..const import DOMAIN
from .cloud import CloudSettings, PowerwallCloudCoordinator

# The cloud reports the reserve as a whole percent.
_RESERVE_TOLERANCE = 0.5


class PowerwallControl:
    """The four settings control may change on one gateway."""

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
            check=lambda settings: _reserve_kept(settings, pct),
        )

    async def set_operating_mode(self, mode: OperatingMode) -> None:
        """Set the operating mode."""
        mode = OperatingMode(mode)
        await self._set(
            f"the operating mode to {mode.value}",
            local=lambda: self.gateway.set_mode(mode),
            remote=lambda cloud: cloud.client.set_operation(cloud.site_id, mode.value),
            check=lambda settings: _kept("mode", settings.operating_mode, mode.value),
        )

    async def set_grid_charging(self, enabled: bool) -> None:
        """Allow or forbid charging the battery from the grid (no local path)."""
        await self._set(
            f"grid charging to {'allowed' if enabled else 'forbidden'}",
            local=None,
            remote=lambda cloud: cloud.client.set_grid_import_export(
                cloud.site_id, disallow_charge_from_grid_with_solar_installed=not enabled
            ),
            check=lambda settings: _kept("grid charging", settings.grid_charging, enabled),
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
            check=lambda settings: _kept("export rule", settings.export_rule, rule.value),
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
            await self._run(what, local(), cloud=False)
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

    async def _run(self, what: str, command: Awaitable[None], *, cloud: bool = True) -> None:
        """Await the command; map a refusal to a translated error; then re-read the gateway."""
        try:
            await command
        except AuthenticationError as err:
            raise _error("powerwall_cloud_auth", what, err) from err
        except (CommandError, RequestError) as err:
            raise _error(
                "powerwall_refused" if cloud else "powerwall_refused_locally", what, err
            ) from err
        except ClientError as err:
            raise _error("powerwall_command_failed", what, err) from err
        await self._refresh()


def _error(key: str, what: str, err: ClientError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"what": what, "error": str(err)},
    )


def _kept[T](name: str, actual: T | None, wanted: T) -> None:
    if actual != wanted:
        raise CommandError(f"the Tesla cloud kept the {name} at {actual}")


def _reserve_kept(settings: CloudSettings, pct: float) -> None:
    actual = settings.backup_reserve_pct
    if actual is None or abs(actual - pct) > _RESERVE_TOLERANCE:
        kept = "unknown" if actual is None else f"{actual:g} %"
        raise CommandError(f"the Tesla cloud kept the backup reserve at {kept}")
