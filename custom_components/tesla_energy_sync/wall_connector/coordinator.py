"""Wall Connector coordinators: vitals (and sessions), lifetime counters, version and Wi-Fi."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..clients.wall_connector import session_power_w
from ..clients.wall_connector_models import (
    EvseState,
    WallConnectorLifetime,
    WallConnectorVersion,
    WallConnectorVitals,
    WallConnectorWifiStatus,
)
from ..const import (
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    CONF_VITALS_CONNECTED_S,
    CONF_VITALS_IDLE_S,
    CURRENCY_BY_KIND,
    DEFAULT_VITALS_CONNECTED_S,
    DEFAULT_VITALS_IDLE_S,
    DOMAIN,
    EVENT_CHARGER_ALERT,
    EVENT_SESSION_ENDED,
    LOGGER,
    SESSION_STORE_VERSION,
    WALL_CONNECTOR_INFO_INTERVAL,
    WALL_CONNECTOR_LIFETIME_INTERVAL,
    EntryKind,
)
from ..coordinator import Showable, TesCoordinator
from ..runtime import SourceRuntime
from ..tariff import Billing, billing_hour
from .history import SessionHistory
from .session import ActiveSession, ChargingTotals, FinishedSession, SessionSample, SessionTracker

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..clients.wall_connector import WallConnectorClient
    from ..tariff import TariffSource


# Listed by every plugged-in unit that is not charging (docs/wall-connector.md#alerts): a
# state, not a fault, so it neither raises the problem sensor nor fires the alert event.
ROUTINE_ALERTS: Final = frozenset({"49"})


def wall_connector_device(version: WallConnectorVersion, host_url: str) -> DeviceInfo:
    """Return the device a Wall Connector's entities belong to."""
    return DeviceInfo(
        identifiers={(DOMAIN, version.serial_number)},
        name=f"Wall Connector {version.serial_number}",
        manufacturer="Tesla",
        model="Wall Connector Gen 3",
        model_id=version.part_number,
        serial_number=version.serial_number,
        sw_version=version.firmware_version,
        configuration_url=host_url,
    )


@dataclass(frozen=True, kw_only=True)
class WallConnectorState:
    """Vitals plus what the session tracker made of them."""

    vitals: WallConnectorVitals
    power_w: float | None
    session: ActiveSession | None
    last_session: FinishedSession | None
    totals: ChargingTotals
    # The linked tariff's currency, which the lifetime cost is shown in.
    currency: str | None
    # Sessions kept in the history.
    history_size: int

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {
            "vitals": self.vitals.as_dict(),
            "power_w": self.power_w,
            "session": self.session.as_dict() if self.session else None,
            "last_session": self.last_session.as_dict() if self.last_session else None,
            "totals": self.totals.as_dict(),
            "currency": self.currency,
            "history_size": self.history_size,
        }


class _WallConnectorCoordinator[DataT: Showable](TesCoordinator[DataT]):
    """Shared construction: one client, one device; `what` names the endpoint it polls."""

    what: ClassVar[str]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: WallConnectorClient,
        version: WallConnectorVersion,
    ) -> None:
        """Keep the client; the device comes from the unit's version."""
        self.client = client
        self.serial = version.serial_number
        super().__init__(
            hass,
            entry,
            name=f"Wall Connector {self.serial} {self.what}",
            unique_prefix=self.serial,
            device_info=wall_connector_device(version, client.base_url),
        )


