"""A local stand-in for the Tesla Fleet API energy-site endpoints, checking tariffs like Tesla."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
import copy
import datetime as dt
import math
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web

from ._server import SimulatorServer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

SITE_ID = 1689123456789012
SECOND_SITE_ID = 2417000000000001
VEHICLE_ID = 3744000000000099
MODES = frozenset({"autonomous", "self_consumption", "backup"})
EXPORT_RULES = frozenset({"never", "pv_only", "battery_ok"})
STRATEGIES = frozenset({"economics", "balanced"})
SENTINEL = "ALL"
_DAY_MINUTES = 1440


def energy_site(site_id: int, name: str, din: str) -> dict[str, Any]:
    """Return the simulator's state for one Powerwall site whose gateway is `din`."""
    return {
        "energy_site_id": site_id,
        "id": f"STE2024{site_id % 10**8:08d}",
        "site_name": name,
        "gateway_id": din,
        "installation_time_zone": "Australia/Sydney",
        "default_real_mode": "self_consumption",
        "backup_reserve_percent": 20,
        "customer_preferred_export_rule": "pv_only",
        "disallow_charge_from_grid_with_solar_installed": True,
        "optimization_strategy": "balanced",
        "battery_count": 2,
        "tariff_content_v2": None,
    }


def default_energy_sites() -> list[dict[str, Any]]:
    """Return one site: a two-Powerwall home in Sydney."""
    return [energy_site(SITE_ID, "Sim Home", "1232100-00-E--TG0000000000SIM1")]


def two_energy_sites() -> list[dict[str, Any]]:
    """Return the default site plus a second one on the same account."""
    second = energy_site(SECOND_SITE_ID, "Sim Shack", "1232100-00-E--TG0000000000SIM2")
    return [*default_energy_sites(), second]


def _fail(status: int, message: str) -> web.Response:
    """Return an error answer with the Fleet API's error body."""
    body = {"response": None, "error": message, "error_description": ""}
    return web.json_response(body, status=status)


class Rejected(Exception):  # noqa: N818 - a handler's way to answer an error response
    """Carry an error answer out of a handler."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the status and the message."""
        super().__init__(message)
        self.status = status
        self.message = message


def _minutes(period: Mapping[str, Any]) -> tuple[range, list[int]]:
    """Return the days of week and minutes one period entry covers; absent fields default to 0/6."""
    fields = ("fromDayOfWeek", "toDayOfWeek", "fromHour", "fromMinute", "toHour", "toMinute")
    values = {key: period.get(key, 6 if key == "toDayOfWeek" else 0) for key in fields}
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values.values()):
        raise Rejected(400, "period fields must be integers")
    first_day, last_day = values["fromDayOfWeek"], values["toDayOfWeek"]
    if not 0 <= first_day <= last_day <= 6:
        raise Rejected(400, "bad day of week")
    start = values["fromHour"] * 60 + values["fromMinute"]
    end = values["toHour"] * 60 + values["toMinute"] or _DAY_MINUTES
    if not 0 <= start < _DAY_MINUTES or not 0 < end <= _DAY_MINUTES or start == end:
        raise Rejected(400, "bad period times")
    minutes = list(range(start, end)) if start < end else [*range(start, 1440), *range(end)]
    return range(first_day, last_day + 1), minutes


def _check_season(name: str, season: Mapping[str, Any], rates: Any) -> None:
    """Reject a season whose periods don't tile every day or don't match its prices."""
    periods = season.get("tou_periods") or {}
    if not periods:
        return
    if not isinstance(rates, Mapping) or set(rates) != set(periods):
        raise Rejected(400, f"season {name}: energy_charges don't match tou_periods")
    for period, price in rates.items():
        if (
            isinstance(price, bool)
            or not isinstance(price, int | float)
            or not math.isfinite(price)
        ):
            raise Rejected(400, f"season {name}: price of {period} is not a number")
    cover = [[0] * _DAY_MINUTES for _ in range(7)]
    for body in periods.values():
        entries = body.get("periods") if isinstance(body, Mapping) else None
        if not isinstance(entries, list):
            raise Rejected(400, f"season {name}: each period needs a list of periods")
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise Rejected(400, f"season {name}: periods must be objects")
            days, minutes = _minutes(entry)
            for day in days:
                for minute in minutes:
                    cover[day][minute] += 1
    if any(count != 1 for day in cover for count in day):
        raise Rejected(400, f"season {name}: periods must cover each day exactly once")


