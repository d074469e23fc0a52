"""TOU sync: turn the linked Amber entry's prices into the Powerwall's tariff, safely.

Each sync: build the tariff (the planner refuses missing or stale prices), skip it when it
equals the last one sent or when this price interval already had an upload, upload, read the
site's tariff back and compare. Any failure leaves the previous tariff in place and raises a
repair issue; the next success clears it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.util import dt as dt_util

from ..clients.amber_models import ChannelType, Interval
from ..clients.errors import AuthenticationError, ClientError, RateLimitError
from ..clients.tesla_energy_models import SiteInfo
from ..comed.coordinator import ComEdData
from ..const import (
    CONF_AUTOMATIC,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    CONF_TARIFF_ENTRY,
    CURRENCY_BY_KIND,
    DOMAIN,
    LOGGER,
    PRICE_PERIOD,
    TOU_SITE_INFO_INTERVAL,
    TOU_SYNC_SECOND,
    EntryKind,
)
from ..coordinator import TesCoordinator, interval_start
from ..runtime import SourceRuntime
from ..tou.comed import build_comed_tariff
from ..tou.errors import MissingPrices, PlanError, StalePrices
from ..tou.planner import build_tariff
from ..tou.validate import same_rates

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..amber.coordinator import AmberData
    from ..clients.tesla_energy import TeslaEnergyClient
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
    """Reads the energy site every 30 minutes and syncs its tariff after each price change."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: TeslaEnergyClient
    ) -> None:
        """Keep the client; the sync timer starts with the first refresh."""
        self.client = client
        self.site_id = int(entry.data[CONF_ENERGY_SITE_ID])
        self._uploaded_slot: datetime | None = None
        self._sent_fingerprint: str | None = None
        self._blocked_until: datetime | None = None
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
        """Sync a little after every 5-minute price boundary while automatic sync is on."""
        self.config_entry.async_on_unload(
            async_track_utc_time_change(
                self.hass,
                self._async_scheduled_sync,
                minute=list(range(0, 60, int(PRICE_PERIOD.total_seconds() // 60))),
                second=TOU_SYNC_SECOND,
            )
        )

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

    async def _async_scheduled_sync(self, _now: datetime) -> None:
        if self.automatic and self.data is not None:
            await self.async_sync()

    async def async_sync(self, *, dry_run: bool = False) -> SyncResult:
        """Build and (unless dry run) upload the tariff; return what happened."""
        now = dt_util.utcnow()
        result = await self._sync(now, dry_run=dry_run)
        if not dry_run:
            self._record(result)
        return result

    async def _sync(self, now: datetime, *, dry_run: bool) -> SyncResult:
        prices = self._prices()
        if prices is None:
            return SyncResult(at=now, result="no_prices", detail="the linked tariff is not loaded")
        try:
            planned = self._plan(prices, now)
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

    def _prices(self) -> AmberData | ComEdData | None:
        entry_id = self.config_entry.data[CONF_TARIFF_ENTRY]
        linked = self.hass.config_entries.async_get_entry(entry_id)
        if linked is None or linked.state is not ConfigEntryState.LOADED:
            return None
        prices = linked.runtime_data.tariff()
        if prices is None or not prices.last_update_success or prices.data is None:
            return None
        data: AmberData | ComEdData = prices.data
        return data

    def _plan(self, prices: AmberData | ComEdData, now: datetime) -> PlannedTariff:
        if isinstance(prices, ComEdData):
            # ComEd's hourly prices are Chicago's; the tariff is hourly, duplicated per half hour.
            return build_comed_tariff(prices.recent, now=now)
        return self._plan_amber(prices, now)

    def _plan_amber(self, prices: AmberData, now: datetime) -> PlannedTariff:
        def channel(kind: ChannelType) -> list[Interval] | None:
            found = prices.channels.get(kind)
            if found is None:
                return None
            items: list[Interval] = [found.current, *found.forecasts]
            if found.previous is not None:
                items.insert(0, found.previous)
            if found.next is not None:
                items.append(found.next)
            return items

        general = channel(ChannelType.GENERAL) or []
        feed_in = channel(ChannelType.FEED_IN)
        if feed_in is None and prices.site.has_channel(ChannelType.FEED_IN):
            feed_in = []  # the site has feed-in but this payload lacked it: the planner refuses
        site_tz = self.data.time_zone if self.data else None
        if site_tz is None:
            # Without the site's zone the half hours cannot be placed; never guess one.
            raise PlanError("the energy site reports no installation_time_zone")
        return build_tariff(general, feed_in, now=now, site_tz=site_tz)

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
