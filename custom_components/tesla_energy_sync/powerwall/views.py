"""Read-only pypowerwall-proxy-compatible endpoints under Home Assistant's authenticated API.

GET /api/tesla_energy_sync/powerwall/<din or "combined">/<endpoint> answers like the
pypowerwall proxy's /aggregates, /soe, /vitals, /strings and /alerts: HTTP 200 with a
JSON body, `null` when there is no data (a gateway that is not loaded or not answering,
or a combined view with fewer than two gateways). Differences from the proxy:
/aggregates carries only instant_power, energy_imported and energy_exported of each
section (what this integration reads). /vitals and /strings are pypowerwall's own,
so TEDAPI gateways have them and customer-login gateways on firmware 23.44 and later
answer null, as the proxy does there. Combined, /vitals is the union of the gateways'
(keyed by device serial, so nothing collides) and /strings keys each string by its
gateway, "<DIN>/<string>", where the proxy of one gateway has "A", "B"... Unlike the
proxy, every request needs a Home Assistant access token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from ..clients.powerwall_models import app_to_raw_pct
from ..const import DOMAIN
from .combined.values import PowerwallCombined
from .coordinator import loaded_gateways
from .descriptions import METERS

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from ..clients.powerwall import PowerwallSnapshot

COMBINED: Final = "combined"
_HEADERS: Final = {"Access-Control-Allow-Origin": "*"}


def _section(power: float | None, imported: float | None, exported: float | None) -> dict[str, Any]:
    return {"instant_power": power, "energy_imported": imported, "energy_exported": exported}


def _aggregates(snapshot: PowerwallSnapshot) -> dict[str, Any]:
    return {
        meter: _section(
            getattr(snapshot, meter).power_w,
            getattr(snapshot, meter).energy_imported_wh,
            getattr(snapshot, meter).energy_exported_wh,
        )
        for meter in METERS
    }


def _combined_aggregates(combined: PowerwallCombined) -> dict[str, Any] | None:
    snapshots = combined.complete
    if snapshots is None:
        return None

    def total(meter: str, field: str) -> float | None:
        values = [getattr(getattr(snapshot, meter), field) for snapshot in snapshots]
        return None if any(value is None for value in values) else sum(values)

    return {
        meter: _section(
            combined.power_w(meter),
            total(meter, "energy_imported_wh"),
            total(meter, "energy_exported_wh"),
        )
        for meter in METERS
    }


def _soe(level_app_pct: float | None) -> dict[str, Any] | None:
    # The proxy's /soe is the gateway's raw scale.
    return None if level_app_pct is None else {"percentage": app_to_raw_pct(level_app_pct)}


_GATEWAY: Final[dict[str, Callable[[PowerwallSnapshot], Any]]] = {
    "aggregates": _aggregates,
    "soe": lambda snapshot: _soe(snapshot.battery_level_pct),
    "alerts": lambda snapshot: list(snapshot.alerts),
    "vitals": lambda snapshot: snapshot.vitals,
    "strings": lambda snapshot: snapshot.strings,
}


def _combined_alerts(combined: PowerwallCombined) -> list[str] | None:
    snapshots = combined.complete
    if snapshots is None:
        return None
    return sorted({alert for snapshot in snapshots for alert in snapshot.alerts})


def _combined_vitals(combined: PowerwallCombined) -> dict[str, Any] | None:
    snapshots = combined.complete
    if snapshots is None or all(snapshot.vitals is None for snapshot in snapshots):
        return None
    return {key: value for s in snapshots for key, value in (s.vitals or {}).items()}


def _combined_strings(combined: PowerwallCombined) -> dict[str, Any] | None:
    snapshots = combined.complete
    if snapshots is None or all(snapshot.strings is None for snapshot in snapshots):
        return None
    return {
        f"{snapshot.din or index}/{name}": value
        for index, snapshot in enumerate(snapshots)
        for name, value in (snapshot.strings or {}).items()
    }


_COMBINED: Final[dict[str, Callable[[PowerwallCombined], Any]]] = {
    "aggregates": _combined_aggregates,
    "soe": lambda combined: _soe(combined.battery_level_pct()),
    "alerts": _combined_alerts,
    "vitals": _combined_vitals,
    "strings": _combined_strings,
}


class PowerwallProxyView(HomeAssistantView):
    """GET /api/tesla_energy_sync/powerwall/{target}/{endpoint}."""

    url = f"/api/{DOMAIN}/powerwall/{{target}}/{{endpoint}}"
    name = f"api:{DOMAIN}:powerwall"
    requires_auth = True

    async def get(self, request: web.Request, target: str, endpoint: str) -> web.Response:
        """Answer like the pypowerwall proxy (HTTP 200, null when there is no data)."""
        if endpoint not in _GATEWAY:
            return web.Response(status=404, text="Not Found")
        hass = request.app[KEY_HASS]
        return web.json_response(_body(hass, target, endpoint), headers=_HEADERS)


def _body(hass: HomeAssistant, target: str, endpoint: str) -> Any:
    gateways = loaded_gateways(hass)
    if target == COMBINED:
        # Every loaded gateway, whether or not the combined device has been added.
        combined = PowerwallCombined(gateways)
        if len(combined.members) < 2:
            return None
        return _COMBINED[endpoint](combined)
    for coordinator in gateways.values():
        if coordinator.din == target:
            if not coordinator.last_update_success or coordinator.data is None:
                return None
            return _GATEWAY[endpoint](coordinator.data)
    return None


def async_register_views(hass: HomeAssistant) -> None:
    """Register the views once, when Home Assistant's HTTP server is set up."""
    if getattr(hass, "http", None) is not None:
        hass.http.register_view(PowerwallProxyView())
