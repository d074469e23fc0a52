"""Base coordinators: map client errors to Home Assistant errors, align polls to the clock."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import math
from typing import TYPE_CHECKING, Any, Protocol

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .clients.errors import AuthenticationError, ClientError, RateLimitError
from .const import DOMAIN, LOGGER, RETRY_INTERVAL

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceInfo

    from .tariff import PriceInterval, PriceSeries

# Home Assistant schedules a refresh at the loop clock truncated to whole seconds plus the delay
# and a random 0.05-0.5 s, so a refresh may run up to a second before the moment it was meant
# for; one that runs this close before its moment stands for it.
EARLY_FIRE_TOLERANCE = timedelta(seconds=1)


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
            # Home Assistant waits `retry_after` for the next refresh only, then resumes the
            # schedule; at least a second, so a zero from the server never makes a tight loop.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={
                    "source": self.name,
                    "retry_after": f"{err.retry_after:.0f}",
                },
                retry_after=max(err.retry_after, 1.0),
            ) from err
        except ClientError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"source": self.name, "error": str(err)},
                retry_after=RETRY_INTERVAL.total_seconds(),
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


class AlignedCoordinator[DataT: Showable](TesCoordinator[DataT]):
    """A coordinator that polls at moments aligned to the clock, never twice for one of them.

    The next poll is chosen as a moment (`_next_poll_at`), not a delay from now: a refresh
    that runs a little before its moment stands for that moment, so the next one is chosen
    after it. Chosen from `now`, such a refresh would pick the same moment again, a few ms
    away, and poll in a tight loop until the clock passed it.
    """

    # The moment the scheduled refresh is meant for, and the one the running refresh stands for.
    _due: datetime | None = None
    poll_moment: datetime

    async def _async_update_data(self) -> DataT:
        """Note the moment this poll stands for, then fetch and schedule as usual."""
        self.poll_moment = self._stands_for(dt_util.utcnow())
        return await super()._async_update_data()

    def _stands_for(self, now: datetime) -> datetime:
        """Return the moment a poll run at `now` stands for: its due moment if it ran early."""
        due = self._due
        if due is not None and due - EARLY_FIRE_TOLERANCE <= now < due:
            return due
        return now

    def _next_poll_delay(self, data: DataT) -> timedelta:
        """Return the delay until the next moment, which comes strictly after this poll's."""
        target = self._next_poll_at(data, self.poll_moment)
        if target <= self.poll_moment:
            raise ValueError(f"{self.name}: next poll {target} is not after {self.poll_moment}")
        self._due = target
        return max(target - dt_util.utcnow(), timedelta())

    @abstractmethod
    def _next_poll_at(self, data: DataT, moment: datetime) -> datetime:
        """Return when to poll next, strictly after `moment` (the one this poll stands for)."""


class PricedData(Showable, Protocol):
    """Data of a tariff source: it carries the normalised price series."""

    @property
    def series(self) -> PriceSeries:
        """Return the prices as one normalised series."""
        ...


class PriceCoordinator[DataT: PricedData](AlignedCoordinator[DataT]):
    """A tariff source: publishes its prices as a series, and re-renders when a price expires.

    It is the `TariffSource` chargers and TOU sync read. Listeners hear of every update and
    also of the moment the price in force stops being current, so an interval that has ended
    is never left on show while the next answer is awaited.
    """

    _unsub_expiry: CALLBACK_TYPE | None = None
    # Answers whose live interval had already ended when they arrived (diagnostics).
    stale_answers = 0

    @property
    def series(self) -> PriceSeries | None:
        """Return the series of the last successful poll (None while polls fail)."""
        if not self.last_update_success or self.data is None:
            return None
        return self.data.series

    def current(self, now: datetime | None = None) -> PriceInterval | None:
        """Return the interval in force at `now` (default: the present), if any."""
        series = self.series
        return None if series is None else series.current(now or dt_util.utcnow())

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Listen for updates; the first listener also starts the expiry timer."""
        remove = super().async_add_listener(update_callback, context)
        if self._unsub_expiry is None:
            self._schedule_expiry()
        return remove

    @callback
    def async_update_listeners(self) -> None:
        """Tell the listeners, and arrange to tell them again when the price in force expires."""
        self._schedule_expiry()
        super().async_update_listeners()

    @callback
    def _schedule_expiry(self) -> None:
        if self._unsub_expiry is not None:
            self._unsub_expiry()
            self._unsub_expiry = None
        series = self.series
        until = None if series is None else series.current_until(dt_util.utcnow())
        if until is not None and self._listeners:
            self._unsub_expiry = async_track_point_in_utc_time(self.hass, self._expired, until)

    @callback
    def _expired(self, _now: datetime) -> None:
        self._unsub_expiry = None
        self.async_update_listeners()

    async def async_shutdown(self) -> None:
        """Stop the expiry timer too."""
        if self._unsub_expiry is not None:
            self._unsub_expiry()
            self._unsub_expiry = None
        await super().async_shutdown()

    def diagnostics(self) -> dict[str, Any]:
        """Add the series summary and the count of stale answers."""
        series = self.series
        current = self.current()
        return {
            **super().diagnostics(),
            "series": series.as_dict() if series else None,
            "current": current.as_dict() if current else None,
            "stale_answers": self.stale_answers,
        }
