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

from .config import ConsumerConfig, Timing, kafka_options
from .decode import decode_record
from .models import Decoded, DecodeError, VehicleData

_LOGGER = logging.getLogger(__name__)

type Apply = Callable[[list[Decoded]], Awaitable[None] | None]
"""Receives each batch of decoded records; offsets are committed when it returns."""

_BROKER_ERRORS = (KafkaError, OSError, TimeoutError)


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
        self.records = 0
        self.malformed = 0
        self.unknown_fields = 0
        self.skipped_vin = 0
        self.reconnects = 0
        self.last_error: str | None = None
        self._stop = asyncio.Event()
        self._running = False

    def _set_connected(self, connected: bool) -> None:
        """Record the link state and tell the listener about changes only."""
        if connected == self.connected:
            return
        self.connected = connected
        if self.on_state_change is not None:
            self.on_state_change(connected)

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
                try:
                    await kafka.start()
                    self._set_connected(True)
                    backoff = self.timing.backoff_initial
                    await self._consume(kafka, apply)
                except _BROKER_ERRORS as err:
                    self.last_error = f"{type(err).__name__}: {err}"
                    _LOGGER.warning("Fleet Telemetry Kafka connection lost: %s", self.last_error)
                finally:
                    self._set_connected(False)
                    await kafka.stop()
                if self._stop.is_set():
                    break
                self.reconnects += 1
                await self._wait_or_stop(asyncio.sleep(backoff))
                backoff = min(backoff * 2, self.timing.backoff_max)
        finally:
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
            stopper.cancel()
            if not work.done():
                work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper
        if work.cancelled():
            with contextlib.suppress(asyncio.CancelledError):
                await work
            return None
        return work.result()

    async def _consume(self, kafka: AIOKafkaConsumer, apply: Apply) -> None:
        """Fetch, decode, apply and commit batches; probe the broker when nothing arrives."""
        loop = asyncio.get_running_loop()
        heard_at = loop.time()
        timeout_ms = int(self.timing.poll_timeout * 1000)
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
                # Bounded: aiokafka waits forever for a coordinator of a frozen broker.
                await asyncio.wait_for(kafka.commit(offsets), self.timing.request_timeout)
                heard_at = loop.time()
            elif not self._stop.is_set() and loop.time() - heard_at >= self.timing.probe_interval:
                # An idle consumer never hears of a frozen broker; ask for metadata instead.
                await asyncio.wait_for(kafka.topics(), self.timing.request_timeout)
                heard_at = loop.time()

    def _decode(self, batch: dict[Any, list[Any]]) -> tuple[list[Decoded], dict[Any, int]]:
        """Decode a fetched batch, counting what is skipped; return records and next offsets."""
        decoded: list[Decoded] = []
        offsets: dict[Any, int] = {}
        for partition, records in batch.items():
            for record in records:
                try:
                    item = decode_record(record.topic, record.value, record.key, record.headers)
                except DecodeError as err:
                    self.malformed += 1
                    _LOGGER.debug("Skipping record at offset %s: %s", record.offset, err)
                    continue
                if not self.config.allows(item.vin):
                    self.skipped_vin += 1
                    continue
                if isinstance(item, VehicleData):
                    self.unknown_fields += item.unknown_fields
                self.records += 1
                decoded.append(item)
            offsets[partition] = records[-1].offset + 1
        return decoded, offsets
