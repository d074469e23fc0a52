"""A local stand-in for the Amber Electric public API (v1), serving the model day of prices."""

from __future__ import annotations

from collections import deque
import copy
import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import prices
from ._server import SimulatorServer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

SITE_ID = "01J0SIMSITE0000000000000001"
SECOND_SITE_ID = "01J0SIMSITE0000000000000002"
MAX_INTERVALS = 2048
MAX_DAYS = 7


def default_sites() -> list[dict[str, Any]]:
    """Return the default site: 5-min billing with general, controlled load and feed-in."""
    return [
        {
            "id": SITE_ID,
            "nmi": "41021234567",
            "channels": [
                {"identifier": "E1", "type": "general", "tariff": "EA116"},
                {"identifier": "E2", "type": "controlledLoad", "tariff": "EA030"},
                {"identifier": "B1", "type": "feedIn", "tariff": "EA116"},
            ],
            "network": "Ausgrid",
            "status": "active",
            "activeFrom": "2024-07-01",
            "closedOn": None,
            "intervalLength": 5,
        }
    ]


def two_sites() -> list[dict[str, Any]]:
    """Return the default site plus a 30-min site without controlled load."""
    second = {
        "id": SECOND_SITE_ID,
        "nmi": "31012345678",
        "channels": [
            {"identifier": "E1", "type": "general", "tariff": "6900"},
            {"identifier": "B1", "type": "feedIn", "tariff": "6900"},
        ],
        "network": "Energex",
        "status": "active",
        "activeFrom": "2025-02-14",
        "closedOn": None,
        "intervalLength": 30,
    }
    return [*default_sites(), second]


