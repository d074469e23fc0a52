"""ComEd hourly pricing coordinator: the newest 5-minute price and the running hour average."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.util import dt as dt_util

from ..const import (
    COMED_POLL_OFFSET,
    COMED_STALE_RETRIES,
    COMED_STALE_RETRY,
    COMED_UNIQUE_ID,
    DOMAIN,
    PRICE_PERIOD,
)
from ..coordinator import TesCoordinator, interval_start, next_aligned
from ..runtime import SourceRuntime
from ..tariff import Price

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..clients.comed import ComEdClient, ComEdPrice


@dataclass(frozen=True, kw_only=True)
class ComEdData:
    """The prices the ComEd entities show."""

    five_minute: ComEdPrice
    hour_average: ComEdPrice
    fetched_at: datetime
    # The whole feed (the last 24 h, newest first): what TOU sync plans from.
    recent: tuple[ComEdPrice, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {
            "five_minute": self.five_minute.as_dict(),
            "hour_average": self.hour_average.as_dict(),
            "fetched_at": self.fetched_at.isoformat(),
            "recent_count": len(self.recent),
        }


class ComEdCoordinator(TesCoordinator[ComEdData]):
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
        return ComEdData(
            five_minute=five_minute[0],
            hour_average=hour_average,
            fetched_at=dt_util.utcnow(),
            recent=tuple(five_minute),
        )

    def _next_poll_delay(self, data: ComEdData) -> timedelta:
        """Poll again soon while the newest interval is not published yet, else at the boundary."""
        now = dt_util.utcnow()
        boundary = next_aligned(now, PRICE_PERIOD, COMED_POLL_OFFSET)
        slot = interval_start(now, PRICE_PERIOD)
        if slot != self._slot:
            self._slot = slot
            self._stale_polls = 0
        published = data.five_minute.time >= slot
        if (
            not published
            and self._stale_polls < COMED_STALE_RETRIES
            and now + COMED_STALE_RETRY < boundary
        ):
            self._stale_polls += 1
            return COMED_STALE_RETRY
        return boundary - now

    def import_price(self) -> Price | None:
        """Return the newest 5-minute price, in USD/kWh, while the data is current."""
        if not self.last_update_success or self.data is None:
            return None
        return Price(self.data.five_minute.cents_per_kwh / 100, "USD")


@dataclass(kw_only=True)
class ComEdRuntime(SourceRuntime):
    """ComEd hourly pricing: one coordinator for its prices."""

    prices: ComEdCoordinator

    def tariff(self) -> ComEdCoordinator:
        """Return the prices coordinator, which chargers and TOU sync read."""
        return self.prices


type ComEdConfigEntry = ConfigEntry[ComEdRuntime]


def prices_of(runtime: ComEdRuntime) -> ComEdCoordinator:
    """Return the coordinator every ComEd entity reads."""
    return runtime.prices
