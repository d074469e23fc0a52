"""A whole Powerwall call is bounded in its thread: gateways that hang or trickle free it.

Without the call deadline one read (about 14 requests) against a gateway that accepts
and never answers took 14 x `timeout` in the executor thread, and one that sends a byte
now and then never ended. The servers below are real sockets on 127.0.0.1; each test's
bound is an `asyncio.timeout` well above the deadline and well below what the read took
without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
import socket
import ssl
from types import SimpleNamespace

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.timeout import Timeout

from custom_components.tesla_energy_sync.clients._powerwall_http import (
    CallDeadline,
    DeadlineAdapter,
    _within,
)
from custom_components.tesla_energy_sync.clients.errors import ClientTimeoutError
from custom_components.tesla_energy_sync.clients.powerwall import (
    PowerwallCredentials,
    PowerwallGateway,
    PowerwallMode,
)
from simulators.powerwall import self_signed_certificate

pytestmark = [
    pytest.mark.fault,
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

# Per connect and per socket read, as pypowerwall is given it: 14 requests x 5 s = 70 s.
REQUEST_TIMEOUT = 5.0
DEADLINE = 1.0
# Two calls must end within this; without the deadline the first alone takes 70 s or ever.
BOUND = 20.0
DRIP_EVERY = 0.1

type Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def in_thread[T](target: Callable[[], T]) -> T:
    """Run target in the default executor, as hass.async_add_executor_job does."""
    return await asyncio.get_running_loop().run_in_executor(None, target)


async def hang(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
    """Accept and never answer, not even the TLS handshake."""
    await reader.read()


async def drip(writer: asyncio.StreamWriter, head: bytes) -> None:
    """Send head, then one byte at a time, until the client goes."""
    try:
        writer.write(head)
        while True:
            await writer.drain()
            await asyncio.sleep(DRIP_EVERY)
            writer.write(b" ")
    except ConnectionError:
        return


async def drip_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer a request with a header that never ends."""
    await reader.readuntil(b"\r\n\r\n")
    await drip(writer, b"HTTP/1.1 200 OK\r\nX-Padding: ")


async def drip_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer a request with a JSON body that trickles in."""
    await reader.readuntil(b"\r\n\r\n")
    await drip(
        writer,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{",
    )


async def truncate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Promise 100 bytes, send 2, hang up."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab")
    await writer.drain()
    writer.close()


@asynccontextmanager
async def serve(handler: Handler, tmp_path: Path, *, tls: bool) -> AsyncIterator[str]:
    """Serve handler on 127.0.0.1 (over TLS if asked); yield "127.0.0.1:port"."""
    context = None
    if tls:
        certificate, key = self_signed_certificate(tmp_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
    running: set[asyncio.Task[None]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            await handler(reader, writer)
        except ConnectionError, asyncio.IncompleteReadError:
            return  # the client went first
        finally:
            writer.close()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0, ssl=context)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        server.abort_clients()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await server.wait_closed()


@pytest.mark.parametrize("handler", [hang, drip_headers, drip_body])
async def test_a_stuck_gateway_frees_the_thread_within_the_deadline(
    handler: Handler, tmp_path: Path
) -> None:
    """The call ends with a timeout, its thread free: the next one runs, not refused."""
    async with serve(handler, tmp_path, tls=handler is not hang) as host:
        gateway = PowerwallGateway(
            in_thread,
            host,
            PowerwallCredentials(PowerwallMode.LOCAL, "S1mulated"),
            tmp_path / "gateway",
            timeout=REQUEST_TIMEOUT,
            call_deadline=DEADLINE,
            # Far above the bound: only the thread itself can end the call in time.
            poll_timeout=600,
        )
        async with asyncio.timeout(BOUND):
            for _ in range(2):
                with pytest.raises(ClientTimeoutError, match=r"no complete answer within 1 s"):
                    await gateway.read()
            await gateway.close()


def test_within_caps_every_form_of_timeout() -> None:
    """None, seconds, a pair and urllib3's Timeout are all cut to the time left."""
    assert _within(None, 2.0) == (2.0, 2.0)
    assert _within(5, 2.0) == (2.0, 2.0)
    assert _within(1.5, 2.0) == (1.5, 1.5)
    assert _within((1.0, None), 2.0) == (1.0, 2.0)
    assert _within(Timeout(connect=3.0, read=0.5), 2.0) == (2.0, 0.5)


async def test_outside_a_call_requests_pass_unbounded(tmp_path: Path) -> None:
    """With no call running the adapter is plain requests, pool settings kept."""
    replaced = HTTPAdapter(pool_maxsize=3, max_retries=0)
    adapter = DeadlineAdapter(lambda: None, replaced)
    assert adapter.__getstate__() == replaced.__getstate__()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    def get(host: str) -> str:
        with requests.Session() as session:
            session.mount("http://", adapter)
            return session.get(f"http://{host}/", timeout=5).text

    async with serve(answer, tmp_path, tls=False) as host:
        assert await in_thread(lambda: get(host)) == "ok"


@pytest.mark.parametrize("stream", [False, True])
async def test_a_broken_body_in_time_is_not_a_timeout(tmp_path: Path, stream: bool) -> None:
    """A body cut short before the deadline fails as requests fails it, not as a timeout."""
    deadline = CallDeadline(60.0)

    def get(host: str) -> None:
        with requests.Session() as session:
            session.mount("http://", DeadlineAdapter(lambda: deadline, HTTPAdapter()))
            session.get(f"http://{host}/", timeout=5, stream=stream)

    try:
        async with serve(truncate, tmp_path, tls=False) as host:
            with pytest.raises(requests.RequestException) as failure:
                await in_thread(lambda: get(host))
    finally:
        deadline.cancel()
    # requests' own for a body it reads; the adapter's wrapping of urllib3's for a stream.
    assert type(failure.value) is (
        requests.ConnectionError if stream else requests.exceptions.ChunkedEncodingError
    )
    assert not deadline.expired


async def test_a_connection_watched_after_expiry_is_cut_at_once() -> None:
    """A connection handed out just as time ran out is shut down when it is watched."""
    deadline = CallDeadline(0.0)
    async with asyncio.timeout(BOUND):
        await in_thread(deadline._watchdog.join)  # the watchdog has fired
    assert deadline.expired
    assert deadline.left() == 0.0
    ours, theirs = socket.socketpair()
    with ours, theirs:
        deadline.watch(SimpleNamespace(sock=ours))  # type: ignore[arg-type]
        assert theirs.recv(1) == b""  # the far end sees the shutdown
        deadline.release()
    # A socket already closed, or none yet (still connecting), is left alone.
    deadline.watch(SimpleNamespace(sock=ours))  # type: ignore[arg-type]
    deadline.watch(SimpleNamespace(sock=None))  # type: ignore[arg-type]
