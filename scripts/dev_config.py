"""Prepare config/ for scripts/develop: requirements, seeded entries, onboarding, dashboard.

Run inside the project venv. `requirements` prints the pip requirements of the integrations the
dev configuration loads; `seed` writes config entries that point at the simulators (or at real
services given in TES_* variables), marks onboarding done, creates the `dev` user, stores a
confirmed loopback-only HTTP config and links the repository's dashboard into the config folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import socket
import sys
from typing import Any, cast

import homeassistant
from homeassistant import config_entries, runner
from homeassistant.auth import auth_manager_from_config
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.auth.mfa_modules import notify, totp
from homeassistant.components.http.config import (
    HTTP_STORAGE_SCHEMA,
    ConfData,
    async_get_and_load_store,
)
from homeassistant.components.http.const import CONF_SERVER_HOST, CONF_SERVER_PORT
from homeassistant.components.onboarding.const import STEPS
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

DOMAIN = "tesla_energy_sync"
COMPONENTS = Path(homeassistant.__file__).parent / "components"
DEV_INTEGRATIONS = ("frontend", "config", "energy", "history", "logbook", "automation", "recorder")
DEV_USER = "dev"
DASHBOARD = Path(__file__).resolve().parents[1] / "dashboards" / "tesla_energy_sync.yaml"
# The name configuration.yaml's `lovelace: dashboards:` entry gives as its filename.
DASHBOARD_LINK = "tesla_energy_sync_dashboard.yaml"


def requirements() -> list[str]:
    """Return every requirement of the dev integrations, their dependencies and HA's auth."""
    seen: set[str] = set()
    # Home Assistant's auth (TOTP/notify MFA modules) installs these at start-up otherwise.
    found: set[str] = set(totp.REQUIREMENTS) | set(notify.REQUIREMENTS)
    todo = list(DEV_INTEGRATIONS)
    while todo:
        name = todo.pop()
        if name in seen or not (COMPONENTS / name / "manifest.json").exists():
            continue
        seen.add(name)
        manifest = json.loads((COMPONENTS / name / "manifest.json").read_text())
        found.update(manifest.get("requirements", []))
        todo.extend(manifest.get("dependencies", []))
    return sorted(found)


def _entry(kind: str, title: str, unique_id: str, data: dict[str, Any]) -> dict[str, Any]:
    entry = config_entries.ConfigEntry(
        data={"kind": kind, **data},
        discovery_keys={},  # type: ignore[arg-type]
        domain=DOMAIN,
        minor_version=1,
        options={},
        source=config_entries.SOURCE_USER,
        subentries_data=None,
        title=title,
        unique_id=unique_id,
        version=1,
    )
    return entry.as_dict()


def _garage_zone(config: Path) -> None:
    """Write a zone at the first simulated car's destination, so it is seen driving home."""
    # Imported here: only the dev seed needs the simulators package.
    from simulators.fleet_telemetry import DEFAULT_VINS, expected_state, plan_trip

    latitude, longitude = expected_state(plan_trip(DEFAULT_VINS[0]))["Location"]
    (config / "dev_zones.yaml").write_text(
        f"- name: Garage\n  latitude: {latitude}\n  longitude: {longitude}\n"
        "  radius: 150\n  icon: mdi:garage\n"
    )


def _link_dashboard(config: Path) -> None:
    """Link the repository's dashboard where configuration.yaml's YAML dashboard reads it."""
    # A relative link works both inside the sysroot (/repo) and on the host, and from a test
    # copy of the config folder too; edits to the repository's file show without a re-seed.
    link = config / DASHBOARD_LINK
    target = Path(os.path.relpath(DASHBOARD.resolve(), config.resolve()))
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def _loopback_hosts() -> list[str]:
    """Return the loopback addresses this machine can listen on."""
    # A stable config that cannot be bound sends Home Assistant into recovery mode, so ::1 is
    # only listed where IPv6 loopback exists.
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return ["127.0.0.1"]
    return ["127.0.0.1", "::1"]


