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
    "OFF_GRID_STATES",
    "BatteryPack",
    "GridExportRule",
    "GridStatus",
    "IslandMode",
    "MeterReading",
    "OperatingMode",
    "PackGridState",
    "PowerwallMode",
    "PowerwallSnapshot",
    "app_to_raw_pct",
    "build_snapshot",
    "finite",
    "raw_to_app_pct",
    "version_number",
]

HIDDEN_RESERVE_PCT: Final = 5.0
_APP_SPAN: Final = 100.0 - HIDDEN_RESERVE_PCT


def raw_to_app_pct(raw: float) -> float:
    """Convert a gateway (raw) percentage to the app's scale, clamped to 0-100."""
    return min(100.0, max(0.0, (raw - HIDDEN_RESERVE_PCT) * 100.0 / _APP_SPAN))


def app_to_raw_pct(app: float) -> float:
    """Convert an app-scale percentage to the gateway's raw scale."""
    return app * _APP_SPAN / 100.0 + HIDDEN_RESERVE_PCT


def version_number(version: str | None) -> int | None:
    """Return a firmware version as one number, the way pypowerwall's `parse_version` does.

    "24.44.1 6c12f5a9" is 24 x 100^2 + 44 x 100 + 1 = 244401; fewer than three parts are
    padded with zeros; a version whose parts are not all digits is None.
    """
    if not isinstance(version, str):
        return None
    kept = "".join(char for char in version.split(" ")[0] if char.isdigit() or char in "./\\")
    parts = kept.split(".")
    parts += ["0"] * (3 - len(parts))
    if not all(part.isdecimal() for part in parts):
        return None
    number = 0
    for part in parts:
        number = number * 100 + int(part)
    return number


class PowerwallMode(StrEnum):
    """How the gateway is reached."""

    LOCAL = "local"  # customer email + password over /api/login/Basic
    TEDAPI = "tedapi"  # gateway (QR sticker) password, only at 192.168.91.1 or a NAT of it


class GridStatus(StrEnum):
    """pypowerwall's grid states ("UP", "DOWN", "SYNCING"), lower-cased for Home Assistant."""

    UP = "up"
    DOWN = "down"
    SYNCING = "syncing"


class PackGridState(StrEnum):
    """A battery pack's view of the grid (`pinv_grid_state`), lower-cased as core shows it."""

    GRID_COMPLIANT = "grid_compliant"
    GRID_QUALIFYING = "grid_qualifying"
    GRID_UNCOMPLIANT = "grid_uncompliant"


class IslandMode(StrEnum):
    """What POST /api/v2/islanding/mode takes (docs/powerwall.md#islanding)."""

    OFF_GRID = "intentional_reconnect_failsafe"
    ON_GRID = "backup"


# The raw grid states of a site that is off the grid or going off it; core's off-grid
# switch reads these as on (docs/powerwall.md#grid-status).
OFF_GRID_STATES: Final = frozenset({"SystemIslandedActive", "SystemTransitionToIsland"})


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
    Frequency, average voltage and total current are the meter's instant readings.
    """

    power_w: float | None
    energy_imported_wh: float | None
    energy_exported_wh: float | None
    frequency_hz: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict, for diagnostics."""
        return dict(_json_safe(self))


@dataclass(frozen=True, slots=True)
class BatteryPack:
    """One battery block of /api/system_status, known by its serial number.

    Power in W (+ discharge, - charge) and the voltage, current and frequency of the pack's
    inverter output; energies in Wh (charged and discharged are the pack's lifetime counters).
    """

    serial: str
    part_number: str | None
    capacity_wh: float | None
    energy_remaining_wh: float | None
    power_w: float | None
    voltage_v: float | None
    current_a: float | None
    frequency_hz: float | None
    energy_charged_wh: float | None
    energy_discharged_wh: float | None
    grid_state: PackGridState | None


