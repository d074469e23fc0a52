"""Control of a cloud energy site (opt-in): each change goes to the site, then is read back.

The same four settings and the same checks as a local gateway's control through the cloud
(powerwall/control.py): the cloud's "Updated" proves little (firmware keeps a reserve of
81-99 % as 80 %, docs/tesla-energy-api.md#backup-reserve), so site_info is read after every
command and a setting the site did not keep is reported as refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..clients.errors import ClientError, CommandError, RequestError
from ..clients.site_settings import GridExportRule, OperatingMode
from ..powerwall.control import check_kept, check_reserve_kept, command_error

if TYPE_CHECKING:
    from ..powerwall.cloud import CloudSettings
    from .coordinator import EnergySiteInfoCoordinator


class SiteControl:
    """The settings control may change on one energy site, through its settings coordinator."""

    def __init__(self, *, enabled: bool, settings: EnergySiteInfoCoordinator) -> None:
        """Send through the settings coordinator's client; read back through it too."""
        self.enabled = enabled
        self.settings = settings

    async def set_backup_reserve(self, pct: float) -> None:
        """Set the backup reserve in the app's percent."""
        site = self.settings
        await self._set(
            f"the backup reserve to {pct:g} %",
            lambda: site.client.set_backup_reserve(site.site_id, pct),
            lambda kept: check_reserve_kept(kept, pct),
        )

    async def set_operating_mode(self, mode: OperatingMode) -> None:
        """Set the operating mode."""
        mode = OperatingMode(mode)
        site = self.settings
        await self._set(
            f"the operating mode to {mode.value}",
            lambda: site.client.set_operation(site.site_id, mode.value),
            lambda kept: check_kept("operating mode", kept.operating_mode, mode.value),
        )

    async def set_grid_charging(self, enabled: bool) -> None:
        """Allow or forbid charging the battery from the grid."""
        site = self.settings
        await self._set(
            f"grid charging to {'allowed' if enabled else 'forbidden'}",
            lambda: site.client.set_grid_import_export(
                site.site_id, disallow_charge_from_grid_with_solar_installed=not enabled
            ),
            lambda kept: check_kept("grid charging", kept.grid_charging, enabled),
        )

    async def set_grid_export(self, rule: GridExportRule) -> None:
        """Set what may be exported to the grid."""
        rule = GridExportRule(rule)
        site = self.settings
        await self._set(
            f"the export rule to {rule.value}",
            lambda: site.client.set_grid_import_export(site.site_id, export_rule=rule.value),
            lambda kept: check_kept("export rule", kept.export_rule, rule.value),
        )

    async def _set(
        self,
        what: str,
        command: Callable[[], Awaitable[object]],
        check: Callable[[CloudSettings], None],
    ) -> None:
        """Send the command, read the site back, and say in words what went wrong."""
        try:
            await command()
            check((await self.settings.async_read()).settings)
        except (CommandError, RequestError) as err:
            raise command_error("powerwall_refused", what, err) from err
        except ClientError as err:
            raise command_error("powerwall_command_failed", what, err) from err
