"""A local stand-in for a Tesla Wall Connector Gen3, walking through charging sessions.

Serves /api/1/vitals, /lifetime, /version and /wifi_status shaped like real units' captures
(docs/wall-connector.md), on 127.0.0.1 only. Faults on top of the shared ones: "nan" (bare
`nan` in lifetime, as captured), "truncated" (the final `}` missing), "offline" (the
connection is dropped without an answer), "error" (evse_state 7 with the contactor open; the
script's energy counters carry on, as delivery lost to a fault is not modelled). Alert codes
put in `alerts` are listed in `current_alerts` (except while booting) on top of the script's.
Unknown /api/1 paths answer 500, as the unit.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
import json
import math
from typing import TYPE_CHECKING, Any, Final
import zlib

from aiohttp import web

from ._server import SimulatorServer
from .wall_connector_session import (
    BOOT_SECONDS,
    CONNECTED,
    EVSE_CODES,
    Moment,
    SessionScript,
    Stage,
    Step,
    default_script,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    import datetime as dt

__all__ = ["BOOT_SECONDS", "WallConnectorSimulator"]

OWN_FAULTS: Final = frozenset({"nan", "truncated", "offline", "error"})
# Listed by real units while plugged in but not charging (docs/wall-connector.md#alerts).
PLUGGED_ALERT: Final = 49
ERROR_STATE: Final = 7
ENDPOINTS: Final = ("vitals", "lifetime", "version", "wifi_status")
_NAN: Final = "__bare_nan__"
# Part numbers and firmware strings seen on real units (docs/wall-connector.md#version).
PART_NUMBERS: Final = ("1529455-02-D", "1457768-01-G", "1457768-02-H", "1529455-02-F")


@dataclass(frozen=True, slots=True)
class Firmware:
    """Which fields a firmware generation sends."""

    version: str
    not_ready_reasons: bool  # evse_not_ready_reasons: captures from 2025 on
    version_extras: bool  # git_branch and web_service in /version
    relay_pair: bool  # relay_k1_v/relay_k2_v instead of relay_coil_v (2026)
    base64_ssid: bool  # some firmware sends the SSID in plain text


FIRMWARES: Final = (
    Firmware("21.29.1+g4152353e50f744", False, False, False, False),
    Firmware("23.8.2+gce13e49b546382", False, True, False, True),
    Firmware("25.34.1+ge48cc9be91ebc7", True, True, False, True),
    # No 2026 version string was captured; this one is the simulator's own.
    Firmware("26.4.0+gs1mu1a7ed00000", True, True, True, True),
)


@dataclass(frozen=True, slots=True)
class Wiring:
    """Supply of one unit: voltages while charging and how phase currents split."""

    three_phase: bool
    grid_v: float
    grid_hz: float
    phase_v: tuple[float, float, float]
    # Share of vehicle_current_a on A, B, C and N (split phase: core#87667 capture).
    phase_share: tuple[float, float, float, float]
    prox_v: float

    def power_w(self, amps: float) -> float:
        """Return the power at `amps` for this wiring (docs/wall-connector.md#power)."""
        if self.three_phase:
            return math.fsum(self.phase_v) * amps
        return self.grid_v * amps


SPLIT_PHASE: Final = Wiring(
    False,
    239.6,
    59.98,
    (239.9, 239.7, 119.8),
    (18.7 / 40.4, 21.7 / 40.4, 22.1 / 40.4, 18.3 / 40.4),
    1.5,
)
THREE_PHASE: Final = Wiring(True, 230.4, 50.0, (231.2, 229.8, 230.5), (1.0, 1.0, 1.0, 0.02), 1.9)

# The library's lifetime fixture (docs/wall-connector.md#lifetime) is where every unit starts.
LIFETIME_BASE: Final[dict[str, int | float]] = {
    "contactor_cycles": 175,
    "contactor_cycles_loaded": 3,
    "alert_count": 1603,
    "thermal_foldbacks": 0,
    "avg_startup_temp": 27.8,
    "charge_starts": 175,
    "energy_wh": 386204,
    "connector_cycles": 23,
    "uptime_s": 1945056,
    "charging_time_s": 183022,
}
INITIAL_UPTIME_S: Final = 831580
INITIAL_SESSION_ENERGY_WH: Final = 22864.699


def _pick[T](options: tuple[T, ...], serial: str, salt: str) -> T:
    """Pick an option deterministically from the serial, so each unit differs."""
    return options[zlib.crc32(f"{salt}{serial}".encode()) % len(options)]


class WallConnectorSimulator(SimulatorServer):
    """Serve one Wall Connector; start several on different ports for a multi-unit site."""

    def __init__(
        self,
        *,
        serial: str = "PGT2251234567",
        three_phase: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
        script: list[Step] | None = None,
        part_number: str | None = None,
        firmware: Firmware | None = None,
        start_at: float = 0.0,
    ) -> None:
        """Configure the unit; the script starts `start_at` seconds in, at the clock's time."""
        super().__init__(clock=clock, path_prefix="")
        self.serial = serial
        self.wiring = THREE_PHASE if three_phase else SPLIT_PHASE
        self.script = SessionScript(script or default_script(three_phase=three_phase))
        self.part_number = part_number or _pick(PART_NUMBERS, serial, "part")
        self.firmware = firmware or _pick(FIRMWARES, serial, "firmware")
        self.reboots: list[float] = []
        # Injected alert codes, the fault knob of the charger's health entities.
        self.alerts: list[int | str] = []
        self._origin = self.now() - timedelta(seconds=start_at)

    @property
    def host(self) -> str:
        """Return "127.0.0.1:PORT", what a client is configured with."""
        return self.base_url.removeprefix("http://")

    def elapsed(self) -> float:
        """Return the simulated seconds since the simulator was created (never negative)."""
        return max(0.0, (self.now() - self._origin).total_seconds())

    def reboot(self) -> None:
        """Reboot now: evse_state 0 for BOOT_SECONDS, uptime and session counters restart."""
        self.reboots.append(self.elapsed())

    def moment(self, elapsed: float | None = None) -> Moment:
        """Return the session state at `elapsed` seconds (default: now)."""
        at = self.elapsed() if elapsed is None else elapsed
        return self.script.moment(at, self.reboots, initial_uptime_s=INITIAL_UPTIME_S)

    def session_energy_wh(self, moment: Moment | None = None) -> float:
        """Return the session energy the unit reports (the previous session's while idle)."""
        moment = moment or self.moment()
        if moment.session_amp_seconds is None:
            return INITIAL_SESSION_ENERGY_WH
        return self._wh(moment.session_amp_seconds)

    def energy_wh(self, moment: Moment | None = None) -> int:
        """Return lifetime energy_wh; it moves at session ends (docs/wall-connector.md#lifetime)."""
        moment = moment or self.moment()
        return int(LIFETIME_BASE["energy_wh"]) + int(self._wh(moment.lifetime.amp_seconds))

    def power_w(self, moment: Moment | None = None) -> float:
        """Return the power being delivered for the wiring (docs/wall-connector.md#power)."""
        moment = moment or self.moment()
        return self.wiring.power_w(moment.amps)

    @property
    def phase(self) -> Stage:
        """Return the stage of the session now."""
        return self.moment().stage

    def _wh(self, amp_seconds: float) -> float:
        """Convert delivered amp-seconds to Wh for this wiring."""
        return self.wiring.power_w(amp_seconds) / 3600

    def vitals(self, moment: Moment | None = None) -> dict[str, Any]:
        """Return /api/1/vitals at a moment, every field as the captures show."""
        moment = moment or self.moment()
        stage, wiring, firmware = moment.stage, self.wiring, self.firmware
        charging = stage is Stage.CHARGING
        connected = stage in CONNECTED
        wobble = math.sin(moment.elapsed / 97)
        amps = round(moment.amps, 1)
        if charging:
            currents = [round(moment.amps * share, 1) for share in wiring.phase_share]
            voltages = list(wiring.phase_v)
            pilot = (0.0, 0.0)
        else:
            noise = 0.4 if stage is Stage.FINISHED else 0.1
            amps, currents = noise, [0.0, 0.1 if connected else 0.0, 0.0, 0.0]
            voltages = [1.7 if connected else 0.0, 0.0, 0.0]
            pilot = (8.7, -11.8) if connected else (11.9, 11.9)
        body: dict[str, Any] = {
            "contactor_closed": charging,
            "vehicle_connected": connected,
            "session_s": moment.session_s,
            "grid_v": round(wiring.grid_v + (0.3 * wobble if not charging else 0.0), 1),
            "grid_hz": round(wiring.grid_hz + 0.03 * wobble, 3),
            "vehicle_current_a": amps,
            "currentA_a": currents[0],
            "currentB_a": currents[1],
            "currentC_a": currents[2],
            "currentN_a": currents[3],
            "voltageA_v": voltages[0],
            "voltageB_v": voltages[1],
            "voltageC_v": voltages[2],
        }
        if firmware.relay_pair:
            body |= {
                "relay_k1_v": 6.1 if charging else 12.0,
                "relay_k2_v": 6.1 if charging else 0.0,
            }
        else:
            body["relay_coil_v"] = 6.1 if charging else 11.8
        warm = moment.amps / 8
        body |= {
            "pcba_temp_c": round(19.2 + warm, 1),
            "handle_temp_c": round(15.3 + warm, 1),
            "mcu_temp_c": round(25.1 + warm / 2, 1),
            "uptime_s": moment.uptime_s,
            "input_thermopile_uv": -233 - int(5 * moment.amps),
            "prox_v": wiring.prox_v if charging else 0.0,
            "pilot_high_v": pilot[0],
            "pilot_low_v": pilot[1],
            "session_energy_wh": round(self.session_energy_wh(moment), 3),
            "config_status": 5,
            "evse_state": EVSE_CODES[stage],
            "current_alerts": self._alerts(stage),
        }
        if firmware.not_ready_reasons:
            body["evse_not_ready_reasons"] = [] if charging else [1] if connected else [4, 8]
        if self.fault == "error":
            body |= {
                "contactor_closed": False,
                "evse_state": ERROR_STATE,
                "vehicle_current_a": 0.0,
                "currentA_a": 0.0,
                "currentB_a": 0.0,
                "currentC_a": 0.0,
                "currentN_a": 0.0,
            }
        return body

    def _alerts(self, stage: Stage) -> list[int | str]:
        """Return current_alerts: the scripted one while plugged, then the injected ones."""
        if stage is Stage.BOOTING:
            return []  # nothing is reported until the unit is up
        scripted: list[int | str] = [PLUGGED_ALERT] if stage is Stage.PLUGGED else []
        return scripted + [alert for alert in self.alerts if alert not in scripted]

    def lifetime(self, moment: Moment | None = None) -> dict[str, Any]:
        """Return /api/1/lifetime: counters move at unplug, uptime continuously.

        See docs/wall-connector.md#lifetime and #sessions.
        """
        moment = moment or self.moment()
        done = moment.lifetime
        return LIFETIME_BASE | {
            "contactor_cycles": LIFETIME_BASE["contactor_cycles"] + done.contactor_closes,
            "charge_starts": LIFETIME_BASE["charge_starts"] + done.contactor_closes,
            "energy_wh": self.energy_wh(moment),
            "connector_cycles": LIFETIME_BASE["connector_cycles"] + done.sessions,
            "uptime_s": LIFETIME_BASE["uptime_s"] + int(moment.elapsed),
            "charging_time_s": LIFETIME_BASE["charging_time_s"] + int(done.charging_s),
        }

    def version(self) -> dict[str, Any]:
        """Return /api/1/version."""
        body = {
            "firmware_version": self.firmware.version,
            "part_number": self.part_number,
            "serial_number": self.serial,
        }
        if self.firmware.version_extras:
            body |= {"git_branch": "HEAD", "web_service": "h3-hermes-prd.sn.tesla.services"}
        return body

    def wifi_status(self) -> dict[str, Any]:
        """Return /api/1/wifi_status; the address and MAC are made up from the serial."""
        ssid = "TeslaEnergySim"
        crc = zlib.crc32(self.serial.encode())
        mac_tail = ":".join(f"{(crc >> shift) & 0xFF:02X}" for shift in (16, 8, 0))
        return {
            "wifi_ssid": base64.b64encode(ssid.encode()).decode()
            if self.firmware.base64_ssid
            else ssid,
            "wifi_signal_strength": 94,
            "wifi_rssi": -43,
            "wifi_snr": 33,
            "wifi_connected": True,
            "wifi_infra_ip": f"192.168.1.{50 + crc % 150}",
            "internet": True,
            "wifi_mac": f"98:ED:5C:{mac_tail}",
        }

    def body(self, endpoint: str) -> str:
        """Return the body text an endpoint serves now, with the nan/truncated faults applied."""
        data: dict[str, Any]
        if endpoint == "vitals":
            data = self.vitals()
        elif endpoint == "lifetime":
            data = self.lifetime()
            if self.fault == "nan":
                # The fields captured as bare nan (docs/wall-connector.md#body-quirks).
                data |= dict.fromkeys(
                    ("alert_count", "avg_startup_temp", "contactor_cycles_loaded"), _NAN
                )
        elif endpoint == "version":
            data = self.version()
        else:
            data = self.wifi_status()
        text = json.dumps(data, separators=(",", ":")).replace(f'"{_NAN}"', "nan")
        return text[:-1] if self.fault == "truncated" else text

    def _build_app(self) -> web.Application:
        """Return the application with the unit's routes."""
        app = web.Application()
        app.router.add_get("/api/1/{endpoint}", self._api)
        return app

    async def _api(self, request: web.Request) -> web.StreamResponse:
        """Answer one endpoint, or the configured fault."""
        self.record(request)
        if self.fault == "offline":
            # Answers ping but not HTTP (core#137770): drop the connection unanswered.
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable
        if self.fault not in OWN_FAULTS:
            fault = await self.apply_fault()
            if fault is not None:
                return fault
        endpoint = request.match_info["endpoint"]
        if endpoint not in ENDPOINTS:
            return web.json_response({"error": "internal"}, status=500)
        return web.Response(text=self.body(endpoint), content_type="application/json")