@dataclass(frozen=True, slots=True)
class PowerwallSnapshot:
    """What the entities of one gateway need, read in one go.

    `nominal_full_pack_energy_wh` is the capacity to weight levels by when combining
    gateways. `time_remaining_h` is pypowerwall's nominal energy remaining divided by
    the present load (the proxy's time_remaining_hours): None when the load is 0.
    `alerts` is sorted, because pypowerwall builds it from a set. `vitals` and `strings`
    are pypowerwall's own dicts (what its proxy serves): TEDAPI fills them; the customer
    API of firmware 23.44 and later has no vitals, so there they are None.

    `aggregates` and `system_status` are the gateway's own answers, kept for the
    proxy-compatible views; `packs` are its battery blocks read for entities; `temps` is
    pypowerwall's temperature per device (from vitals). The sitemaster and grid-services
    flags are None where the gateway does not report them (TEDAPI, a Powerwall 3 on the
    LAN). `rejected` counts the values the gateway sent that no entity can take.
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
    aggregates: dict[str, Any] | None = None
    grid_status_raw: str | None = None
    grid_services_active: bool | None = None
    sitemaster_running: bool | None = None
    connected_to_tesla: bool | None = None
    max_charge_power_w: float | None = None
    max_discharge_power_w: float | None = None
    packs: tuple[BatteryPack, ...] = ()
    system_status: dict[str, Any] | None = None
    temps: dict[str, Any] | None = None
    rejected: int = 0

    @property
    def battery_blocks(self) -> tuple[dict[str, Any], ...]:
        """Return the battery blocks of /api/system_status that are objects, in its order."""
        return () if self.system_status is None else _blocks(self.system_status)

    @property
    def off_grid(self) -> bool:
        """Return whether the site runs off the grid, or is going off it."""
        return self.grid_status_raw in OFF_GRID_STATES

    def pack(self, serial: str) -> BatteryPack | None:
        """Return the pack with this serial number, if the gateway reported it."""
        return next((pack for pack in self.packs if pack.serial == serial), None)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict of every field, for diagnostics."""
        shown = dict(_json_safe(self))
        # Vitals, temperatures and blocks are keyed by serial numbers: show how many, not which.
        shown["vitals"] = None if self.vitals is None else len(self.vitals)
        shown["temps"] = None if self.temps is None else len(self.temps)
        shown["strings"] = None if self.strings is None else sorted(self.strings)
        shown["aggregates"] = None if self.aggregates is None else sorted(self.aggregates)
        # What entities take from /api/system_status is shown above; its blocks, counted.
        del shown["system_status"]
        shown["battery_blocks"] = len(self.battery_blocks)
        return shown


_GRID_STATES: Final = {"UP": GridStatus.UP, "DOWN": GridStatus.DOWN, "SYNCING": GridStatus.SYNCING}
_PACK_GRID_STATES: Final = {state.value: state for state in PackGridState}
_SECTIONS: Final = ("site", "solar", "battery", "load")


def _text(value: Any) -> str | None:
    """Return value when it is a non-empty string."""
    return value if isinstance(value, str) and value else None


class _Reader:
    """Typed reads of the gateway's objects that count the values no entity can take."""

    def __init__(self) -> None:
        """Start with nothing rejected."""
        self.rejected = 0

    def number(self, obj: dict[str, Any], key: str) -> float | None:
        """Return a finite number; anything else that is present (text, nan, true) is counted."""
        value = obj.get(key)
        number = finite(value)
        if number is None and value is not None:
            self.rejected += 1
        return number

    def flag(self, obj: dict[str, Any], key: str) -> bool | None:
        """Return a boolean; anything else that is present is counted."""
        value = obj.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.rejected += 1
        return None

    def meter(self, section: Any, *, zero_energy_is_unknown: bool) -> MeterReading:
        """Parse one aggregates section; a missing section reads as all None."""
        if not isinstance(section, dict):
            return MeterReading(None, None, None)
        imported = self.number(section, "energy_imported")
        exported = self.number(section, "energy_exported")
        if zero_energy_is_unknown:
            # TEDAPI synthesises aggregates and leaves the lifetime counters at 0 unless it
            # could read the native ones (docs/powerwall.md#firmware-quirks); a running site
            # never has a 0 counter.
            imported = imported or None
            exported = exported or None
        return MeterReading(
            self.number(section, "instant_power"),
            imported,
            exported,
            frequency_hz=self.number(section, "frequency"),
            voltage_v=self.number(section, "instant_average_voltage"),
            current_a=self.number(section, "instant_total_current"),
        )

    def pack(self, block: dict[str, Any]) -> BatteryPack | None:
        """Parse one battery block; one without a serial number cannot be told apart (None)."""
        serial = _text(block.get("PackageSerialNumber"))
        if serial is None:
            self.rejected += 1
            return None
        state = block.get("pinv_grid_state")
        grid_state = _PACK_GRID_STATES.get(state.lower()) if isinstance(state, str) else None
        if grid_state is None and state is not None:
            self.rejected += 1
        return BatteryPack(
            serial=serial,
            part_number=_text(block.get("PackagePartNumber")),
            capacity_wh=self.number(block, "nominal_full_pack_energy"),
            energy_remaining_wh=self.number(block, "nominal_energy_remaining"),
            power_w=self.number(block, "p_out"),
            voltage_v=self.number(block, "v_out"),
            current_a=self.number(block, "i_out"),
            frequency_hz=self.number(block, "f_out"),
            energy_charged_wh=self.number(block, "energy_charged"),
            energy_discharged_wh=self.number(block, "energy_discharged"),
            grid_state=grid_state,
        )


