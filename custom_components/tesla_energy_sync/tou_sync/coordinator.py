"""TOU sync: turn the linked tariff entry's prices into the Powerwall's tariff, safely.

Automatic sync listens to the linked tariff and syncs once per price interval: as soon as the
interval's price is final, or at a deadline with what it has. Each sync: build the tariff (the
planner refuses missing or stale prices), skip it when it equals the last one sent or when this
price interval already had an upload, upload, read the site's tariff back and compare. Any
failure leaves the previous tariff in place and raises a repair issue; the next success clears it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..clients.errors import AuthenticationError, ClientError, RateLimitError
from ..clients.tesla_energy_models import SiteInfo
from ..const import (
    CONF_AUTOMATIC,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    CURRENCY_BY_KIND,
    DOMAIN,
    LOGGER,
    PRICE_PERIOD,
    TOU_FINAL_DEADLINE,
    TOU_SITE_INFO_INTERVAL,
    TOU_SYNC_DEBOUNCE,
    EntryKind,
)
from ..coordinator import TesCoordinator, interval_start, next_aligned
from ..runtime import SourceRuntime
from ..tariff import Billing
from ..tou.comed import plan_hourly_tariff
from ..tou.errors import MissingPrices, PlanError, StalePrices
from ..tou.models import PlanOptions
from ..tou.planner import plan_tariff
from ..tou.validate import same_rates

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..clients.tesla_energy import TeslaEnergyClient
    from ..tariff import PriceSeries, TariffSource
    from ..tou.models import PlannedTariff


@dataclass(frozen=True, kw_only=True)
class SyncResult:
    """What one sync attempt did."""

    at: datetime
    result: str
    detail: str | None = None
    planned: PlannedTariff | None = None
    uploaded: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return JSON-safe data (service response, attributes, diagnostics)."""
        return {
            "at": self.at.isoformat(),
            "result": self.result,
            "detail": self.detail,
            "uploaded": self.uploaded,
            "fingerprint": self.planned.fingerprint if self.planned else None,
            "slots": [slot.as_dict() for slot in self.planned.slots] if self.planned else None,
            "tariff": self.planned.tariff if self.planned else None,
        }


@dataclass(frozen=True, kw_only=True)
class TouSyncState:
    """The site as last read, and the last sync attempt and upload."""

    site: SiteInfo
    time_zone: tzinfo | None
    last_attempt: SyncResult | None = None
    last_upload: SyncResult | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {
            "time_zone": self.site.installation_time_zone,
            "default_real_mode": self.site.default_real_mode,
            "last_attempt": self.last_attempt.as_dict() if self.last_attempt else None,
            "last_upload": self.last_upload.as_dict() if self.last_upload else None,
        }


