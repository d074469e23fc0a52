"""Where a vehicle's memory goes: Home Assistant's cost per entity against the integration's own.

One Home Assistant (`bench.harness`), one Fleet Telemetry entry on a Tansu broker on 127.0.0.1.
The cars' records are handed to the entry's hub directly (the Kafka path is measured by
bench/load.py; here only what stays in memory per car matters): --vehicles cars, each sending
bench/load.py's 15-field record a few times. Python's allocations are traced (tracemalloc)
from before the first car to after the last write, and what is still held is split by the
file that allocated it: Home Assistant (entity platform and registry, state machine, event
helpers, the sensor component, ...), the integration, and the rest. VmRSS (after a collection,
heap trimmed) is read before and after too; it includes what the allocator keeps besides the
objects, and tracemalloc's own bookkeeping, so it reads higher here than in bench/load.py.
"""

from __future__ import annotations

# isort: off
# The test plugin patches Home Assistant's clocks for freezegun; it must load before Home Assistant.
from bench import harness

# isort: on
import argparse
import asyncio
import datetime as dt
import gc
import tracemalloc

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from bench.load_fleet import fields, vin
from bench.telemetry import telemetry_entry
from bench.telemetry_memory import rss_mib
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import VehicleData
from custom_components.tesla_energy_sync.fleet_telemetry.hub import FleetTelemetryRuntime
from simulators.kafka_broker import TansuBroker

WARM_UP_VIN = 9_999  # one car before the readings, so one-time costs (imports, caches) are out


def _owner(filename: str) -> str:
    """Return who allocated: the integration, a part of Home Assistant, or something else."""
    if "/custom_components/tesla_energy_sync/" in filename:
        return "the integration (" + filename.rsplit("/tesla_energy_sync/", 1)[1] + ")"
    if "/homeassistant/" in filename:
        return "Home Assistant (" + filename.rsplit("/homeassistant/", 1)[1] + ")"
    return "other (Python, attrs, ulid, ...)"


async def _settle(hass: HomeAssistant, seconds: float = 2.0) -> None:
    """Let the hub's flushes (a slice a loop turn) and entity additions finish."""
    for _ in range(int(seconds / 0.1)):
        await asyncio.sleep(0.1)
    await hass.async_block_till_done()


async def measure(vehicles: int, records: int) -> str:
    """Trace the memory `vehicles` cars hold after `records` records each; return the table."""
    broker = TansuBroker()
    await broker.start()
    try:
        async with harness.home_assistant() as hass:
            entry = telemetry_entry(broker.bootstrap)
            entry.add_to_hass(hass)
            await hass.config_entries.async_setup(entry.entry_id)
            runtime = entry.runtime_data
            assert isinstance(runtime, FleetTelemetryRuntime)  # noqa: S101 - the bench's own entry
            hub = runtime.hub
            now = dt.datetime.now(dt.UTC)
            hub.apply([VehicleData(vin(WARM_UP_VIN), now, fields(WARM_UP_VIN, 0))])
            await _settle(hass)
            registry = er.async_get(hass)
            entities_before = len(er.async_entries_for_config_entry(registry, entry.entry_id))
            states_before = len(hass.states.async_entity_ids())
            rss_before = rss_mib()
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
            for number in range(records):
                at = now + dt.timedelta(seconds=number)
                hub.apply(
                    [VehicleData(vin(car), at, fields(car, number)) for car in range(vehicles)]
                )
                await _settle(hass, 1.0)
            gc.collect()
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
            rss_after = rss_mib()
            entities = (
                len(er.async_entries_for_config_entry(registry, entry.entry_id)) - entities_before
            )
            enabled = len(hass.states.async_entity_ids()) - states_before
            await hass.config_entries.async_unload(entry.entry_id)
    finally:
        broker.stop()

    owners: dict[str, int] = {}
    for diff in after.compare_to(before, "filename"):
        owner = _owner(diff.traceback[0].filename)
        owners[owner] = owners.get(owner, 0) + diff.size_diff
    total = sum(owners.values())
    per_car = entities / vehicles
    home_assistant = sum(size for owner, size in owners.items() if owner.startswith("Home"))
    lines = [
        f"Vehicle memory: {vehicles} cars x {records} records of 15 fields, handed to the hub",
        f"entities per car {per_car:.1f} ({entities} in all), of them enabled (with a state)"
        f" {enabled / vehicles:.1f}",
        "",
        f"{'held after the last write, per car':<58}{'kB':>8}",
    ]
    for owner, size in sorted(owners.items(), key=lambda item: -item[1]):
        if abs(size) / vehicles >= 102.4:  # 0.1 kB a car
            lines.append(f"  {owner:<56}{size / 1024 / vehicles:8.1f}")
    lines += [
        f"{'traced, in all':<58}{total / 1024 / vehicles:8.1f}",
        f"{'  of which Home Assistant, per registered entity':<58}"
        f"{home_assistant / 1024 / vehicles / per_car:8.1f}",
        f"{'VmRSS growth per car (tracemalloc running)':<58}"
        f"{(rss_after - rss_before) * 1024 / vehicles:8.1f}",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run once and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--vehicles", type=int, default=200, help="cars")
    parser.add_argument("--records", type=int, default=3, help="records per car")
    args = parser.parse_args()
    if not 1 <= args.vehicles <= 5_000 or not 1 <= args.records <= 100:
        parser.error("--vehicles from 1 to 5000, --records from 1 to 100")
    harness.prepare_process()
    print(asyncio.run(measure(args.vehicles, args.records)))


if __name__ == "__main__":
    main()
