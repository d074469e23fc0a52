"""PowerwallGateway in TEDAPI mode, through pypowerwall's real TEDAPI protobuf parsing.

pypowerwall sends TEDAPI only to the gateway's own 192.168.91.1, which no test may
contact, so it cannot be served over the network. Instead its transport is cut at the
two methods that touch the network, `TEDAPI._connect` (GET / and /tedapi/din) and
`TEDAPI._post_tedapi` (POST /tedapi/v1): the fake below answers the protobuf requests
pypowerwall builds with protobuf replies carrying synthesised config.json and status
JSON, so the decoding and the local-API synthesis on top of it run unmodified. Sockets
stay blocked for anything but 127.0.0.1, so a missed network path fails the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
from pathlib import Path
from typing import Any

from pypowerwall.tedapi import TEDAPI, tedapi_pb2
import pytest

from custom_components.tesla_energy_sync.clients.errors import ClientConnectionError, CommandError
from custom_components.tesla_energy_sync.clients.powerwall import (
    GridExportRule,
    GridStatus,
    OperatingMode,
    PowerwallCredentials,
    PowerwallGateway,
    PowerwallMode,
)

DIN = "1707000-11-J--TG1234567890AB"
GATEWAY = "192.168.91.1"  # never contacted: the transport is replaced below

CONFIG: dict[str, Any] = {
    "vin": DIN,
    "default_real_mode": "self_consumption",
    "site_info": {
        "site_name": "TEDAPI Home",
        "timezone": "America/Los_Angeles",
        "backup_reserve_percent": 24,
        "nominal_system_energy_ac": 13.5,
        "nominal_system_power_ac": 5,
    },
    "battery_blocks": [{"vin": "2012170-25-E--TG1234567890CD", "type": "Powerwall2"}],
    "meters": [],
}


def status(grid_connected: bool = True) -> dict[str, Any]:
    """Return a DEVICE_CONTROLLER answer shaped like a Powerwall 2's."""
    return {
        "control": {
            "alerts": {"active": ["SystemConnectedToGrid"] if grid_connected else []},
            "batteryBlocks": [{"din": "2012170-25-E--TG1234567890CD", "disableReasons": None}],
            "islanding": {"contactorClosed": grid_connected, "gridOK": grid_connected},
            "meterAggregates": [
                {"location": "SITE", "realPowerW": 1200.0 if grid_connected else 0.0},
                {"location": "BATTERY", "realPowerW": -800.0},
                {"location": "LOAD", "realPowerW": 2400.0},
                {"location": "SOLAR", "realPowerW": 2000.0},
            ],
            "systemStatus": {
                "nominalEnergyRemainingWh": 8100,
                "nominalFullPackEnergyWh": 13500,
            },
        },
        "esCan": {
            "bus": {
                "ISLANDER": {
                    "ISLAND_GridConnection": {
                        "ISLAND_GridConnected": "ISLAND_GridConnected_Connected"
                        if grid_connected
                        else "ISLAND_GridConnected_Disconnected",
                        "isComplete": True,
                    },
                    "ISLAND_AcMeasurements": {
                        "ISLAND_VL1N_Main": 121.0,
                        "ISLAND_VL2N_Main": 121.0,
                        "ISLAND_VL1N_Load": 121.0,
                        "ISLAND_VL2N_Load": 121.0,
                    },
                },
                "PINV": [],
                "POD": [],
                "PVAC": [],
                "PVS": [],
                "THC": [],
                "SYNC": {},
            },
        },
        "neurio": {"readings": []},
        "system": {"time": "2026-06-17T13:05:00-07:00"},
    }


class FakeGateway:
    """Answers pypowerwall's TEDAPI protobuf requests in memory."""

    def __init__(self) -> None:
        """Start connected, on the grid."""
        self.reachable = True
        self.grid_connected = True
        self.requests = 0

    def connect(self, tedapi: TEDAPI) -> str | None:
        """Stand in for TEDAPI._connect: no GET /, no /tedapi/din."""
        din = DIN if self.reachable else None
        tedapi.din = din
        return din

    def post(self, request: bytes) -> bytes:
        """Stand in for TEDAPI._post_tedapi: decode the request, encode the answer."""
        self.requests += 1
        asked = tedapi_pb2.Message()
        asked.ParseFromString(request)
        answer = tedapi_pb2.Message()
        answer.message.deliveryChannel = 1
        answer.message.sender.din = DIN
        answer.message.recipient.local = 1
        if asked.message.config.send.file == "config.json":
            answer.message.config.recv.file.name = "config.json"
            answer.message.config.recv.file.text = json.dumps(CONFIG)
        else:
            answer.message.payload.recv.text = json.dumps(status(self.grid_connected))
        answer.tail.value = 1
        encoded: bytes = answer.SerializeToString()
        return encoded


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    """Replace pypowerwall's TEDAPI transport with the in-memory gateway."""
    gateway = FakeGateway()

    def connect(tedapi: TEDAPI) -> str | None:
        """Become TEDAPI._connect (a bound method of the fake would not get the TEDAPI)."""
        return gateway.connect(tedapi)

    monkeypatch.setattr(TEDAPI, "_connect", connect)
    monkeypatch.setattr(
        TEDAPI,
        "_post_tedapi",
        lambda _self, request, din=None, url_suffix="": gateway.post(request),
    )
    # Reads the customer API over the network for PW3 energy counters
    # (docs/powerwall.md#firmware-quirks).
    monkeypatch.setattr(TEDAPI, "get_native_meters_aggregates", lambda _self, force=False: None)
    return gateway