class TouSyncCoordinator(TesCoordinator[TouSyncState]):
    """Reads the energy site every 30 minutes and syncs its tariff once per price interval."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: TeslaEnergyClient
    ) -> None:
        """Keep the client; the tariff is followed from the first refresh on."""
        self.client = client
        self.site_id = int(entry.data[CONF_ENERGY_SITE_ID])
        self._uploaded_slot: datetime | None = None
        self._sent_fingerprint: str | None = None
        self._blocked_until: datetime | None = None
        # The price interval automatic sync last ran for: once per interval, final or deadline.
        self._attempted_slot: datetime | None = None
        self._unsub_tariff: CALLBACK_TYPE | None = None
        self._unsub_deadline: CALLBACK_TYPE | None = None
        # A final price arrives with other updates close by (its forecasts, a re-render);
        # the sync waits for them to settle and reads the series once.
        self._final_debouncer: Debouncer[Any] = Debouncer(
            hass,
            LOGGER,
            cooldown=TOU_SYNC_DEBOUNCE.total_seconds(),
            immediate=False,
            function=self._async_final_sync,
        )
        super().__init__(
            hass,
            entry,
            name=f"TOU sync {self.site_id}",
            unique_prefix=f"tou_{self.site_id}",
            device_info=DeviceInfo(
                identifiers={(DOMAIN, f"tou_{self.site_id}")},
                name=entry.title,
                manufacturer="Tesla Energy Sync",
                model="Time-of-use tariff sync",
                entry_type=DeviceEntryType.SERVICE,
            ),
        )

    async def _async_setup_source(self) -> None:
        """Follow the linked tariff (across its reloads) and arm the per-interval deadline."""
        if (linked := self._linked_entry()) is not None:
            # The callback list survives the linked entry's reloads, so each new coordinator
            # it builds is followed; it is removed when this entry unloads.
            self.config_entry.async_on_unload(
                linked.async_on_state_change(self._linked_state_changed)
            )
        self._follow_tariff()
        self._arm_deadline()

    def _linked_entry(self) -> ConfigEntry[Any] | None:
        return self.hass.config_entries.async_get_entry(self.config_entry.data[CONF_TARIFF_ENTRY])

    def _tariff_source(self) -> TariffSource | None:
        """Return the linked entry's prices while it is loaded."""
        linked = self._linked_entry()
        if linked is None or linked.state is not ConfigEntryState.LOADED:
            return None
        source: TariffSource | None = linked.runtime_data.tariff()
        return source

    @callback
    def _linked_state_changed(self) -> None:
        """Follow the tariff's new coordinator once it is loaded again; drop the old one."""
        self._follow_tariff()

    @callback
    def _follow_tariff(self) -> None:
        self._stop_following()
        if (source := self._tariff_source()) is not None:
            self._unsub_tariff = source.async_add_listener(self._tariff_updated)

    @callback
    def _stop_following(self) -> None:
        if self._unsub_tariff is not None:
            self._unsub_tariff()
            self._unsub_tariff = None

    @callback
    def _tariff_updated(self) -> None:
        """Sync soon once this interval's price is final (the deadline covers the rest)."""
        if not self.automatic or self.data is None:
            return
        now = dt_util.utcnow()
        if interval_start(now, PRICE_PERIOD) == self._attempted_slot:
            return
        if self._final(now):
            self._final_debouncer.async_schedule_call()

    def _final(self, now: datetime) -> bool:
        """Return whether the linked tariff's price for the interval at `now` is final."""
        source = self._tariff_source()
        current = None if source is None else source.current(now)
        # A source that publishes after the fact (ComEd) is final for this interval once its
        # newest price is the one that closed at its start.
        return (
            current is not None
            and not current.estimate
            and current.end >= interval_start(now, PRICE_PERIOD)
        )

    async def _async_final_sync(self) -> None:
        await self._async_automatic_sync(final_only=True)

    @callback
    def _arm_deadline(self) -> None:
        when = next_aligned(dt_util.utcnow(), PRICE_PERIOD, TOU_FINAL_DEADLINE)
        self._unsub_deadline = async_track_point_in_utc_time(self.hass, self._deadline, when)

    @callback
    def _deadline(self, _now: datetime) -> None:
        """Sync with what the tariff has when no final price came in time."""
        self._arm_deadline()
        if self.automatic and self.data is not None:
            self.config_entry.async_create_background_task(
                self.hass, self._async_automatic_sync(final_only=False), "tou sync deadline"
            )

    async def _async_automatic_sync(self, *, final_only: bool) -> None:
        """Run this interval's automatic sync, unless it ran (or automatic sync went off)."""
        now = dt_util.utcnow()
        slot = interval_start(now, PRICE_PERIOD)
        if not self.automatic or self.data is None or slot == self._attempted_slot:
            return
        if final_only and not self._final(now):
            return
        self._attempted_slot = slot
        await self.async_sync()

    async def async_shutdown(self) -> None:
        """Stop following the tariff and the deadline too."""
        self._stop_following()
        if self._unsub_deadline is not None:
            self._unsub_deadline()
            self._unsub_deadline = None
        self._final_debouncer.async_shutdown()
        await super().async_shutdown()

    async def _async_fetch(self) -> TouSyncState:
        """Read the site (time zone, current tariff); keep the sync history."""
        site = await self.client.site_info(self.site_id)
        # Resolved off the event loop: a first ZoneInfo lookup reads a file.
        zone = (
            await dt_util.async_get_time_zone(site.installation_time_zone)
            if site.installation_time_zone
            else None
        )
        previous: TouSyncState | None = self.data  # None before the first refresh
        if previous is None:
            return TouSyncState(site=site, time_zone=zone)
        return replace(previous, site=site, time_zone=zone)

    def _next_poll_delay(self, data: TouSyncState) -> timedelta:
        return TOU_SITE_INFO_INTERVAL

    @property
    def currency(self) -> str:
        """Return the currency of the linked tariff (the planned prices are in it)."""
        linked = self.hass.config_entries.async_get_entry(self.config_entry.data[CONF_TARIFF_ENTRY])
        kind = EntryKind(linked.data[CONF_KIND]) if linked else EntryKind.AMBER
        return CURRENCY_BY_KIND.get(kind, "AUD")

    @property
    def automatic(self) -> bool:
        """Return whether automatic sync is on (kept in the entry's options)."""
        return bool(self.config_entry.options.get(CONF_AUTOMATIC, False))

    async def async_set_automatic(self, on: bool) -> None:
        """Turn automatic sync on or off (kept across restarts); turning it on syncs now."""
        self.hass.config_entries.async_update_entry(
            self.config_entry, options={**self.config_entry.options, CONF_AUTOMATIC: on}
        )
        if on:
            await self.async_sync()
        else:
            self.async_update_listeners()

    async def async_sync(self, *, dry_run: bool = False) -> SyncResult:
        """Build and (unless dry run) upload the tariff; return what happened."""
        now = dt_util.utcnow()
        result = await self._sync(now, dry_run=dry_run)
        if not dry_run:
            self._record(result)
        return result

    async def _sync(self, now: datetime, *, dry_run: bool) -> SyncResult:
        source = self._tariff_source()
        series = None if source is None else source.series
        if source is None or series is None:
            return SyncResult(at=now, result="no_prices", detail="the linked tariff is not loaded")
        if source.current(now) is None:
            # Its newest answer ended before now: planning from it would present old prices
            # as the current ones.
            return SyncResult(
                at=now, result="stale_prices", detail="the linked tariff has no price for now"
            )
        try:
            planned = self._plan(series, now)
        except MissingPrices as err:
            return SyncResult(at=now, result="missing_prices", detail=str(err))
        except StalePrices as err:
            return SyncResult(at=now, result="stale_prices", detail=str(err))
        except PlanError as err:
            return SyncResult(at=now, result="invalid_tariff", detail=str(err))
        if dry_run:
            return SyncResult(at=now, result="dry_run", planned=planned)
        if planned.fingerprint == self._sent_fingerprint:
            return SyncResult(at=now, result="unchanged", planned=planned)
        slot = interval_start(now, PRICE_PERIOD)
        if slot == self._uploaded_slot:
            return SyncResult(at=now, result="already_synced", planned=planned)
        if self._blocked_until is not None and now < self._blocked_until:
            return SyncResult(at=now, result="rate_limited", planned=planned)
        return await self._upload(planned, now, slot)

    def _plan(self, series: PriceSeries, now: datetime) -> PlannedTariff:
        if series.billing is Billing.HOURLY_AVERAGE:
            # ComEd's hourly prices are Chicago's; the tariff is hourly, duplicated per half hour.
            return plan_hourly_tariff(series.intervals, now=now)
        site_tz = self.data.time_zone if self.data else None
        if site_tz is None:
            # Without the site's zone the half hours cannot be placed; never guess one.
            raise PlanError("the energy site reports no installation_time_zone")
        return plan_tariff(
            series.intervals,
            exports=series.exports,
            now=now,
            site_tz=site_tz,
            options=PlanOptions(currency=series.currency),
        )

    async def _upload(self, planned: PlannedTariff, now: datetime, slot: datetime) -> SyncResult:
        try:
            await self.client.set_time_of_use(self.site_id, planned.tariff)
        except AuthenticationError as err:
            self.config_entry.async_start_reauth(self.hass)
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"source": self.name},
            ) from err
        except RateLimitError as err:
            self._blocked_until = now + timedelta(seconds=err.retry_after)
            return SyncResult(at=now, result="rate_limited", detail=str(err), planned=planned)
        except ClientError as err:
            return SyncResult(at=now, result="upload_failed", detail=str(err), planned=planned)
        # Sent: whatever the read-back says, this interval has had its upload.
        self._uploaded_slot = slot
        try:
            read_back = await self.client.site_info(self.site_id)
        except ClientError as err:
            if isinstance(err, RateLimitError):
                self._blocked_until = now + timedelta(seconds=err.retry_after)
            return SyncResult(
                at=now, result="unverified", detail=str(err), planned=planned, uploaded=True
            )
        if not same_rates(planned.tariff, read_back.tariff_content_v2):
            return SyncResult(
                at=now,
                result="read_back_mismatch",
                detail="the site's tariff differs from the one sent",
                planned=planned,
                uploaded=True,
            )
        self._sent_fingerprint = planned.fingerprint
        return SyncResult(at=now, result="uploaded", planned=planned, uploaded=True)

    def _record(self, result: SyncResult) -> None:
        """Keep the result, log it, and raise or clear the repair issue."""
        assert self.data is not None  # noqa: S101 - syncs run after the first refresh
        issue_id = f"tou_sync_failed_{self.config_entry.entry_id}"
        if result.result in {"uploaded", "unchanged", "already_synced"}:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        else:
            LOGGER.warning(
                "TOU sync for site %s did not upload (%s: %s); the previous tariff stays",
                self.site_id,
                result.result,
                result.detail,
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="tou_sync_failed",
                translation_placeholders={
                    "site": self.config_entry.title,
                    "result": result.result,
                    "detail": result.detail or "",
                },
            )
        self.async_set_updated_data(
            replace(
                self.data,
                last_attempt=result,
                last_upload=result if result.uploaded else self.data.last_upload,
            )
        )


@dataclass(kw_only=True)
class TouSyncRuntime(SourceRuntime):
    """TOU sync of one energy site: one coordinator that reads the site and uploads tariffs."""

    tou: TouSyncCoordinator


type TouSyncConfigEntry = ConfigEntry[TouSyncRuntime]


def tou_of(runtime: TouSyncRuntime) -> TouSyncCoordinator:
    """Return the coordinator every TOU sync entity reads."""
    return runtime.tou
