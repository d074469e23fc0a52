"""The bodies of the pypowerwall proxy's endpoints, built from a gateway's snapshot.

Each gateway body is what the proxy's route computes from the same pypowerwall answers
(docs/powerwall.md#proxy-endpoints): Powerwall-Dashboard's Telegraf polls /aggregates, /soe,
/strings, /temps/pw, /freq, /pod and /alerts/pw, and reads /version. Combined bodies
number the Powerwalls of every gateway in turn (PW1.. of the first gateway, then the
next), add up what adds up, and take the rest as described at each builder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
import re
from typing import Any, Final

from ..clients.powerwall import GridStatus, PowerwallSnapshot
from ..clients.powerwall_models import version_number
from .descriptions import METERS

type Body = Any

# pypowerwall's grid_status("numeric").
_GRID_NUMBER: Final = {GridStatus.UP: 1, GridStatus.DOWN: 0, GridStatus.SYNCING: -1}
# What /freq and /pod copy from each battery block, under PW<n>_<field>.
_BLOCK_FIELDS: Final = ("PackagePartNumber", "PackageSerialNumber", "p_out", "q_out", "v_out")
_POD_FLAGS: Final = ("off_grid", "vf_mode", "wobble_detected", "charge_power_clamped")
_POD_VITALS_FLAGS: Final = (
    "POD_ActiveHeating",
    "POD_ChargeComplete",
    "POD_ChargeRequest",
    "POD_DischargeComplete",
    "POD_PermanentlyFaulted",
    "POD_PersistentlyFaulted",
    "POD_enable_line",
)
_POD_VITALS_VALUES: Final = (
    "POD_available_charge_power",
    "POD_available_dischg_power",
    "POD_nom_energy_remaining",
    "POD_nom_energy_to_be_charged",
    "POD_nom_full_pack_energy",
)
_NUMBERED: Final = re.compile(r"^PW(\d+)_(.+)$")


def _devices(snapshot: PowerwallSnapshot, *prefixes: str) -> list[tuple[str, dict[str, Any]]]:
    """Return the vitals devices whose names start with one of the prefixes, in order."""
    return [
        (name, values)
        for name, values in (snapshot.vitals or {}).items()
        if name.startswith(prefixes) and isinstance(values, dict)
    ]


def _flag(value: Any) -> int:
    """Return a flag as the proxy does: 1 or 0 (missing or null is 0)."""
    return int(bool(value))


def _soe(snapshot: PowerwallSnapshot) -> Body:
    raw = snapshot.battery_level_raw_pct
    return None if raw is None else {"percentage": raw}


def _temps_pw(temps: Mapping[str, Any] | None) -> Body:
    return {f"PW{index}_temp": value for index, value in enumerate((temps or {}).values(), 1)}


def _alerts_pw(alerts: Iterable[str]) -> Body:
    return dict.fromkeys(alerts, 1)


def _freq(snapshot: PowerwallSnapshot) -> Body:
    """/freq: each block's output, each inverter's vitals, the backup switch's, grid status."""
    body: dict[str, Any] = {}
    for index, block in enumerate(snapshot.battery_blocks, 1):
        body |= {
            f"PW{index}_name": None,
            f"PW{index}_PINV_Fout": block.get("f_out"),
            f"PW{index}_PINV_VSplit1": None,
            f"PW{index}_PINV_VSplit2": None,
            **{f"PW{index}_{field}": block.get(field) for field in _BLOCK_FIELDS},
            f"PW{index}_f_out": block.get("f_out"),
            f"PW{index}_i_out": block.get("i_out"),
        }
    for index, (name, vitals) in enumerate(_devices(snapshot, "TEPINV"), 1):
        body |= {
            f"PW{index}_name": name,
            f"PW{index}_PINV_Fout": vitals.get("PINV_Fout"),
            f"PW{index}_PINV_VSplit1": vitals.get("PINV_VSplit1"),
            f"PW{index}_PINV_VSplit2": vitals.get("PINV_VSplit2"),
        }
    for _, vitals in _devices(snapshot, "TESYNC", "TEMSA"):
        body |= {key: value for key, value in vitals.items() if key.startswith(("ISLAND", "METER"))}
    body["grid_status"] = _grid_number(snapshot)
    return body


def _grid_number(snapshot: PowerwallSnapshot) -> int | None:
    return None if snapshot.grid_status is None else _GRID_NUMBER[snapshot.grid_status]


