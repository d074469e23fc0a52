"""A local stand-in for ComEd's Hourly Pricing API, serving the model day of prices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from . import prices
from ._server import SimulatorServer

if TYPE_CHECKING:
    from collections.abc import Callable
    import datetime as dt

FEED_LENGTH = 24 * 12  # a day of 5-min prices


def _entry(end: dt.datetime, cents: float) -> dict[str, str]:
    """Return one price as ComEd serves it: both fields strings, millisUTC = interval end."""
    return {"millisUTC": str(int(end.timestamp() * 1000)), "price": f"{cents:.1f}"}


class ComEdSimulator(SimulatorServer):
    """Serve /api?type=5minutefeed and /api?type=currenthouraverage."""

    def __init__(self, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        """Configure the clock."""
        super().__init__(clock=clock, path_prefix="/api")

    def _build_app(self) -> web.Application:
        """Return the application with ComEd's one route."""
        app = web.Application()
        app.router.add_get("/api", self._api)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        """Answer both feeds; like ComEd, the JSON goes out labelled text/html."""
        self.record(request)
        fault = await self.apply_fault(content_type="text/html")
        if fault is not None:
            return fault
        now = self.now()
        feed = request.query.get("type")
        if feed == "5minutefeed":
            latest = prices.comed_latest_end(now)
            ends = [latest - i * prices.FIVE_MINUTES for i in range(FEED_LENGTH)]
            body = [_entry(end, prices.comed_price(end)) for end in ends]
        elif feed == "currenthouraverage":
            body = [_entry(*prices.comed_hour_average(now))]
        else:
            return web.Response(text="Invalid type", status=400, content_type="text/html")
        return web.json_response(body, content_type="text/html")