async def _seed_http(hass: HomeAssistant, port: int) -> None:
    """Store a confirmed loopback-only HTTP config, replacing whatever an earlier run left."""
    # Since 2026.10 the YAML http: block is migrated once as a pending trial that reverts to the
    # default (all interfaces) unless confirmed within 5 minutes. Going through HA's own store
    # (pending, then promoted) writes its exact format; marking the migration done keeps YAML out.
    store = await async_get_and_load_store(hass)
    wanted = cast(
        "ConfData",
        HTTP_STORAGE_SCHEMA({CONF_SERVER_HOST: _loopback_hosts(), CONF_SERVER_PORT: port}),
    )
    # Equal to stable: this clears any pending trial instead (a failed one included).
    await store.async_set_pending(wanted)
    if store.pending is not None:
        await store.async_promote_pending()
    await store.async_mark_yaml_migration_done()


async def _seed_dev_user(hass: HomeAssistant) -> None:
    """Create (or repair) the active admin `dev` user the trusted-network login offers."""
    # As homeassistant/scripts/auth.py does: the auth store needs both registries loaded.
    hass.config_entries = config_entries.ConfigEntries(hass, {})
    await hass.config_entries.async_initialize()
    dr.async_setup(hass)
    await asyncio.gather(dr.async_load(hass), er.async_load(hass))
    hass.auth = await auth_manager_from_config(hass, [], [])
    for user in await hass.auth.async_get_users():
        if user.name == DEV_USER and not user.system_generated:
            await hass.auth.async_update_user(user, is_active=True, group_ids=[GROUP_ID_ADMIN])
            return
    # The first non-system user becomes the owner; local_only keeps it off remote logins.
    await hass.auth.async_create_user(DEV_USER, group_ids=[GROUP_ID_ADMIN], local_only=True)


async def _seed_storage(config_dir: str, port: int) -> None:
    """Write the HTTP config and the `dev` user with Home Assistant's own stores, offline."""
    hass = HomeAssistant(config_dir)
    await _seed_http(hass, port)
    await _seed_dev_user(hass)
    # The auth store saves with a delay; the final-write event is how Home Assistant's own stop
    # flushes such saves (async_stop itself does nothing on an instance that never started).
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()


