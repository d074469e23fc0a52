"""Read-only pypowerwall-proxy-compatible endpoints under Home Assistant's authenticated API.

GET /api/tesla_energy_sync/powerwall/<din or "combined">/<endpoint> answers like the
pypowerwall proxy's routes of the same name (proxy.py builds the bodies): HTTP 200 with a
JSON body, `null` when there is no data (a gateway that is not loaded or not answering,
or a combined view with fewer than two gateways). Endpoints: aggregates, soe, vitals,
strings, alerts, alerts/pw, temps, temps/pw, freq, pod and version, which cover
everything Powerwall-Dashboard's Telegraf polls. Unlike the proxy, every request needs a
Home Assistant access token (Telegraf sends it as a bearer header).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from ..const import DOMAIN
from .combined.values import PowerwallCombined
from .coordinator import loaded_gateways
from .proxy import COMBINED as COMBINED_BODIES, GATEWAY

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

COMBINED: Final = "combined"
_HEADERS: Final = {"Access-Control-Allow-Origin": "*"}


class PowerwallProxyView(HomeAssistantView):
    """GET /api/tesla_energy_sync/powerwall/{target}/{endpoint}."""

    url = f"/api/{DOMAIN}/powerwall/{{target}}/{{endpoint:.+}}"
    name = f"api:{DOMAIN}:powerwall"
    requires_auth = True

    async def get(self, request: web.Request, target: str, endpoint: str) -> web.Response:
        """Answer like the pypowerwall proxy (HTTP 200, null when there is no data)."""
        if endpoint not in GATEWAY:
            return web.Response(status=404, text="Not Found")
        hass = request.app[KEY_HASS]
        return web.json_response(_body(hass, target, endpoint), headers=_HEADERS)


def _body(hass: HomeAssistant, target: str, endpoint: str) -> Any:
    gateways = loaded_gateways(hass)
    if target == COMBINED:
        # Every loaded gateway, whether or not the combined device has been added.
        combined = PowerwallCombined(gateways)
        snapshots = combined.complete
        if len(combined.members) < 2 or snapshots is None:
            return None
        return COMBINED_BODIES[endpoint](snapshots)
    for coordinator in gateways.values():
        if coordinator.din == target:
            if not coordinator.last_update_success or coordinator.data is None:
                return None
            return GATEWAY[endpoint](coordinator.data)
    return None


def async_register_views(hass: HomeAssistant) -> None:
    """Register the views once, when Home Assistant's HTTP server is set up."""
    if getattr(hass, "http", None) is not None:
        hass.http.register_view(PowerwallProxyView())
