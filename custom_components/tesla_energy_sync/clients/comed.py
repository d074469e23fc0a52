"""Async client for ComEd's Hourly Pricing API (5-minute real-time prices, no auth)."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from typing import TYPE_CHECKING, Any, Self

from ._http import MIB, decode_list, raise_for_status, request
from ._json import Fields
from .errors import ResponseError

if TYPE_CHECKING:
    import aiohttp

DEFAULT_COMED_BASE_URL = "https://hourlypricing.comed.com/api"
_SERVICE = "ComEd"
# ComEd sends no rate-limit headers; a 429 without Retry-After waits one price interval.
_DEFAULT_RETRY = 300.0
# A day of 5-minute prices is 14 KB.
MAX_BODY_BYTES = 1 * MIB


@dataclass(frozen=True, slots=True)
class ComEdPrice:
    """One ComEd price; `time` is the end of its 5-minute interval, in UTC."""

    time: dt.datetime
    cents_per_kwh: float

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse one `{"millisUTC": "...", "price": "..."}` entry."""
        obj = Fields(data, "price", source=_SERVICE)
        # ComEd serves both fields as numeric strings; plain numbers are accepted too.
        millis = obj.decimal("millisUTC")
        try:
            moment = dt.datetime.fromtimestamp(millis / 1000, dt.UTC)
        except OverflowError, ValueError, OSError:
            raise obj.error(f"millisUTC out of range: {millis!r}") from None
        return cls(time=moment, cents_per_kwh=obj.decimal("price"))

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for diagnostics."""
        return {"time": self.time.isoformat(), "cents_per_kwh": self.cents_per_kwh}


class ComEdClient:
    """Read ComEd's real-time prices."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = DEFAULT_COMED_BASE_URL,
        request_timeout: float = 10.0,
    ) -> None:
        """Keep the session (owned by the caller)."""
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._request_timeout = request_timeout

    async def get_five_minute_prices(self) -> list[ComEdPrice]:
        """Return the last 24 h of 5-minute prices, newest first as served."""
        return await self._get_prices("5minutefeed")

    async def get_current_hour_average(self) -> ComEdPrice:
        """Return the running average of the current hour."""
        return (await self._get_prices("currenthouraverage"))[0]

    async def _get_prices(self, feed: str) -> list[ComEdPrice]:
        """Fetch one feed; ComEd labels its JSON text/html, so the body is decoded by hand."""
        reply = await request(
            self._session,
            "GET",
            self._base_url,
            service=_SERVICE,
            request_timeout=self._request_timeout,
            max_bytes=MAX_BODY_BYTES,
            params={"type": feed},
        )
        raise_for_status(reply, service=_SERVICE, default_retry=_DEFAULT_RETRY)
        items = decode_list(reply, service=_SERVICE)
        if not items:
            raise ResponseError(f"ComEd {feed} returned no prices")
        return [ComEdPrice.from_dict(item) for item in items]
