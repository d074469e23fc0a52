"""Base coordinator: maps client errors to Home Assistant errors and aligns polls to the clock."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import math
from typing import TYPE_CHECKING, Any, Protocol

from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .clients.errors import AuthenticationError, ClientError, RateLimitError
from .const import DOMAIN, LOGGER, RETRY_INTERVAL
from .tariff import Price

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceInfo


def next_aligned(now: datetime, period: timedelta, offset: timedelta) -> datetime:
    """Return the first `period` boundary plus `offset` strictly after `now`."""
    seconds = period.total_seconds()
    start = math.floor(now.timestamp() / seconds) * seconds
    target = start + offset.total_seconds()
    if target <= now.timestamp():
        target += seconds
    return datetime.fromtimestamp(target, UTC)


def interval_start(now: datetime, period: timedelta) -> datetime:
    """Return the start of the `period`-long interval that contains `now`."""
    seconds = period.total_seconds()
    return datetime.fromtimestamp(math.floor(now.timestamp() / seconds) * seconds, UTC)


class Showable(Protocol):
    """Data a coordinator holds: it can render itself for diagnostics."""

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view."""
        ...


class TesCoordinator[DataT: Showable](DataUpdateCoordinator[DataT]):
    """A coordinator whose next poll is chosen from the data it just fetched."""

    config_entry: ConfigEntry[Any]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        *,
        name: str,
        unique_prefix: str,
        device_info: DeviceInfo,
    ) -> None:
        """Start with the retry interval; the first fetch sets the real schedule."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=name, update_interval=RETRY_INTERVAL
        )
        self.unique_prefix = unique_prefix
        self.device_info = device_info

    async def _async_setup(self) -> None:
        """Run the source's one-off setup with the same error mapping as a poll."""
        await self._guarded(self._async_setup_source)

    async def _async_update_data(self) -> DataT:
        """Fetch, then schedule the next poll from what was fetched."""
        data = await self._guarded(self._async_fetch)
        self.update_interval = self._next_poll_delay(data)
        return data

    async def _guarded[T](self, call: Callable[[], Awaitable[T]]) -> T:
        """Call `call()` and turn client errors into coordinator errors."""
        try:
            result = await call()
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"source": self.name},
            ) from err
        except RateLimitError as err:
            self.update_interval = timedelta(seconds=max(err.retry_after, 1.0))
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={
                    "source": self.name,
                    "retry_after": f"{err.retry_after:.0f}",
                },
            ) from err
        except ClientError as err:
            self.update_interval = RETRY_INTERVAL
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"source": self.name, "error": str(err)},
            ) from err
        return result

    async def _async_setup_source(self) -> None:
        """Fetch what the source needs once before the first poll (nothing by default)."""

    @abstractmethod
    async def _async_fetch(self) -> DataT:
        """Fetch the source's data through its client."""

    @abstractmethod
    def _next_poll_delay(self, data: DataT) -> timedelta:
        """Return how long to wait before the next poll."""

    def import_price(self) -> Price | None:
        """Return the import price in force, for sources that are tariffs (None otherwise)."""
        return None

    def diagnostics(self) -> dict[str, Any]:
        """Return JSON-safe state for diagnostics."""
        return {
            "last_update_success": self.last_update_success,
            "last_exception": repr(self.last_exception) if self.last_exception else None,
            "update_interval_s": self.update_interval.total_seconds()
            if self.update_interval
            else None,
            # Every coordinator's data type knows how to show itself (as_dict).
            "data": self.data.as_dict() if self.data is not None else None,
        }
