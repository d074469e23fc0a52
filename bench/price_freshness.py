"""How soon after each 5-minute boundary a coordinator shows the new Amber price, and at what cost.

Each strategy runs in its own Home Assistant instance (`async_test_home_assistant`) against a fresh
Amber simulator on 127.0.0.1 (real HTTP), so the simulator's request count is that strategy's:

* ours: `AmberCoordinator`, set up through a config entry of the integration. It polls 3 s after
  each boundary (current prices, plus the 48 h forecast once per interval) and re-polls the current
  prices while the price is an estimate.
* fixed: a plain `DataUpdateCoordinator` with update_interval=60 s that makes one call per poll,
  `get_current_prices(site_id, previous=1, next=1, resolution=5)`, through the same `AmberClient`,
  and exposes that answer's general `CurrentInterval`; it fetches nothing else (no forecast). How
  fresh its price is depends only on its phase against the 5-minute grid, so it runs twice: first
  poll at --start, and first poll 30 s later.

The clock is compressed: as in the tests, freezegun freezes the wall clock and the event loop's
monotonic clock, and the bench moves it straight to the coordinator's next scheduled refresh (its
`update_interval`, counted from its last refresh) and fires the due timers, so simulated time runs
as fast as the refreshes complete. A listener on the coordinator records, for the interval of the
general price it exposes, the first simulated time that interval is shown and the first time it is
shown final (estimate false). Measured are the intervals that start after --start and end by
--start + --hours; times are those of the timers, without Home Assistant's 0.05-0.5 s jitter.
"""

from __future__ import annotations

# isort: off
# The test plugin patches Home Assistant's clocks for freezegun; it must load before Home Assistant.
from bench import harness

# isort: on
import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import statistics
import time
from typing import Any

import freezegun
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_energy_sync.amber.coordinator import AmberCoordinator
from custom_components.tesla_energy_sync.clients.amber import AmberClient
from custom_components.tesla_energy_sync.clients.amber_models import ChannelType, CurrentInterval
from custom_components.tesla_energy_sync.clients.errors import ClientError
from custom_components.tesla_energy_sync.const import (
    CONF_BASE_URL,
    CONF_KIND,
    CONF_SITE_ID,
    DOMAIN,
    LOGGER,
    PRICE_PERIOD,
    EntryKind,
)
from custom_components.tesla_energy_sync.coordinator import interval_start
from simulators.amber import SITE_ID, AmberSimulator

TOKEN = "psk_bench"  # noqa: S105 - a key only the local simulator knows
FIXED_INTERVAL = timedelta(seconds=60)

type Exposed = Callable[[], CurrentInterval | None]
type Setup = Callable[
    [HomeAssistant, AmberSimulator], Awaitable[tuple[DataUpdateCoordinator[Any], Exposed]]
]


class FixedPollCoordinator(DataUpdateCoordinator[CurrentInterval]):
    """Fetch the current general price every 60 s, one API call per poll."""

    def __init__(self, hass: HomeAssistant, client: AmberClient) -> None:
        """Poll SITE_ID through `client` on a fixed interval."""
        super().__init__(
            hass, LOGGER, config_entry=None, name="fixed poll", update_interval=FIXED_INTERVAL
        )
        self.client = client

    async def _async_update_data(self) -> CurrentInterval:
        """Return the general channel's current interval."""
        try:
            intervals = await self.client.get_current_prices(
                SITE_ID, previous=1, next=1, resolution=5
            )
        except ClientError as err:
            raise UpdateFailed(str(err)) from err
        for interval in intervals:
            if (
                isinstance(interval, CurrentInterval)
                and interval.channel_type is ChannelType.GENERAL
            ):
                return interval
        raise UpdateFailed("no current general price")


async def setup_ours(
    hass: HomeAssistant, simulator: AmberSimulator
) -> tuple[DataUpdateCoordinator[Any], Exposed]:
    """Set up the integration's Amber entry and return its coordinator."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Amber bench",
        unique_id=SITE_ID,
        data={
            CONF_KIND: EntryKind.AMBER,
            CONF_API_TOKEN: TOKEN,
            CONF_SITE_ID: SITE_ID,
            CONF_BASE_URL: simulator.base_url,
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.prices
    if not isinstance(coordinator, AmberCoordinator):
        raise TypeError(f"unexpected coordinator {coordinator!r}")
    return coordinator, lambda: coordinator.data.general.current if coordinator.data else None


async def setup_fixed(
    hass: HomeAssistant, simulator: AmberSimulator
) -> tuple[DataUpdateCoordinator[Any], Exposed]:
    """Start a fixed 60 s poll through an `AmberClient` like the integration's."""
    client = AmberClient(
        async_get_clientsession(hass), TOKEN, base_url=simulator.base_url, clock=hass.loop.time
    )
    coordinator = FixedPollCoordinator(hass, client)
    await coordinator.async_refresh()
    return coordinator, lambda: coordinator.data


@dataclass(frozen=True)
class Strategy:
    """One column of the table."""

    name: str
    setup: Setup
    phase: timedelta = timedelta()


@dataclass
class Result:
    """What one strategy's run observed."""

    shown: dict[datetime, datetime] = field(default_factory=dict)
    final: dict[datetime, datetime] = field(default_factory=dict)
    calls: int = 0
    hours: float = 0.0
    wall: float = 0.0