def check_tariff(tariff: Any) -> None:
    """Raise Rejected unless both buy and sell sides have tiling periods and matching prices."""
    if not isinstance(tariff, Mapping):
        raise Rejected(400, "tariff_content_v2 must be an object")
    sides = [tariff, tariff.get("sell_tariff")]
    for side in sides:
        if not isinstance(side, Mapping) or not isinstance(side.get("seasons"), Mapping):
            raise Rejected(400, "tariff needs seasons on both buy and sell sides")
        charges = side.get("energy_charges")
        if not isinstance(charges, Mapping):
            raise Rejected(400, "tariff needs energy_charges on both sides")
        for name, season in side["seasons"].items():
            if not isinstance(season, Mapping):
                raise Rejected(400, f"season {name} must be an object")
            charge = charges.get(name)
            _check_season(
                name, season, charge.get("rates") if isinstance(charge, Mapping) else None
            )


def without_sentinel(tariff: dict[str, Any]) -> dict[str, Any]:
    """Return the tariff as Tesla may read it back: the "ALL" flat-rate entries gone."""
    result = copy.deepcopy(tariff)
    for side in (result, result.get("sell_tariff") or {}):
        for charges in ("energy_charges", "demand_charges"):
            if isinstance(side.get(charges), dict):
                side[charges].pop(SENTINEL, None)
    return result


