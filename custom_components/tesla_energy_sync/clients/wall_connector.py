"""Async client for the Tesla Wall Connector Gen3 local HTTP API (read-only, no auth)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Final

from yarl import URL

from ._http import MIB, Reply, request
from .errors import RequestError, ResponseError, ServerError
from .wall_connector_models import (
    EvseState,
    WallConnectorLifetime,
    WallConnectorVersion,
    WallConnectorVitals,
    WallConnectorWifiStatus,
)

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "EvseState",
    "WallConnectorClient",
    "WallConnectorLifetime",
    "WallConnectorVersion",
    "WallConnectorVitals",
    "WallConnectorWifiStatus",
    "is_three_phase",
    "parse_body",
    "session_power_w",
]

DEFAULT_PORT: Final = 80
# Strings are matched first so that "nan" inside a quoted value is left alone.
_NON_FINITE: Final = re.compile(
    r'"(?:[^"\\]|\\.)*"|(?<![\w.])[-+]?(?:nan|inf(?:inity)?)(?![\w.])', re.IGNORECASE
)
_BODY_IN_ERRORS: Final = 120
# The unit's answers are about 1 KB.
MAX_BODY_BYTES: Final = 1 * MIB
# Idle load-side voltages are 0-6 V of noise, mains is 100 V and more (docs/wall-connector.md#power).
_MAINS_MIN_V: Final = 100.0
# evcc's split-phase test: phase C reads about half of grid_v (docs/wall-connector.md#power).
_SPLIT_PHASE_TOLERANCE_V: Final = 25.0


def _null_non_finite(match: re.Match[str]) -> str:
    """Keep a quoted string, replace a bare nan/inf token with null."""
    token = match.group(0)
    return token if token.startswith('"') else "null"


def parse_body(text: str, *, what: str = "Wall Connector") -> dict[str, Any]:
    """Decode a Wall Connector body tolerantly and return its JSON object.

    Bare `nan`, `NaN`, `inf` and `Infinity` become null (the unit prints them for
    readings it lacks). A body missing its final `}` is repaired once by appending it.
    Anything else that is not a JSON object raises ResponseError.
    """
    if not text.strip():
        raise ResponseError(f"{what} answered with an empty body")
    cleaned = _NON_FINITE.sub(_null_non_finite, text)
    try:
        data = json.loads(cleaned)
    except RecursionError as err:
        raise ResponseError(f"{what} answered with JSON nested too deeply") from err
    except ValueError as err:
        stripped = cleaned.rstrip()
        if stripped.endswith("}"):
            raise ResponseError(
                f"{what} answered with invalid JSON: {err}; body: {text[:_BODY_IN_ERRORS]!r}"
            ) from err
        try:
            data = json.loads(stripped + "}")
        except (ValueError, RecursionError) as again:
            raise ResponseError(
                f"{what} answered with invalid JSON, even after adding the missing "
                f"closing brace: {again}; body: {text[:_BODY_IN_ERRORS]!r}"
            ) from again
    if not isinstance(data, dict):
        raise ResponseError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def is_three_phase(vitals: WallConnectorVitals) -> bool:
    """Tell three-phase wiring from split or single phase by the load-side voltages."""
    grid, phase_a, phase_b, phase_c = (
        vitals.grid_v,
        vitals.voltage_a_v,
        vitals.voltage_b_v,
        vitals.voltage_c_v,
    )
    if grid is None or phase_a is None or phase_b is None or phase_c is None:
        return False
    if abs(phase_c - grid / 2) < _SPLIT_PHASE_TOLERANCE_V:
        return False
    return min(phase_a, phase_b, phase_c) >= _MAINS_MIN_V


def session_power_w(
    vitals: WallConnectorVitals, *, three_phase: bool | None = None
) -> float | None:
    """Return the power delivered to the vehicle in W, rounded to 0.1 W.

    docs/wall-connector.md#power: on split or single phase the power is grid_v * vehicle_current_a, because
    each phase current there is about half the vehicle current and summing V*I over
    phases overstates power by about a third (evcc#7599, core#147167). On three phase it
    is the sum over phases A, B and C of voltage * current (library `total_power_w`).
    With the contactor open it is 0, as evcc reports: the 0.1-0.4 A of idle noise is not
    delivery. `three_phase` None detects the wiring from the voltages (`is_three_phase`).
    Returns None when a reading the formula needs was not measured (nan).
    """
    if not vitals.contactor_closed:
        return 0.0
    if three_phase if three_phase is not None else is_three_phase(vitals):
        pairs = (
            (vitals.voltage_a_v, vitals.current_a_a),
            (vitals.voltage_b_v, vitals.current_b_a),
            (vitals.voltage_c_v, vitals.current_c_a),
        )
        total = 0.0
        for volts, amps in pairs:
            if volts is None or amps is None:
                return None
            total += volts * amps
        return round(total, 1)
    if vitals.grid_v is None or vitals.vehicle_current_a is None:
        return None
    return round(vitals.grid_v * vitals.vehicle_current_a, 1)


def _base_url(host: str, port: int) -> URL:
    """Build http://host:port from "host", "host:port", "[v6]:port" or a bare IPv6 address."""
    host = host.strip()
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        if rest.startswith(":"):
            host, port = address, _port(rest[1:], host)
        else:
            host = address
    elif host.count(":") == 1:
        host, _, raw_port = host.partition(":")
        port = _port(raw_port, host)
    if not host:
        raise ValueError("Wall Connector host is empty")
    return URL.build(scheme="http", host=host, port=port)


def _port(raw: str, host: str) -> int:
    """Parse a port written after the host."""
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"Wall Connector host {host!r}: bad port {raw!r}")
    return int(raw)