def seed(
    config: Path,
    amber_url: str,
    comed_url: str,
    wall_connector_host: str,
    tesla_url: str,
    kafka: str,
    powerwall_ports: list[int],
    ha_port: int = 8123,
) -> None:
    """Write our entries, the dev user and the HTTP config into config/.storage."""
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    if token := os.environ.get("TES_AMBER_TOKEN"):
        amber = _entry(
            "amber",
            "Amber Electric",
            os.environ["TES_AMBER_SITE_ID"],
            {
                "api_token": token,
                "site_id": os.environ["TES_AMBER_SITE_ID"],
                "base_url": "https://api.amber.com.au/v1",
            },
        )
    else:
        amber = _entry(
            "amber",
            "Amber Electric 41021234567 (simulator)",
            "01J0SIMSITE0000000000000001",
            {
                "api_token": "psk_sim",
                "site_id": "01J0SIMSITE0000000000000001",
                "base_url": amber_url,
            },
        )
    comed_base = (
        "https://hourlypricing.comed.com/api" if os.environ.get("TES_COMED_REAL") else comed_url
    )
    comed = _entry(
        "comed", "ComEd hourly pricing", "comed_hourly_pricing", {"base_url": comed_base}
    )
    wc_host = os.environ.get("TES_WALL_CONNECTOR_HOST", wall_connector_host)
    wc_serial = os.environ.get("TES_WALL_CONNECTOR_SERIAL", "PGT2251234567")
    wall_connector = _entry(
        "wall_connector",
        f"Wall Connector {wc_serial}",
        wc_serial,
        {"host": wc_host, "serial_number": wc_serial},
    )

    path = storage / config_entries.STORAGE_KEY
    stored: dict[str, Any] = (
        json.loads(path.read_text())
        if path.exists()
        else {
            "version": config_entries.STORAGE_VERSION,
            "minor_version": config_entries.STORAGE_VERSION_MINOR,
            "key": config_entries.STORAGE_KEY,
            "data": {"entries": []},
        }
    )
    tesla_token = os.environ.get("TES_TESLA_TOKEN", "tesla_sim")
    tesla_site = int(os.environ.get("TES_ENERGY_SITE_ID", "1689123456789012"))
    tou_sync = _entry(
        "tou_sync",
        "TOU sync Sim Home",
        str(tesla_site),
        {
            "access_token": tesla_token,
            "base_url": os.environ.get("TES_TESLA_BASE_URL", tesla_url),
            "energy_site_id": tesla_site,
        },
    )
    bootstrap = os.environ.get("TES_KAFKA_BOOTSTRAP", kafka)
    prefix = os.environ.get("TES_TELEMETRY_PREFIX", "tesla_telemetry")
    fleet = _entry(
        "fleet_telemetry",
        f"Fleet Telemetry {prefix}",
        f"{bootstrap}|{prefix}",
        {
            "bootstrap_servers": bootstrap,
            "topic_prefix": prefix,
            "group_id": "home-assistant-tesla-energy-sync",
            # The in-memory broker starts empty with each run: read it from the start.
            "auto_offset_reset": "earliest",
            "vins": [],
            "security_protocol": "PLAINTEXT",
        },
    )
    # Two simulated gateways (1 and 2 Powerwalls), and their combined device.
    gateways = [
        _entry(
            "powerwall",
            f"Simulated Home {index + 1}",
            f"1232100-00-E--TG1210000000{index + 1:02d}",
            {
                "host": f"127.0.0.1:{port}",
                "powerwall_mode": "local",
                "email": "owner@example.com",
                "password": "S1mulated",
            },
        )
        for index, port in enumerate(powerwall_ports)
    ]
    # The combined device has an entry of its own (a real installation is offered it).
    combined = (
        [_entry("powerwall_combined", "Powerwall combined", "powerwall_combined", {})]
        if len(gateways) >= 2
        else []
    )
    seeded = (amber, comed, wall_connector, tou_sync, fleet, *gateways, *combined)
    _garage_zone(config)
    _link_dashboard(config)
    ours = {e["unique_id"] for e in seeded}
    kept = [
        e
        for e in stored["data"]["entries"]
        if not (e["domain"] == DOMAIN and e["unique_id"] in ours)
    ]
    # Keep entry ids stable across runs so entity and device registries stay attached.
    previous = {
        e["unique_id"]: e["entry_id"] for e in stored["data"]["entries"] if e["domain"] == DOMAIN
    }
    for entry in seeded:
        entry["entry_id"] = previous.get(entry["unique_id"], entry["entry_id"])
    # The first gateway has control through the simulated Tesla cloud, which holds one energy
    # site per simulated gateway (site id = the TOU site's + 1 + index, see simulators).
    if gateways:
        gateways[0]["options"] = {
            "control": True,
            "access_token": tesla_token,
            "base_url": os.environ.get("TES_TESLA_BASE_URL", tesla_url),
            "energy_site_id": 1689123456789012 + 1,
        }
    # The charger's sessions are priced at Amber's price.
    wall_connector["options"] = {"tariff_entry_id": amber["entry_id"]}
    # TOU sync plans from Amber's prices; automatic sync starts off, for the user to turn on.
    tou_sync["data"]["tariff_entry_id"] = amber["entry_id"]
    tou_sync["options"] = {"automatic": os.environ.get("TES_TOU_AUTOMATIC") == "1"}
    stored["data"]["entries"] = [*kept, *seeded]
    path.write_text(json.dumps(stored, indent=2))

    onboarding = storage / "onboarding"
    if not onboarding.exists():
        onboarding.write_text(
            json.dumps(
                {"version": 4, "minor_version": 1, "key": "onboarding", "data": {"done": STEPS}}
            )
        )
    asyncio.run(
        _seed_storage(str(config.resolve()), ha_port), loop_factory=runner.create_event_loop
    )


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("requirements")
    seed_parser = sub.add_parser("seed")
    seed_parser.add_argument("--config", type=Path, default=Path("config"))
    seed_parser.add_argument("--amber-url", required=True)
    seed_parser.add_argument("--comed-url", required=True)
    seed_parser.add_argument("--wall-connector-host", required=True)
    seed_parser.add_argument("--tesla-url", required=True)
    seed_parser.add_argument("--kafka", required=True)
    seed_parser.add_argument("--powerwall-ports", required=True)
    seed_parser.add_argument("--ha-port", type=int, default=8123)
    args = parser.parse_args()
    if args.command == "requirements":
        sys.stdout.write("\n".join(requirements()) + "\n")
    else:
        seed(
            args.config,
            args.amber_url,
            args.comed_url,
            args.wall_connector_host,
            args.tesla_url,
            args.kafka,
            [int(port) for port in args.powerwall_ports.split(",") if port],
            args.ha_port,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