def _blocks(system_status: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Return the battery blocks of /api/system_status that are objects."""
    listed = system_status.get("battery_blocks")
    if not isinstance(listed, list):
        return ()
    return tuple(block for block in listed if isinstance(block, dict))


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
    grid_status_payload: Any = None,
    sitemaster: Any = None,
    gateway_din: Any = None,
    temps: Any = None,
) -> PowerwallSnapshot | None:
    """Build a snapshot from what pypowerwall returned; None when the aggregates are unusable.

    Only the aggregates are required: a Powerwall 3 on the wired LAN serves little else
    (docs/powerwall.md#firmware-quirks), so every other field may be None. `gateway_din`
    identifies a gateway whose /api/status has no DIN (older firmware: /api/powerwalls
    carries it, docs/powerwall.md#other-endpoints).
    """
    if not isinstance(aggregates, dict) or not any(
        isinstance(aggregates.get(name), dict) for name in _SECTIONS
    ):
        return None
    read = _Reader()
    meters = {
        name: read.meter(aggregates.get(name), zero_energy_is_unknown=mode is PowerwallMode.TEDAPI)
        for name in _SECTIONS
    }
    status = status if isinstance(status, dict) else {}
    operation = operation if isinstance(operation, dict) else {}
    raw_system_status = system_status if isinstance(system_status, dict) else None
    system_status = raw_system_status or {}
    grid = grid_status_payload if isinstance(grid_status_payload, dict) else {}
    sitemaster = sitemaster if isinstance(sitemaster, dict) else {}
    level_raw = finite(soe)
    reserve_raw = read.number(operation, "backup_reserve_percent")
    # Very old firmware named the field "mode" (docs/powerwall.md#other-endpoints).
    mode_raw = _text(operation.get("real_mode")) or _text(operation.get("mode"))
    blocks = system_status.get("available_blocks")
    if isinstance(blocks, bool) or not isinstance(blocks, int):
        listed = system_status.get("battery_blocks")
        blocks = len(listed) if isinstance(listed, list) and listed else None
    alert_list = alerts if isinstance(alerts, list) else []
    return PowerwallSnapshot(
        mode=mode,
        din=_text(status.get("din")) or _text(gateway_din),
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
        nominal_full_pack_energy_wh=read.number(system_status, "nominal_full_pack_energy"),
        nominal_energy_remaining_wh=read.number(system_status, "nominal_energy_remaining"),
        battery_count=blocks,
        time_remaining_h=finite(time_remaining),
        alerts=tuple(sorted({alert for alert in alert_list if isinstance(alert, str)})),
        vitals=vitals if isinstance(vitals, dict) and vitals else None,
        strings=strings if isinstance(strings, dict) and strings else None,
        aggregates=aggregates,
        grid_status_raw=_text(grid.get("grid_status")),
        grid_services_active=read.flag(grid, "grid_services_active"),
        sitemaster_running=read.flag(sitemaster, "running"),
        connected_to_tesla=read.flag(sitemaster, "connected_to_tesla"),
        max_charge_power_w=read.number(system_status, "max_charge_power"),
        max_discharge_power_w=read.number(system_status, "max_discharge_power"),
        packs=tuple(
            pack for block in _blocks(system_status) if (pack := read.pack(block)) is not None
        ),
        system_status=raw_system_status,
        temps=temps if isinstance(temps, dict) else None,
        rejected=read.rejected,
    )