class WallConnectorVitalsCoordinator(_WallConnectorCoordinator[WallConnectorState]):
    """Polls vitals fast while a vehicle is plugged in, slowly otherwise; follows sessions."""

    what = "vitals"
    tracker: SessionTracker
    history: SessionHistory
    device_id: str
    _store: Store[dict[str, Any]] | None = None
    _history_store: Store[dict[str, Any]] | None = None
    # The alerts of the last poll; None until known (the first poll only records them).
    _alerts: frozenset[int | str] | None = None

    async def _async_setup_source(self) -> None:
        """Restore the session in progress, the lifetime totals, the history and known alerts."""
        self._store = Store(self.hass, SESSION_STORE_VERSION, f"{DOMAIN}.sessions.{self.serial}")
        self._history_store = Store(
            self.hass, SESSION_STORE_VERSION, f"{DOMAIN}.session_history.{self.serial}"
        )
        stored = await self._store.async_load()
        self.tracker = SessionTracker.from_dict(stored)
        if stored and stored.get("alerts") is not None:
            self._alerts = frozenset(stored["alerts"])
        self.history = SessionHistory.from_dict(await self._history_store.async_load())
        if not self.history and self.tracker.last is not None:
            # Installs from before the history existed kept only their last session.
            self.history.add(self.tracker.last)
        # The alert event names the device, which must exist before the entities add it.
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.config_entry.entry_id, **self.device_info
        )
        self.device_id = device.id

    def _stored(self) -> dict[str, Any]:
        """Return the session state, lifetime totals and known alerts, saved together."""
        alerts = sorted(self._alerts, key=str) if self._alerts is not None else None
        return {**self.tracker.as_dict(), "alerts": alerts}

    async def _async_fetch(self) -> WallConnectorState:
        """Read vitals and let the tracker account for them."""
        vitals = await self.client.get_vitals()
        now = dt_util.utcnow()
        # 0 W with the contactor open; None when a reading it needs came as nan.
        power_w = session_power_w(vitals)
        sample = SessionSample(
            time=now,
            vehicle_connected=vitals.vehicle_connected,
            contactor_closed=vitals.contactor_closed,
            session_energy_wh=vitals.session_energy_wh,
            uptime_s=vitals.uptime_s,
            session_s=vitals.session_s,
            booting=vitals.evse_state is EvseState.BOOTING,
            power_w=power_w,
        )
        # The energy since the last sample was drawn between the two: price it at the
        # interval in force half way, not at the one that began just before this sample.
        previous = self.tracker.active.last_seen if self.tracker.active else now
        drawn = previous + (now - previous) / 2
        tariff = self.linked_tariff()
        series = tariff.series if tariff is not None else None
        # An hourly-average tariff (ComEd) bills the hour at its average, known once the hour
        # is over: the step is priced at the 5-minute price for now and settled later.
        hourly = series is not None and series.billing is Billing.HOURLY_AVERAGE
        finished = self.tracker.update(
            sample,
            tariff.current(drawn) if tariff is not None else None,
            billing_hour(drawn) if hourly else None,
        )
        moved = (
            self.tracker.settle(series.hour_average, now)
            if series is not None and hourly and self.tracker.unsettled
            else {}
        )
        alerts_changed = self._follow_alerts(vitals)
        assert self._store is not None  # noqa: S101 - set up before the first fetch
        assert self._history_store is not None  # noqa: S101 - set up with _store
        if finished is not None or moved:
            if finished is not None:
                self.history.add(finished)
            for started_at, (cost, priced_wh) in moved.items():
                self.history.reprice(started_at, cost, priced_wh)
            # History first: a crash between the writes finishes the session again, and
            # SessionHistory.add replaces rather than duplicates it.
            await self._history_store.async_save(self.history.as_dict())
            await self._store.async_save(self._stored())
            if finished is not None:
                # Under an hourly-average tariff the cost is provisional until its last hour
                # settles; the history and the last-session sensors follow the correction.
                self.hass.bus.async_fire(
                    EVENT_SESSION_ENDED,
                    {"serial_number": self.serial, **finished.as_dict()},
                )
        elif self.tracker.active is not None or alerts_changed:
            # A write per poll would wear SD cards; losing a few seconds on a crash is fine.
            self._store.async_delay_save(self._stored, 30)
        return WallConnectorState(
            vitals=vitals,
            power_w=power_w,
            session=self.tracker.active,
            last_session=self.tracker.last,
            totals=self.tracker.totals,
            currency=self.linked_currency(),
            history_size=len(self.history),
        )

    def _follow_alerts(self, vitals: WallConnectorVitals) -> bool:
        """Fire an event for each alert that was not there at the last poll; return if any changed."""
        if vitals.evse_state is EvseState.BOOTING:
            # A booting unit lists no alerts; that is not the alerts clearing.
            return False
        current = frozenset(vitals.current_alerts)
        known, self._alerts = self._alerts, current
        if known is None:
            # Alerts present at the first poll ever predate us: recorded, not announced.
            return True
        for alert in sorted(current - known, key=str):
            if str(alert) in ROUTINE_ALERTS:
                continue
            self.hass.bus.async_fire(
                EVENT_CHARGER_ALERT,
                {
                    "device_id": self.device_id,
                    "serial_number": self.serial,
                    "alert": alert,
                    "alerts": sorted(current, key=str),
                    "evse_state": vitals.evse_state.key,
                },
            )
        return current != known

    def linked_currency(self) -> str | None:
        """Return the currency of the linked tariff entry (known from its kind, loaded or not)."""
        entry_id = self.config_entry.options.get(CONF_TARIFF_ENTRY)
        linked = self.hass.config_entries.async_get_entry(entry_id) if entry_id else None
        if linked is None:
            return None
        return CURRENCY_BY_KIND.get(EntryKind(linked.data[CONF_KIND]))

    def linked_tariff(self) -> TariffSource | None:
        """Return the linked tariff entry's prices, if the entry is loaded."""
        entry_id = self.config_entry.options.get(CONF_TARIFF_ENTRY)
        if not entry_id:
            return None
        linked = self.hass.config_entries.async_get_entry(entry_id)
        if linked is None or linked.state is not ConfigEntryState.LOADED:
            return None
        tariff: TariffSource | None = linked.runtime_data.tariff()
        return tariff

    def _next_poll_delay(self, data: WallConnectorState) -> timedelta:
        """Poll fast while a vehicle is connected (sessions are priced per poll)."""
        options = self.config_entry.options
        if data.vitals.vehicle_connected:
            return timedelta(
                seconds=options.get(CONF_VITALS_CONNECTED_S, DEFAULT_VITALS_CONNECTED_S)
            )
        return timedelta(seconds=options.get(CONF_VITALS_IDLE_S, DEFAULT_VITALS_IDLE_S))

    async def async_shutdown(self) -> None:
        """Write the session state before stopping."""
        await super().async_shutdown()
        if self._store is not None:
            await self._store.async_save(self._stored())


