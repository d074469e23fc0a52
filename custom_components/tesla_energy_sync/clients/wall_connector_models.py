"""Typed models of the Tesla Wall Connector Gen3 local API (vitals, lifetime, version, wifi).

Parsing rule for every model: a key the unit always sends must be present (else
`ResponseError`), but a number it could not measure, served as a bare `nan` (turned into
null by the tolerant JSON parse) or as a non-finite float, becomes None.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, fields
from enum import Enum, IntEnum
from typing import Any, Self

from ._json import Fields


class EvseState(IntEnum):
    """The `evse_state` codes, as Home Assistant core's status sensor maps them.

    Tesla never published the codes. Codes outside this map (3, 5, 12 and 13 have been
    seen; a community table reads 13 as "soon after unplugging") parse as UNKNOWN, and
    the raw number stays in `WallConnectorVitals.evse_state_code`.
    """

    UNKNOWN = -1
    BOOTING = 0
    NOT_CONNECTED = 1
    CONNECTED = 2
    READY = 4
    NEGOTIATING = 6
    ERROR = 7
    CHARGING_FINISHED = 8
    WAITING_CAR = 9
    CHARGING_REDUCED = 10
    CHARGING = 11

    @classmethod
    def from_code(cls, code: int) -> EvseState:
        """Return the state for a code; codes outside the map become UNKNOWN."""
        try:
            return cls(code)
        except ValueError:
            return cls.UNKNOWN

    @property
    def key(self) -> str | None:
        """Return the HA status option (e.g. "not_connected"), or None when unknown."""
        return None if self is EvseState.UNKNOWN else self.name.lower()


def _json_safe(value: Any) -> Any:
    """Turn a model value into something json.dumps accepts."""
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, tuple):
        return list(value)
    return value


class _Model:
    """Diagnostics dump shared by every model."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict of every field, for diagnostics."""
        return {field.name: _json_safe(getattr(self, field.name)) for field in fields(self)}  # type: ignore[arg-type]


def _fields(data: Any, what: str) -> Fields:
    """Return a reader for one answer: every key is sent, nan readings are null, 12.0 is whole."""
    return Fields(
        data,
        what,
        source="Wall Connector",
        keys_required=True,
        nan_is_null=True,
        whole_floats=True,
    )


def decode_ssid(raw: str) -> str:
    """Decode a base64 SSID; firmware that sends plain text keeps its value."""
    if not raw:
        return raw
    try:
        decoded = base64.b64decode(raw, validate=True).decode("utf-8")
    except binascii.Error, UnicodeDecodeError:
        return raw
    # A plain-text SSID can happen to be valid base64 of unprintable bytes.
    return decoded if decoded.isprintable() and decoded else raw


def _tuple(items: list[Any] | None) -> tuple[int, ...] | None:
    """Return a list as a tuple, keeping None."""
    return None if items is None else tuple(items)