def _pod_blocks(snapshot: PowerwallSnapshot) -> dict[str, Any]:
    """The per-Powerwall part of /pod: each block, then each TEPOD's vitals over it."""
    body: dict[str, Any] = {}
    for index, block in enumerate(snapshot.battery_blocks, 1):
        body |= {f"PW{index}_name": None}
        body |= {f"PW{index}_{field}": None for field in _POD_VITALS_FLAGS + _POD_VITALS_VALUES}
        body |= {
            f"PW{index}_POD_nom_energy_remaining": block.get("nominal_energy_remaining"),
            f"PW{index}_POD_nom_full_pack_energy": block.get("nominal_full_pack_energy"),
            **{f"PW{index}_{field}": block.get(field) for field in _BLOCK_FIELDS[:2]},
            f"PW{index}_pinv_state": block.get("pinv_state"),
            f"PW{index}_pinv_grid_state": block.get("pinv_grid_state"),
            **{f"PW{index}_{field}": block.get(field) for field in _BLOCK_FIELDS[2:]},
            f"PW{index}_f_out": block.get("f_out"),
            f"PW{index}_i_out": block.get("i_out"),
            f"PW{index}_energy_charged": block.get("energy_charged"),
            f"PW{index}_energy_discharged": block.get("energy_discharged"),
            **{f"PW{index}_{field}": _flag(block.get(field)) for field in _POD_FLAGS},
            f"PW{index}_backup_ready": _flag(block.get("backup_ready")),
            f"PW{index}_OpSeqState": block.get("OpSeqState"),
            f"PW{index}_version": block.get("version"),
        }
    for index, (name, vitals) in enumerate(_devices(snapshot, "TEPOD"), 1):
        body |= {f"PW{index}_name": name}
        body |= {f"PW{index}_{field}": _flag(vitals.get(field)) for field in _POD_VITALS_FLAGS}
        body |= {f"PW{index}_{field}": vitals.get(field) for field in _POD_VITALS_VALUES}
    return body


def _reserve(raw: float | None) -> float | None:
    """Pypowerwall's get_reserve(): the app scale, floored at 0 but not clamped above."""
    return None if raw is None else max(0, float((raw / 0.95) - (5 / 0.95)))


def _pod(snapshot: PowerwallSnapshot) -> Body:
    """/pod: every Powerwall's block and pack vitals, the system's energy, time and reserve."""
    totals = snapshot.system_status or {}
    return _pod_blocks(snapshot) | {
        "nominal_full_pack_energy": totals.get("nominal_full_pack_energy"),
        "nominal_energy_remaining": totals.get("nominal_energy_remaining"),
        "time_remaining_hours": snapshot.time_remaining_h,
        "backup_reserve_percent": _reserve(snapshot.backup_reserve_raw_pct),
    }


def _version(firmware: str | None) -> Body:
    """/version: the firmware and its number; a gateway that gives none is "SolarOnly"."""
    if firmware is None:
        return {"version": "SolarOnly", "vint": 0}
    return {"version": firmware, "vint": version_number(firmware)}


GATEWAY: Final[dict[str, Callable[[PowerwallSnapshot], Body]]] = {
    "aggregates": lambda snapshot: snapshot.aggregates or None,
    "soe": _soe,
    "vitals": lambda snapshot: snapshot.vitals,
    "strings": lambda snapshot: snapshot.strings or {},
    "alerts": lambda snapshot: list(snapshot.alerts),
    "alerts/pw": lambda snapshot: _alerts_pw(snapshot.alerts),
    "temps": lambda snapshot: snapshot.temps or {},
    "temps/pw": lambda snapshot: _temps_pw(snapshot.temps),
    "freq": _freq,
    "pod": _pod,
    "version": lambda snapshot: _version(snapshot.firmware),
}


# Combined


def _section(power: float | None, imported: float | None, exported: float | None) -> dict[str, Any]:
    return {"instant_power": power, "energy_imported": imported, "energy_exported": exported}


def _sum(values: Iterable[float | None]) -> float | None:
    """Return the sum, or None when any value is unknown."""
    listed = list(values)
    return None if any(value is None for value in listed) else sum(v for v in listed if v)


def _power(snapshots: Sequence[PowerwallSnapshot], meter: str) -> float | None:
    """Return a meter's summed power, as the combined device's sensor shows it."""
    total = _sum(getattr(snapshot, meter).power_w for snapshot in snapshots)
    return None if total is None else round(total, 1)


def _combined_aggregates(snapshots: Sequence[PowerwallSnapshot]) -> Body:
    """Power and lifetime counters of each meter, summed (only the fields that add up)."""
    return {
        meter: _section(
            _power(snapshots, meter),
            _sum(getattr(snapshot, meter).energy_imported_wh for snapshot in snapshots),
            _sum(getattr(snapshot, meter).energy_exported_wh for snapshot in snapshots),
        )
        for meter in METERS
    }


