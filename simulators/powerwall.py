"""A local stand-in for a Powerwall gateway's customer API, over HTTPS on 127.0.0.1.

The unmodified pypowerwall library logs in (POST /api/login/Basic, cookies AuthCookie
and UserRecord) and reads it in local mode, addressed as "127.0.0.1:PORT". Bodies follow
real gateway captures (docs/powerwall.md#aggregates). The site lives through a day on
the injected clock: a solar bell curve, a morning and an evening load peak, the battery
charging from surplus by day and covering the evening until the reserve, then the grid
at night; the state of energy and every lifetime counter integrate the same flows.

A wrong password answers 401 "bad credentials"; `lockout_after` failures in a row lock
logins out with 429 "API Limit Reached" for `lockout_seconds`, the right password
included. Firmware is newer than 23.44, so /api/devices/vitals is 404 and pypowerwall
reads alerts from /api/solar_powerwall. POST /api/operation writes the reserve (raw
scale) and the mode; real gateways refuse it to the customer role with 403
(docs/powerwall.md#writes), which `operation_writable = False` reproduces. TEDAPI is not
served: pypowerwall sends it only to 192.168.91.1.

Faults on top of the shared ones: "offline" (connections dropped unanswered),
"sitemaster_stopped" (502 on aggregates and soe, as captured), "rate_limited" (429
on every request), "hang" (requests read, then left unanswered until the fault is lifted
or the simulator stops; then answered as usual).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import datetime as dt
import ipaddress
import json
import math
from pathlib import Path
import secrets
import shutil
import ssl
import tempfile
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ._server import SimulatorServer, require_loopback

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Flows", "PowerwallSimulator"]

OWN_FAULTS: Final = frozenset({"offline", "sitemaster_stopped", "rate_limited", "hang"})
GRID_UP: Final = "SystemGridConnected"
GRID_DOWN: Final = "SystemIslandedActive"
MODES: Final = ("self_consumption", "backup", "autonomous")
BLOCK_FULL_WH: Final = 13_500.0
BLOCK_POWER_W: Final = 5_000.0
_OK_HEADERS: Final = {"Cache-Control": "no-cache"}
_BAD_CREDENTIALS: Final = {"code": 401, "error": "bad credentials", "message": "Login Error"}
_TOKEN_EXPIRED: Final = {"code": 401, "message": "Token Expired"}
_NO_ACCESS: Final = {
    "code": 403,
    "error": "Unable to POST to resource",
    "message": "User does not have adequate access rights",
}
_API_LIMIT: Final = {
    "code": 429,
    "error": "Api Limit reached for this endpoint",
    "message": "API Limit Reached",
}
# Endpoints older firmware served without a login (docs/powerwall.md#other-endpoints).
_PUBLIC: Final = frozenset({"/api/status", "/api/login/Basic", "/api/logout"})


@dataclass(frozen=True, slots=True)
class Flows:
    """Instant power in W with the gateway's signs (site + import, battery + discharge)."""

    site: float
    solar: float
    battery: float
    load: float


@dataclass(slots=True)
class Counters:
    """Lifetime energy in Wh, as /api/meters/aggregates reports it."""

    site_imported: float = 6_800_365.84
    site_exported: float = 4_319_958.27
    battery_imported: float = 13_853_641.0
    battery_exported: float = 12_319_540.0
    solar_exported: float = 26_344_176.0
    load_imported: float = 27_290_482.57

    def add(self, flows: Flows, seconds: float) -> None:
        """Integrate flows over seconds."""
        hours = seconds / 3600.0
        self.site_imported += max(flows.site, 0.0) * hours
        self.site_exported += max(-flows.site, 0.0) * hours
        self.battery_exported += max(flows.battery, 0.0) * hours
        self.battery_imported += max(-flows.battery, 0.0) * hours
        self.solar_exported += max(flows.solar, 0.0) * hours
        self.load_imported += max(flows.load, 0.0) * hours


