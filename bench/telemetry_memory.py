"""VmRSS that loading the integration adds to Home Assistant; a child process of bench.telemetry.

It runs in a fresh interpreter so that nothing of the integration (nor aiokafka, nor the
protobuf schema) is imported before the first reading. Home Assistant is started, the reading
taken, then a Fleet Telemetry entry is set up against the broker the parent runs (fresh group,
from the earliest offset) and left to apply every record on the topics; the second reading
follows. Then, if the parent passed their addresses, Amber, ComEd, Wall Connector and TOU sync
entries are set up against the parent's simulators and a third reading taken. The readings are
printed as one JSON line on stdout.
"""

from __future__ import annotations

# isort: off
# The test plugin patches Home Assistant's clocks for freezegun; it must load before Home Assistant.
from bench import harness

# isort: on
import asyncio
import ctypes
import gc
import json
import logging
from pathlib import Path
import sys
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Only the namespace package (no integration code): Home Assistant's loader then finds our
# custom_components/ rather than the test harness's configuration directory.
import custom_components  # noqa: F401

# simulators.kafka_broker.TANSU_TIMING, as values: importing it would load the integration
# before the baseline reading. (Tansu answers a join after half the session timeout.)
FAST_TIMING: dict[str, Any] = {
    "backoff_initial": 0.1,
    "backoff_max": 0.5,
    "poll_timeout": 0.2,
    "probe_interval": 0.3,
    "probe_timeout": 1.0,
    "request_timeout": 3.0,
    "session_timeout": 1.0,
    "heartbeat_interval": 0.3,
}
AMBER_TOKEN = "psk_bench"  # noqa: S105 - a key only the local simulator knows
AMBER_SITE_ID = "01J0SIMSITE0000000000000001"
TESLA_TOKEN = "tesla_bench"  # noqa: S105 - a token only the local simulator knows
WALL_CONNECTOR_SERIAL = "PGT2251234567"


def rss_mib() -> float:
    """Return this process's VmRSS in MiB, after a collection and handing freed heap back."""
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise RuntimeError(f"{entry.title} did not set up")
    await hass.async_block_till_done()


async def _fleet_telemetry(hass: HomeAssistant, spec: dict[str, Any]) -> None:
    """Set up the Fleet Telemetry entry and wait until it applied every record."""
    from custom_components.tesla_energy_sync import const

    entry = MockConfigEntry(
        domain=const.DOMAIN,
        title="Fleet Telemetry memory",
        unique_id=f"{spec['bootstrap']}|{spec['prefix']}",
        data={
            const.CONF_KIND: const.EntryKind.FLEET_TELEMETRY,
            const.CONF_BOOTSTRAP_SERVERS: spec["bootstrap"],
            const.CONF_TOPIC_PREFIX: spec["prefix"],
            const.CONF_GROUP_ID: "bench-memory",
            const.CONF_OFFSET_RESET: "earliest",
            const.CONF_VINS: [],
        },
    )
    await _setup(hass, entry)
    hub = entry.runtime_data.hub
    for _ in range(600):  # 60 s at most
        if hub.consumer.records >= spec["records"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise RuntimeError(f"only {hub.consumer.records} of {spec['records']} records applied")
    await hass.async_block_till_done()


async def _other_sources(hass: HomeAssistant, spec: dict[str, Any]) -> None:
    """Set up Amber, ComEd, Wall Connector and TOU sync against the parent's simulators."""
    from homeassistant.const import CONF_ACCESS_TOKEN, CONF_API_TOKEN, CONF_HOST

    from custom_components.tesla_energy_sync import const

    amber = MockConfigEntry(
        domain=const.DOMAIN,
        title="Amber memory",
        unique_id=AMBER_SITE_ID,
        data={
            const.CONF_KIND: const.EntryKind.AMBER,
            CONF_API_TOKEN: AMBER_TOKEN,
            const.CONF_SITE_ID: AMBER_SITE_ID,
            const.CONF_BASE_URL: spec["amber"],
        },
    )
    entries = [
        amber,
        MockConfigEntry(
            domain=const.DOMAIN,
            title="ComEd memory",
            unique_id=const.COMED_UNIQUE_ID,
            data={const.CONF_KIND: const.EntryKind.COMED, const.CONF_BASE_URL: spec["comed"]},
        ),
        MockConfigEntry(
            domain=const.DOMAIN,
            title=f"Wall Connector {WALL_CONNECTOR_SERIAL}",
            unique_id=WALL_CONNECTOR_SERIAL,
            data={
                const.CONF_KIND: const.EntryKind.WALL_CONNECTOR,
                CONF_HOST: spec["wall_connector"],
                const.CONF_SERIAL: WALL_CONNECTOR_SERIAL,
            },
        ),
        MockConfigEntry(
            domain=const.DOMAIN,
            title="TOU sync memory",
            unique_id=str(spec["energy_site_id"]),
            data={
                const.CONF_KIND: const.EntryKind.TOU_SYNC,
                const.CONF_TARIFF_ENTRY: amber.entry_id,
                CONF_ACCESS_TOKEN: TESLA_TOKEN,
                const.CONF_BASE_URL: spec["tesla"],
                const.CONF_ENERGY_SITE_ID: spec["energy_site_id"],
            },
        ),
    ]
    for entry in entries:
        await _setup(hass, entry)


async def measure(spec: dict[str, Any]) -> dict[str, float]:
    """Return the VmRSS readings (MiB): before, after Fleet Telemetry, after all sources."""
    rss: dict[str, float] = {}
    async with harness.home_assistant() as hass:
        await hass.async_block_till_done()
        rss["before"] = rss_mib()
        from custom_components.tesla_energy_sync.clients.fleet_telemetry.config import Timing

        with patch(
            "custom_components.tesla_energy_sync.fleet_telemetry.config.TIMING",
            Timing(**FAST_TIMING),
        ):
            await _fleet_telemetry(hass, spec)
            rss["telemetry"] = rss_mib()
            if "amber" in spec:
                await _other_sources(hass, spec)
                rss["all"] = rss_mib()
    return rss


def main() -> None:
    """Read the JSON spec from argv, measure, print the readings as JSON."""
    harness.prepare_process(logging.ERROR)
    spec = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(measure(spec))))


if __name__ == "__main__":
    main()
