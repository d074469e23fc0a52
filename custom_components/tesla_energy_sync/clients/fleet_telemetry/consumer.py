"""A self-healing Fleet Telemetry consumer: fetch, decode, apply, then commit.

Offsets are committed only after `apply` returned for the batch, so a crash or outage between
the two re-delivers the batch (at least once): `apply` must tolerate seeing records again.
When the broker stops answering, the aiokafka consumer is thrown away and a new one is built
after a growing pause; the new one resumes from the group's committed offsets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
import inspect
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from ..errors import ClientConnectionError
from .config import ConsumerConfig, Timing, kafka_options
from .decode import decode_record
from .models import Decoded, DecodeError, VehicleData, valid_vin

_LOGGER = logging.getLogger(__name__)

type Apply = Callable[[list[Decoded]], Awaitable[None] | None]
"""Receives each batch of decoded records; offsets are committed when it returns."""

_BROKER_ERRORS = (KafkaError, OSError, TimeoutError)


class _AiokafkaAtDebug(logging.Filter):
    """Demote aiokafka's log records to DEBUG, kept only where DEBUG is enabled for them.

    During an outage aiokafka logs an error for every failed request, heartbeat and fetch
    (about a thousand lines for a minute's outage); the consumer reports the outage itself,
    once, and once when it is over.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Relabel the record as DEBUG; pass it on only if its logger wants DEBUG."""
        if record.levelno > logging.DEBUG:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_AT_DEBUG = _AiokafkaAtDebug()


def _demote_aiokafka_logs() -> None:
    """Put the filter on every aiokafka logger (filters, unlike levels, are not inherited)."""
    names = [
        name for name in logging.root.manager.loggerDict if name.partition(".")[0] == "aiokafka"
    ]
    for name in ("aiokafka", *names):
        logger = logging.getLogger(name)
        if _AT_DEBUG not in logger.filters:
            logger.addFilter(_AT_DEBUG)


class _TopicsAppearedError(Exception):
    """A subscribed topic that was missing now exists; subscribe afresh to pick it up."""


def _cancel_abandoned_commits(kafka: AIOKafkaConsumer) -> None:
    """Cancel the commit requests aiokafka shielded from the commit we abandoned.

    aiokafka sends each commit from a shielded task that outlives a cancelled commit; since
    Python 3.14 asyncio reports such a task's later failure as an error, so end it first.
    """
    coordinator = kafka._coordinator  # noqa: SLF001
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if (
            getattr(coro, "__qualname__", "") == "GroupCoordinator._do_commit_offsets"
            and frame is not None
            and frame.f_locals.get("self") is coordinator
        ):
            task.cancel()


async def _close(kafka: AIOKafkaConsumer) -> None:
    """Stop an aiokafka consumer, finishing the cleanup its stop() may abandon."""
    try:
        await kafka.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        # aiokafka issue #647: stop() re-raises the cancellation of a fetch task it cancelled
        # itself and skips the rest, leaving tasks and sockets behind.
        for pending in list(kafka._fetcher._pending_tasks):  # noqa: SLF001
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
        await kafka._client.close()  # noqa: SLF001


class TelemetryConsumer:
    """Consume the four Fleet Telemetry topics of one namespace for one consumer group."""

    def __init__(
        self,
        config: ConsumerConfig,
        *,
        timing: Timing | None = None,
        on_state_change: Callable[[bool], None] | None = None,
    ) -> None:
        """Prepare a consumer; nothing connects until `run`."""
        self.config = config
        self.timing = timing or Timing()
        self.on_state_change = on_state_change
        self.connected = False
        # Not connected is not the same as down: at start-up the broker has not failed yet.
        self.down = False
        self.records = 0
        self.malformed = 0
        self.unknown_fields = 0
        self.rejected_values = 0
        self.invalid_vin = 0
        self.skipped_vin = 0
        self.reconnects = 0
        self.last_error: str | None = None
        self._stop = asyncio.Event()
        self._running = False
        _demote_aiokafka_logs()

    def _set_link(self, *, connected: bool, down: bool) -> None:
        """Record the link state and tell the listener about changes only."""
        if (connected, down) == (self.connected, self.down):
            return
        self.connected, self.down = connected, down
        if self.on_state_change is not None:
            self.on_state_change(connected)

    def _came_up(self) -> None:
        """The broker answers: connected; say so once if it had been found unreachable."""
        if self.down:
            _LOGGER.info("Fleet Telemetry Kafka broker at %s answers again", self._where)
        self._set_link(connected=True, down=False)

    def _went_down(self, error: str) -> None:
        """The broker failed to answer in time: unreachable; say so once per outage."""
        self.last_error = error
        if not self.down:
            _LOGGER.warning(
                "Fleet Telemetry Kafka broker at %s is unreachable (%s); retrying",
                self._where,
                error,
            )
        self._set_link(connected=False, down=True)

    @property
    def _where(self) -> str:
        return self.config.bootstrap_servers

    async def run(self, apply: Apply) -> None:
        """Consume until `stop`; broker failures are retried forever, `apply` errors propagate."""
        if self._running:
            raise RuntimeError("TelemetryConsumer.run is already running")
        self._running = True
        self._stop.clear()
        backoff = self.timing.backoff_initial
        try:
            while not self._stop.is_set():
                kafka = AIOKafkaConsumer(
                    *self.config.topics, **kafka_options(self.config, self.timing)
                )
                resubscribe = False
                try:
                    # A frozen broker would hold start() for aiokafka's whole request timeout.
                    async with asyncio.timeout(self.timing.connect_timeout):
                        await kafka.start()
                    self._came_up()
                    backoff = self.timing.backoff_initial
                    await self._consume(kafka, apply)
                except _TopicsAppearedError:
                    resubscribe = True
                except _BROKER_ERRORS as err:
                    self._went_down(f"{type(err).__name__}: {err}")
                finally:
                    await _close(kafka)
                if self._stop.is_set():
                    break
                if resubscribe:
                    continue
                self.reconnects += 1
                await self._wait_or_stop(asyncio.sleep(backoff))
                backoff = min(backoff * 2, self.timing.backoff_max)
        finally:
            self._set_link(connected=False, down=self.down)
            self._running = False

    async def stop(self) -> None:
        """Make `run` return promptly; it closes the Kafka consumer on its way out."""
        self._stop.set()

    async def _wait_or_stop[T](self, awaitable: Awaitable[T]) -> T | None:
        """Await `awaitable` unless `stop` comes first, in which case cancel it and return None."""
        work = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopper, work):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        # A result that raced the stop is dropped: never applied, so never committed either.
        return None if work.cancelled() else work.result()

    async def _missing_topics(self, kafka: AIOKafkaConsumer) -> set[str]:
        """Return which of our topics the broker lacks; this doubles as a liveness probe."""
        present = await asyncio.wait_for(kafka.topics(), self.timing.probe_timeout)
        return set(self.config.topics) - set(present)

    async def _consume(self, kafka: AIOKafkaConsumer, apply: Apply) -> None:
        """Fetch, decode, apply and commit batches; probe the broker when nothing arrives."""
        loop = asyncio.get_running_loop()
        missing = await self._missing_topics(kafka)
        if missing:
            _LOGGER.warning(
                "Kafka topics %s do not exist yet; the telemetry server does not create them",
                ", ".join(sorted(missing)),
            )
        heard_at = loop.time()
        timeout_ms = int(self.timing.poll_timeout * 1000)
        # The commit of an applied batch runs while the next batch is fetched and applied:
        # awaiting each commit before fetching again cost a quarter of the ingest time. At most
        # one commit is in flight, and it is awaited before the next starts, so commits stay in
        # order and each covers only batches already applied.
        committing: asyncio.Task[None] | None = None
        try:
            while not self._stop.is_set():
                batch = await self._wait_or_stop(
                    kafka.getmany(timeout_ms=timeout_ms, max_records=self.timing.max_records)
                )
                if batch:
                    decoded, offsets = self._decode(batch)
                    if decoded:
                        result = apply(decoded)
                        if inspect.isawaitable(result):
                            await result
                    if committing is not None:
                        await committing
                    committing = asyncio.ensure_future(self._commit(kafka, offsets))
                    heard_at = loop.time()
                elif committing is not None:
                    await committing  # a failed commit surfaces here, not after the next fetch
                    committing = None
                elif (
                    not self._stop.is_set() and loop.time() - heard_at >= self.timing.probe_interval
                ):
                    # An idle consumer never hears of a frozen broker, so ask it for metadata.
                    now_missing = await self._missing_topics(kafka)
                    if now_missing < missing:
                        # aiokafka would notice new topics only at its next metadata refresh.
                        raise _TopicsAppearedError
                    missing = now_missing
                    heard_at = loop.time()
        finally:
            if committing is not None:
                await self._settle(committing)

    @staticmethod
    async def _settle(committing: asyncio.Task[None]) -> None:
        """Let the last commit finish on the way out; a broker error is already being handled.

        A commit that fails here leaves its batch to be delivered again (at least once); the
        error that ended consuming, if any, is the one reported.
        """
        with contextlib.suppress(*_BROKER_ERRORS):
            await committing

    async def _commit(self, kafka: AIOKafkaConsumer, offsets: dict[Any, int]) -> None:
        """Commit a batch; while the broker keeps us waiting, report the link down but wait on.

        The commit is never given up for a mere delay: abandoning it would re-deliver a batch
        that was applied. Only `stop` abandons it.
        """
        commit = asyncio.ensure_future(kafka.commit(offsets))
        try:
            done, _ = await asyncio.wait({commit}, timeout=self.timing.probe_timeout)
            if not done:
                self._went_down("TimeoutError: commit unanswered")
                await self._wait_or_stop(asyncio.shield(commit))
                if not commit.done():
                    return
                self._came_up()
            commit.result()
        finally:
            if not commit.done():
                commit.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await commit
                _cancel_abandoned_commits(kafka)

    def _decode(self, batch: dict[Any, list[Any]]) -> tuple[list[Decoded], dict[Any, int]]:
        """Decode a fetched batch, counting what is skipped; return records and next offsets."""
        decoded: list[Decoded] = []
        offsets: dict[Any, int] = {}
        for partition, records in batch.items():
            for record in records:
                try:
                    item = decode_record(
                        record.topic,
                        record.value,
                        record.key,
                        record.headers,
                        timestamp_ms=record.timestamp,
                    )
                except DecodeError as err:
                    self.malformed += 1
                    _LOGGER.debug("Skipping record at offset %s: %s", record.offset, err)
                    continue
                if not valid_vin(item.vin):
                    # A VIN names a device and its entities: never let junk (or a megabyte)
                    # become one. docs/fleet-telemetry.md#records
                    self.invalid_vin += 1
                    continue
                if not self.config.allows(item.vin):
                    self.skipped_vin += 1
                    continue
                if isinstance(item, VehicleData):
                    self.unknown_fields += item.unknown_fields
                    self.rejected_values += item.rejected_values
                self.records += 1
                decoded.append(item)
            offsets[partition] = records[-1].offset + 1
        return decoded, offsets


async def check_connection(config: ConsumerConfig, wait: float = 10.0) -> set[str]:
    """Connect once and return which of the config's topics the broker lacks.

    Raises ClientConnectionError when the broker cannot be reached (or refuses the
    credentials, which Kafka reports the same way) within `wait` seconds.
    """
    timing = Timing(request_timeout=wait)
    options = kafka_options(config, timing)
    options.pop("group_id")  # a probe must not join (and rebalance) the real group
    kafka = AIOKafkaConsumer(**options)
    try:
        async with asyncio.timeout(wait):
            await kafka.start()
            present = await kafka.topics()
    except _BROKER_ERRORS as err:
        raise ClientConnectionError(
            f"cannot reach Kafka at {config.bootstrap_servers}: {err}"
        ) from err
    finally:
        await _close(kafka)
    return set(config.topics) - set(present)