def _bell(hour: float, centre: float, width: float) -> float:
    """Return a Gaussian bump of height 1."""
    return math.exp(-(((hour - centre) / width) ** 2) / 2)


def solar_w(hour: float, peak_w: float) -> float:
    """Return PV output at a local hour: a bell from 6 to 19 h, a few W negative at night."""
    if not 6.0 < hour < 19.0:
        return -3.0
    return round(peak_w * _bell(hour, 12.5, 2.4), 1)


def load_w(hour: float, base_w: float) -> float:
    """Return the home's use: a base, a morning and a larger evening peak."""
    return round(
        base_w
        + 900.0 * _bell(hour, 7.5, 1.0)
        + 300.0 * _bell(hour, 13.0, 3.0)
        + 1_800.0 * _bell(hour, 19.0, 1.6),
        1,
    )


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a fresh self-signed certificate for 127.0.0.1 and its key; return both paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "teg")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("teg"),
                    x509.DNSName("powerwall"),
                ]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "gateway.crt", directory / "gateway.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass(slots=True)
class _Login:
    """Login bookkeeping: tokens issued and failures in a row."""

    tokens: dict[str, dt.datetime] = field(default_factory=dict)
    attempts: int = 0
    failures_in_row: int = 0
    locked_until: dt.datetime | None = None