async def in_thread[T](target: Callable[[], T]) -> T:
    """Run target in the default executor."""
    return await asyncio.get_running_loop().run_in_executor(None, target)


def tedapi_gateway(tmp_path: Path) -> PowerwallGateway:
    """Return a TEDAPI-mode gateway."""
    return PowerwallGateway(
        in_thread,
        GATEWAY,
        PowerwallCredentials(PowerwallMode.TEDAPI, "ABCDEFGHIJ"),
        tmp_path / "tedapi",
        pwcacheexpire=0,
    )


async def test_read_through_tedapi_parsing(fake: FakeGateway, tmp_path: Path) -> None:
    gateway = tedapi_gateway(tmp_path)
    snapshot = await gateway.read()
    assert gateway.powerwall.tedapi_mode == "full"
    assert fake.requests > 0
    assert snapshot.mode is PowerwallMode.TEDAPI
    assert snapshot.din == DIN
    assert snapshot.site_name == "TEDAPI Home"
    assert snapshot.site.power_w == 1200.0
    assert snapshot.battery.power_w == -800.0
    assert snapshot.load.power_w == 2400.0
    assert snapshot.solar.power_w == 2000.0
    # TEDAPI has no lifetime counters: its zeros are unknowns, not readings.
    assert snapshot.site.energy_imported_wh is None
    assert snapshot.solar.energy_exported_wh is None
    assert snapshot.battery_level_raw_pct == pytest.approx(60.0)
    assert snapshot.battery_level_pct == pytest.approx(55 / 0.95)
    assert snapshot.backup_reserve_raw_pct == 24
    assert snapshot.backup_reserve_pct == pytest.approx(20.0)
    assert snapshot.operating_mode is OperatingMode.SELF_CONSUMPTION
    assert snapshot.grid_status is GridStatus.UP
    assert snapshot.nominal_full_pack_energy_wh == 13500
    assert snapshot.nominal_energy_remaining_wh == 8100
    assert snapshot.battery_count == 1
    assert snapshot.time_remaining_h == pytest.approx(8100 / 2400)
    assert "SystemConnectedToGrid" in snapshot.alerts
    # pypowerwall's own vitals and strings, as its proxy would serve them.
    assert snapshot.vitals is not None
    assert f"STSTSM--{DIN}" in snapshot.vitals
    # This gateway's config lists no solar inverter, so there are no strings to report.
    assert snapshot.strings is None
    assert snapshot.as_dict()["vitals"] == len(snapshot.vitals)
    fake.grid_connected = False
    down = await gateway.read()
    assert down.grid_status is GridStatus.DOWN
    assert down.site.power_w == 0
    await gateway.close()


async def test_tedapi_refuses_control_without_v1r(fake: FakeGateway, tmp_path: Path) -> None:
    gateway = tedapi_gateway(tmp_path)
    with pytest.raises(CommandError, match="refused backup reserve 30 % in tedapi mode"):
        await gateway.set_reserve(30)
    with pytest.raises(CommandError, match="refused mode backup"):
        await gateway.set_mode(OperatingMode.BACKUP)
    with pytest.raises(CommandError, match="grid charging"):
        await gateway.set_grid_charging(False)
    with pytest.raises(CommandError, match="grid export"):
        await gateway.set_grid_export(GridExportRule.NEVER)
    await gateway.close()


async def test_tedapi_connect_failure_then_recovery(fake: FakeGateway, tmp_path: Path) -> None:
    fake.reachable = False
    gateway = tedapi_gateway(tmp_path)
    with pytest.raises(ClientConnectionError, match="TEDAPI did not connect"):
        await gateway.read()
    made = gateway.powerwall
    assert made.client is None
    fake.reachable = True
    assert (await gateway.read()).din == DIN
    assert gateway.powerwall is made  # the same object reconnected
    assert gateway.powerwalls_created == 1
    await gateway.close()


async def test_close_after_tedapi_never_connected(fake: FakeGateway, tmp_path: Path) -> None:
    fake.reachable = False
    gateway = tedapi_gateway(tmp_path)
    with pytest.raises(ClientConnectionError):
        await gateway.read()
    await gateway.close()
    assert gateway.powerwall is None
