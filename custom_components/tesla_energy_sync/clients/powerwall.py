"""One Powerwall gateway through pypowerwall, kept off the event loop and mapped to client errors.

pypowerwall is synchronous and may do network I/O in its constructor (docs/powerwall.md#library-behaviour), so every
call, the import and the constructor included, runs through the executor runner the
caller gives (`hass.async_add_executor_job` in Home Assistant). Calls to one gateway
are serialised: pypowerwall's local backend shares one requests session without locks
(docs/powerwall.md#library-behaviour). One `pypowerwall.Powerwall` is made per gateway and kept, because every
new one logs in again and excess logins lock the gateway out for minutes (docs/powerwall.md#login-and-lockout).

pypowerwall logs every failed request, and a missing API on every start, at ERROR; its
records are passed on at DEBUG only (`_DemoteToDebug`), because the caller reports a
failure itself, once.

Every call runs under a deadline in its thread too (`call_deadline`, enforced in
pypowerwall's requests sessions by `_powerwall_http`), so a gateway that hangs or
trickles frees the thread within the deadline and the next poll can run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import json
import logging
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit

from ._json import finite
from .errors import (
    AuthenticationError,
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    CommandError,
    RateLimitError,
    ResponseError,
    ServerError,
)
from .powerwall_models import (
    GridExportRule,
    GridStatus,
    MeterReading,
    OperatingMode,
    PowerwallMode,
    PowerwallSnapshot,
    app_to_raw_pct,
    build_snapshot,
)

if TYPE_CHECKING:
    from ._powerwall_http import CallDeadline

__all__ = [
    "ExecutorRunner",
    "GridExportRule",
    "GridStatus",
    "MeterReading",
    "OperatingMode",
    "PowerwallCredentials",
    "PowerwallGateway",
    "PowerwallMode",
    "PowerwallSnapshot",
]

_LOGGER = logging.getLogger(__name__)

CACHE_FILE_NAME: Final = "powerwall_auth.json"
LOGIN_PATH: Final = "/api/login/Basic"
AGGREGATES_PATH: Final = "/api/meters/aggregates"
OPERATION_PATH: Final = "/api/operation"
# pypowerwall's own cooldown after a 429 (docs/powerwall.md#login-and-lockout); the gateway gives no Retry-After.
DEFAULT_RATE_LIMIT_BACKOFF: Final = 300.0
_RESERVE_TOLERANCE: Final = 0.5
_LIBRARY_LOGGER: Final = "pypowerwall"


class ExecutorRunner(Protocol):
    """Runs a blocking callable off the event loop, like `hass.async_add_executor_job`."""

    def __call__[T](self, target: Callable[[], T], /) -> Awaitable[T]:
        """Return an awaitable of target's result."""
        ...


@dataclass(frozen=True, slots=True)
class PowerwallCredentials:
    """How to log in: the customer email and password (local) or the gateway password (TEDAPI)."""

    mode: PowerwallMode
    password: str
    email: str = "nobody@nowhere.com"

    def __repr__(self) -> str:
        """Keep the password out of logs."""
        return f"PowerwallCredentials(mode={self.mode.value!r}, email={self.email!r})"


class _DemoteToDebug(logging.Filter):
    """Pass one pypowerwall logger's records on at DEBUG, only while that logger shows DEBUG.

    The level test is the logger's own, so Home Assistant's `logger:` settings for
    "pypowerwall" (or the integration's debug logging, the manifest lists the logger)
    still bring the detail back; the original level stays in the message.
    """

    def __init__(self, logger: logging.Logger) -> None:
        """Watch over one logger."""
        super().__init__(logger.name)
        self._logger = logger

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote a record above DEBUG, or drop it where DEBUG is not shown."""
        if record.levelno <= logging.DEBUG:
            return True
        if not self._logger.isEnabledFor(logging.DEBUG):
            return False
        record.msg = f"[{record.levelname}] {record.msg}"
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True


def _demote_library_logs() -> None:
    """Give every pypowerwall logger that exists now the demoting filter, once.

    A filter acts only on records logged on its own logger, not on those its children
    pass up, so each logger gets one; called again after pypowerwall may have imported
    more of its modules (and made their loggers).
    """
    for name, logger in logging.Logger.manager.loggerDict.copy().items():
        if (
            isinstance(logger, logging.Logger)
            and (name == _LIBRARY_LOGGER or name.startswith(f"{_LIBRARY_LOGGER}."))
            and not any(isinstance(known, _DemoteToDebug) for known in logger.filters)
        ):
            logger.addFilter(_DemoteToDebug(logger))


class _HttpLog:
    """The gateway's answers as a requests response hook saw them; pypowerwall only logs them."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        self.count = 0
        self.last_status: dict[str, int] = {}

    def hook(self, response: Any, *_args: Any, **_kwargs: Any) -> None:
        """Record the status of one answer."""
        self.count += 1
        self.last_status[urlsplit(response.url).path] = response.status_code

    def attach(self, session: Any) -> None:
        """Hook into a requests session once; anything else (TEDAPI before connect) is skipped."""
        hooks = getattr(session, "hooks", None)
        if isinstance(hooks, dict) and self.hook not in hooks.setdefault("response", []):
            hooks["response"].append(self.hook)