class PowerwallSimulator(SimulatorServer):
    """One gateway with 1 to 3 Powerwalls, a day of power flows and the customer login."""

    def __init__(
        self,
        *,
        din: str = "1232100-00-E--TG123456789012",
        batteries: int = 1,
        password: str = "S1mulated",  # noqa: S107 - the stand-in's own, printed at start
        email: str = "owner@example.com",
        clock: Callable[[], dt.datetime] | None = None,
        site_name: str = "Simulated Home",
        firmware: str = "24.44.1 6c12f5a9",
        timezone: str = "America/Los_Angeles",
        solar_peak_w: float = 6_500.0,
        base_load_w: float = 450.0,
        level_raw_pct: float = 60.0,
        reserve_raw_pct: float = 24.0,
        mode: str = "self_consumption",
        lockout_after: int = 5,
        lockout_seconds: float = 600.0,
        token_lifetime: float = 3_600.0,
        step_seconds: float = 60.0,
    ) -> None:
        """Prepare an unstarted gateway."""
        if not 1 <= batteries <= 3:
            raise ValueError("a gateway here has 1 to 3 Powerwalls")
        # Set while requests may be answered; cleared by the "hang" fault (see `fault`).
        self._answering = asyncio.Event()
        self._answering.set()
        super().__init__(clock=clock, path_prefix="")
        self.din = din
        self.batteries = batteries
        self.password = password
        self.email = email
        self.site_name = site_name
        self.firmware = firmware
        self.timezone = ZoneInfo(timezone)
        self.solar_peak_w = solar_peak_w
        self.base_load_w = base_load_w
        # Packs age differently; the second and third hold a little less.
        self.block_full_wh = tuple(BLOCK_FULL_WH - 195.0 * index for index in range(batteries))
        self.full_pack_wh = sum(self.block_full_wh)
        self.energy_wh = self.full_pack_wh * level_raw_pct / 100.0
        self.reserve_raw_pct = reserve_raw_pct
        self.mode = mode
        self.grid_state = GRID_UP
        self.operation_writable = True
        self.alerts: set[str] = set()
        self.counters = Counters()
        self.lockout_after = lockout_after
        self.lockout_seconds = lockout_seconds
        self.token_lifetime = token_lifetime
        self.step_seconds = step_seconds
        self.login = _Login()
        self.posts: list[dict[str, Any]] = []
        self.host = ""
        self._started: dt.datetime | None = None
        self._updated: dt.datetime | None = None
        self._tls_dir: Path | None = None

    @property
    def fault(self) -> str | None:
        """Return the fault in force, if any."""
        return self._fault

    @fault.setter
    def fault(self, fault: str | None) -> None:
        """Set a fault (None lifts it); lifting "hang" answers the requests it held."""
        self._fault = fault
        if fault == "hang":
            self._answering.clear()
        else:
            self._answering.set()

    # The model.

    @property
    def grid_up(self) -> bool:
        """Return whether the grid is connected."""
        return self.grid_state == GRID_UP

    @property
    def level_raw_pct(self) -> float:
        """Return the state of energy as the gateway reports it (raw scale)."""
        return self.energy_wh / self.full_pack_wh * 100.0

    def start_outage(self) -> None:
        """Lose the grid: the site meter reads 0 and the battery covers the home."""
        self.advance()
        self.grid_state = GRID_DOWN

    def end_outage(self) -> None:
        """Get the grid back."""
        self.advance()
        self.grid_state = GRID_UP

    def apply_cloud(self, site: dict[str, Any]) -> None:
        """Take the reserve (app scale) and mode an energy site in the cloud now holds."""
        self.advance()
        self.reserve_raw_pct = site["backup_reserve_percent"] * 0.95 + 5.0
        self.mode = site["default_real_mode"]

    def lock_out(self, seconds: float | None = None) -> None:
        """Lock logins out now, as after too many failures."""
        self.login.locked_until = self.now() + dt.timedelta(
            seconds=self.lockout_seconds if seconds is None else seconds
        )

    def local_hour(self, moment: dt.datetime) -> float:
        """Return the site's local time of day in hours."""
        local = moment.astimezone(self.timezone)
        return local.hour + local.minute / 60.0 + local.second / 3600.0

    def flows(self, moment: dt.datetime | None = None) -> Flows:
        """Return the power flows at a moment (now by default) for the present state."""
        self.advance()
        return self._flows_at(self.now() if moment is None else moment, 60.0)

    def _flows_at(self, moment: dt.datetime, seconds: float) -> Flows:
        """Return the flows at moment, limited so the next `seconds` keep energy in range."""
        hour = self.local_hour(moment)
        solar = solar_w(hour, self.solar_peak_w)
        load = load_w(hour, self.base_load_w)
        limit = BLOCK_POWER_W * self.batteries
        hours = seconds / 3600.0
        headroom_w = max(self.full_pack_wh - self.energy_wh, 0.0) / hours
        if not self.grid_up:
            # Islanded: a full battery curtails solar, an empty one sheds load.
            produced = max(solar, 0.0)
            need = load - produced
            if need >= 0:
                battery = min(need, limit, max(self.energy_wh, 0.0) / hours)
                load = round(produced + battery, 1)
            else:
                battery = -min(-need, limit, headroom_w)
                solar = round(load - battery, 1)
            return Flows(0.0, solar, round(battery, 1) + 0.0, load)
        surplus = max(solar, 0.0) - load
        floor_wh = self.full_pack_wh * self.reserve_raw_pct / 100.0
        above_reserve_w = max(self.energy_wh - floor_wh, 0.0) / hours
        if surplus > 0:
            battery = -min(surplus, limit, headroom_w)
        elif self.mode == "backup" or (self.mode == "autonomous" and not 6.0 <= hour < 22.0):
            # Backup holds the charge; time-based control saves it through the off-peak night.
            battery = 0.0
        else:
            battery = min(-surplus, limit, above_reserve_w)
        battery = round(battery, 1)
        site = round(load - solar - battery, 1)
        return Flows(site, solar, battery, load)

    def advance(self) -> None:
        """Integrate energy and counters from the last update to now, in steps."""
        now = self.now()
        if self._updated is None or now <= self._updated:
            self._updated = now if self._updated is None else self._updated
            return
        moment = self._updated
        while moment < now:
            seconds = min(self.step_seconds, (now - moment).total_seconds())
            flows = self._flows_at(moment, seconds)
            self.energy_wh -= flows.battery * seconds / 3600.0
            # Rounded so integration leaves no 1e-13 Wh crumbs in an empty battery.
            self.energy_wh = round(min(max(self.energy_wh, 0.0), self.full_pack_wh), 6)
            self.counters.add(flows, seconds)
            moment += dt.timedelta(seconds=seconds)
        self._updated = now

    # Bodies.

    def aggregates(self) -> dict[str, Any]:
        """Return /api/meters/aggregates."""
        flows = self.flows()
        stamp = self.now().strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
        counters = self.counters

        def section(
            power: float, imported: float, exported: float, frequency: float, voltage: float
        ) -> dict[str, Any]:
            """Return one meter section."""
            return {
                "last_communication_time": stamp,
                "instant_power": power,
                "instant_reactive_power": -round(power * 0.05, 1),
                "instant_apparent_power": round(abs(power) * 1.0013, 2),
                "frequency": frequency,
                "energy_exported": round(exported, 2),
                "energy_imported": round(imported, 2),
                "instant_average_voltage": voltage,
                "instant_average_current": round(abs(power) / voltage, 3) if voltage else 0,
                "i_a_current": 0,
                "i_b_current": 0,
                "i_c_current": 0,
                "last_phase_voltage_communication_time": "0001-01-01T00:00:00Z",
                "last_phase_power_communication_time": "0001-01-01T00:00:00Z",
                "last_phase_energy_communication_time": "0001-01-01T00:00:00Z",
                "timeout": 1_500_000_000,
                "num_meters_aggregated": 1,
                "instant_total_current": 0,
            }

        battery = section(
            flows.battery, counters.battery_imported, counters.battery_exported, 60.019, 243.95
        )
        battery["num_meters_aggregated"] = self.batteries
        load = section(flows.load, counters.load_imported, 0.0, 0, 240.1)
        del load["num_meters_aggregated"]
        solar = section(flows.solar, 0.0, counters.solar_exported, 60.016, 243.8)
        solar["timeout"] = 1_000_000_000
        return {
            "site": section(flows.site, counters.site_imported, counters.site_exported, 0, 240.1),
            "battery": battery,
            "load": load,
            "solar": solar,
        }

    def status(self) -> dict[str, Any]:
        """Return /api/status."""
        started = self._started or self.now()
        up = max((self.now() - started).total_seconds(), 0.0)
        return {
            "din": self.din,
            "start_time": started.strftime("%Y-%m-%d %H:%M:%S +0000"),
            "up_time_seconds": f"{int(up // 3600)}h{int(up % 3600 // 60)}m{up % 60:.6f}s",
            "is_new": False,
            "version": self.firmware,
            "git_hash": self.firmware.split()[-1] + "0" * 32,
            "commission_count": 0,
            "device_type": "teg",
            "teg_type": "unknown",
            "sync_type": "v2.1",
            "cellular_disabled": False,
            "can_reboot": True,
        }

    def operation(self) -> dict[str, Any]:
        """Return /api/operation (customer view; reserve on the raw scale)."""
        return {
            "real_mode": self.mode,
            "backup_reserve_percent": self.reserve_raw_pct,
            "freq_shift_load_shed_soe": 65,
            "freq_shift_load_shed_delta_f": -0.32,
        }

    def system_status(self) -> dict[str, Any]:
        """Return /api/system_status with one block per Powerwall."""
        flows = self.flows()
        share = self.energy_wh / self.full_pack_wh
        blocks: list[dict[str, Any]] = [
            {
                "PackagePartNumber": "2012170-25-E",
                "PackageSerialNumber": f"TG{self.din[-10:]}{index}",
                "pinv_state": "PINV_GridFollowing" if self.grid_up else "PINV_GridForming",
                "pinv_grid_state": "Grid_Compliant" if self.grid_up else "Grid_Uncompliant",
                "nominal_energy_remaining": round(full * share),
                "nominal_full_pack_energy": round(full),
                "p_out": round(flows.battery / self.batteries),
                "q_out": 20,
                "v_out": 243.7,
                "f_out": 60.008,
                "i_out": round(flows.battery / self.batteries / 243.7, 1),
                "energy_charged": round(self.counters.battery_imported / self.batteries),
                "energy_discharged": round(self.counters.battery_exported / self.batteries),
                "off_grid": not self.grid_up,
                "vf_mode": False,
                "wobble_detected": False,
                "charge_power_clamped": False,
                "backup_ready": True,
                "OpSeqState": "Active",
                "version": self.firmware.split()[-1],
                "disabled_reasons": [],
            }
            for index, full in enumerate(self.block_full_wh)
        ]
        power = BLOCK_POWER_W * self.batteries
        return {
            "command_source": "Configuration",
            "battery_target_power": 0,
            "battery_target_reactive_power": 0,
            "nominal_full_pack_energy": round(self.full_pack_wh),
            "nominal_energy_remaining": round(self.energy_wh),
            "max_power_energy_remaining": 0,
            "max_power_energy_to_be_charged": 0,
            "max_charge_power": power,
            "max_discharge_power": power,
            "max_apparent_power": power,
            "instantaneous_max_discharge_power": 2 * power,
            "instantaneous_max_charge_power": 2 * power,
            "grid_services_power": 0,
            "system_island_state": self.grid_state,
            "available_blocks": self.batteries,
            "battery_blocks": blocks,
            "ffr_power_availability_high": 0,
            "ffr_power_availability_low": 0,
            "load_charge_constraint": 0,
            "max_sustained_ramp_rate": power,
            "grid_faults": [],
            "can_reboot": "Yes",
            "smart_inv_delta_p": 0,
            "smart_inv_delta_q": 0,
            "last_toggle_timestamp": "2026-01-01T00:00:00Z",
            "solar_real_power_limit": -1,
            "score": 10_000,
            "blocks_controlled": self.batteries,
            "primary": True,
            "auxiliary_load": 0,
            "all_enable_lines_high": True,
            "inverter_nominal_usable_power": power,
            "expected_energy_remaining": 0,
        }

    def site_info(self) -> dict[str, Any]:
        """Return /api/site_info (newer firmware shape)."""
        energy_kwh = round(self.full_pack_wh / 1000.0)
        power_kw = BLOCK_POWER_W * self.batteries / 1000.0
        return {
            "max_system_energy_kWh": energy_kwh,
            "max_system_power_kW": power_kw,
            "site_name": self.site_name,
            "timezone": str(self.timezone),
            "max_site_meter_power_kW": 1_000_000_000,
            "min_site_meter_power_kW": -1_000_000_000,
            "nominal_system_energy_kWh": energy_kwh,
            "nominal_system_power_kW": power_kw,
            "panel_max_current": 100,
            "grid_code": {
                "grid_code": "60Hz_240V_s_UL1741SA:2019_California",
                "grid_voltage_setting": 240,
                "grid_freq_setting": 60,
                "grid_phase_setting": "Split",
                "country": "United States",
                "state": "California",
                "utility": "Southern California Edison",
            },
        }

    def solar_powerwall(self) -> dict[str, Any]:
        """Return /api/solar_powerwall, where pypowerwall finds alerts on firmware >= 23.44."""
        flows = self.flows()
        pvac = {alert: True for alert in self.alerts if not alert.startswith("PVS_")}
        pvac["PVAC_a001_inv_L1_HW_overcurrent"] = False
        pvs = {alert: True for alert in self.alerts if alert.startswith("PVS_")}
        pvs["PVS_a018_MciStringA"] = False
        return {
            "command_source": "Configuration",
            "pvac_status": {
                "state": "PVAC_Active" if flows.solar > 0 else "PVAC_Standby",
                "disabled": False,
                "disabled_reasons": [],
                "grid_state": "Grid_Compliant",
                "inv_state": "INV_Grid_Following",
                "v_out": 243.8,
                "f_out": 60.016,
                "p_out": max(flows.solar, 0.0),
                "q_out": 0,
                "i_out": round(max(flows.solar, 0.0) / 243.8, 2),
                "string_vitals": [
                    {
                        "string_id": index + 1,
                        "connected": True,
                        "measured_voltage": 256.9,
                        "current": round(max(flows.solar, 0.0) / 2 / 256.9, 2),
                        "measured_power": round(max(flows.solar, 0.0) / 2, 1),
                    }
                    for index in range(2)
                ],
            },
            "pvs_status": {"state": "PVS_Active", "disabled": False},
            "pv_power_limit": 7_600,
            "power_status_setpoint": "on",
            "pvac_alerts": pvac,
            "pvs_alerts": pvs,
        }

    def powerwalls(self) -> dict[str, Any]:
        """Return /api/powerwalls."""
        return {
            "enumerating": False,
            "updating": False,
            "checking_if_offgrid": False,
            "running_phase_detection": False,
            "phase_detection_last_error": "no phase information",
            "bubble_shedding": False,
            "on_grid_check_error": "on grid check not run",
            "grid_qualifying": False,
            "grid_code_validating": False,
            "phase_detection_not_available": True,
            "powerwalls": [
                {
                    "Type": "",
                    "PackagePartNumber": "2012170-25-E",
                    "PackageSerialNumber": f"TG{self.din[-10:]}{index}",
                    "type": "SolarPowerwall",
                    "grid_state": "Grid_Compliant",
                    "grid_reconnection_time_seconds": 0,
                    "under_phase_detection": False,
                    "updating": False,
                    "bc_type": None,
                    "in_config": True,
                }
                for index in range(self.batteries)
            ],
            "gateway_din": self.din,
            "sync": None,
            "msa": None,
            "states": None,
        }

    def body(self, path: str) -> dict[str, Any] | None:
        """Return the JSON body of a GET, or None for a path this firmware does not serve."""
        bodies: dict[str, Callable[[], dict[str, Any]]] = {
            "/api/meters/aggregates": self.aggregates,
            "/api/system_status/soe": lambda: {"percentage": self.level_raw_pct},
            "/api/system_status/grid_status": lambda: {
                "grid_status": self.grid_state,
                "grid_services_active": False,
            },
            "/api/status": self.status,
            "/api/site_info": self.site_info,
            "/api/site_info/site_name": lambda: {
                "site_name": self.site_name,
                "timezone": str(self.timezone),
            },
            "/api/operation": self.operation,
            "/api/system_status": self.system_status,
            "/api/powerwalls": self.powerwalls,
            "/api/solar_powerwall": self.solar_powerwall,
            "/api/troubleshooting/problems": lambda: {"problems": []},
            "/api/sitemaster": lambda: {
                "status": "StatusUp",
                "running": True,
                "connected_to_tesla": True,
                "power_supply_mode": False,
                "can_reboot": "Yes",
            },
        }
        make = bodies.get(path)
        return None if make is None else make()

    # HTTP.

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start listening over HTTPS with a fresh self-signed certificate; return the base URL."""
        require_loopback(host)
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._tls_dir = Path(tempfile.mkdtemp(prefix="powerwall-sim-"))
        cert_path, key_path = self_signed_certificate(self._tls_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        runner = web.AppRunner(self._build_app(), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, host, port, ssl_context=context).start()
        self._runner = runner
        self._started = self._updated = self.now()
        self.host = f"{host}:{runner.addresses[0][1]}"
        self.base_url = f"https://{self.host}"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening and delete the certificate and key."""
        self._answering.set()  # held requests end before the server does
        await super().stop()
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def _build_app(self) -> web.Application:
        """Return the application with the gateway's routes."""
        app = web.Application()
        app.router.add_post("/api/login/Basic", self._login)
        app.router.add_post("/api/operation", self._post_operation)
        app.router.add_get("/api/logout", self._logout)
        app.router.add_get("/{path:.*}", self._get)
        return app

    async def _gate(self, request: web.Request) -> web.StreamResponse | None:
        """Record the request; return the answer a fault or a missing login gives instead."""
        self.record(request)
        if self.fault == "offline":
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable
        if self.fault == "rate_limited":
            return web.json_response(_API_LIMIT, status=429)
        await self._answering.wait()
        if self.fault not in OWN_FAULTS:
            fault = await self.apply_fault()
            if fault is not None:
                return fault
        if request.path in _PUBLIC:
            return None
        token = request.cookies.get("AuthCookie") or request.headers.get(
            "Authorization", ""
        ).removeprefix("Bearer ")
        issued = self.login.tokens.get(token)
        if issued is None:
            return web.json_response(_BAD_CREDENTIALS, status=401)
        if (self.now() - issued).total_seconds() > self.token_lifetime:
            del self.login.tokens[token]
            return web.json_response(_TOKEN_EXPIRED, status=401)
        return None

    async def _login(self, request: web.Request) -> web.StreamResponse:
        """POST /api/login/Basic with the form pypowerwall sends."""
        denied = await self._gate(request)
        if denied is not None:
            return denied
        self.login.attempts += 1
        form = await request.post()
        now = self.now()
        if self.login.locked_until is not None and now < self.login.locked_until:
            return web.json_response(_API_LIMIT, status=429)
        if form.get("username") != "customer" or form.get("password") != self.password:
            self.login.failures_in_row += 1
            if self.login.failures_in_row >= self.lockout_after:
                self.lock_out()
                self.login.failures_in_row = 0
            return web.json_response(_BAD_CREDENTIALS, status=401)
        self.login.failures_in_row = 0
        token = secrets.token_urlsafe(32)
        self.login.tokens[token] = now
        response = web.json_response(
            {
                "email": form.get("email", self.email),
                "firstname": "Tesla",
                "lastname": "Energy",
                "roles": ["Home_Owner"],
                "token": token,
                "provider": "Basic",
                "loginTime": now.isoformat(),
            }
        )
        response.set_cookie("AuthCookie", token, secure=True, httponly=True)
        response.set_cookie("UserRecord", secrets.token_urlsafe(24), secure=True)
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        """GET /api/logout: forget the token."""
        denied = await self._gate(request)
        if denied is not None:
            return denied
        self.login.tokens.pop(request.cookies.get("AuthCookie", ""), None)
        return web.Response(status=204)

    async def _get(self, request: web.Request) -> web.StreamResponse:
        """Answer a GET."""
        denied = await self._gate(request)
        if denied is not None:
            return denied
        if self.fault == "sitemaster_stopped" and request.path in {
            "/api/meters/aggregates",
            "/api/system_status/soe",
        }:
            return web.Response(status=502, text="Bad Gateway")
        body = self.body(request.path)
        if body is None:
            return web.json_response({"code": 404, "error": "Not Found"}, status=404)
        return web.Response(
            text=json.dumps(body), content_type="application/json", headers=_OK_HEADERS
        )

    async def _post_operation(self, request: web.Request) -> web.StreamResponse:
        """POST /api/operation: write the reserve (raw scale) and the mode."""
        denied = await self._gate(request)
        if denied is not None:
            return denied
        if not self.operation_writable:
            return web.json_response(_NO_ACCESS, status=403)
        try:
            payload = await request.json()
        except ValueError:
            return web.json_response({"code": 400, "error": "bad json"}, status=400)
        self.posts.append(payload)
        reserve = payload.get("backup_reserve_percent", self.reserve_raw_pct)
        mode = payload.get("real_mode", self.mode)
        if (
            isinstance(reserve, bool)
            or not isinstance(reserve, int | float)
            or not 0 <= reserve <= 100
            or mode not in MODES
        ):
            return web.json_response({"code": 400, "error": "invalid operation"}, status=400)
        self.advance()
        self.reserve_raw_pct = float(reserve)
        self.mode = mode
        return web.json_response(self.operation())