def _renumbered(bodies: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Merge per-gateway bodies, numbering each gateway's PW<n> keys after the previous ones."""
    merged: dict[str, Any] = {}
    offset = 0
    for body in bodies:
        highest = 0
        for key, value in body.items():
            if (numbered := _NUMBERED.match(key)) is None:
                merged.setdefault(key, value)  # the first gateway's, for keys of the site
                continue
            index = int(numbered[1])
            highest = max(highest, index)
            merged[f"PW{offset + index}_{numbered[2]}"] = value
        offset += highest
    return merged


def _combined_grid_number(snapshots: Sequence[PowerwallSnapshot]) -> int | None:
    """1 when every gateway is on the grid, 0 when one is off it, -1 while one syncs."""
    numbers = [_grid_number(snapshot) for snapshot in snapshots]
    if any(number is None for number in numbers):
        return None
    if all(number == 1 for number in numbers):
        return 1
    return 0 if 0 in numbers else -1


def _combined_freq(snapshots: Sequence[PowerwallSnapshot]) -> Body:
    """Every gateway's Powerwalls in turn, the first reported backup switch readings, one grid."""
    body = _renumbered(
        {key: value for key, value in _freq(snapshot).items() if key != "grid_status"}
        for snapshot in snapshots
    )
    return body | {"grid_status": _combined_grid_number(snapshots)}


def _combined_pod(snapshots: Sequence[PowerwallSnapshot]) -> Body:
    """Every gateway's Powerwalls in turn; energy summed; time at the summed load; reserve by capacity."""
    capacity = _sum(snapshot.nominal_full_pack_energy_wh for snapshot in snapshots)
    remaining = _sum(snapshot.nominal_energy_remaining_wh for snapshot in snapshots)
    load = _power(snapshots, "load")
    reserves = [_reserve(snapshot.backup_reserve_raw_pct) for snapshot in snapshots]
    reserve: float | None = None
    if capacity and all(value is not None for value in reserves):
        weights = [snapshot.nominal_full_pack_energy_wh or 0.0 for snapshot in snapshots]
        reserve = sum((r or 0.0) * w for r, w in zip(reserves, weights, strict=True)) / capacity
    return _renumbered(_pod_blocks(snapshot) for snapshot in snapshots) | {
        "nominal_full_pack_energy": capacity,
        "nominal_energy_remaining": remaining,
        "time_remaining_hours": remaining / load if remaining is not None and load else None,
        "backup_reserve_percent": reserve,
    }


def _combined_vitals(snapshots: Sequence[PowerwallSnapshot]) -> Body:
    """The union of the gateways' vitals (keyed by device serial, so nothing collides)."""
    if all(snapshot.vitals is None for snapshot in snapshots):
        return None
    return {key: value for s in snapshots for key, value in (s.vitals or {}).items()}


def _combined_strings(snapshots: Sequence[PowerwallSnapshot]) -> Body:
    """Every gateway's strings, keyed "<DIN>/<string>" (each gateway has its own "A")."""
    if all(snapshot.strings is None for snapshot in snapshots):
        return None
    return {
        f"{snapshot.din or index}/{name}": value
        for index, snapshot in enumerate(snapshots)
        for name, value in (snapshot.strings or {}).items()
    }


def _combined_temps(snapshots: Sequence[PowerwallSnapshot]) -> dict[str, Any]:
    return {key: value for s in snapshots for key, value in (s.temps or {}).items()}


def _combined_alerts(snapshots: Sequence[PowerwallSnapshot]) -> list[str]:
    return sorted({alert for snapshot in snapshots for alert in snapshot.alerts})


def _combined_soe(snapshots: Sequence[PowerwallSnapshot]) -> Body:
    """The capacity-weighted level, on the gateway's raw scale as /soe is."""
    raws = [snapshot.battery_level_raw_pct for snapshot in snapshots]
    weights = [snapshot.nominal_full_pack_energy_wh for snapshot in snapshots]
    total = _sum(weights)
    if not total or any(raw is None for raw in raws):
        return None
    weighted = sum(
        (raw or 0.0) * (weight or 0.0) for raw, weight in zip(raws, weights, strict=True)
    )
    return {"percentage": weighted / total}


def _combined_version(snapshots: Sequence[PowerwallSnapshot]) -> Body:
    """The oldest firmware among the gateways: what every one of them can do."""
    known = [s.firmware for s in snapshots if version_number(s.firmware) is not None]
    oldest = min(known, key=lambda firmware: version_number(firmware) or 0, default=None)
    return _version(oldest)


COMBINED: Final[dict[str, Callable[[Sequence[PowerwallSnapshot]], Body]]] = {
    "aggregates": _combined_aggregates,
    "soe": _combined_soe,
    "vitals": _combined_vitals,
    "strings": _combined_strings,
    "alerts": _combined_alerts,
    "alerts/pw": lambda snapshots: _alerts_pw(_combined_alerts(snapshots)),
    "temps": _combined_temps,
    "temps/pw": lambda snapshots: _temps_pw(_combined_temps(snapshots)),
    "freq": _combined_freq,
    "pod": _combined_pod,
    "version": _combined_version,
}
