"""Typed models of the Tesla Wall Connector Gen3 local API (vitals, lifetime, version, wifi).

Parsing rule for every model: a key the unit always sends must be present (else
`ResponseError`), but a number it could not measure, served as a bare `nan` (turned into
null by the tolerant JSON parse) or as a non-finite float, becomes None.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum, IntEnum
import math
from typing import Any, Self

from .errors import ResponseError


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


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    """Return data when it is a JSON object."""
    if not isinstance(data, Mapping):
        raise ResponseError(f"Wall Connector {what}: expected an object, got {type(data).__name__}")
    return data


def _present(data: Mapping[str, Any], key: str) -> Any:
    """Return a key's value; a missing key means the shape changed."""
    if key not in data:
        raise ResponseError(f"Wall Connector: missing field {key!r}")
    return data[key]


def _bool(data: Mapping[str, Any], key: str) -> bool:
    """Return a required boolean."""
    value = _present(data, key)
    if not isinstance(value, bool):
        raise ResponseError(f"Wall Connector field {key!r}: expected a boolean, got {value!r}")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    """Return a required integer that may not be null."""
    value = _optional_int(data, key)
    if value is None:
        raise ResponseError(f"Wall Connector field {key!r}: expected an integer, got null")
    return value


def _optional_int(data: Mapping[str, Any], key: str) -> int | None:
    """Return an integer, or None when the unit sent nan/null."""
    value = _present(data, key)
    if value is None:
        return None
    # bool is an int subclass; true/false here means the shape is wrong.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResponseError(f"Wall Connector field {key!r}: expected an integer, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if not value.is_integer():
            raise ResponseError(f"Wall Connector field {key!r}: expected an integer, got {value!r}")
    return int(value)


def _float(data: Mapping[str, Any], key: str) -> float | None:
    """Return a number, or None when the unit sent nan/null/inf."""
    value = _present(data, key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResponseError(f"Wall Connector field {key!r}: expected a number, got {value!r}")
    return float(value) if math.isfinite(value) else None


def _absent_or_float(data: Mapping[str, Any], key: str) -> float | None:
    """Return a number only some firmware sends."""
    return _float(data, key) if key in data else None


def _str(data: Mapping[str, Any], key: str) -> str:
    """Return a required string."""
    value = _present(data, key)
    if not isinstance(value, str):
        raise ResponseError(f"Wall Connector field {key!r}: expected a string, got {value!r}")
    return value


def _absent_or_str(data: Mapping[str, Any], key: str) -> str | None:
    """Return a string only some firmware sends."""
    return _str(data, key) if data.get(key) is not None else None


def _alerts(data: Mapping[str, Any], key: str) -> tuple[int | str, ...]:
    """Return an alert list; real units send integers, the library's tests strings."""
    value = _present(data, key)
    if not isinstance(value, list) or not all(
        isinstance(item, int | str) and not isinstance(item, bool) for item in value
    ):
        raise ResponseError(f"Wall Connector field {key!r}: expected a list of codes")
    return tuple(value)


def _reasons(data: Mapping[str, Any], key: str) -> tuple[int, ...] | None:
    """Return the not-ready reasons, or None on firmware older than 2025 that omits them."""
    if data.get(key) is None:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        raise ResponseError(f"Wall Connector field {key!r}: expected a list of integers")
    return tuple(value)


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


@dataclass(frozen=True, slots=True)
class WallConnectorVitals(_Model):
    """GET /api/1/vitals: live readings (facts 1.2); python names of the camelCase keys."""

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
        obj = _mapping(data, "vitals")
        code = _int(obj, "evse_state")
        relay_k1 = _absent_or_float(obj, "relay_k1_v")
        relay_coil = _absent_or_float(obj, "relay_coil_v")
        if relay_coil is None and "relay_coil_v" not in obj:
            # Newer firmware dropped relay_coil_v; the library aliases it to relay K1.
            relay_coil = relay_k1
        return cls(
            contactor_closed=_bool(obj, "contactor_closed"),
            vehicle_connected=_bool(obj, "vehicle_connected"),
            session_s=_int(obj, "session_s"),
            grid_v=_float(obj, "grid_v"),
            grid_hz=_float(obj, "grid_hz"),
            vehicle_current_a=_float(obj, "vehicle_current_a"),
            current_a_a=_float(obj, "currentA_a"),
            current_b_a=_float(obj, "currentB_a"),
            current_c_a=_float(obj, "currentC_a"),
            current_n_a=_float(obj, "currentN_a"),
            voltage_a_v=_float(obj, "voltageA_v"),
            voltage_b_v=_float(obj, "voltageB_v"),
            voltage_c_v=_float(obj, "voltageC_v"),
            relay_coil_v=relay_coil,
            relay_k1_v=relay_k1,
            relay_k2_v=_absent_or_float(obj, "relay_k2_v"),
            pcba_temp_c=_float(obj, "pcba_temp_c"),
            handle_temp_c=_float(obj, "handle_temp_c"),
            mcu_temp_c=_float(obj, "mcu_temp_c"),
            uptime_s=_int(obj, "uptime_s"),
            input_thermopile_uv=_optional_int(obj, "input_thermopile_uv"),
            prox_v=_float(obj, "prox_v"),
            pilot_high_v=_float(obj, "pilot_high_v"),
            pilot_low_v=_float(obj, "pilot_low_v"),
            session_energy_wh=_float(obj, "session_energy_wh"),
            config_status=_optional_int(obj, "config_status"),
            evse_state=EvseState.from_code(code),
            evse_state_code=code,
            current_alerts=_alerts(obj, "current_alerts"),
            evse_not_ready_reasons=_reasons(obj, "evse_not_ready_reasons"),
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
        obj = _mapping(data, "lifetime")
        return cls(
            contactor_cycles=_optional_int(obj, "contactor_cycles"),
            contactor_cycles_loaded=_optional_int(obj, "contactor_cycles_loaded"),
            alert_count=_optional_int(obj, "alert_count"),
            thermal_foldbacks=_optional_int(obj, "thermal_foldbacks"),
            avg_startup_temp=_float(obj, "avg_startup_temp"),
            charge_starts=_optional_int(obj, "charge_starts"),
            energy_wh=_optional_int(obj, "energy_wh"),
            connector_cycles=_optional_int(obj, "connector_cycles"),
            uptime_s=_optional_int(obj, "uptime_s"),
            charging_time_s=_optional_int(obj, "charging_time_s"),
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
        obj = _mapping(data, "version")
        serial = _str(obj, "serial_number")
        if not serial:
            raise ResponseError("Wall Connector version: empty serial_number")
        return cls(
            firmware_version=_str(obj, "firmware_version"),
            part_number=_str(obj, "part_number"),
            serial_number=serial,
            git_branch=_absent_or_str(obj, "git_branch"),
            web_service=_absent_or_str(obj, "web_service"),
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
        obj = _mapping(data, "wifi_status")
        return cls(
            wifi_ssid=decode_ssid(_str(obj, "wifi_ssid")),
            wifi_signal_strength=_optional_int(obj, "wifi_signal_strength"),
            wifi_rssi=_optional_int(obj, "wifi_rssi"),
            wifi_snr=_optional_int(obj, "wifi_snr"),
            wifi_connected=_bool(obj, "wifi_connected"),
            wifi_infra_ip=_str(obj, "wifi_infra_ip"),
            internet=_bool(obj, "internet"),
            wifi_mac=_str(obj, "wifi_mac"),
        )