class TeslaEnergySimulator(SimulatorServer):
    """Serve products, site_info, live_status and the energy commands for configured sites."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] = ("tesla_sim",),
        sites: list[dict[str, Any]] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        rate_limit: int = 0,
        rate_window: float = 60.0,
        drop_sentinel: bool = False,
    ) -> None:
        """Configure tokens, sites, the clock and an optional per-token limit (0 = none)."""
        super().__init__(clock=clock, path_prefix="")
        self.tokens = set(tokens)
        self.sites = copy.deepcopy(default_energy_sites() if sites is None else sites)
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.drop_sentinel = drop_sentinel
        self.retry_after: str | None = None
        self.command_answer: dict[str, Any] | None = None
        self.uploads: list[tuple[int, dict[str, Any]]] = []
        self.commands: list[tuple[str, int, dict[str, Any]]] = []
        # Each request's method, path and bearer token: which token a call carried.
        self.bearer_log: list[tuple[str, str, str]] = []
        # Called with a site after a command changed it: the cloud passing it to the gateway.
        self.on_change: Callable[[dict[str, Any]], None] | None = None
        self._calls: dict[str, deque[float]] = {}

    @property
    def upload_count(self) -> int:
        """Return how many tariffs were accepted."""
        return len(self.uploads)

    def site(self, site_id: int = SITE_ID) -> dict[str, Any]:
        """Return a site's state for tests to inspect or change."""
        for site in self.sites:
            if site["energy_site_id"] == site_id:
                return site
        raise KeyError(site_id)

    def _build_app(self) -> web.Application:
        """Return the application with the energy routes."""
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/api/1/products", self._products)
        base = "/api/1/energy_sites/{site_id}"
        app.router.add_get(f"{base}/site_info", self._site_info)
        app.router.add_get(f"{base}/live_status", self._live_status)
        app.router.add_post(f"{base}/time_of_use_settings", self._time_of_use)
        app.router.add_post(f"{base}/operation", self._operation)
        app.router.add_post(f"{base}/backup", self._backup)
        app.router.add_post(f"{base}/grid_import_export", self._grid_import_export)
        return app

    def _limited(self, token: str) -> web.Response | None:
        """Return a 429 when the token spent its requests in the window."""
        if self.rate_limit <= 0:
            return None
        now = self.now().timestamp()
        calls = self._calls.setdefault(token, deque())
        while calls and calls[0] <= now - self.rate_window:
            calls.popleft()
        if len(calls) >= self.rate_limit:
            wait = self.retry_after or str(math.ceil(calls[0] + self.rate_window - now))
            response = _fail(429, "Too Many Requests")
            response.headers["Retry-After"] = wait
            return response
        calls.append(now)
        return None

    @web.middleware
    async def _gate(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """Log, check the token, apply the rate limit and faults, then answer."""
        self.record(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        self.bearer_log.append((request.method, request.path, token))
        if token not in self.tokens:
            return _fail(401, "invalid bearer token")
        limited = self._limited(token)
        if limited is not None:
            return limited
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        try:
            response: web.StreamResponse = await handler(request)
        except Rejected as err:
            return _fail(err.status, err.message)
        return response

    def _path_site(self, request: web.Request) -> dict[str, Any]:
        """Return the site the path names, or answer 404."""
        raw = request.match_info["site_id"]
        try:
            return self.site(int(raw))
        except ValueError, KeyError:
            raise Rejected(404, "not_found") from None

    async def _json(self, request: web.Request) -> dict[str, Any]:
        """Return the request's JSON object body, or answer 400."""
        try:
            body = await request.json()
        except ValueError:
            raise Rejected(400, "invalid JSON body") from None
        if not isinstance(body, dict):
            raise Rejected(400, "body must be an object")
        return body

    def _updated(self) -> web.Response:
        """Return the answer of a command Tesla accepted (or the one a test scripted)."""
        body = self.command_answer or {"response": {"code": 201, "message": "Updated"}}
        return web.json_response(body)

    async def _products(self, request: web.Request) -> web.Response:
        """Answer GET /api/1/products: the energy sites plus a vehicle."""
        products: list[dict[str, Any]] = [
            {"id": VEHICLE_ID, "vin": "5YJ3E1EA0PF000001", "display_name": "Sim Car"}
        ]
        products.extend(
            {
                "energy_site_id": site["energy_site_id"],
                "resource_type": "battery",
                "site_name": site["site_name"],
                "id": site["id"],
                "gateway_id": site["gateway_id"],
                "asset_site_id": f"a0{site['energy_site_id']:x}",
                "percentage_charged": 62.5,
                "battery_type": "ac_powerwall",
                "backup_capable": True,
                "components": {"battery": True, "solar": True, "grid": True},
            }
            for site in self.sites
        )
        return web.json_response({"response": products, "count": len(products)})

    async def _site_info(self, request: web.Request) -> web.Response:
        """Answer GET site_info with the stored settings and tariff."""
        site = self._path_site(request)
        tariff = site["tariff_content_v2"]
        if tariff is not None and self.drop_sentinel:
            tariff = without_sentinel(tariff)
        info = {
            "id": site["id"],
            "site_name": site["site_name"],
            "backup_reserve_percent": site["backup_reserve_percent"],
            "default_real_mode": site["default_real_mode"],
            "installation_date": "2024-03-01T10:00:00+11:00",
            "installation_time_zone": site["installation_time_zone"],
            "version": "25.10.1 8c7bd2ad",
            "battery_count": site["battery_count"],
            "nameplate_power": 10000,
            "nameplate_energy": 27000,
            "tou_settings": {"optimization_strategy": site["optimization_strategy"]},
            "components": {
                "solar": True,
                "battery": True,
                "grid": True,
                "backup": True,
                "gateway": "teg",
                "tou_capable": True,
                "customer_preferred_export_rule": site["customer_preferred_export_rule"],
                "disallow_charge_from_grid_with_solar_installed": site[
                    "disallow_charge_from_grid_with_solar_installed"
                ],
                "gateways": [{"din": site["gateway_id"], "is_active": True}],
            },
        }
        if tariff is not None:
            info["tariff_content_v2"] = tariff
        return web.json_response({"response": info})

    async def _live_status(self, request: web.Request) -> web.Response:
        """Answer GET live_status with flows that follow the sun in the site's time zone."""
        site = self._path_site(request)
        local = self.now().astimezone(ZoneInfo(site["installation_time_zone"]))
        hours = local.hour + local.minute / 60
        solar = round(max(0.0, 6000.0 * math.sin(math.pi * (hours - 6) / 13)))
        load = 900.0
        battery = -min(5000.0, solar - load) if solar > load else 1500.0
        grid = load - solar - battery
        status = {
            "solar_power": solar,
            "battery_power": battery,
            "grid_power": grid,
            "load_power": load,
            "percentage_charged": 62.5,
            "energy_left": 16875.0,
            "total_pack_energy": 27000,
            "grid_status": "Active",
            "island_status": "on_grid",
            "storm_mode_active": False,
            "backup_capable": True,
            "timestamp": local.isoformat(timespec="seconds"),
        }
        return web.json_response({"response": status})

    async def _time_of_use(self, request: web.Request) -> web.Response:
        """Answer POST time_of_use_settings: check the tariff like Tesla, then store it."""
        site = self._path_site(request)
        body = await self._json(request)
        settings = body.get("tou_settings")
        if not isinstance(settings, dict) or "tariff_content_v2" not in settings:
            raise Rejected(400, "tou_settings.tariff_content_v2 is required")
        tariff = settings["tariff_content_v2"]
        check_tariff(tariff)
        strategy = settings.get("optimization_strategy")
        if strategy is not None and strategy not in STRATEGIES:
            raise Rejected(400, "optimization_strategy must be economics or balanced")
        if self.command_answer is None:
            site["tariff_content_v2"] = copy.deepcopy(tariff)
            if strategy is not None:
                site["optimization_strategy"] = strategy
            self.uploads.append((site["energy_site_id"], copy.deepcopy(tariff)))
        return self._updated()

    async def _operation(self, request: web.Request) -> web.Response:
        """Answer POST operation."""
        site = self._path_site(request)
        body = await self._json(request)
        mode = body.get("default_real_mode")
        if mode not in MODES:
            raise Rejected(400, "default_real_mode must be autonomous, self_consumption or backup")
        return self._apply(site, "operation", body, {"default_real_mode": mode})

    async def _backup(self, request: web.Request) -> web.Response:
        """Answer POST backup."""
        site = self._path_site(request)
        body = await self._json(request)
        percent = body.get("backup_reserve_percent")
        if (
            isinstance(percent, bool)
            or not isinstance(percent, int | float)
            or not 0 <= percent <= 100
        ):
            raise Rejected(400, "backup_reserve_percent must be 0..100")
        # Firmware 25.18.4 keeps 81-99 % as 80 % and still answers "Updated"
        # (docs/tesla-energy-api.md#backup-reserve).
        kept = 80 if 80 < percent < 100 else percent
        return self._apply(site, "backup", body, {"backup_reserve_percent": kept})

    async def _grid_import_export(self, request: web.Request) -> web.Response:
        """Answer POST grid_import_export."""
        site = self._path_site(request)
        body = await self._json(request)
        changes: dict[str, Any] = {}
        rule = body.get("customer_preferred_export_rule")
        if rule is not None:
            if rule not in EXPORT_RULES:
                raise Rejected(
                    400, "customer_preferred_export_rule must be never, pv_only or battery_ok"
                )
            changes["customer_preferred_export_rule"] = rule
        flag = body.get("disallow_charge_from_grid_with_solar_installed")
        if flag is not None:
            if not isinstance(flag, bool):
                raise Rejected(
                    400, "disallow_charge_from_grid_with_solar_installed must be a boolean"
                )
            changes["disallow_charge_from_grid_with_solar_installed"] = flag
        if not changes:
            raise Rejected(400, "nothing to change")
        return self._apply(site, "grid_import_export", body, changes)

    def _apply(
        self, site: dict[str, Any], command: str, body: dict[str, Any], changes: dict[str, Any]
    ) -> web.Response:
        """Log a command and store its changes unless a scripted answer replaces it."""
        self.commands.append((command, site["energy_site_id"], body))
        if self.command_answer is None:
            site.update(changes)
            if self.on_change is not None:
                self.on_change(site)
        return self._updated()
