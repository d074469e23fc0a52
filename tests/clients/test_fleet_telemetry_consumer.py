"""TelemetryConsumer's workarounds for aiokafka and asyncio quirks, without a broker."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from custom_components.tesla_energy_sync.clients.fleet_telemetry import consumer as module


class GroupCoordinator:
    """Named like aiokafka's, so its commit tasks look like aiokafka's."""

    async def _do_commit_offsets(self) -> None:
        """Hang like a commit to a frozen broker."""
        await asyncio.sleep(60)


async def test_abandoned_commit_requests_of_this_consumer_only_are_cancelled() -> None:
    ours, theirs = GroupCoordinator(), GroupCoordinator()
    mine = asyncio.create_task(ours._do_commit_offsets())
    other = asyncio.create_task(theirs._do_commit_offsets())
    await asyncio.sleep(0)
    module._cancel_abandoned_commits(SimpleNamespace(_coordinator=ours))
    await asyncio.sleep(0)
    assert mine.cancelled()
    assert not other.done()
    other.cancel()
    with pytest.raises(asyncio.CancelledError):
        await other


class _Kafka:
    """Enough of AIOKafkaConsumer to replay aiokafka issue #647."""

    def __init__(self, pending: asyncio.Task[None]) -> None:
        """Hold one pending fetch task."""
        self._fetcher = SimpleNamespace(_pending_tasks=[pending])
        self.client_closed = False
        self._client = SimpleNamespace(close=self._close_client)

    async def _close_client(self) -> None:
        """Note that the client was closed."""
        self.client_closed = True

    async def stop(self) -> None:
        """Leak a cancellation, as aiokafka's fetcher does."""
        raise asyncio.CancelledError


async def test_close_finishes_what_aiokafka_stop_abandons() -> None:
    pending = asyncio.create_task(asyncio.sleep(60))
    kafka: Any = _Kafka(pending)
    await module._close(kafka)
    assert pending.cancelled()
    assert kafka.client_closed


async def test_close_passes_on_a_real_cancellation() -> None:
    pending = asyncio.create_task(asyncio.sleep(60))
    kafka: Any = _Kafka(pending)
    started = asyncio.Event()

    async def closer() -> None:
        """Be cancelled while closing."""
        started.set()
        await asyncio.sleep(60)

    task = asyncio.create_task(closer())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The same check _close makes, from inside a task that is being cancelled.
    outer = asyncio.create_task(asyncio.sleep(60))

    async def cancelled_close() -> None:
        """Run _close while this task has a cancellation pending."""
        current = asyncio.current_task()
        assert current is not None
        current.cancel()
        await module._close(kafka)

    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(cancelled_close())
    outer.cancel()
    pending.cancel()
    assert not kafka.client_closed