class PowerwallGateway:
    """Read and control one Powerwall gateway through a single, reused pypowerwall object.

    `host` is "ip", "name" or "ip:port". `storage_dir` must belong to this gateway
    alone: pypowerwall keeps the login cookie there (its default, `.powerwall` in the
    working directory, is shared by every instance and makes gateways log each other
    out, docs/powerwall.md#library-behaviour). `timeout` bounds each connect and socket read
    inside pypowerwall; `call_deadline` bounds a whole call, which makes up to about 14
    requests, in the executor thread; `poll_timeout` bounds the wait for its result, and
    should exceed call_deadline so the thread is free again when a call times out.
    `pwcacheexpire` is pypowerwall's per-endpoint cache: keep it at or below the poll
    interval, and above the seconds one read takes so each endpoint is fetched once.

    After the gateway refuses the password, every call raises the same
    AuthenticationError without another login, until a new gateway object is made with
    new credentials. After a 429 every call raises RateLimitError without contacting
    the gateway until `rate_limit_backoff` seconds have passed.
    """

    def __init__(
        self,
        run_in_executor: ExecutorRunner,
        host: str,
        credentials: PowerwallCredentials,
        storage_dir: Path,
        *,
        timeout: float = 5.0,
        call_deadline: float = 10.0,
        poll_timeout: float = 15.0,
        pwcacheexpire: float = 5.0,
        timezone: str = "America/Los_Angeles",
        rate_limit_backoff: float = DEFAULT_RATE_LIMIT_BACKOFF,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Prepare; nothing is imported, constructed or contacted until the first call."""
        if not host.strip():
            raise ValueError("Powerwall host is empty: an empty host would select cloud mode")
        self._run = run_in_executor
        self.host = host.strip()
        self._credentials = credentials
        self.storage_dir = storage_dir
        self._timeout = timeout
        self._call_deadline = call_deadline
        self._deadline: CallDeadline | None = None
        self._poll_timeout = poll_timeout
        self._pwcacheexpire = pwcacheexpire
        self._timezone = timezone
        self._rate_limit_backoff = rate_limit_backoff
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._busy: asyncio.Future[Any] | None = None
        self._powerwall: Any = None
        self._http = _HttpLog()
        self._auth_error: AuthenticationError | None = None
        self._rate_limited_until = 0.0
        self._closed = False
        self._settings_changed = False
        self.powerwalls_created = 0

    @property
    def mode(self) -> PowerwallMode:
        """Return how the gateway is reached."""
        return self._credentials.mode

    @property
    def cache_file(self) -> Path:
        """Return where pypowerwall keeps this gateway's login cookie."""
        return self.storage_dir / CACHE_FILE_NAME

    @property
    def powerwall(self) -> Any:
        """Return the pypowerwall object, or None before the first call and after close."""
        return self._powerwall

    async def read(self) -> PowerwallSnapshot:
        """Return power, energy, levels, settings, grid status and alerts, read in one job."""
        return await self._call(self._read_job)

    def settings_changed(self) -> None:
        """Read /api/operation afresh next time: a change made elsewhere (the cloud) is due."""
        self._settings_changed = True

    async def set_reserve(self, pct: float) -> None:
        """Set the backup reserve, in the app's percent (0-100)."""
        if not 0 <= pct <= 100:
            raise ValueError(f"backup reserve must be 0-100 %, got {pct}")
        await self._call(lambda: self._operation_job(reserve_pct=pct))

    async def set_mode(self, mode: OperatingMode) -> None:
        """Set the operating mode."""
        await self._call(lambda: self._operation_job(mode=OperatingMode(mode)))

    async def set_grid_charging(self, enabled: bool) -> None:
        """Allow or forbid charging from the grid (pypowerwall: cloud and v1r only)."""
        await self._call(
            lambda: self._setting_job("grid charging", lambda pw: pw.set_grid_charging(enabled))
        )

    async def set_grid_export(self, rule: GridExportRule) -> None:
        """Set what may be exported to the grid (pypowerwall: cloud and v1r only)."""
        value = GridExportRule(rule).value
        await self._call(
            lambda: self._setting_job("grid export", lambda pw: pw.set_grid_export(value))
        )

    async def close(self) -> None:
        """Close the HTTP connections; the login cookie stays on disk for the next start."""
        async with self._lock:
            self._closed = True
            busy, self._busy = self._busy, None
            if busy is not None and not busy.done():
                try:
                    async with asyncio.timeout(self._poll_timeout):
                        await asyncio.shield(busy)
                except Exception:  # noqa: BLE001 - its caller was told already; closing anyway
                    _LOGGER.debug("Powerwall %s: pending call failed before close", self.host)
            powerwall, self._powerwall = self._powerwall, None
            if powerwall is not None:
                await self._run(lambda: _close_powerwall(powerwall))

    async def _call[T](self, job: Callable[[], T]) -> T:
        """Run job in the executor, one at a time, bounded by poll_timeout, errors mapped."""
        async with self._lock:
            if self._closed:
                raise ClientError(f"Powerwall {self.host}: client is closed")
            if self._auth_error is not None:
                # A fresh error each time: re-raising one object grows its traceback.
                raise AuthenticationError(str(self._auth_error))
            wait = self._rate_limited_until - self._monotonic()
            if wait > 0:
                raise RateLimitError(wait, f"Powerwall {self.host} rate limited us")
            if self._busy is not None and not self._busy.done():
                # A timed-out call still owns pypowerwall's session in its thread.
                raise ClientTimeoutError(f"Powerwall {self.host}: an earlier call is still running")
            future: asyncio.Future[T] = asyncio.ensure_future(
                self._run(lambda: self._within_deadline(job))
            )
            future.add_done_callback(_consume_exception)
            self._busy = future
            try:
                async with asyncio.timeout(self._poll_timeout):
                    return await asyncio.shield(future)
            except TimeoutError as err:
                raise ClientTimeoutError(
                    f"Powerwall {self.host}: no result within {self._poll_timeout:g} s"
                ) from err
            except AuthenticationError as err:
                self._auth_error = err
                raise
            except RateLimitError as err:
                self._rate_limited_until = self._monotonic() + err.retry_after
                raise

    # Everything below runs in the executor thread.

    def _within_deadline[T](self, job: Callable[[], T]) -> T:
        """Run job under a fresh call deadline; a failure after it ran out is a timeout."""
        from ._powerwall_http import CallDeadline

        deadline = self._deadline = CallDeadline(self._call_deadline)
        try:
            return job()
        except AuthenticationError, RateLimitError:
            raise  # the gateway's own answers, whenever they came
        except ClientError:
            if not deadline.expired:
                raise
        finally:
            deadline.cancel()
            self._deadline = None
        # Raised here, not in the handler, to keep pypowerwall's frames off the error.
        raise ClientTimeoutError(
            f"Powerwall {self.host}: no complete answer within {self._call_deadline:g} s"
        )

    def _current_deadline(self) -> CallDeadline | None:
        """Return the deadline of the call running now (for pypowerwall's sessions)."""
        return self._deadline

    def _connected(self) -> Any:
        """Return the pypowerwall object, making it on first use; errors are pypowerwall's own."""
        if self._powerwall is None:
            import pypowerwall  # here, not at the top: heavy, and it alters urllib3 globally

            _demote_library_logs()
            self.storage_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._drop_unusable_cookie()
            local = self.mode is PowerwallMode.LOCAL
            self._powerwall = pypowerwall.Powerwall(
                host=self.host,
                password=self._credentials.password if local else "",
                email=self._credentials.email,
                timezone=self._timezone,
                pwcacheexpire=self._pwcacheexpire,
                timeout=self._timeout,
                poolmaxsize=2,
                cloudmode=False,
                authpath=str(self.storage_dir),
                cachefile=str(self.cache_file),
                fleetapi=False,
                auto_select=False,
                retry_modes=False,
                gw_pwd=None if local else self._credentials.password,
                # Without this a failed login silently moves to FleetAPI or the cloud.
                failover=False,
            )
            self.powerwalls_created += 1
            _demote_library_logs()
        powerwall = self._powerwall
        if powerwall.client is None:
            connected = powerwall.connect()
            _demote_library_logs()
            if not connected:
                raise ClientConnectionError(
                    f"Powerwall {self.host}: TEDAPI did not connect (check the gateway "
                    "password and that this host can reach the gateway)"
                )
        from ._powerwall_http import bound_sessions

        bound_sessions(powerwall, self._current_deadline)
        session = getattr(powerwall.client, "session", None)
        self._http.attach(session)
        return powerwall

    def _drop_unusable_cookie(self) -> None:
        """Delete a cookie file pypowerwall would log in over inside its constructor.

        pypowerwall logs in at construction only when the file exists without both
        cookies, and swallows that login's failure; without the file it logs in on the
        first request, where a refusal is raised and can be mapped.
        """
        try:
            saved = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except OSError, ValueError:
            saved = None
        if not (isinstance(saved, dict) and {"AuthCookie", "UserRecord"} <= saved.keys()):
            self.cache_file.unlink(missing_ok=True)

    def _guarded[T](self, work: Callable[[Any], T]) -> T:
        """Run work on the connected pypowerwall object and map what it raises."""
        from google.protobuf.message import (  # type: ignore[import-untyped]
            DecodeError as ProtobufDecodeError,
        )
        from pypowerwall.exceptions import PyPowerwallInvalidConfigurationParameter
        from pypowerwall.local.exceptions import LoginError

        failure: ClientError
        try:
            return work(self._connected())
        except LoginError as err:
            failure = self._login_error(err)
        except PyPowerwallInvalidConfigurationParameter as err:
            failure = ClientError(f"Powerwall {self.host}: {err}")
        except ConnectionError as err:
            failure = ClientConnectionError(f"Powerwall {self.host} unreachable: {err}")
        except (TypeError, ValueError, KeyError, AttributeError, ProtobufDecodeError) as err:
            # Protobuf's DecodeError comes from a malformed /api/devices/vitals body.
            failure = ResponseError(f"Powerwall {self.host}: unusable answer: {err!r}")
        # Raised outside the handlers on purpose: chained to pypowerwall's exception it
        # would pin pypowerwall's frames, and with them the failed response and its
        # socket, for as long as the error is kept (the auth latch keeps it for good).
        raise failure

    def _login_error(self, err: Exception) -> ClientError:
        """Map a failed login by the status the hook saw (pypowerwall keeps only a message)."""
        status = self._http.last_status.get(LOGIN_PATH)
        if status in {401, 403}:
            return AuthenticationError(f"Powerwall {self.host} refused the password")
        if status == 429:
            return RateLimitError(
                self._rate_limit_backoff, f"Powerwall {self.host} locked logins out"
            )
        if status is not None and status >= 500:
            return ServerError(status, f"Powerwall {self.host} login")
        return ResponseError(f"Powerwall {self.host}: login failed: {err}")

    def _check_cooldown(self, powerwall: Any) -> None:
        """Raise while pypowerwall sits out a 429 it got on a read (it then returns None)."""
        client = powerwall.client
        # The local backend keeps the cooldown itself, the TEDAPI one in its TEDAPI object.
        holder = client if hasattr(client, "pwcooldown") else getattr(client, "tedapi", None)
        cooldown = finite(getattr(holder, "pwcooldown", 0)) or 0.0
        wait = cooldown - time.perf_counter()
        if wait > 0:
            raise RateLimitError(wait, f"Powerwall {self.host} rate limited us")

    def _read_job(self) -> PowerwallSnapshot:
        """Gather everything for a snapshot in one executor job."""
        return self._guarded(self._read)

    def _read(self, pw: Any) -> PowerwallSnapshot:
        """Read through the connected pypowerwall object and build the snapshot."""
        answers_before = self._http.count
        force, self._settings_changed = self._settings_changed, False
        snapshot = build_snapshot(
            self.mode,
            status=pw.status(),
            site_name=pw.site_name(),
            aggregates=pw.poll(AGGREGATES_PATH),
            soe=pw.level(),
            operation=pw.poll(OPERATION_PATH, force=force),
            grid_status=pw.grid_status(),
            system_status=pw.system_status(),
            time_remaining=pw.get_time_remaining(),
            alerts=pw.alerts(),
            # Both come from data pypowerwall already holds (TEDAPI) or are off (customer API).
            vitals=pw.vitals(),
            strings=pw.strings(),
        )
        if snapshot is not None:
            return snapshot
        self._settings_changed = force
        self._check_cooldown(pw)
        if self._http.count == answers_before:
            raise ClientConnectionError(f"Powerwall {self.host}: no answer from the gateway")
        status = self._http.last_status.get(AGGREGATES_PATH)
        if status is not None and status >= 500:
            raise ServerError(status, f"Powerwall {self.host} {AGGREGATES_PATH}")
        raise ResponseError(f"Powerwall {self.host}: no usable {AGGREGATES_PATH}")

    def _operation_job(
        self, *, reserve_pct: float | None = None, mode: OperatingMode | None = None
    ) -> None:
        """Write the reserve or the mode through pypowerwall and check the answer."""
        self._guarded(lambda pw: self._write_operation(pw, reserve_pct, mode))

    def _write_operation(
        self, pw: Any, reserve_pct: float | None, mode: OperatingMode | None
    ) -> None:
        """POST /api/operation; pypowerwall back-fills the other field, so refresh it first."""
        pw.poll(OPERATION_PATH, force=True)
        if mode is not None:
            result = pw.set_mode(mode.value)
            self._check_result(pw, f"mode {mode.value}", result)
            kept = result.get("real_mode") if isinstance(result, dict) else None
            if isinstance(kept, str) and kept != mode.value:
                raise CommandError(f"Powerwall {self.host} kept mode {kept}")
            return
        pct = 0.0 if reserve_pct is None else reserve_pct
        # The local gateway takes the raw scale; pypowerwall's TEDAPI (v1r) converts itself.
        level = app_to_raw_pct(pct) if self.mode is PowerwallMode.LOCAL else pct
        result = pw.set_reserve(level)
        self._check_result(pw, f"backup reserve {pct:g} %", result)
        written = finite(result.get("backup_reserve_percent")) if isinstance(result, dict) else None
        if written is not None and abs(written - level) > _RESERVE_TOLERANCE:
            raise CommandError(f"Powerwall {self.host} kept reserve {written:g} % (raw scale)")

    def _setting_job(self, what: str, command: Callable[[Any], Any]) -> None:
        """Run a grid setting command and check its answer."""
        self._guarded(lambda pw: self._check_result(pw, what, command(pw)))

    def _check_result(self, pw: Any, what: str, result: Any) -> None:
        """Raise CommandError when pypowerwall reports a refusal (None, False or an error dict)."""
        self._check_cooldown(pw)
        if (
            result is None
            or result is False
            or (isinstance(result, dict) and not {"error", "ERROR"}.isdisjoint(result))
        ):
            raise CommandError(
                f"Powerwall {self.host} refused {what} in {self.mode.value} mode"
                f"{f': {result}' if result else ''}"
            )


def _close_powerwall(powerwall: Any) -> None:
    """Close pypowerwall's connections without logging out, so the saved cookie stays valid."""
    from pypowerwall.local.pypowerwall_local import PyPowerwallLocal

    client = powerwall.client
    if isinstance(client, PyPowerwallLocal):
        # Its close_session() would also log out, forcing a login at the next start, and
        # logins are what gets a gateway locked out (docs/powerwall.md#login-and-lockout, alandtse/tesla#584).
        _close_requests_session(client.session)
    elif client is not None:
        client.close_session()


def _close_requests_session(session: Any) -> None:
    """Close a requests session and its idle sockets now.

    Session.close() only empties urllib3 2's pool manager, which leaves idle sockets
    open until garbage collection; close each pool so the gateway sees them go.
    """
    for adapter in session.adapters.values():
        pools = adapter.poolmanager.pools
        for key in pools.keys():  # noqa: SIM118 - urllib3's container is not iterable
            pools[key].close()
    session.close()


def _consume_exception(future: asyncio.Future[Any]) -> None:
    """Retrieve the outcome of a call whose caller timed out, so asyncio does not warn."""
    if not future.cancelled():
        future.exception()
