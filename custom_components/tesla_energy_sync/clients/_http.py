"""Bounded HTTP for every aiohttp client: one request, a capped body, errors mapped, secrets out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import re
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from ._json import finite_text, loads
from .errors import (
    AuthenticationError,
    ClientConnectionError,
    ClientTimeoutError,
    InvalidTokenError,
    RateLimitError,
    RequestError,
    ResponseError,
    ServerError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from multidict import CIMultiDictProxy

KIB: Final = 1024
MIB: Final = 1024 * KIB
_CHUNK: Final = 64 * KIB
# A failed answer only feeds an error message, so a prefix of it is read and the rest never is.
# The prefix outlasts the excerpt by far, so a long token (a JWT runs to ~2 KiB) that starts
# inside the excerpt is whole when it is redacted.
_ERROR_PREFIX_BYTES: Final = 16 * KIB
EXCERPT_CHARS: Final = 200
# Real keys are far longer; replacing shorter strings would garble ordinary words.
_MIN_SECRET_CHARS: Final = 8
_REDACTED: Final = "***"
# Header echoes and JWTs are hidden even when the token itself is not known here.
_BEARER: Final = re.compile(r"(\bbearer\s+)[^\s\"',;]+", re.IGNORECASE)
_JWT: Final = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*", re.ASCII)
_UNPRINTABLE: Final = re.compile(r"[^\x20-\x7e\u00a0-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class Reply:
    """Status, headers and body of one answered request; `detail` is safe to log."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    charset: str | None
    detail: str

    def text(self, *, service: str) -> str:
        """Return the body decoded by its charset (UTF-8 when it names none)."""
        try:
            return self.body.decode(self.charset or "utf-8")
        except (LookupError, UnicodeDecodeError) as err:
            raise ResponseError(f"{service} answered with undecodable text: {err}") from None


def bearer_headers(token: str, *, service: str) -> dict[str, str]:
    """Return the Authorization and Accept headers; a token no header can carry is refused."""
    # aiohttp would raise a bare ValueError for CR/LF; other control bytes and non-ASCII
    # text would reach the server mangled, or split the header.
    if not token.isascii() or not token.isprintable():
        raise InvalidTokenError(
            f"{service} token holds control characters or non-ASCII text; enter it again"
        )
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every secret, bearer credential and JWT in text."""
    for secret in secrets:
        if len(secret) >= _MIN_SECRET_CHARS:
            text = text.replace(secret, _REDACTED)
    return _JWT.sub(_REDACTED, _BEARER.sub(rf"\g<1>{_REDACTED}", text))


def excerpt(text: str, secrets: Iterable[str] = ()) -> str:
    """Return an upstream text fit for a log line: redacted, on one line, at most 200 chars."""
    flat = " ".join(_UNPRINTABLE.sub(" ", redact(text, secrets)).split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 3] + "..."


async def _read(content: aiohttp.StreamReader, limit: int) -> tuple[bytes, bool]:
    """Read at most limit decoded bytes; also return whether more followed."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await content.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:limit], True


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    service: str,
    request_timeout: float,
    max_bytes: int,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    secrets: Iterable[str] = (),
) -> Reply:
    """Send one request and return the reply whatever its status, its body capped."""
    # The timeout covers the whole exchange, body included: a server dripping one byte a
    # second must not hold a poll for ever. The cap counts decoded bytes, read as they
    # come, so a small gzip body that inflates without end stops at the cap too.
    try:
        async with (
            asyncio.timeout(request_timeout),
            session.request(
                method, url, params=params, headers=headers, json=json_body
            ) as response,
        ):
            ok = response.status < 300
            body, more = await _read(response.content, max_bytes if ok else _ERROR_PREFIX_BYTES)
            if ok and more:
                raise ResponseError(f"{service} answered with more than {max_bytes} bytes")
            charset = response.charset
    except TimeoutError as err:
        raise ClientTimeoutError(f"{service} did not answer within {request_timeout} s") from err
    except aiohttp.ClientError as err:
        raise ClientConnectionError(f"{service} unreachable: {err}") from err
    detail = "" if ok else excerpt(_lenient_text(body, charset), secrets)
    return Reply(response.status, response.headers, body, charset, detail)


def _lenient_text(body: bytes, charset: str | None) -> str:
    """Decode an error body as well as it goes; it only feeds a message."""
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the Retry-After header in seconds, when it is a finite number."""
    raw = headers.get("Retry-After")
    wait = None if raw is None else finite_text(raw)
    return None if wait is None else max(0.0, wait)


def raise_for_status(reply: Reply, *, service: str, default_retry: float) -> None:
    """Raise the client error matching a non-2xx status."""
    status = reply.status
    if status < 300:
        return
    if status in (401, 403):
        raise AuthenticationError(f"{service} refused the credentials (HTTP {status})")
    if status == 429:
        wait = retry_after(reply.headers)
        raise RateLimitError(default_retry if wait is None else wait, f"{service} rate limit")
    if status >= 500:
        raise ServerError(status, reply.detail)
    raise RequestError(status, reply.detail)


def decode_json(reply: Reply, *, service: str) -> Any:
    """Decode the body as JSON whatever the Content-Type says."""
    return loads(reply.text(service=service), what=service)


def decode_list(reply: Reply, *, service: str) -> list[Any]:
    """Decode the body as a JSON array."""
    data = decode_json(reply, service=service)
    if not isinstance(data, list):
        raise ResponseError(f"{service}: expected a JSON array, got {type(data).__name__}")
    return data
