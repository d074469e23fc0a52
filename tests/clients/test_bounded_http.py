"""Every HTTP client against a hostile loopback server: bounded bodies, bounded time, no secrets."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
import functools
from typing import TYPE_CHECKING, Any
import zlib

from aiohttp import web
import pytest

from custom_components.tesla_energy_sync.clients import _http
from custom_components.tesla_energy_sync.clients.amber import AmberClient
from custom_components.tesla_energy_sync.clients.comed import ComEdClient
from custom_components.tesla_energy_sync.clients.errors import (
    AuthenticationError,
    ClientTimeoutError,
    InvalidTokenError,
    RequestError,
    ResponseError,
    ServerError,
)
from custom_components.tesla_energy_sync.clients.tesla_energy import TeslaEnergyClient
from custom_components.tesla_energy_sync.clients.wall_connector import WallConnectorClient

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    import aiohttp

MIB = 1024 * 1024
HUGE = 50 * MIB
BOMB_INFLATED = 64 * MIB
# Far above every client's cap (the largest, Amber's, is 8 MiB) and far below HUGE.
OVER_EVERY_CAP = 9 * MIB
# Shaped like a real key and a real Fleet API token, so redaction has something to find.
AMBER_TOKEN = "psk_0123456789abcdef0123456789abcdef"
TESLA_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"
TIMEOUT = 0.5
# Seconds between bytes: a drip is slower than the timeout, a trickle much faster, so only a
# timeout on the whole request (not on each read) can end it.
DRIP_GAPS = {"drip": 1.0, "trickle": 0.05}
# Generous: the assertion is that the client gives up, not how fast.
TEST_BOUND = 10.0


@functools.cache
def gzip_bomb() -> bytes:
    """Return a gzip stream of a JSON array start and 64 MiB of spaces (about 64 KB packed)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(b"[")]
    block = b" " * MIB
    parts.extend(packer.compress(block) for _ in range(BOMB_INFLATED // MIB))
    parts.append(packer.flush())
    return b"".join(parts)


class HostileServer:
    """A loopback server answering every path in the way `mode` names."""

    def __init__(self) -> None:
        """Start idle."""
        self.mode = "html"
        self.hits = 0
        self.sent = 0
        self.url = ""
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Let hung handlers go and stop listening."""
        self._release.set()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """Answer according to the mode."""
        self.hits += 1
        echo = request.headers.get("Authorization", "")
        match self.mode:
            case "html":
                return web.Response(
                    text="<html><body>Bad gateway</body></html>", content_type="text/html"
                )
            case "invalid":
                return web.Response(text='{"response": [1, 2', content_type="application/json")
            case "undecodable":
                return web.Response(
                    body=b'["\xff\xfe"]', content_type="application/json", charset="utf-8"
                )
            case "deep":
                return web.Response(
                    text="[" * 200_000 + "]" * 200_000, content_type="application/json"
                )
            case "echo500" | "echo400":
                # A proxy that dumps the request, credentials included, into its error page.
                text = f"upstream refused\r\nAuthorization: {echo}\r\n" + "x" * 10_000
                return web.Response(status=500 if self.mode == "echo500" else 400, text=text)
            case "echo200":
                body = {"error": "invalid_token", "error_description": f"token {echo} expired"}
                return web.json_response(body)
            case "odd_charset_500" | "odd_charset_200":
                status = 500 if self.mode == "odd_charset_500" else 200
                return web.Response(
                    status=status,
                    body=b"down for maintenance",
                    headers={"Content-Type": "text/plain; charset=no-such-charset"},
                )
            case "hang":
                await self._release.wait()
                return web.Response(text="[]")
        return await self._stream(request)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """Write a huge body, a gzip bomb or a drip until the client hangs up."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        if self.mode == "bomb":
            response.headers["Content-Encoding"] = "gzip"
        await response.prepare(request)
        try:
            if self.mode == "huge":
                await self._write(response, b"[", b" " * (64 * 1024), HUGE)
            elif self.mode == "bomb":
                await self._write(response, b"", gzip_bomb(), len(gzip_bomb()))
            else:
                while not self._release.is_set():
                    await self._write(response, b"", b" ", self.sent + 1)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(DRIP_GAPS[self.mode]):
                            await self._release.wait()
        except ConnectionResetError:  # the client hung up, as it should
            return response
        await response.write_eof()
        return response

    async def _write(
        self, response: web.StreamResponse, head: bytes, chunk: bytes, total: int
    ) -> None:
        """Write head, then chunk repeatedly, up to total bytes, counting what went out."""
        await response.write(head)
        self.sent += len(head)
        while self.sent < total:
            await response.write(chunk)
            self.sent += len(chunk)


@dataclass(frozen=True)
class Kind:
    """One client, made against a server URL, and the call that reads from it."""

    name: str
    make: Callable[[aiohttp.ClientSession, str, float], Any]
    call: Callable[[Any], Awaitable[Any]]

    def __str__(self) -> str:
        """Name the test case."""
        return self.name


def _wall_connector(
    session: aiohttp.ClientSession, url: str, timeout: float
) -> WallConnectorClient:
    """Return a Wall Connector client on the server's host:port."""
    return WallConnectorClient(session, url.removeprefix("http://"), request_timeout=timeout)


CLIENTS = [
    Kind(
        "amber",
        lambda s, url, t: AmberClient(s, AMBER_TOKEN, base_url=url, request_timeout=t),
        lambda c: c.get_sites(),
    ),
    Kind(
        "comed",
        lambda s, url, t: ComEdClient(s, base_url=url, request_timeout=t),
        lambda c: c.get_five_minute_prices(),
    ),
    Kind(
        "tesla",
        lambda s, url, t: TeslaEnergyClient(s, TESLA_TOKEN, base_url=url, request_timeout=t),
        lambda c: c.list_energy_sites(),
    ),
    Kind("wall_connector", _wall_connector, lambda c: c.get_vitals()),
]


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    """Run a hostile loopback server."""
    server = HostileServer()
    await server.start()
    yield server
    await server.stop()


async def read_with(
    kind: Kind,
    session: aiohttp.ClientSession,
    server: HostileServer,
    mode: str,
    request_timeout: float = 5.0,
) -> Any:
    """Point the client at the server in the given mode and make its call, bounded by the test."""
    server.mode = mode
    client = kind.make(session, server.url, request_timeout)
    async with asyncio.timeout(TEST_BOUND):
        return await kind.call(client)


@pytest.mark.parametrize("kind", CLIENTS, ids=str)
@pytest.mark.parametrize("mode", ["html", "invalid", "undecodable", "deep"])
async def test_a_body_that_is_not_json_is_a_response_error(
    session: aiohttp.ClientSession, hostile: HostileServer, kind: Kind, mode: str
) -> None:
    with pytest.raises(ResponseError):
        await read_with(kind, session, hostile, mode)


@pytest.mark.parametrize("kind", CLIENTS, ids=str)
async def test_a_huge_body_is_refused_at_the_cap(
    session: aiohttp.ClientSession, hostile: HostileServer, kind: Kind
) -> None:
    with pytest.raises(ResponseError, match="more than"):
        await read_with(kind, session, hostile, "huge")
    await asyncio.sleep(0.05)  # let the server notice the hang-up
    assert hostile.sent < HUGE


@pytest.mark.parametrize("kind", CLIENTS, ids=str)
async def test_a_gzip_bomb_is_refused_at_the_cap(
    session: aiohttp.ClientSession, hostile: HostileServer, kind: Kind
) -> None:
    assert len(gzip_bomb()) < MIB < OVER_EVERY_CAP < BOMB_INFLATED
    with pytest.raises(ResponseError, match="more than"):
        await read_with(kind, session, hostile, "bomb")


@pytest.mark.parametrize("kind", CLIENTS, ids=str)
@pytest.mark.parametrize("mode", ["drip", "trickle", "hang"])
async def test_a_slow_server_ends_in_a_timeout(
    session: aiohttp.ClientSession, hostile: HostileServer, kind: Kind, mode: str
) -> None:
    with pytest.raises(ClientTimeoutError, match=f"within {TIMEOUT} s"):
        await read_with(kind, session, hostile, mode, request_timeout=TIMEOUT)
    if mode == "trickle":
        assert hostile.sent > 2  # bytes kept coming, each well within the timeout


@pytest.mark.parametrize(
    ("kind", "token"),
    [(CLIENTS[0], AMBER_TOKEN), (CLIENTS[2], TESLA_TOKEN)],
    ids=["amber", "tesla"],
)
@pytest.mark.parametrize(("mode", "error"), [("echo500", ServerError), ("echo400", RequestError)])
async def test_an_echoed_token_is_redacted_and_the_excerpt_short(
    session: aiohttp.ClientSession,
    hostile: HostileServer,
    kind: Kind,
    token: str,
    mode: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error) as caught:
        await read_with(kind, session, hostile, mode)
    message = str(caught.value)
    assert token not in message
    assert "Authorization: Bearer ***" in message
    assert "\n" not in message
    assert len(message) <= len("HTTP 500: ") + _http.EXCERPT_CHARS


async def test_a_token_echoed_in_a_200_error_is_redacted(
    session: aiohttp.ClientSession, hostile: HostileServer
) -> None:
    with pytest.raises(RequestError) as caught:
        await read_with(CLIENTS[2], session, hostile, "echo200")
    assert TESLA_TOKEN not in str(caught.value)
    assert str(caught.value) == "HTTP 200: invalid_token token Bearer *** expired"


@pytest.mark.parametrize(
    "bad", ["psk_abc\r\nX-Injected: 1", "psk_abc\n", "psk_\x00abc", "psk_\x7f", "psk_ä"]
)
async def test_a_token_no_header_can_carry_is_refused_before_sending(
    session: aiohttp.ClientSession, hostile: HostileServer, bad: str
) -> None:
    hostile.mode = "html"
    amber = AmberClient(session, bad, base_url=hostile.url)
    with pytest.raises(InvalidTokenError) as caught:
        await amber.get_sites()
    assert isinstance(caught.value, AuthenticationError)
    assert bad not in str(caught.value)
    assert amber.requests_in_window == 0  # no request budget spent on it

    async def refreshed() -> str:
        return bad

    for token in (bad, refreshed):
        with pytest.raises(InvalidTokenError):
            await TeslaEnergyClient(session, token, base_url=hostile.url).list_energy_sites()
    assert hostile.hits == 0


class Exact:
    """A server answering a body of a set size, for the cap's edge."""

    def __init__(self, size: int) -> None:
        """Keep the size."""
        self.size = size

    async def handle(self, request: web.Request) -> web.Response:
        """Answer size bytes."""
        return web.Response(body=b"a" * self.size)


@pytest.mark.parametrize(("size", "refused"), [(1000, False), (1001, True), (0, False)])
async def test_the_cap_is_exact(session: aiohttp.ClientSession, size: int, refused: bool) -> None:
    app = web.Application()
    app.router.add_get("/", Exact(size).handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    try:
        answer = _http.request(session, "GET", url, service="S", request_timeout=5, max_bytes=1000)
        if refused:
            with pytest.raises(ResponseError, match="S answered with more than 1000 bytes"):
                await answer
        else:
            assert (await answer).body == b"a" * size
    finally:
        await runner.cleanup()


def test_redaction() -> None:
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjF9.c2ln-_x"
    assert _http.redact(f"auth={AMBER_TOKEN}; id={jwt}!", [AMBER_TOKEN]) == "auth=***; id=***!"
    assert _http.redact("Authorization:  BEARER abc.def ok") == "Authorization:  BEARER *** ok"
    # Strings too short to be a key are left alone, or every "t" would go.
    assert _http.redact("not the token", ["t"]) == "not the token"
    assert _http.excerpt("a\r\n\tb\x1b[31mc\x00") == "a b [31mc"
    long = _http.excerpt("é" * 500)
    assert long == "é" * 197 + "..."
    assert _http.excerpt("") == ""


async def test_a_charset_python_lacks(
    session: aiohttp.ClientSession, hostile: HostileServer
) -> None:
    comed = CLIENTS[1]
    with pytest.raises(ServerError, match="HTTP 500: down for maintenance"):
        await read_with(comed, session, hostile, "odd_charset_500")
    with pytest.raises(ResponseError, match="undecodable text"):
        await read_with(comed, session, hostile, "odd_charset_200")
