"""ComEd hourly pricing coordinator: the newest 5-minute price and the running hour average."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from ..const import (
    COMED_POLL_OFFSET,
    COMED_STALE_RETRIES,
    COMED_STALE_RETRY,
    COMED_UNIQUE_ID,
    DOMAIN,
    LOGGER,
    PRICE_PERIOD,
)
from ..coordinator import PriceCoordinator, interval_start, next_aligned
from ..runtime import SourceRuntime
from ..tariff import COMED_HOLDS_FOR, PriceInterval, PriceSeries, comed_interval, comed_series

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..clients.comed import ComEdClient
    from ..tariff import TariffSource

HOUR = timedelta(hours=1)


@dataclass(frozen=True, kw_only=True)
class ComEdData:
    """The prices the ComEd entities show and TOU sync plans from."""

    # The whole 5-minute feed (the last 24 h) as the normalised series.
    series: PriceSeries
    # The running average of the hour the newest price belongs to, from its first interval.
    hour_average: PriceInterval
    fetched_at: datetime

    def hour_average_at(self, now: datetime) -> PriceInterval | None:
        """Return the hour average while its newest price still stands for `now`."""
        average = self.hour_average
        return average if average.end <= now < average.end + COMED_HOLDS_FOR else None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        newest = self.series.newest_actual()
        return {
            "five_minute": newest.as_dict() if newest else None,
            "hour_average": self.hour_average.as_dict(),
            "fetched_at": self.fetched_at.isoformat(),
            "recent_count": len(self.series.intervals),
        }


class ComEdCoordinator(PriceCoordinator[ComEdData]):
    """Polls ComEd just after each 5-minute price is published."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], client: ComEdClient) -> None:
        """Keep the client."""
        self.client = client
        self._stale_polls = 0
        self._slot: datetime | None = None
        super().__init__(
            hass,
            entry,
            name="ComEd hourly pricing",
            unique_prefix=COMED_UNIQUE_ID,
            device_info=DeviceInfo(
                identifiers={(DOMAIN, COMED_UNIQUE_ID)},
                name="ComEd hourly pricing",
                manufacturer="ComEd",
                model="Hourly Pricing program",
                entry_type=DeviceEntryType.SERVICE,
                configuration_url="https://hourlypricing.comed.com",
            ),
        )

    async def _async_fetch(self) -> ComEdData:
        """Fetch both feeds concurrently."""
        five_minute, hour_average = await asyncio.gather(
            self.client.get_five_minute_prices(), self.client.get_current_hour_average()
        )
        now = self.poll_moment
        series = comed_series(five_minute)
        newest = series.newest_actual()
        if newest is None or series.current(now) is None:
            # Its newest price is too old to stand for now: shown as no price, not as current.
            self.stale_answers += 1
            LOGGER.debug("%s answered with prices up to %s only", self.name, newest)
        # The hour the newest price closes (ComEd's average at :00 is the hour just ended).
        hour_start = interval_start(hour_average.time - timedelta(minutes=5), HOUR)
        average = comed_interval(hour_average, start=hour_start)
        return ComEdData(
            series=series,
            # A running average changes until the hour's last 5-minute price is in.
            hour_average=replace(average, estimate=average.end < hour_start + HOUR),
            fetched_at=now,
        )

    def _next_poll_at(self, data: ComEdData, moment: datetime) -> datetime:
        """Poll again soon while the newest interval is not published yet, else at the boundary."""
        boundary = next_aligned(moment, PRICE_PERIOD, COMED_POLL_OFFSET)
        slot = interval_start(moment, PRICE_PERIOD)
        if slot != self._slot:
            self._slot = slot
            self._stale_polls = 0
        newest = data.series.newest_actual()
        published = newest is not None and newest.end >= slot
        if (
            not published
            and self._stale_polls < COMED_STALE_RETRIES
            and moment + COMED_STALE_RETRY < boundary
        ):
            self._stale_polls += 1
            return moment + COMED_STALE_RETRY
        return boundary


@dataclass(kw_only=True)
class ComEdRuntime(SourceRuntime):
    """ComEd hourly pricing: one coordinator for its prices."""

    prices: ComEdCoordinator

    def tariff(self) -> TariffSource:
        """Return the prices coordinator, which chargers and TOU sync read."""
        return self.prices


type ComEdConfigEntry = ConfigEntry[ComEdRuntime]


def prices_of(runtime: ComEdRuntime) -> ComEdCoordinator:
    """Return the coordinator every ComEd entity reads."""
    return runtime.prices
