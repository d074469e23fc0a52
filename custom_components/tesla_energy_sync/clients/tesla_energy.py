"""Async client for the Tesla Fleet API energy-site endpoints the TOU sync and controls need."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
import inspect
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._http import MIB, bearer_headers, decode_json, excerpt, raise_for_status, request, retry_after
from .errors import RateLimitError, RequestError, ServerError
from .tesla_energy_models import (
    CommandResult,
    EnergySite,
    ExportRule,
    LiveStatus,
    OperationMode,
    OptimizationStrategy,
    SiteInfo,
    parse_products,
)

if TYPE_CHECKING:
    import aiohttp

DEFAULT_TESLA_BASE_URL = "https://fleet-api.prd.na.vn.cloud.tesla.com"
_SERVICE = "Tesla"
# PowerSync's bounds: honour Tesla's Retry-After, but never hammer nor stall for long.
MIN_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 300.0
DEFAULT_RETRY_AFTER = 60.0
# Answers are a few KB; site_info with a year of monthly tariff seasons stays near 100 KB.
MAX_BODY_BYTES = 4 * MIB

type TokenSource = str | Callable[[], str | Awaitable[str]]


def clamp_retry_after(headers: Mapping[str, str]) -> float:
    """Return Retry-After in seconds, clamped to 1..300, with a default when absent."""
    wait = retry_after(headers)
    wait = DEFAULT_RETRY_AFTER if wait is None else wait
    return min(MAX_RETRY_AFTER, max(MIN_RETRY_AFTER, wait))


def _body_error(data: Any, status: int, token: str) -> None:
    """Raise when a 2xx body still reports failure (Tesla sometimes answers 200 with an error)."""
    if not isinstance(data, Mapping):
        return
    error = data.get("error")
    if error:
        description = data.get("error_description") or ""
        raise RequestError(status, excerpt(f"{error} {description}", (token,)))


def _command_failure(result: CommandResult, token: str) -> None:
    """Raise when a command answer carries a failing code."""
    if result.code is None or result.code < 400:
        return
    message = excerpt(result.message or "", (token,))
    if result.code >= 500:
        raise ServerError(result.code, message)
    raise RequestError(result.code, message)


class TeslaEnergyClient:
    """Read and control the energy sites of one Fleet API (or Teslemetry-style proxy) token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: TokenSource,
        *,
        base_url: str = DEFAULT_TESLA_BASE_URL,
        request_timeout: float = 15.0,
    ) -> None:
        """Keep the session (owned by the caller); token may be a callable so refreshes apply."""
        self._session = session
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._request_timeout = request_timeout

    async def list_energy_sites(self) -> list[EnergySite]:
        """Return the account's energy sites (GET /api/1/products, vehicles left out)."""
        return parse_products(await self._request("GET", "/api/1/products"))

    async def site_info(self, site_id: int | str) -> SiteInfo:
        """Return the site's configuration, including the tariff it currently holds."""
        return SiteInfo.from_response(await self._request("GET", self._site(site_id, "site_info")))

    async def live_status(self, site_id: int | str) -> LiveStatus:
        """Return the site's power flows and charge now."""
        return LiveStatus.from_response(
            await self._request("GET", self._site(site_id, "live_status"))
        )

    async def set_time_of_use(
        self,
        site_id: int | str,
        tariff: Mapping[str, Any],
        *,
        optimization_strategy: OptimizationStrategy | None = None,
    ) -> CommandResult:
        """Upload a tariff_content_v2, optionally with the Time-Based Control strategy."""
        settings: dict[str, Any] = {"tariff_content_v2": dict(tariff)}
        if optimization_strategy is not None:
            settings["optimization_strategy"] = OptimizationStrategy(optimization_strategy).value
        return await self._command(site_id, "time_of_use_settings", {"tou_settings": settings})

    async def set_operation(self, site_id: int | str, mode: OperationMode | str) -> CommandResult:
        """Set the operating mode (autonomous = Time-Based Control)."""
        return await self._command(
            site_id, "operation", {"default_real_mode": OperationMode(mode).value}
        )

    async def set_backup_reserve(self, site_id: int | str, percent: float) -> CommandResult:
        """Set the backup reserve, 0..100 %."""
        if not 0 <= percent <= 100:
            raise ValueError(f"backup reserve must be 0..100 %, got {percent}")
        value = int(percent) if float(percent).is_integer() else percent
        return await self._command(site_id, "backup", {"backup_reserve_percent": value})

    async def set_grid_import_export(
        self,
        site_id: int | str,
        *,
        export_rule: ExportRule | str | None = None,
        disallow_charge_from_grid_with_solar_installed: bool | None = None,
    ) -> CommandResult:
        """Set what may be exported and whether the battery may charge from the grid."""
        body: dict[str, Any] = {}
        if export_rule is not None:
            body["customer_preferred_export_rule"] = ExportRule(export_rule).value
        if disallow_charge_from_grid_with_solar_installed is not None:
            body["disallow_charge_from_grid_with_solar_installed"] = (
                disallow_charge_from_grid_with_solar_installed
            )
        if not body:
            raise ValueError("give export_rule, the grid-charging flag, or both")
        return await self._command(site_id, "grid_import_export", body)

    @staticmethod
    def _site(site_id: int | str, endpoint: str) -> str:
        """Return the path of an energy-site endpoint."""
        return f"/api/1/energy_sites/{quote(str(site_id), safe='')}/{endpoint}"

    async def _command(
        self, site_id: int | str, endpoint: str, body: Mapping[str, Any]
    ) -> CommandResult:
        """POST a command and fail on a failing code inside a 200 answer."""
        data, token = await self._exchange("POST", self._site(site_id, endpoint), body)
        result = CommandResult.from_response(data)
        _command_failure(result, token)
        return result

    async def _bearer(self) -> str:
        """Return the current access token."""
        if isinstance(self._token, str):
            return self._token
        token = self._token()
        return await token if inspect.isawaitable(token) else token

    async def _request(self, method: str, path: str) -> Any:
        """Send one request and return its decoded JSON."""
        data, _token = await self._exchange(method, path)
        return data

    async def _exchange(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> tuple[Any, str]:
        """Send one request; return its decoded JSON and the token sent, every failure mapped."""
        token = await self._bearer()
        reply = await request(
            self._session,
            method,
            f"{self._base_url}{path}",
            service=_SERVICE,
            request_timeout=self._request_timeout,
            max_bytes=MAX_BODY_BYTES,
            headers=bearer_headers(token, service=_SERVICE),
            json_body=body,
            secrets=(token,),
        )
        if reply.status == 429:
            raise RateLimitError(clamp_retry_after(reply.headers), f"{_SERVICE} rate limit")
        raise_for_status(reply, service=_SERVICE, default_retry=DEFAULT_RETRY_AFTER)
        data = decode_json(reply, service=_SERVICE)
        _body_error(data, reply.status, token)
        return data, token
