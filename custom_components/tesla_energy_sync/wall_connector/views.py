"""GET /api/tesla_energy_sync/wall_connector/<serial>/sessions.csv: the session history as CSV.

Query `start` and `end` (ISO 8601 date or date and time; without an offset, Home Assistant's
local time) bound the sessions' start times like the `get_charging_sessions` service. One
header row, then one row per session (RFC 4180: CRLF line ends, quoting where needed),
times in local ISO 8601, empty fields for unknown values. Needs a Home Assistant access token.
"""

from __future__ import annotations

import csv
from datetime import datetime
from http import HTTPStatus
import io
from typing import TYPE_CHECKING, Final

from aiohttp import web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from .coordinator import WallConnectorRuntime
from .history import SESSION_FIELDS, session_row

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import WallConnectorVitalsCoordinator

CSV_CONTENT_TYPE: Final = "text/csv"


def _charger(hass: HomeAssistant, serial: str) -> WallConnectorVitalsCoordinator | None:
    """Return the sessions coordinator of the loaded charger with this serial number."""
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        runtime = entry.runtime_data
        if isinstance(runtime, WallConnectorRuntime) and runtime.vitals.serial == serial:
            return runtime.vitals
    return None


def _bound(text: str | None) -> datetime | None:
    """Return a query bound in UTC; raises ValueError when it is neither a date nor a time."""
    if not text:
        return None
    # A "+" in an unencoded query string arrives as a space ("...T07:00:00 11:00").
    text = text.strip().replace(" ", "+")
    if (moment := dt_util.parse_datetime(text)) is not None:
        return dt_util.as_utc(moment)
    if (day := dt_util.parse_date(text)) is not None:
        return dt_util.as_utc(dt_util.start_of_local_day(day))
    raise ValueError(text)


def sessions_csv(rows: list[dict[str, object]]) -> str:
    """Return rows as CSV text with a header row (RFC 4180: CRLF, minimal quoting)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SESSION_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


class WallConnectorSessionsView(HomeAssistantView):
    """GET /api/tesla_energy_sync/wall_connector/{serial}/sessions.csv."""

    url = f"/api/{DOMAIN}/wall_connector/{{serial}}/sessions.csv"
    name = f"api:{DOMAIN}:wall_connector:sessions"
    requires_auth = True

    async def get(self, request: web.Request, serial: str) -> web.Response:
        """Answer the charger's sessions in the range as a CSV download."""
        vitals = _charger(request.app[KEY_HASS], serial)
        if vitals is None:
            return web.Response(status=HTTPStatus.NOT_FOUND, text="No such Wall Connector")
        try:
            start = _bound(request.query.get("start"))
            end = _bound(request.query.get("end"))
        except ValueError as err:
            return web.Response(status=HTTPStatus.BAD_REQUEST, text=f"Not a date or time: {err}")
        rows = [session_row(session) for session in vitals.history.between(start, end)]
        return web.Response(
            text=sessions_csv(rows),
            content_type=CSV_CONTENT_TYPE,
            charset="utf-8",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="wall_connector_{serial}_sessions.csv"'
                )
            },
        )


def async_register_views(hass: HomeAssistant) -> None:
    """Register the view once, when Home Assistant's HTTP server is set up."""
    if getattr(hass, "http", None) is not None:
        hass.http.register_view(WallConnectorSessionsView())
