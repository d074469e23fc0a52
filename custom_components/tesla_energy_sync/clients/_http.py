"""One JSON GET with the error mapping every price client shares."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import json
from typing import TYPE_CHECKING, Any

import aiohttp

from .errors import (
    AuthenticationError,
    ClientConnectionError,
    ClientTimeoutError,
    RateLimitError,
    RequestError,
    ResponseError,
    ServerError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from multidict import CIMultiDictProxy

_BODY_IN_ERRORS = 200


@dataclass(frozen=True, slots=True)
class Reply:
    """Status, headers and body text of one answered request."""

    status: int
    headers: CIMultiDictProxy[str]
    text: str


async def get_text(
    session: aiohttp.ClientSession,
    url: str,
    *,
    service: str,
    request_timeout: float,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """GET url and return the reply whatever its status; transport failures become client errors."""
    try:
        async with (
            asyncio.timeout(request_timeout),
            session.get(url, params=params, headers=headers) as response,
        ):
            return Reply(response.status, response.headers, await response.text())
    except TimeoutError as err:
        raise ClientTimeoutError(f"{service} did not answer within {request_timeout} s") from err
    except aiohttp.ClientError as err:
        raise ClientConnectionError(f"{service} unreachable: {err}") from err


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the Retry-After header in seconds, when it is a number."""
    raw = headers.get("Retry-After")
    try:
        return None if raw is None else max(0.0, float(raw))
    except ValueError:
        return None


def raise_for_status(reply: Reply, *, service: str, default_retry: float) -> None:
    """Raise the client error matching a non-2xx status."""
    status = reply.status
    if status < 300:
        return
    detail = reply.text[:_BODY_IN_ERRORS]
    if status in (401, 403):
        raise AuthenticationError(f"{service} refused the credentials (HTTP {status})")
    if status == 429:
        wait = retry_after(reply.headers)
        raise RateLimitError(default_retry if wait is None else wait, f"{service} rate limit")
    if status >= 500:
        raise ServerError(status, detail)
    raise RequestError(status, detail)


def decode_json(reply: Reply, *, service: str) -> Any:
    """Decode the body as JSON whatever the Content-Type says."""
    try:
        return json.loads(reply.text)
    except ValueError as err:
        raise ResponseError(f"{service} answered with invalid JSON: {err}") from err


def decode_list(reply: Reply, *, service: str) -> list[Any]:
    """Decode the body as a JSON array."""
    data = decode_json(reply, service=service)
    if not isinstance(data, list):
        raise ResponseError(f"{service}: expected a JSON array, got {type(data).__name__}")
    return data