async def advance(hass: HomeAssistant, frozen: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the frozen clock forward and let every due timer and its background refresh run."""
    frozen.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def measure(
    hass: HomeAssistant,
    simulator: AmberSimulator,
    frozen: FrozenDateTimeFactory,
    strategy: Strategy,
    end: datetime,
) -> Result:
    """Run one strategy on its own timers until `end` and record what it showed when."""
    frozen.tick(strategy.phase)
    coordinator, exposed = await strategy.setup(hass, simulator)
    result = Result()
    refreshes = 0

    def on_refresh() -> None:
        nonlocal refreshes
        refreshes += 1
        current = exposed()
        if current is None:
            return
        now = dt_util.utcnow()
        slot = current.end_time - PRICE_PERIOD
        result.shown.setdefault(slot, now)
        if not current.estimate:
            result.final.setdefault(slot, now)

    unsubscribe = coordinator.async_add_listener(on_refresh)
    began, calls = dt_util.utcnow(), simulator.request_count
    # Polls land up to `end`; the next one would come after it.
    while (step := coordinator.update_interval) is not None and dt_util.utcnow() + step <= end:
        before = refreshes
        await advance(hass, frozen, step.total_seconds())
        for _ in range(5):  # a refresh that has not fired yet: nudge the clock a second at a time
            if refreshes > before:
                break
            await advance(hass, frozen, 1)
    unsubscribe()
    await coordinator.async_shutdown()
    result.calls = simulator.request_count - calls
    result.hours = (end - began).total_seconds() / 3600
    return result


async def run(strategy: Strategy, start: datetime, end: datetime) -> Result:
    """Run one strategy in a fresh Home Assistant against a fresh simulator."""
    began = time.perf_counter()
    async with harness.home_assistant() as hass:
        simulator = AmberSimulator(tokens=(TOKEN,))
        await simulator.start()
        try:
            with freezegun.freeze_time(start) as frozen:
                if not isinstance(frozen, FrozenDateTimeFactory):
                    raise TypeError("expected a frozen clock")
                result = await measure(hass, simulator, frozen, strategy, end)
            for entry in hass.config_entries.async_entries(DOMAIN):
                await hass.config_entries.async_unload(entry.entry_id)
        finally:
            await simulator.stop()
    result.wall = time.perf_counter() - began
    return result


def latencies(seen: dict[datetime, datetime], slots: list[datetime]) -> tuple[str, str, int]:
    """Return median and max seconds from each slot's start until it was seen, and the misses."""
    values = [(seen[slot] - slot).total_seconds() for slot in slots if slot in seen]
    if not values:
        return "-", "-", len(slots)
    return f"{statistics.median(values):.1f}", f"{max(values):.1f}", len(slots) - len(values)


def table(columns: list[tuple[Strategy, Result]], slots: list[datetime]) -> str:
    """Return the side-by-side table."""
    rows: list[tuple[str, list[str]]] = [("", [strategy.name for strategy, _ in columns])]
    shown = [latencies(result.shown, slots) for _, result in columns]
    final = [latencies(result.final, slots) for _, result in columns]
    rows += [
        ("new price shown, median (s)", [m for m, _, _ in shown]),
        ("new price shown, max (s)", [x for _, x, _ in shown]),
        ("final price shown, median (s)", [m for m, _, _ in final]),
        ("final price shown, max (s)", [x for _, x, _ in final]),
        (
            "intervals never shown / final",
            [f"{a[2]} / {b[2]}" for a, b in zip(shown, final, strict=True)],
        ),
        ("Amber API calls per hour", [f"{r.calls / r.hours:.1f}" for _, r in columns]),
        ("Amber API calls", [str(r.calls) for _, r in columns]),
        ("wall clock (s)", [f"{r.wall:.1f}" for _, r in columns]),
    ]
    return "\n".join(
        f"{label:<31}" + "".join(f"{cell:>20}" for cell in cells) for label, cells in rows
    )


def aware(text: str) -> datetime:
    """Parse an ISO 8601 time that carries its UTC offset."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the UTC offset, e.g. 2026-11-24T00:00:00+10:00")
    return moment


def main() -> None:
    """Run every strategy over the same simulated span and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours per run")
    parser.add_argument("--start", type=aware, default=aware("2026-11-24T00:00:00+10:00"))
    args = parser.parse_args()
    start: datetime = args.start
    end = start + timedelta(hours=args.hours)
    first = interval_start(start, PRICE_PERIOD) + PRICE_PERIOD
    slots = [first + n * PRICE_PERIOD for n in range(int((end - first) / PRICE_PERIOD))]

    harness.prepare_process()
    strategies = [
        Strategy("AmberCoordinator", setup_ours),
        Strategy("fixed 60 s, +0 s", setup_fixed),
        Strategy("fixed 60 s, +30 s", setup_fixed, timedelta(seconds=30)),
    ]
    began = time.perf_counter()
    columns = [(s, asyncio.run(run(s, start, end))) for s in strategies]
    print(f"Amber price freshness from {start.isoformat()}: {len(slots)} five-minute intervals")
    print(table(columns, slots))
    print(f"simulated hours per run: {args.hours:g}")
    print(f"wall clock, all runs: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