@dataclass(frozen=True, slots=True)
class WallConnectorVitals(_Model):
    """GET /api/1/vitals: live readings; python names of the camelCase keys."""

    contactor_closed: bool
    vehicle_connected: bool
    session_s: int
    grid_v: float | None
    grid_hz: float | None
    vehicle_current_a: float | None
    current_a_a: float | None
    current_b_a: float | None
    current_c_a: float | None
    current_n_a: float | None
    voltage_a_v: float | None
    voltage_b_v: float | None
    voltage_c_v: float | None
    relay_coil_v: float | None
    relay_k1_v: float | None
    relay_k2_v: float | None
    pcba_temp_c: float | None
    handle_temp_c: float | None
    mcu_temp_c: float | None
    uptime_s: int
    input_thermopile_uv: int | None
    prox_v: float | None
    pilot_high_v: float | None
    pilot_low_v: float | None
    session_energy_wh: float | None
    config_status: int | None
    evse_state: EvseState
    evse_state_code: int
    current_alerts: tuple[int | str, ...]
    evse_not_ready_reasons: tuple[int, ...] | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a vitals object; relay fields differ by firmware and are optional."""
        obj = _fields(data, "vitals")
        code = obj.integer("evse_state")
        relay_k1 = obj.opt_number("relay_k1_v", must_exist=False)
        relay_coil = obj.opt_number("relay_coil_v", must_exist=False)
        if relay_coil is None and "relay_coil_v" not in obj:
            # Newer firmware dropped relay_coil_v; the library aliases it to relay K1.
            relay_coil = relay_k1
        return cls(
            contactor_closed=obj.flag("contactor_closed"),
            vehicle_connected=obj.flag("vehicle_connected"),
            session_s=obj.integer("session_s"),
            grid_v=obj.opt_number("grid_v"),
            grid_hz=obj.opt_number("grid_hz"),
            vehicle_current_a=obj.opt_number("vehicle_current_a"),
            current_a_a=obj.opt_number("currentA_a"),
            current_b_a=obj.opt_number("currentB_a"),
            current_c_a=obj.opt_number("currentC_a"),
            current_n_a=obj.opt_number("currentN_a"),
            voltage_a_v=obj.opt_number("voltageA_v"),
            voltage_b_v=obj.opt_number("voltageB_v"),
            voltage_c_v=obj.opt_number("voltageC_v"),
            relay_coil_v=relay_coil,
            relay_k1_v=relay_k1,
            relay_k2_v=obj.opt_number("relay_k2_v", must_exist=False),
            pcba_temp_c=obj.opt_number("pcba_temp_c"),
            handle_temp_c=obj.opt_number("handle_temp_c"),
            mcu_temp_c=obj.opt_number("mcu_temp_c"),
            uptime_s=obj.integer("uptime_s"),
            input_thermopile_uv=obj.opt_integer("input_thermopile_uv"),
            prox_v=obj.opt_number("prox_v"),
            pilot_high_v=obj.opt_number("pilot_high_v"),
            pilot_low_v=obj.opt_number("pilot_low_v"),
            session_energy_wh=obj.opt_number("session_energy_wh"),
            config_status=obj.opt_integer("config_status"),
            evse_state=EvseState.from_code(code),
            evse_state_code=code,
            # Real units send integer codes, the library's tests strings.
            current_alerts=tuple(obj.array("current_alerts", of=(int, str), noun="codes")),
            # Firmware older than 2025 omits the not-ready reasons.
            evse_not_ready_reasons=_tuple(
                obj.opt_array("evse_not_ready_reasons", of=(int,), must_exist=False)
            ),
        )


@dataclass(frozen=True, slots=True)
class WallConnectorLifetime(_Model):
    """GET /api/1/lifetime: counters over the unit's life; any may be nan, hence None."""

    contactor_cycles: int | None
    contactor_cycles_loaded: int | None
    alert_count: int | None
    thermal_foldbacks: int | None
    avg_startup_temp: float | None
    charge_starts: int | None
    energy_wh: int | None
    connector_cycles: int | None
    uptime_s: int | None
    charging_time_s: int | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a lifetime object."""
        obj = _fields(data, "lifetime")
        return cls(
            contactor_cycles=obj.opt_integer("contactor_cycles"),
            contactor_cycles_loaded=obj.opt_integer("contactor_cycles_loaded"),
            alert_count=obj.opt_integer("alert_count"),
            thermal_foldbacks=obj.opt_integer("thermal_foldbacks"),
            avg_startup_temp=obj.opt_number("avg_startup_temp"),
            charge_starts=obj.opt_integer("charge_starts"),
            energy_wh=obj.opt_integer("energy_wh"),
            connector_cycles=obj.opt_integer("connector_cycles"),
            uptime_s=obj.opt_integer("uptime_s"),
            charging_time_s=obj.opt_integer("charging_time_s"),
        )


@dataclass(frozen=True, slots=True)
class WallConnectorVersion(_Model):
    """GET /api/1/version: identity; the serial number is the unique ID."""

    firmware_version: str
    part_number: str
    serial_number: str
    git_branch: str | None
    web_service: str | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a version object; git_branch and web_service come with newer firmware only."""
        obj = _fields(data, "version")
        serial = obj.text("serial_number")
        if not serial:
            raise obj.error("empty serial_number")
        return cls(
            firmware_version=obj.text("firmware_version"),
            part_number=obj.text("part_number"),
            serial_number=serial,
            git_branch=obj.opt_text("git_branch", must_exist=False),
            web_service=obj.opt_text("web_service", must_exist=False),
        )


@dataclass(frozen=True, slots=True)
class WallConnectorWifiStatus(_Model):
    """GET /api/1/wifi_status: the unit's Wi-Fi link; wifi_ssid is decoded from base64."""

    wifi_ssid: str
    wifi_signal_strength: int | None
    wifi_rssi: int | None
    wifi_snr: int | None
    wifi_connected: bool
    wifi_infra_ip: str
    internet: bool
    wifi_mac: str

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a wifi_status object."""
        obj = _fields(data, "wifi_status")
        return cls(
            wifi_ssid=decode_ssid(obj.text("wifi_ssid")),
            wifi_signal_strength=obj.opt_integer("wifi_signal_strength"),
            wifi_rssi=obj.opt_integer("wifi_rssi"),
            wifi_snr=obj.opt_integer("wifi_snr"),
            wifi_connected=obj.flag("wifi_connected"),
            wifi_infra_ip=obj.text("wifi_infra_ip"),
            internet=obj.flag("internet"),
            wifi_mac=obj.text("wifi_mac"),
        )
