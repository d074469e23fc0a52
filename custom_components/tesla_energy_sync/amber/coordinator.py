"""Amber Electric coordinator: current prices on each 5-minute boundary, forecasts alongside."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from ..clients.amber_models import (
    ActualInterval,
    ChannelType,
    CurrentInterval,
    ForecastInterval,
    Interval,
    Site,
)
from ..clients.errors import ResponseError
from ..const import (
    AMBER_ESTIMATE_BACKOFF,
    AMBER_FORECAST_HORIZON,
    AMBER_FORECAST_INTERVALS,
    AMBER_MIN_REMAINING_FOR_REPOLL,
    AMBER_POLL_OFFSET,
    CONF_SITE_ID,
    DOMAIN,
    LOGGER,
    PRICE_PERIOD,
)
from ..coordinator import PriceCoordinator, interval_start, next_aligned
from ..runtime import SourceRuntime
from ..tariff import PriceSeries, amber_series, amber_start

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..clients.amber import AmberClient
    from ..tariff import TariffSource


@dataclass(frozen=True, kw_only=True)
class AmberChannelPrices:
    """Prices of one channel (general, controlled load or feed-in) at one moment."""

    current: CurrentInterval
    previous: ActualInterval | None
    next: ForecastInterval | None
    forecasts: tuple[ForecastInterval, ...]

    def intervals(self) -> list[Interval]:
        """Return every interval of the channel: previous, current, next, then forecasts."""
        before: list[Interval] = [] if self.previous is None else [self.previous]
        after: list[Interval] = [] if self.next is None else [self.next]
        return [*before, self.current, *after, *self.forecasts]

    def in_force(self, now: datetime) -> CurrentInterval | ForecastInterval | None:
        """Return Amber's own interval behind the series' current one at `now`, if any."""
        for interval in (self.current, self.next):
            if interval is not None and amber_start(interval) <= now < interval.nem_time:
                return interval
        return None


@dataclass(frozen=True, kw_only=True)
class AmberData:
    """Everything the Amber entities show."""

    site: Site
    channels: dict[ChannelType, AmberChannelPrices]
    fetched_at: datetime

    @property
    def general(self) -> AmberChannelPrices:
        """Return the general (import) channel, which every site has."""
        return self.channels[ChannelType.GENERAL]

    @cached_property
    def series(self) -> PriceSeries:
        """Return general (import) and feed-in (export) prices as the normalised series."""
        return amber_series(
            [
                interval
                for channel in (ChannelType.GENERAL, ChannelType.FEED_IN)
                if (prices := self.channels.get(channel)) is not None
                for interval in prices.intervals()
            ],
            exports=self.site.has_channel(ChannelType.FEED_IN),
        )

    @cached_property
    def controlled_load(self) -> PriceSeries | None:
        """Return the controlled-load circuit's prices as a series of their own, if any."""
        prices = self.channels.get(ChannelType.CONTROLLED_LOAD)
        if prices is None:
            return None
        return amber_series(
            prices.intervals(), exports=False, import_channel=ChannelType.CONTROLLED_LOAD
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {
            "site": self.site.as_dict(),
            "fetched_at": self.fetched_at.isoformat(),
            "channels": {
                str(channel): {
                    "current": prices.current.as_dict(),
                    "previous": prices.previous.as_dict() if prices.previous else None,
                    "next": prices.next.as_dict() if prices.next else None,
                    "forecast_count": len(prices.forecasts),
                }
                for channel, prices in self.channels.items()
            },
        }


@dataclass
class _PollState:
    """What the scheduler remembers between polls."""

    slot: datetime | None = None
    estimate_polls: int = 0
    forecasts: dict[ChannelType, tuple[ForecastInterval, ...]] = field(default_factory=dict)
    forecasts_slot: datetime | None = None


def _group(intervals: list[Interval]) -> dict[ChannelType, list[Interval]]:
    grouped: dict[ChannelType, list[Interval]] = {}
    for interval in intervals:
        grouped.setdefault(interval.channel_type, []).append(interval)
    return grouped


class AmberCoordinator(PriceCoordinator[AmberData]):
    """Polls one Amber site a few seconds after each 5-minute price boundary."""

    site: Site

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], client: AmberClient) -> None:
        """Keep the client; the site is looked up on the first refresh."""
        self.client = client
        self.site_id: str = entry.data[CONF_SITE_ID]
        self._state = _PollState()
        super().__init__(
            hass,
            entry,
            name=f"Amber Electric {self.site_id}",
            unique_prefix=self.site_id,
            device_info=DeviceInfo(
                identifiers={(DOMAIN, f"amber_{self.site_id}")},
                name=entry.title,
                manufacturer="Amber Electric",
                entry_type=DeviceEntryType.SERVICE,
                configuration_url="https://app.amber.com.au",
            ),
        )

    async def _async_setup_source(self) -> None:
        """Find the configured site among the token's sites (channels and interval length)."""
        for site in await self.client.get_sites():
            if site.id == self.site_id:
                self.site = site
                self.device_info["model"] = f"{site.network} site"
                return
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="site_not_found",
            translation_placeholders={"site_id": self.site_id},
        )

    async def _async_fetch(self) -> AmberData:
        """Fetch current prices, and 48 h of 30-minute forecasts once per interval."""
        now = self.poll_moment
        slot = interval_start(now, PRICE_PERIOD)
        if slot != self._state.slot:
            self._state.slot = slot
            self._state.estimate_polls = 0
        resolution = self.site.interval_length
        if resolution == 30:
            # At 30-minute resolution one request carries the current price and the forecast.
            current = await self.client.get_current_prices(
                self.site_id, previous=1, next=AMBER_FORECAST_INTERVALS, resolution=30
            )
            self._store_forecasts(current, slot, now)
        else:
            current = await self.client.get_current_prices(
                self.site_id, previous=1, next=1, resolution=resolution
            )
            if self._state.forecasts_slot != slot:
                forecast = await self.client.get_current_prices(
                    self.site_id, next=AMBER_FORECAST_INTERVALS, resolution=30
                )
                self._store_forecasts(forecast, slot, now)
        return self._build(current, now)

    def _store_forecasts(self, intervals: list[Interval], slot: datetime, now: datetime) -> None:
        horizon = now + AMBER_FORECAST_HORIZON
        self._state.forecasts = {
            channel: tuple(
                i for i in items if isinstance(i, ForecastInterval) and i.start_time < horizon
            )
            for channel, items in _group(intervals).items()
        }
        self._state.forecasts_slot = slot

    def _build(self, intervals: list[Interval], now: datetime) -> AmberData:
        channels: dict[ChannelType, AmberChannelPrices] = {}
        for channel, items in _group(intervals).items():
            current = next((i for i in items if isinstance(i, CurrentInterval)), None)
            if current is None:
                continue
            channels[channel] = AmberChannelPrices(
                current=current,
                previous=next((i for i in reversed(items) if isinstance(i, ActualInterval)), None),
                next=next((i for i in items if isinstance(i, ForecastInterval)), None),
                forecasts=self._state.forecasts.get(channel, ()),
            )
        if ChannelType.GENERAL not in channels:
            # Without a current general price every sensor would be wrong; fail the poll instead.
            raise ResponseError("Amber returned no current general price")
        ended = channels[ChannelType.GENERAL].current.nem_time
        if ended <= now:
            # An answer for an interval that has already ended (Amber late to roll over, or a
            # stale cache): never shown as current; the schedule asks again soon.
            self.stale_answers += 1
            LOGGER.debug("%s answered with an interval that ended at %s", self.name, ended)
        return AmberData(site=self.site, channels=channels, fetched_at=now)

    def _next_poll_at(self, data: AmberData, moment: datetime) -> datetime:
        """Re-poll briefly until the price in force is final, else wait for the next boundary."""
        boundary = next_aligned(moment, PRICE_PERIOD, AMBER_POLL_OFFSET)
        current = data.series.current(moment)
        # No price in force (a stale answer) or an estimate: the final price is still to come.
        if (current is None or current.estimate) and self._may_repoll():
            backoff = AMBER_ESTIMATE_BACKOFF[self._state.estimate_polls]
            self._state.estimate_polls += 1
            if moment + backoff < boundary:
                return moment + backoff
        return boundary

    def _may_repoll(self) -> bool:
        if self._state.estimate_polls >= len(AMBER_ESTIMATE_BACKOFF):
            return False
        limit = self.client.rate_limit
        return (
            limit is None
            or limit.remaining is None
            or limit.remaining >= AMBER_MIN_REMAINING_FOR_REPOLL
        )

    def diagnostics(self) -> dict[str, Any]:
        """Add the rate-limit budget and the data to the base diagnostics."""
        limit = self.client.rate_limit
        return {
            **super().diagnostics(),
            "requests_in_window": self.client.requests_in_window,
            "rate_limit": asdict(limit) if limit else None,
        }


@dataclass(kw_only=True)
class AmberRuntime(SourceRuntime):
    """An Amber site: one coordinator for its prices."""

    prices: AmberCoordinator

    def tariff(self) -> TariffSource:
        """Return the prices coordinator, which chargers and TOU sync read."""
        return self.prices


type AmberConfigEntry = ConfigEntry[AmberRuntime]


def prices_of(runtime: AmberRuntime) -> AmberCoordinator:
    """Return the coordinator every Amber entity reads."""
    return runtime.prices
