"""Async client for the Tesla Fleet API vehicle commands (through a signing proxy)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import inspect
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from ._http import KIB, bearer_headers, decode_json, excerpt, raise_for_status, request
from .errors import ClientConnectionError, CommandError, RateLimitError, ResponseError
from .tesla_energy import DEFAULT_RETRY_AFTER, DEFAULT_TESLA_BASE_URL, clamp_retry_after

if TYPE_CHECKING:
    import aiohttp

    from .tesla_energy import TokenSource

_SERVICE = "Tesla"
# A command's answer is {"response": {"result": ..., "reason": ...}}: a few hundred bytes.
MAX_BODY_BYTES: Final = 64 * KIB
# Refusals that mean the car is already where the command would take it (core treats them
# the same way): nothing to report to the user.
ACCEPTED_REASONS: Final = frozenset({"already_set", "not_charging", "requested"})
# Waits between wake_up calls while the car comes online; together about a minute, which is
# how long a sleeping car usually takes to connect.
WAKE_DELAYS: Final = (2.0, 4.0, 8.0, 15.0, 30.0)
# Text of Tesla's refusal of an unsigned command (HTTP 403, or a reason in a 200 answer).
_SIGNING_MARKERS: Final = ("command protocol", "signed command", "unsigned")


class VehicleAsleepError(ClientConnectionError):
    """The car is asleep or offline and did not come online after being woken."""


class SigningRequiredError(CommandError):
    """The car accepts only commands signed by the Vehicle Command Protocol (use a proxy)."""


class CommandRefusedError(CommandError):
    """The car refused the command; `reason` is Tesla's word for why."""

    def __init__(self, command: str, reason: str) -> None:
        """Keep the command and the reason."""
        super().__init__(f"{command} refused: {reason}")
        self.command = command
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command's answer: whether the car carried it out, and Tesla's reason if not."""

    result: bool
    reason: str
    woke: bool = False

    @classmethod
    def from_response(cls, data: Any) -> CommandResult:
        """Parse {"response": {"result": bool, "reason": str}}."""
        body = data.get("response") if isinstance(data, Mapping) else None
        if not isinstance(body, Mapping) or not isinstance(body.get("result"), bool):
            raise ResponseError(f"{_SERVICE} answered a command without a result")
        reason = body.get("reason")
        return cls(result=body["result"], reason=reason if isinstance(reason, str) else "")


def _signing_required(text: str) -> bool:
    """Return whether Tesla's text says the command must be signed."""
    folded = text.casefold()
    return any(marker in folded for marker in _SIGNING_MARKERS)


class TeslaVehicleClient:
    """Send commands to the vehicles of one Fleet API (or signing proxy) token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: TokenSource,
        *,
        base_url: str = DEFAULT_TESLA_BASE_URL,
        request_timeout: float = 30.0,
        wake_delays: tuple[float, ...] = WAKE_DELAYS,
    ) -> None:
        """Keep the session (owned by the caller); token may be a callable so refreshes apply."""
        self._session = session
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._request_timeout = request_timeout
        self._wake_delays = wake_delays

    async def command(
        self, vin: str, name: str, body: Mapping[str, Any] | None = None
    ) -> CommandResult:
        """Send a command; a sleeping car is woken and the command sent once more."""
        try:
            return await self._command(vin, name, body)
        except VehicleAsleepError:
            await self.wake_up(vin)
        result = await self._command(vin, name, body)
        return CommandResult(result.result, result.reason, woke=True)

    async def wake_up(self, vin: str) -> None:
        """Wake the car and wait, a bounded while, until Tesla reports it online."""
        for delay in (*self._wake_delays, None):
            data = await self._post(self._path(vin, "wake_up"), None)
            answer = data.get("response") if isinstance(data, Mapping) else None
            if isinstance(answer, Mapping) and answer.get("state") == "online":
                return
            if delay is None:
                break
            await asyncio.sleep(delay)
        raise VehicleAsleepError(f"the vehicle did not wake up ({vin[-6:]})")

    async def _command(self, vin: str, name: str, body: Mapping[str, Any] | None) -> CommandResult:
        """Send one command and judge its answer."""
        result = CommandResult.from_response(
            await self._post(self._path(vin, f"command/{name}"), body)
        )
        if result.result or result.reason in ACCEPTED_REASONS:
            return result
        if _signing_required(result.reason):
            raise SigningRequiredError(f"{name}: {result.reason}")
        raise CommandRefusedError(name, result.reason or "unknown")

    @staticmethod
    def _path(vin: str, endpoint: str) -> str:
        """Return the path of a vehicle endpoint."""
        return f"/api/1/vehicles/{quote(vin, safe='')}/{endpoint}"

    async def _bearer(self) -> str:
        """Return the current access token."""
        if isinstance(self._token, str):
            return self._token
        token = self._token()
        return await token if inspect.isawaitable(token) else token

    async def _post(self, path: str, body: Mapping[str, Any] | None) -> Any:
        """POST once; return the decoded JSON, every failure mapped to a client error."""
        token = await self._bearer()
        reply = await request(
            self._session,
            "POST",
            f"{self._base_url}{path}",
            service=_SERVICE,
            request_timeout=self._request_timeout,
            max_bytes=MAX_BODY_BYTES,
            headers=bearer_headers(token, service=_SERVICE),
            json_body=dict(body) if body is not None else None,
            secrets=(token,),
        )
        if reply.status >= 300 and _signing_required(reply.detail):
            # Tesla answers 403 here, which would otherwise read as a refused token.
            raise SigningRequiredError(reply.detail)
        if reply.status == 408:
            raise VehicleAsleepError(f"the vehicle is asleep or offline: {reply.detail}")
        if reply.status == 429:
            raise RateLimitError(clamp_retry_after(reply.headers), f"{_SERVICE} rate limit")
        raise_for_status(reply, service=_SERVICE, default_retry=DEFAULT_RETRY_AFTER)
        data = decode_json(reply, service=_SERVICE)
        if isinstance(data, Mapping) and data.get("error") and data.get("response") is None:
            error = excerpt(f"{data['error']} {data.get('error_description') or ''}", (token,))
            if _signing_required(error):
                raise SigningRequiredError(error)
            raise CommandError(error)
        return data
