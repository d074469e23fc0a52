"""Typed snapshot of one Powerwall gateway as read through pypowerwall, and its enums.

Scaling: the gateway reports the state of energy and the backup reserve on its raw
scale, which includes a 5 % band the Tesla app hides. Every `*_pct` field here is on
the app scale, app = (raw - 5) / 0.95 clamped to 0-100, so the numbers match what the
owner sees in the app; the raw values are kept beside them for diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from enum import Enum, StrEnum
from typing import Any, Final

from ._json import enum_or_none, finite
from .site_settings import GridExportRule, OperatingMode

__all__ = [
    "HIDDEN_RESERVE_PCT",
    "GridExportRule",
    "GridStatus",
    "MeterReading",
    "OperatingMode",
    "PowerwallMode",
    "PowerwallSnapshot",
    "app_to_raw_pct",
    "build_snapshot",
    "finite",
    "raw_to_app_pct",
]

HIDDEN_RESERVE_PCT: Final = 5.0
_APP_SPAN: Final = 100.0 - HIDDEN_RESERVE_PCT


def raw_to_app_pct(raw: float) -> float:
    """Convert a gateway (raw) percentage to the app's scale, clamped to 0-100."""
    return min(100.0, max(0.0, (raw - HIDDEN_RESERVE_PCT) * 100.0 / _APP_SPAN))


def app_to_raw_pct(app: float) -> float:
    """Convert an app-scale percentage to the gateway's raw scale."""
    return app * _APP_SPAN / 100.0 + HIDDEN_RESERVE_PCT


class PowerwallMode(StrEnum):
    """How the gateway is reached."""

    LOCAL = "local"  # customer email + password over /api/login/Basic
    TEDAPI = "tedapi"  # gateway (QR sticker) password, only at 192.168.91.1 or a NAT of it


class GridStatus(StrEnum):
    """pypowerwall's grid states ("UP", "DOWN", "SYNCING"), lower-cased for Home Assistant."""

    UP = "up"
    DOWN = "down"
    SYNCING = "syncing"


