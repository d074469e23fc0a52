"""A deadline for a whole pypowerwall call, enforced inside the requests sessions it uses.

requests' `timeout` bounds each connect and each socket read, not a request, and one
pypowerwall read makes about 14 requests: a gateway that accepts and never answers held
the executor thread for 14 x timeout (28 s at 2 s, 70 s at 5 s), and one that sends a
byte now and then held it for good. `DeadlineAdapter` replaces the adapters of the
sessions pypowerwall made: each request gets only the time left of the call's
`CallDeadline` and is refused at once when none is left, and the deadline's watchdog
shuts the socket of the request in flight when the time runs out. Imported in the
executor only, with pypowerwall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from requests import PreparedRequest, Response, Session
from requests.adapters import HTTPAdapter
from requests.exceptions import (
    ConnectionError as RequestsConnectionError,
    ConnectTimeout,
    ReadTimeout,
    RequestException,
)
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError
from urllib3.util.timeout import Timeout

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

type DeadlineSource = Callable[[], CallDeadline | None]

# The deadline of the call running in this thread, for the pools to register connections.
_running = threading.local()


class CallDeadline:
    """The time one call may take, with a watchdog that cuts the request in flight at the end."""

    def __init__(self, seconds: float) -> None:
        """Start the clock and the watchdog."""
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._connection: BaseHTTPConnection | None = None
        # Set by the watchdog, on a real timer: a frozen test clock cannot hold it back.
        self.expired = False
        self._watchdog = threading.Timer(seconds, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def left(self) -> float:
        """Return the seconds left, 0 once the watchdog has fired."""
        return 0.0 if self.expired else max(self._end - time.monotonic(), 0.0)

    def watch(self, connection: BaseHTTPConnection) -> None:
        """Cut this connection when time runs out, until `release`."""
        with self._lock:
            self._connection = connection
            expired = self.expired
        if expired:
            _shut(connection)

    def release(self) -> None:
        """Stop watching the connection of the request that just ended."""
        with self._lock:
            self._connection = None

    def cancel(self) -> None:
        """Stop the watchdog and wait for its thread to end: the call is over."""
        self._watchdog.cancel()
        self._watchdog.join()

    def _expire(self) -> None:
        """Mark the call as out of time and cut the request in flight (in the timer thread)."""
        with self._lock:
            self.expired = True
            connection = self._connection
        if connection is not None:
            _shut(connection)


def _shut(connection: BaseHTTPConnection) -> None:
    """Shut a connection's socket down, which wakes a read blocked on it in another thread.

    shutdown, not close: closing a descriptor another thread is reading is unsafe. The
    plain socket method, because an SSL socket's own would drop its TLS state under the
    reader.
    """
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        with suppress(OSError):  # already closed: nothing left to wake
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    """A pool that shows the running call's deadline each connection it hands out."""

    def _get_conn(self, timeout: float | None = None) -> BaseHTTPConnection:
        """Return a connection, watched by the deadline of the call in this thread."""
        connection = super()._get_conn(timeout)
        deadline: CallDeadline | None = getattr(_running, "deadline", None)
        if deadline is not None:
            deadline.watch(connection)
        return connection


class _WatchedHTTPSConnectionPool(_WatchedHTTPConnectionPool, HTTPSConnectionPool):
    """The HTTPS pool, watched the same way."""


_WATCHED_POOLS: Mapping[str, type] = {
    "http": _WatchedHTTPConnectionPool,
    "https": _WatchedHTTPSConnectionPool,
}


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose requests share the deadline of the call that makes them."""

    def __init__(self, deadline_of: DeadlineSource, replacing: HTTPAdapter) -> None:
        """Take the pool size and retries of the adapter replaced; read the deadline per request."""
        self._deadline_of = deadline_of
        super().__init__()
        # The pickling state holds exactly the settings (pool sizes, retries) to keep.
        self.__setstate__(replacing.__getstate__())

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        """Make the pool manager hand out watched pools."""
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> Response:
        """Send within the time left, body included, or fail at once when none is."""
        deadline = self._deadline_of()
        if deadline is None:
            return super().send(request, stream, timeout, verify, cert, proxies)
        left = deadline.left()
        if left <= 0:
            raise ConnectTimeout(
                f"the call's {deadline.seconds:g} s are spent; not sent", request=request
            )
        _running.deadline = deadline
        try:
            response = super().send(request, stream, _within(timeout, left), verify, cert, proxies)
            try:
                # requests reads the body after send returns, out of the watchdog's reach.
                # pypowerwall takes a streamed body only as `raw.data`, which urllib3 keeps.
                _ = response.raw.data if stream else response.content
            except BaseException:
                response.close()
                raise
        except (RequestException, HTTPError, OSError) as err:
            if deadline.expired:
                raise ReadTimeout(
                    f"no complete answer within the call's {deadline.seconds:g} s",
                    request=request,
                ) from err
            if isinstance(err, RequestException):
                raise
            # As requests itself wraps what breaks a body it reads.
            raise RequestsConnectionError(err, request=request) from err
        finally:
            _running.deadline = None
            deadline.release()
        return response


def _within(timeout: Any, left: float) -> tuple[float, float]:
    """Return requests' timeout (None, seconds, a pair or urllib3's) capped at `left` seconds."""
    if isinstance(timeout, Timeout):
        connect, read = timeout.connect_timeout, timeout.read_timeout
    elif isinstance(timeout, tuple):
        connect, read = timeout
    else:
        connect = read = timeout

    def cap(value: Any) -> float:
        return min(value, left) if isinstance(value, int | float) else left

    return cap(connect), cap(read)


def _sessions(powerwall: Any) -> Iterator[Session]:
    """Yield the requests sessions a pypowerwall object holds (local and TEDAPI backends)."""
    client = getattr(powerwall, "client", None)
    tedapi = getattr(client, "tedapi", None)
    for owner, name in (
        (client, "session"),
        (tedapi, "session"),
        (tedapi, "api_session"),
        (tedapi, "wifi_session"),
    ):
        session = getattr(owner, name, None)
        if isinstance(session, Session):
            yield session


def bound_sessions(powerwall: Any, deadline_of: DeadlineSource) -> None:
    """Put a DeadlineAdapter in place of every other adapter of pypowerwall's sessions."""
    for session in _sessions(powerwall):
        for prefix, adapter in list(session.adapters.items()):
            if isinstance(adapter, HTTPAdapter) and not isinstance(adapter, DeadlineAdapter):
                session.mount(prefix, DeadlineAdapter(deadline_of, adapter))
                adapter.close()
