"""A cloud energy site's coordinators: power, settings and tariff, energy from history.

Live status every 30 s (an option), site_info every 5 minutes, the day's history every 5 minutes; all
through the Tesla account's session.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from datetime import timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..clients._json import enum_or_none
from ..clients.errors import RequestError
from ..clients.site_settings import GridExportRule, OperatingMode
from ..clients.tesla_energy_models import EnergyHistory, SiteInfo
from ..const import CLOUD_SETTINGS_INTERVAL, CONF_ENERGY_SITE_ID, CONF_POLL_INTERVAL, DOMAIN, LOGGER
from ..coordinator import Showable, TesCoordinator
from ..powerwall.cloud import CloudSettings
from ..runtime import SourceRuntime
from .energy import MAX_CATCH_UP_DAYS, DayTotals, EnergyLedger, day_totals
from .tariff import SiteTariff, TariffRate, TariffShapeError

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..clients.tesla_energy import TeslaEnergyClient
    from .control import SiteControl

# The gateway of the site (from the account's product list): what links it to a local entry.
CONF_GATEWAY_DIN: Final = "gateway_din"
# Live status: every 30 s by default and at the fastest, at most hourly. Each read is a billed
# data request on the Fleet API (docs/tesla-energy-api.md#rate-limits), so it is an option.
LIVE_INTERVAL: Final = timedelta(seconds=30)
MAX_LIVE_INTERVAL: Final = timedelta(hours=1)
HISTORY_INTERVAL: Final = timedelta(minutes=5)
STORE_VERSION: Final = 1
# A ledger change waits this long before it is written; shutdown writes it at once.
STORE_DELAY_S: Final = 10
_GRID_STATES: Final = {"Active": True, "Inactive": False}


class IslandStatus(StrEnum):
    """Whether the site runs on or off the grid (live_status `island_status`)."""

    ON_GRID = "on_grid"
    OFF_GRID = "off_grid"
    OFF_GRID_INTENTIONAL = "off_grid_intentional"
    OFF_GRID_UNINTENTIONAL = "off_grid_unintentional"


# Tesla's own "cannot tell": unknown, but nothing wrong with the answer.
_ISLAND_UNKNOWN: Final = "island_status_unknown"


def live_interval(options: Mapping[str, Any]) -> timedelta:
    """Return the live status interval the options ask for, within its bounds."""
    seconds = options.get(CONF_POLL_INTERVAL, LIVE_INTERVAL.total_seconds())
    return min(MAX_LIVE_INTERVAL, max(LIVE_INTERVAL, timedelta(seconds=seconds)))


def site_prefix(site_id: int) -> str:
    """Return the identity of a site's device and the prefix of its entities' unique ids."""
    return f"energy_site_{site_id}"


def site_device(entry: ConfigEntry[Any]) -> DeviceInfo:
    """Return the device of a cloud energy site; its serial is the site's gateway DIN."""
    return DeviceInfo(
        identifiers={(DOMAIN, site_prefix(int(entry.data[CONF_ENERGY_SITE_ID])))},
        name=entry.title,
        manufacturer="Tesla",
        model="Energy site (Tesla cloud)",
        serial_number=entry.data.get(CONF_GATEWAY_DIN),
    )