def _json_safe(value: Any) -> Any:
    """Turn a model value into something json.dumps accepts."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_json_safe(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: _json_safe(getattr(value, field.name)) for field in fields(value)}
    return value


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One section of /api/meters/aggregates.

    Power in W (site: + import, - export; battery: + discharge, - charge; load and solar
    positive). Energies are lifetime Wh counters; None when the gateway gave none.
    """

    power_w: float | None
    energy_imported_wh: float | None
    energy_exported_wh: float | None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict, for diagnostics."""
        return dict(_json_safe(self))


@dataclass(frozen=True, slots=True)
class PowerwallSnapshot:
    """What the entities of one gateway need, read in one go.

    `nominal_full_pack_energy_wh` is the capacity to weight levels by when combining
    gateways. `time_remaining_h` is pypowerwall's nominal energy remaining divided by
    the present load (the proxy's time_remaining_hours): None when the load is 0.
    `alerts` is sorted, because pypowerwall builds it from a set. `vitals` and `strings`
    are pypowerwall's own dicts (what its proxy serves): TEDAPI fills them; the customer
    API of firmware 23.44 and later has no vitals, so there they are None.
    """

    mode: PowerwallMode
    din: str | None
    site_name: str | None
    firmware: str | None
    site: MeterReading
    solar: MeterReading
    battery: MeterReading
    load: MeterReading
    battery_level_pct: float | None
    battery_level_raw_pct: float | None
    backup_reserve_pct: float | None
    backup_reserve_raw_pct: float | None
    operating_mode: OperatingMode | None
    operating_mode_raw: str | None
    grid_status: GridStatus | None
    nominal_full_pack_energy_wh: float | None
    nominal_energy_remaining_wh: float | None
    battery_count: int | None
    time_remaining_h: float | None
    alerts: tuple[str, ...]
    vitals: dict[str, Any] | None = None
    strings: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict of every field, for diagnostics."""
        shown = dict(_json_safe(self))
        # Vitals are keyed by each device's serial number: show how many, not which.
        shown["vitals"] = None if self.vitals is None else len(self.vitals)
        shown["strings"] = None if self.strings is None else sorted(self.strings)
        return shown


_GRID_STATES: Final = {"UP": GridStatus.UP, "DOWN": GridStatus.DOWN, "SYNCING": GridStatus.SYNCING}
_SECTIONS: Final = ("site", "solar", "battery", "load")


def _meter(section: Any, *, zero_energy_is_unknown: bool) -> MeterReading:
    """Parse one aggregates section; a missing section reads as all None."""
    if not isinstance(section, dict):
        return MeterReading(None, None, None)
    imported = finite(section.get("energy_imported"))
    exported = finite(section.get("energy_exported"))
    if zero_energy_is_unknown:
        # TEDAPI synthesises aggregates and leaves the lifetime counters at 0 unless it
        # could read the native ones (docs/powerwall.md#firmware-quirks); a running site never has a 0 counter.
        imported = imported or None
        exported = exported or None
    return MeterReading(finite(section.get("instant_power")), imported, exported)


def _text(value: Any) -> str | None:
    """Return value when it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def build_snapshot(
    mode: PowerwallMode,
    *,
    status: Any,
    site_name: Any,
    aggregates: Any,
    soe: Any,
    operation: Any,
    grid_status: Any,
    system_status: Any,
    time_remaining: Any,
    alerts: Any,
    vitals: Any = None,
    strings: Any = None,
) -> PowerwallSnapshot | None:
    """Build a snapshot from what pypowerwall returned; None when the aggregates are unusable.

    Only the aggregates are required: a Powerwall 3 on the wired LAN serves little else
    (docs/powerwall.md#firmware-quirks), so every other field may be None.
    """
    if not isinstance(aggregates, dict) or not any(
        isinstance(aggregates.get(name), dict) for name in _SECTIONS
    ):
        return None
    meters = {
        name: _meter(aggregates.get(name), zero_energy_is_unknown=mode is PowerwallMode.TEDAPI)
        for name in _SECTIONS
    }
    status = status if isinstance(status, dict) else {}
    operation = operation if isinstance(operation, dict) else {}
    system_status = system_status if isinstance(system_status, dict) else {}
    level_raw = finite(soe)
    reserve_raw = finite(operation.get("backup_reserve_percent"))
    # Very old firmware named the field "mode" (docs/powerwall.md#other-endpoints).
    mode_raw = _text(operation.get("real_mode")) or _text(operation.get("mode"))
    blocks = system_status.get("available_blocks")
    if isinstance(blocks, bool) or not isinstance(blocks, int):
        listed = system_status.get("battery_blocks")
        blocks = len(listed) if isinstance(listed, list) and listed else None
    alert_list = alerts if isinstance(alerts, list) else []
    return PowerwallSnapshot(
        mode=mode,
        din=_text(status.get("din")),
        site_name=_text(site_name),
        firmware=_text(status.get("version")),
        site=meters["site"],
        solar=meters["solar"],
        battery=meters["battery"],
        load=meters["load"],
        battery_level_pct=None if level_raw is None else raw_to_app_pct(level_raw),
        battery_level_raw_pct=level_raw,
        backup_reserve_pct=None if reserve_raw is None else raw_to_app_pct(reserve_raw),
        backup_reserve_raw_pct=reserve_raw,
        # Legacy modes such as "scheduler" cannot be set, so they read as None.
        operating_mode=None if mode_raw is None else enum_or_none(OperatingMode, mode_raw),
        operating_mode_raw=mode_raw,
        grid_status=_GRID_STATES.get(grid_status) if isinstance(grid_status, str) else None,
        nominal_full_pack_energy_wh=finite(system_status.get("nominal_full_pack_energy")),
        nominal_energy_remaining_wh=finite(system_status.get("nominal_energy_remaining")),
        battery_count=blocks,
        time_remaining_h=finite(time_remaining),
        alerts=tuple(sorted({alert for alert in alert_list if isinstance(alert, str)})),
        vitals=vitals if isinstance(vitals, dict) and vitals else None,
        strings=strings if isinstance(strings, dict) and strings else None,
    )