class WallConnectorClient:
    """Read one Wall Connector's vitals, lifetime counters, version and Wi-Fi status.

    No retries: the unit is slow and a retry loop exhausted sockets in the library
    (docs/wall-connector.md#transport); the caller's poll interval is the retry. `request_timeout` bounds each
    request in total, first byte included, which the unit can delay by seconds.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        *,
        port: int = DEFAULT_PORT,
        request_timeout: float = 10.0,
    ) -> None:
        """Keep the session (owned by the caller); a port in `host` wins over `port`."""
        self._session = session
        self._base_url = _base_url(host, port)
        self._request_timeout = request_timeout
        self._service = f"Wall Connector at {self._base_url.authority}"

    @property
    def base_url(self) -> str:
        """Return http://host:port of the unit."""
        return str(self._base_url)

    async def get_vitals(self) -> WallConnectorVitals:
        """Return the live readings."""
        return WallConnectorVitals.from_dict(await self._get("vitals"))

    async def get_lifetime(self) -> WallConnectorLifetime:
        """Return the lifetime counters."""
        return WallConnectorLifetime.from_dict(await self._get("lifetime"))

    async def get_version(self) -> WallConnectorVersion:
        """Return firmware, part number and serial number."""
        return WallConnectorVersion.from_dict(await self._get("version"))

    async def get_wifi_status(self) -> WallConnectorWifiStatus:
        """Return the Wi-Fi link status."""
        return WallConnectorWifiStatus.from_dict(await self._get("wifi_status"))

    async def _get(self, endpoint: str) -> dict[str, Any]:
        """GET /api/1/<endpoint> and return its JSON object."""
        reply = await request(
            self._session,
            "GET",
            str(self._base_url / "api" / "1" / endpoint),
            service=self._service,
            request_timeout=self._request_timeout,
            max_bytes=MAX_BODY_BYTES,
        )
        self._raise_for_status(reply)
        what = f"{self._service} /api/1/{endpoint}"
        return parse_body(reply.text(service=what), what=what)

    def _raise_for_status(self, reply: Reply) -> None:
        """Map a non-2xx status; the unit has no auth or rate limit, so any 4xx is ours."""
        if reply.status < 300:
            return
        if reply.status >= 500:
            raise ServerError(reply.status, reply.detail)
        raise RequestError(reply.status, reply.detail)