class _SiteCoordinator[DataT: Showable](TesCoordinator[DataT]):
    """What the site's coordinators share: the client, the site, and values refused."""

    what: str

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: TeslaEnergyClient
    ) -> None:
        """Keep the client and the site; every entity joins the site's device."""
        self.client = client
        self.site_id = int(entry.data[CONF_ENERGY_SITE_ID])
        # Values of the right type that no entity can take (a charge of 140 %, a new enum).
        self.rejected: Counter[str] = Counter()
        super().__init__(
            hass,
            entry,
            name=f"Energy site {entry.title} {self.what}",
            unique_prefix=site_prefix(self.site_id),
            device_info=site_device(entry),
        )

    def _reject(self, field: str, value: object, count: int = 1) -> None:
        """Count a refused value; the first of each field is logged, the rest only counted."""
        if not self.rejected[field]:
            LOGGER.warning(
                "Tesla energy site %s sent %s = %r, which no entity can show; it reads as unknown",
                self.site_id,
                field,
                value,
            )
        self.rejected[field] += count

    def _within(
        self, field: str, value: float | None, low: float, high: float | None = None
    ) -> float | None:
        """Return a number inside its range, or None (counted) outside it."""
        if value is None or (low <= value and (high is None or value <= high)):
            return value
        self._reject(field, value)
        return None

    def _enum[E: StrEnum](self, field: str, enum: type[E], value: str | None) -> E | None:
        """Return a known enum member, or None (counted unless the site sent nothing)."""
        member = None if value is None else enum_or_none(enum, value)
        if value is not None and member is None:
            self._reject(field, value)
        return member

    def diagnostics(self) -> dict[str, Any]:
        """Add the values refused, by field."""
        return {**super().diagnostics(), "rejected": dict(self.rejected)}


# --- live status ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SiteLive:
    """Power (W; battery + discharging, grid + importing), charge and grid state now."""

    solar_w: float | None
    battery_w: float | None
    grid_w: float | None
    load_w: float | None
    battery_level_pct: float | None
    energy_left_wh: float | None
    pack_energy_wh: float | None
    grid_up: bool | None
    island_status: IslandStatus | None
    storm_watch: bool | None
    timestamp: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {
            **{key: value for key, value in vars(self).items() if key != "timestamp"},
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
        }


class EnergySiteLiveCoordinator(_SiteCoordinator[SiteLive]):
    """Reads live_status every 30 s."""

    what = "live status"

    async def _async_fetch(self) -> SiteLive:
        status = await self.client.live_status(self.site_id)
        grid = status.grid_status
        grid_up = _GRID_STATES.get(grid) if grid is not None else None
        if grid is not None and grid_up is None:
            self._reject("grid_status", grid)
        island = status.island_status
        return SiteLive(
            solar_w=status.solar_power,
            battery_w=status.battery_power,
            grid_w=status.grid_power,
            load_w=status.load_power,
            battery_level_pct=self._within("percentage_charged", status.percentage_charged, 0, 100),
            energy_left_wh=self._within("energy_left", status.energy_left, 0),
            pack_energy_wh=self._within("total_pack_energy", status.total_pack_energy, 0),
            grid_up=grid_up,
            island_status=self._enum(
                "island_status", IslandStatus, None if island == _ISLAND_UNKNOWN else island
            ),
            storm_watch=status.storm_mode_active,
            timestamp=status.timestamp,
        )

    def _next_poll_delay(self, data: SiteLive) -> timedelta:
        return live_interval(self.config_entry.options)


# --- settings and tariff --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SiteState:
    """The site's settings, the tariff it holds and the zone that tariff is written in."""

    settings: CloudSettings
    tariff: SiteTariff | None
    time_zone: tzinfo | None
    gateway_dins: tuple[str, ...]

    def rate(self, *, sell: bool = False) -> TariffRate | None:
        """Return the buy (or sell) rate of the site's tariff in force now."""
        if self.tariff is None or self.time_zone is None:
            return None
        return self.tariff.rate_at(dt_util.now(self.time_zone), sell=sell)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {
            "settings": self.settings.as_dict(),
            "tariff": self.tariff.as_dict() if self.tariff else None,
            "time_zone": str(self.time_zone) if self.time_zone else None,
            "gateway_dins": list(self.gateway_dins),
        }


