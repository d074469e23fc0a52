"""Powerwall gateway coordinator: one pypowerwall-backed gateway per entry, polled at the option."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceInfo

from ..clients.powerwall import PowerwallGateway, PowerwallSnapshot
from ..const import CONF_POLL_INTERVAL, DEFAULT_POWERWALL_POLL_S, DOMAIN
from ..coordinator import TesCoordinator
from ..runtime import SourceRuntime
from .cloud import PowerwallCloudCoordinator
from .control import PowerwallControl

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def powerwall_poll_interval(entry: ConfigEntry[Any]) -> timedelta:
    """Return the entry's poll interval (the option, or the default)."""
    return timedelta(seconds=entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POWERWALL_POLL_S))


def powerwall_device(din: str, snapshot: PowerwallSnapshot | None, host: str) -> DeviceInfo:
    """Return the device a gateway's entities belong to."""
    return DeviceInfo(
        identifiers={(DOMAIN, din)},
        name=(snapshot.site_name if snapshot and snapshot.site_name else f"Powerwall {din}"),
        manufacturer="Tesla",
        model="Powerwall gateway",
        serial_number=din,
        sw_version=snapshot.firmware if snapshot else None,
        configuration_url=f"https://{host}",
    )


class PowerwallCoordinator(TesCoordinator[PowerwallSnapshot]):
    """Reads one gateway at the entry's poll interval; the gateway object outlives each poll."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], gateway: PowerwallGateway
    ) -> None:
        """Identify the gateway by the entry's unique id (its DIN)."""
        self.gateway = gateway
        self._named = False
        self.din = str(entry.unique_id)
        super().__init__(
            hass,
            entry,
            name=f"Powerwall {self.din}",
            unique_prefix=self.din,
            device_info=powerwall_device(self.din, None, gateway.host),
        )

    async def _async_fetch(self) -> PowerwallSnapshot:
        """Read the gateway; the first read names the device and gives its firmware."""
        snapshot = await self.gateway.read()
        if not self._named:
            self._named = True
            self.device_info = powerwall_device(self.din, snapshot, self.gateway.host)
        return snapshot

    def _next_poll_delay(self, data: PowerwallSnapshot) -> timedelta:
        """Poll at the configured interval."""
        return powerwall_poll_interval(self.config_entry)

    async def async_shutdown(self) -> None:
        """Close pypowerwall's session with the gateway (set-up failed, or the entry unloads)."""
        await super().async_shutdown()
        await self.gateway.close()


@dataclass(kw_only=True)
class PowerwallRuntime(SourceRuntime):
    """A gateway: its local coordinator, the cloud half (optional), and control over both."""

    gateway: PowerwallCoordinator
    control: PowerwallControl
    cloud: PowerwallCloudCoordinator | None = None


type PowerwallConfigEntry = ConfigEntry[PowerwallRuntime]


def gateway_of(runtime: PowerwallRuntime) -> PowerwallCoordinator:
    """Return the coordinator that reads the gateway."""
    return runtime.gateway


def cloud_of(runtime: PowerwallRuntime) -> PowerwallCloudCoordinator | None:
    """Return the cloud settings coordinator (None without cloud credentials)."""
    return runtime.cloud


def control_of(coordinator: TesCoordinator[Any]) -> PowerwallControl:
    """Return the control of the gateway entry that a gateway or cloud coordinator serves."""
    runtime = coordinator.config_entry.runtime_data
    assert isinstance(runtime, PowerwallRuntime)  # noqa: S101 - only gateway entries have these
    return runtime.control


def loaded_gateways(hass: HomeAssistant) -> dict[str, PowerwallCoordinator]:
    """Return the coordinator of every loaded gateway entry, by entry id."""
    return {
        entry.entry_id: runtime.gateway
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if isinstance(runtime := getattr(entry, "runtime_data", None), PowerwallRuntime)
    }