def _utc_text(moment: dt.datetime) -> str:
    """Format a UTC time the way Amber does ("2024-02-29T20:30:01Z")."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AmberSimulator(SimulatorServer):
    """Serve /v1/sites and the two price endpoints for the configured sites."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] = ("psk_sim",),
        sites: list[dict[str, Any]] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        estimate_seconds: float = 40.0,
        rate_limit: int = 50,
        rate_window: float = 300.0,
    ) -> None:
        """Configure keys, sites, the clock and the per-key rate limit."""
        super().__init__(clock=clock, path_prefix="/v1")
        self.tokens = set(tokens)
        self.sites = copy.deepcopy(default_sites() if sites is None else sites)
        self.estimate_seconds = estimate_seconds
        # c/kWh an estimate is off from the price it locks in at (0: estimates are exact).
        self.estimate_error = 0.0
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self._calls: dict[str, deque[float]] = {}

    def _build_app(self) -> web.Application:
        """Return the application with Amber's routes."""
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/v1/sites", self._sites)
        app.router.add_get("/v1/sites/{site_id}/prices/current", self._current)
        app.router.add_get("/v1/sites/{site_id}/prices", self._range)
        return app

    def _rate_headers(self, calls: deque[float], now: float) -> dict[str, str]:
        """Return the IETF draft RateLimit-* headers for one key."""
        reset = math.ceil(calls[0] + self.rate_window - now) if calls else 0
        window = f"{self.rate_window:g}"
        return {
            "RateLimit-Limit": str(self.rate_limit),
            "RateLimit-Remaining": str(max(0, self.rate_limit - len(calls))),
            "RateLimit-Reset": str(max(0, reset)),
            "RateLimit-Policy": f"{self.rate_limit};w={window}",
        }

    @web.middleware
    async def _gate(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Any],
    ) -> web.StreamResponse:
        """Log, check the key, apply the rate limit and faults, then answer."""
        self.record(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if self.fault == "auth" or token not in self.tokens:
            return web.json_response({"message": "Unauthorized"}, status=401)
        now = self.now().timestamp()
        calls = self._calls.setdefault(token, deque())
        while calls and calls[0] <= now - self.rate_window:
            calls.popleft()
        if len(calls) >= self.rate_limit:
            return web.json_response(
                {"message": "Too Many Requests"},
                status=429,
                headers=self._rate_headers(calls, now),
            )
        calls.append(now)
        headers = self._rate_headers(calls, now)
        response: web.StreamResponse | None = await self.apply_fault()
        if response is None:
            try:
                response = await handler(request)
            except web.HTTPException as err:
                # Answer errors as responses so they still carry the rate-limit headers.
                response = web.Response(
                    status=err.status, text=err.text, content_type="application/json"
                )
        response.headers.update(headers)
        return response

    def _site(self, request: web.Request) -> dict[str, Any]:
        """Return the site the path names, or answer 404."""
        site_id = request.match_info["site_id"]
        for site in self.sites:
            if site["id"] == site_id:
                return site
        raise web.HTTPNotFound(
            text='{"message": "Site not found"}', content_type="application/json"
        )

    async def _sites(self, request: web.Request) -> web.Response:
        """Answer GET /sites."""
        return web.json_response(self.sites)

    async def _current(self, request: web.Request) -> web.Response:
        """Answer GET /sites/{id}/prices/current."""
        site = self._site(request)
        previous = _int_param(request, "previous", 0, MAX_INTERVALS)
        following = _int_param(request, "next", 0, MAX_INTERVALS)
        minutes = _resolution(request, site)
        now = self.now()
        current = prices.floor_time(now, minutes)
        step = dt.timedelta(minutes=minutes)
        starts = [current + i * step for i in range(-previous, following + 1)]
        return web.json_response(self._intervals(site, starts, minutes, now))

    async def _range(self, request: web.Request) -> web.Response:
        """Answer GET /sites/{id}/prices for whole NEM days."""
        site = self._site(request)
        minutes = _resolution(request, site)
        now = self.now()
        first = _date_param(request, "startDate", prices.nem_date(now))
        last = _date_param(request, "endDate", first)
        if last < first or (last - first).days >= MAX_DAYS:
            raise _bad_request("endDate must be on or after startDate, within 7 days")
        day_start = dt.datetime.combine(first, dt.time(), prices.NEM_TZ).astimezone(dt.UTC)
        count = ((last - first).days + 1) * 24 * 60 // minutes
        step = dt.timedelta(minutes=minutes)
        starts = [day_start + i * step for i in range(count)]
        return web.json_response(self._intervals(site, starts, minutes, now))

    def _intervals(
        self, site: dict[str, Any], starts: list[dt.datetime], minutes: int, now: dt.datetime
    ) -> list[dict[str, Any]]:
        """Return one interval per channel per start, channels in Amber's order."""
        kinds = {channel["type"] for channel in site["channels"]}
        channels = [name for name in prices.CHANNEL_ORDER if name in kinds]
        return [
            self._interval(channel, start, minutes, now) for start in starts for channel in channels
        ]

    def _interval(
        self, channel: str, start: dt.datetime, minutes: int, now: dt.datetime
    ) -> dict[str, Any]:
        """Return one interval object exactly as Amber shapes it."""
        end = start + dt.timedelta(minutes=minutes)
        point = prices.amber_point(channel, start, minutes)
        kind = (
            "ActualInterval"
            if end <= now
            else "CurrentInterval"
            if start <= now
            else "ForecastInterval"
        )
        data: dict[str, Any] = {
            "type": kind,
            "date": prices.nem_date(start).isoformat(),
            "duration": minutes,
            "startTime": _utc_text(start + dt.timedelta(seconds=1)),
            "endTime": _utc_text(end),
            "nemTime": end.astimezone(prices.NEM_TZ).isoformat(timespec="seconds"),
            "perKwh": point.per_kwh,
            "spotPerKwh": point.spot_per_kwh,
            "channelType": channel,
            "renewables": point.renewables,
            "spikeStatus": point.spike_status,
            "descriptor": point.descriptor,
            "tariffInformation": {"period": point.period, "demandWindow": point.demand_window},
        }
        if kind == "ActualInterval":
            return data
        if point.range is not None:
            data["range"] = {"min": point.range[0], "max": point.range[1]}
        low, predicted, high = point.advanced
        data["advancedPrice"] = {"low": low, "predicted": predicted, "high": high}
        if kind == "CurrentInterval":
            data["estimate"] = self._is_estimate(start, end, minutes, now)
            if data["estimate"] and self.estimate_error:
                data["perKwh"] = round(point.per_kwh + self.estimate_error, 5)
                data["advancedPrice"] = {
                    name: round(value + self.estimate_error, 5)
                    for name, value in data["advancedPrice"].items()
                }
        return data

    def _is_estimate(
        self, start: dt.datetime, end: dt.datetime, minutes: int, now: dt.datetime
    ) -> bool:
        """Return whether a current price is still an estimate."""
        if minutes == 5:
            return (now - start).total_seconds() < self.estimate_seconds
        # A 30-min price settles once only its last 5-min part is left to run.
        return now < end - prices.FIVE_MINUTES


def _bad_request(message: str) -> web.HTTPBadRequest:
    """Return a 400 with Amber's JSON error shape."""
    return web.HTTPBadRequest(text=f'{{"message": "{message}"}}', content_type="application/json")


def _int_param(request: web.Request, name: str, default: int, maximum: int) -> int:
    """Read an integer query parameter in [0, maximum]."""
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > maximum:
        raise _bad_request(f"{name} must be an integer from 0 to {maximum}")
    return int(raw)


def _resolution(request: web.Request, site: dict[str, Any]) -> int:
    """Read the resolution, defaulting to the site's billing interval."""
    raw = request.query.get("resolution")
    if raw is None:
        return int(site["intervalLength"])
    if raw not in {"5", "30"}:
        raise _bad_request("resolution must be 5 or 30")
    return int(raw)


def _date_param(request: web.Request, name: str, default: dt.date) -> dt.date:
    """Read a YYYY-MM-DD query parameter."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _bad_request(f"{name} must be YYYY-MM-DD") from None