class EnergySiteInfoCoordinator(_SiteCoordinator[SiteState]):
    """Reads site_info every 5 minutes and after each command; re-renders as tariff periods turn."""

    what = "settings"
    _unsub_turn: CALLBACK_TYPE | None = None

    async def _async_fetch(self) -> SiteState:
        info = await self.client.site_info(self.site_id)
        # Resolved off the event loop: a first ZoneInfo lookup reads a file.
        zone = (
            await dt_util.async_get_time_zone(info.installation_time_zone)
            if info.installation_time_zone
            else None
        )
        return SiteState(
            settings=self._settings(info),
            tariff=self._tariff(info),
            time_zone=zone,
            gateway_dins=info.gateway_dins,
        )

    async def async_read(self) -> SiteState:
        """Read site_info now (after a command) and publish what it says."""
        state = await self._async_fetch()
        self.async_set_updated_data(state)
        return state

    def _settings(self, info: SiteInfo) -> CloudSettings:
        settings = CloudSettings.from_site_info(info)
        mode = self._enum("default_real_mode", OperatingMode, settings.operating_mode)
        rule = self._enum("customer_preferred_export_rule", GridExportRule, settings.export_rule)
        return CloudSettings(
            backup_reserve_pct=self._within(
                "backup_reserve_percent", settings.backup_reserve_pct, 0, 100
            ),
            operating_mode=None if mode is None else mode.value,
            export_rule=None if rule is None else rule.value,
            grid_charging=settings.grid_charging,
        )

    def _tariff(self, info: SiteInfo) -> SiteTariff | None:
        """Read the v2 tariff, else the legacy one; one that cannot be read is counted."""
        legacy = info.tariff_content_v2 is None
        raw = info.tariff_content if legacy else info.tariff_content_v2
        if raw is None:
            return None
        try:
            return SiteTariff.parse(raw, legacy=legacy)
        except TariffShapeError as err:
            self._reject("tariff", str(err))
            return None

    @callback
    def async_update_listeners(self) -> None:
        """Tell the listeners, and again when the tariff's period next turns."""
        self._schedule_turn()
        super().async_update_listeners()

    @callback
    def _schedule_turn(self) -> None:
        if self._unsub_turn is not None:
            self._unsub_turn()
            self._unsub_turn = None
        state = self.data
        if not self.last_update_success or state is None:
            return
        if state.tariff is None or state.time_zone is None:
            return  # no rate to show, so none to turn
        turn = state.tariff.next_change(dt_util.now(state.time_zone))
        self._unsub_turn = async_track_point_in_utc_time(self.hass, self._turned, turn)

    @callback
    def _turned(self, _now: dt.datetime) -> None:
        self._unsub_turn = None
        self.async_update_listeners()

    async def async_shutdown(self) -> None:
        """Stop the period timer too."""
        if self._unsub_turn is not None:
            self._unsub_turn()
            self._unsub_turn = None
        await super().async_shutdown()

    def _next_poll_delay(self, data: SiteState) -> timedelta:
        return CLOUD_SETTINGS_INTERVAL


# --- energy ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SiteEnergy:
    """The energy counters (Wh), and the local day the history last reported."""

    day: dt.date | None
    wh: Mapping[str, float]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {"day": self.day.isoformat() if self.day else None, "wh": dict(self.wh)}


