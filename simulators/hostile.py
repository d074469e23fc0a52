"""A server on loopback that answers every request badly, on purpose, for fault-injection tests.

It speaks just enough HTTP/1.1 (over TLS when given a context) to read a request and send one
of a few bad answers: an HTML page, JSON that does not parse, a 50 MB body, a gzip bomb, an
error page echoing the request (credentials included), no answer at all, or an answer one byte
a second. A client that is not speaking HTTP (Kafka) gets the same bytes after a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from enum import StrEnum
import functools
import gzip
import ssl
from typing import Final

from ._server import require_loopback

HUGE_BODY_BYTES: Final = 50 * 1024 * 1024
BOMB_INFLATED_BYTES: Final = 64 * 1024 * 1024
_CHUNK: Final = 1024 * 1024
_HEAD_LIMIT: Final = 256 * 1024
_REQUEST_WAIT: Final = 1.0


class Misbehaviour(StrEnum):
    """How the server answers."""

    HTML = "html"
    INVALID_JSON = "invalid_json"
    HUGE = "huge"
    GZIP_BOMB = "gzip_bomb"
    ECHO = "echo"
    HANG = "hang"
    DRIP = "drip"


@functools.cache
def gzip_bomb() -> bytes:
    """Return 64 MiB of spaces gzipped (about 64 kB), made once per process."""
    return gzip.compress(b" " * BOMB_INFLATED_BYTES, compresslevel=9)


def _head(status: str, content_type: str, length: int, *extra: str) -> bytes:
    lines = [
        f"HTTP/1.1 {status}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        "Connection: close",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


_HTML: Final = b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>"
_INVALID_JSON: Final = b'{"data": [{"id": 1, "perKwh": 2'


class HostileServer:
    """Listen on 127.0.0.1 and answer every connection with one misbehaviour."""

    def __init__(
        self,
        misbehaviour: Misbehaviour,
        *,
        tls: ssl.SSLContext | None = None,
        drip_interval: float = 1.0,
    ) -> None:
        """Prepare the server; `tls` makes it HTTPS (a gateway), `drip_interval` paces DRIP."""
        self.misbehaviour = misbehaviour
        self.drip_interval = drip_interval
        self.connections = 0
        self.requests: list[bytes] = []
        """The head (and body) of every request read, for tests that look at what was sent."""
        self._tls = tls
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def host(self) -> str:
        """Return host:port, as a device address or a Kafka bootstrap server."""
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Return the URL clients are pointed at."""
        return f"{'https' if self._tls else 'http'}://{self.host}"

    async def start(self, host: str = "127.0.0.1") -> str:
        """Start listening on a free port; return the base URL."""
        self._server = await asyncio.start_server(
            self._serve, require_loopback(host), 0, ssl=self._tls, limit=_HEAD_LIMIT
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.base_url

    async def stop(self) -> None:
        """Stop listening, hang up on every client and end every handler."""
        if self._server is not None:
            self._server.close()
            self._server.close_clients()
            self._server = None
        handlers, self._handlers = self._handlers, set()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:  # always, in a connection handler
            self._handlers.add(task)
        try:
            self.requests.append(await _read_request(reader))
            await self._answer(writer, self.requests[-1])
            await writer.drain()
        except ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, TimeoutError:
            pass  # the client gave up (or capped what it reads): that is the point
        finally:
            if task is not None:
                self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer(self, writer: asyncio.StreamWriter, request: bytes) -> None:
        match self.misbehaviour:
            case Misbehaviour.HTML:
                writer.write(_head("200 OK", "text/html", len(_HTML)) + _HTML)
            case Misbehaviour.INVALID_JSON:
                writer.write(_head("200 OK", "application/json", len(_INVALID_JSON)))
                writer.write(_INVALID_JSON)
            case Misbehaviour.HUGE:
                # 50 MB of JSON that never closes its array: useless, however it is read.
                writer.write(_head("200 OK", "application/json", 1 + HUGE_BODY_BYTES) + b"[")
                filler = b" " * _CHUNK
                for _ in range(HUGE_BODY_BYTES // _CHUNK):
                    writer.write(filler)
                    await writer.drain()
            case Misbehaviour.GZIP_BOMB:
                bomb = gzip_bomb()
                head = _head("200 OK", "application/json", len(bomb), "Content-Encoding: gzip")
                writer.write(head + bomb)
            case Misbehaviour.ECHO:
                # A proxy's error page that repeats the request, Authorization header and all.
                page = (
                    b"<html><body><h1>400 Bad Request</h1><pre>" + request + b"</pre></body></html>"
                )
                writer.write(_head("400 Bad Request", "text/html", len(page)) + page)
            case Misbehaviour.HANG:
                await asyncio.Event().wait()  # until stop() cancels it
            case Misbehaviour.DRIP:
                answer = _head("200 OK", "application/json", len(_INVALID_JSON)) + _INVALID_JSON
                for index in range(len(answer)):
                    writer.write(answer[index : index + 1])
                    await writer.drain()
                    await asyncio.sleep(self.drip_interval)


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    """Read an HTTP request's head and body; whatever arrives within a second from others."""
    try:
        async with asyncio.timeout(_REQUEST_WAIT):
            head = await reader.readuntil(b"\r\n\r\n")
    except TimeoutError:
        return b""  # not HTTP (a Kafka client): answer anyway
    except asyncio.LimitOverrunError:
        return b""
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    body = await reader.readexactly(min(length, _HEAD_LIMIT)) if length else b""
    return head + body