class WallConnectorLifetimeCoordinator(_WallConnectorCoordinator[WallConnectorLifetime]):
    """Polls the lifetime counters every minute, never letting energy go backwards."""

    what = "lifetime"
    energy_floor_wh: int | None = None
    _warned = False
    _store: Store[dict[str, Any]] | None = None

    async def async_shutdown(self) -> None:
        """Write the floor before stopping (a pending delayed save would be lost)."""
        await super().async_shutdown()
        if self._store is not None:
            await self._store.async_save({"energy_floor_wh": self.energy_floor_wh})

    async def _async_setup_source(self) -> None:
        """Load the highest lifetime energy seen before (it survives restarts)."""
        self._store = Store(self.hass, SESSION_STORE_VERSION, f"{DOMAIN}.lifetime.{self.serial}")
        stored = await self._store.async_load()
        self.energy_floor_wh = stored.get("energy_floor_wh") if stored else None

    async def _async_fetch(self) -> WallConnectorLifetime:
        """Read the counters; hold the energy counter if the unit reports it lower."""
        lifetime = await self.client.get_lifetime()
        energy = lifetime.energy_wh
        floor = self.energy_floor_wh
        if energy is not None and floor is not None and energy < floor:
            # Seen after reboots; passing it on would make the Energy Dashboard count a reset.
            if not self._warned:
                LOGGER.warning(
                    "Wall Connector %s reported lifetime energy %s Wh, below %s Wh seen before;"
                    " keeping the higher value",
                    self.serial,
                    energy,
                    floor,
                )
                self._warned = True
            energy = floor
        if energy is not None:
            self.energy_floor_wh = energy
        if energy != floor and self._store is not None:
            self._store.async_delay_save(lambda: {"energy_floor_wh": self.energy_floor_wh}, 10)
        return lifetime if energy == lifetime.energy_wh else replace(lifetime, energy_wh=energy)

    def _next_poll_delay(self, data: WallConnectorLifetime) -> timedelta:
        return WALL_CONNECTOR_LIFETIME_INTERVAL


@dataclass(frozen=True, kw_only=True)
class WallConnectorInfo:
    """Firmware and Wi-Fi: slow-changing facts about the unit."""

    version: WallConnectorVersion
    wifi: WallConnectorWifiStatus

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {"version": self.version.as_dict(), "wifi": self.wifi.as_dict()}


class WallConnectorInfoCoordinator(_WallConnectorCoordinator[WallConnectorInfo]):
    """Polls version and Wi-Fi every few minutes and keeps the device's firmware current."""

    what = "info"

    async def _async_fetch(self) -> WallConnectorInfo:
        """Read version and Wi-Fi status concurrently."""
        version, wifi = await asyncio.gather(
            self.client.get_version(), self.client.get_wifi_status()
        )
        registry = dr.async_get(self.hass)
        device = registry.async_get_device_by_identifier(
            (DOMAIN, self.serial), self.config_entry.entry_id
        )
        if device is not None and device.sw_version != version.firmware_version:
            registry.async_update_device(device.id, sw_version=version.firmware_version)
        return WallConnectorInfo(version=version, wifi=wifi)

    def _next_poll_delay(self, data: WallConnectorInfo) -> timedelta:
        return WALL_CONNECTOR_INFO_INTERVAL


@dataclass(kw_only=True)
class WallConnectorRuntime(SourceRuntime):
    """A Wall Connector: one coordinator per endpoint, so a slow one never delays the others."""

    vitals: WallConnectorVitalsCoordinator
    lifetime: WallConnectorLifetimeCoordinator
    info: WallConnectorInfoCoordinator


type WallConnectorConfigEntry = ConfigEntry[WallConnectorRuntime]


def vitals_of(runtime: WallConnectorRuntime) -> WallConnectorVitalsCoordinator:
    """Return the vitals (and sessions) coordinator."""
    return runtime.vitals


def lifetime_of(runtime: WallConnectorRuntime) -> WallConnectorLifetimeCoordinator:
    """Return the lifetime counters coordinator."""
    return runtime.lifetime


def info_of(runtime: WallConnectorRuntime) -> WallConnectorInfoCoordinator:
    """Return the version and Wi-Fi coordinator."""
    return runtime.info