class EnergySiteHistoryCoordinator(_SiteCoordinator[SiteEnergy]):
    """Reads the day's energy history every 5 minutes into counters that never drop."""

    what = "energy"
    ledger: EnergyLedger
    _store: Store[dict[str, Any]] | None = None

    async def _async_setup_source(self) -> None:
        """Restore the ledger: the counters continue where they were."""
        self._store = Store(self.hass, STORE_VERSION, f"{DOMAIN}.energy_site.{self.site_id}")
        self.ledger = EnergyLedger.from_dict(await self._store.async_load())

    async def _async_fetch(self) -> SiteEnergy:
        history = await self.client.energy_history(self.site_id)
        totals = day_totals(history)
        if totals is not None:
            await self._count(totals, history)
        # Before the first interval of the first day there is nothing to show yet.
        known = self.ledger.day is not None
        return SiteEnergy(day=self.ledger.day, wh=self.ledger.totals() if known else {})

    async def _count(self, totals: DayTotals, history: EnergyHistory) -> None:
        """Add an answer to the ledger, closing the days that ended since the last one."""
        if totals.negative:
            self._reject("negative_energy", "a negative reading", totals.negative)
        current = self.ledger
        if current.day is None:
            ledger = EnergyLedger()
            ledger.start(totals)
        elif totals.day == current.day:
            ledger = EnergyLedger(current.day, dict(current.today), dict(current.base))
            ledger.same_day(totals)
        elif totals.day > current.day:
            # Built aside: a failed request for a past day leaves the ledger as it was.
            ledger = await self._closed(current, totals, history)
        else:
            return  # an answer for a day already closed: keep counting the later one
        self.ledger = ledger
        if self._store is not None:
            self._store.async_delay_save(self.ledger.as_dict, STORE_DELAY_S)

    async def _closed(
        self, current: EnergyLedger, totals: DayTotals, history: EnergyHistory
    ) -> EnergyLedger:
        """Return the ledger with the days from the counted one up to yesterday closed."""
        assert current.day is not None  # noqa: S101 - only a ledger that counts a day closes it
        name = history.installation_time_zone
        # Past days end at their own midnight: the site's zone, else today's offset.
        zone = (await dt_util.async_get_time_zone(name) if name else None) or (
            history.time_series[0].timestamp.tzinfo
        )
        ledger = EnergyLedger(current.day, dict(current.today), dict(current.base))
        ledger.close(await self._final(current.day, zone))
        day = max(current.day + timedelta(days=1), totals.day - timedelta(days=MAX_CATCH_UP_DAYS))
        while day < totals.day:
            if (missed := await self._final(day, zone)) is not None:
                ledger.add_missed(missed)
            day += timedelta(days=1)
        ledger.start(totals)
        return ledger

    async def _final(self, day: dt.date, zone: tzinfo | None) -> DayTotals | None:
        """Return a past day's final totals, or None when Tesla cannot give them.

        A refusal (4xx) means the day is out of reach; trouble reaching Tesla fails the
        poll, so the day is closed on a later one.
        """
        last_second = dt.datetime.combine(day, dt.time(23, 59, 59), zone or dt.UTC)
        try:
            history = await self.client.energy_history(self.site_id, end_date=last_second)
        except RequestError:
            return None
        final = day_totals(history)
        # A service that ignores end_date answers for today: not that day's total.
        return final if final is not None and final.day == day else None

    def _next_poll_delay(self, data: SiteEnergy) -> timedelta:
        return HISTORY_INTERVAL

    async def async_shutdown(self) -> None:
        """Write the ledger before stopping (a reload reads it back at once)."""
        await super().async_shutdown()
        if self._store is not None:
            await self._store.async_save(self.ledger.as_dict())


@dataclass(kw_only=True)
class EnergySiteRuntime(SourceRuntime):
    """A cloud energy site: live power, settings and tariff, energy counters, and control."""

    live: EnergySiteLiveCoordinator
    settings: EnergySiteInfoCoordinator
    energy: EnergySiteHistoryCoordinator
    control: SiteControl
    # The site's gateway: the same Powerwall as a local gateway entry with this DIN, if any.
    gateway_din: str | None


def live_of(runtime: EnergySiteRuntime) -> EnergySiteLiveCoordinator:
    """Return the coordinator of live_status."""
    return runtime.live


def settings_of(runtime: EnergySiteRuntime) -> EnergySiteInfoCoordinator:
    """Return the coordinator of site_info (settings and tariff)."""
    return runtime.settings


def energy_of(runtime: EnergySiteRuntime) -> EnergySiteHistoryCoordinator:
    """Return the coordinator of the energy counters."""
    return runtime.energy
