"""Async client for the Amber Electric public API that keeps within Amber's rate limit."""

from __future__ import annotations

from collections import deque
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._http import MIB, bearer_headers, decode_list, raise_for_status, request, retry_after
from .amber_models import Interval, RateLimitStatus, Site, parse_interval
from .errors import RateLimitError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    import datetime as dt

    import aiohttp

DEFAULT_AMBER_BASE_URL = "https://api.amber.com.au/v1"
_SERVICE = "Amber"
# The largest answer the API gives (2048 intervals back and 2048 ahead at 5 min, three
# channels) is 5.1 MB from the simulator; a 48 h forecast at 5 min is 0.8 MB.
MAX_BODY_BYTES = 8 * MIB


class AmberClient:
    """Read sites and prices for one Amber API key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str = DEFAULT_AMBER_BASE_URL,
        request_timeout: float = 10.0,
        max_requests: int = 50,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the session (owned by the caller) and the request budget."""
        self._session = session
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._request_timeout = request_timeout
        self._max_requests = max_requests
        self._window = window
        self._clock = clock
        self._sent: deque[float] = deque()
        self._blocked_until: float | None = None
        self._rate_limit: RateLimitStatus | None = None

    @property
    def rate_limit(self) -> RateLimitStatus | None:
        """Return the rate-limit headers of the last response, if any came."""
        return self._rate_limit

    @property
    def requests_in_window(self) -> int:
        """Return how many requests were sent within the last window."""
        self._forget_old(self._clock())
        return len(self._sent)

    async def get_sites(self) -> list[Site]:
        """Return every site the key can see."""
        return [Site.from_dict(item) for item in await self._get("/sites", {})]

    async def get_current_prices(
        self,
        site_id: str,
        *,
        previous: int = 0,
        next: int = 0,  # noqa: A002 - the API calls it next
        resolution: int | None = None,
    ) -> list[Interval]:
        """Return previous actuals, the current interval and forecasts for every channel."""
        params: dict[str, str] = {}
        # Zero is the API default; leaving it out keeps within its documented 1..2048 range.
        if previous:
            params["previous"] = str(previous)
        if next:
            params["next"] = str(next)
        if resolution is not None:
            params["resolution"] = str(resolution)
        path = f"/sites/{quote(site_id, safe='')}/prices/current"
        return [parse_interval(item) for item in await self._get(path, params)]

    async def get_prices(
        self,
        site_id: str,
        *,
        start_date: dt.date | None = None,
        end_date: dt.date | None = None,
        resolution: int | None = None,
    ) -> list[Interval]:
        """Return every interval of whole NEM days (today when no dates are given)."""
        params: dict[str, str] = {}
        if start_date is not None:
            params["startDate"] = start_date.isoformat()
        if end_date is not None:
            params["endDate"] = end_date.isoformat()
        if resolution is not None:
            params["resolution"] = str(resolution)
        path = f"/sites/{quote(site_id, safe='')}/prices"
        return [parse_interval(item) for item in await self._get(path, params)]

    def _forget_old(self, now: float) -> None:
        """Drop sends that left the sliding window."""
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()

    def _claim_slot(self) -> None:
        """Refuse the request locally when Amber said to wait or our own budget is spent."""
        now = self._clock()
        if self._blocked_until is not None:
            if now < self._blocked_until:
                raise RateLimitError(self._blocked_until - now, "Amber rate limit")
            self._blocked_until = None
        self._forget_old(now)
        if len(self._sent) >= self._max_requests:
            raise RateLimitError(self._sent[0] + self._window - now, "Amber request budget spent")
        self._sent.append(now)

    def _block_for(self, seconds: float) -> None:
        """Hold every request back for this many seconds."""
        self._blocked_until = self._clock() + seconds

    def _server_wait(self, headers: Mapping[str, str]) -> float:
        """Return how long Amber wants us to wait, from its headers, else the whole window."""
        if self._rate_limit is not None and self._rate_limit.reset is not None:
            return max(0.0, self._rate_limit.reset)
        wait = retry_after(headers)
        return self._window if wait is None else wait

    async def _get(self, path: str, params: Mapping[str, str]) -> list[Any]:
        """GET a path under the base URL and return its JSON array."""
        headers = bearer_headers(self._token, service=_SERVICE)
        self._claim_slot()
        reply = await request(
            self._session,
            "GET",
            f"{self._base_url}{path}",
            service=_SERVICE,
            request_timeout=self._request_timeout,
            max_bytes=MAX_BODY_BYTES,
            params=params,
            headers=headers,
            secrets=(self._token,),
        )
        self._rate_limit = RateLimitStatus.from_headers(reply.headers)
        if reply.status == 429:
            wait = self._server_wait(reply.headers)
            self._block_for(wait)
            raise RateLimitError(wait, "Amber rate limit")
        raise_for_status(reply, service=_SERVICE, default_retry=self._window)
        if self._rate_limit.remaining == 0:
            # The answer is good, but the next request would only earn a 429.
            self._block_for(self._server_wait(reply.headers))
        return decode_list(reply, service=_SERVICE)
