"""Typed results of the Tesla Fleet API energy-site endpoints, parsed leniently but type-checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from enum import StrEnum
import math
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ResponseError
from .site_settings import GridExportRule, OperatingMode

__all__ = [
    "CommandResult",
    "EnergySite",
    "ExportRule",
    "LiveStatus",
    "OperationMode",
    "OptimizationStrategy",
    "SiteInfo",
    "parse_products",
    "unwrap",
]


# The Fleet API's names for the settings the gateway shares; one definition for both.
OperationMode = OperatingMode
ExportRule = GridExportRule


class OptimizationStrategy(StrEnum):
    """Time-Based Control strategy: economics = Cost Saving, balanced = Balanced."""

    ECONOMICS = "economics"
    BALANCED = "balanced"


def unwrap(data: Any) -> Any:
    """Return the `response` member every Fleet API body wraps its payload in."""
    if not isinstance(data, Mapping) or "response" not in data:
        raise ResponseError("Tesla: expected an object with a 'response' member")
    return data["response"]


def _object(data: Any, what: str) -> Mapping[str, Any]:
    """Return data when it is a JSON object."""
    if not isinstance(data, Mapping):
        raise ResponseError(f"Tesla {what}: expected an object, got {type(data).__name__}")
    return data


def _opt[T](data: Mapping[str, Any], key: str, kind: type[T] | tuple[type, ...]) -> T | None:
    """Return an optional field when present and of the expected type; wrong types are errors."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and kind is not bool:
        raise ResponseError(f"Tesla field {key!r}: unexpected boolean")
    if not isinstance(value, kind):
        raise ResponseError(f"Tesla field {key!r}: unexpected {type(value).__name__}")
    return value  # type: ignore[return-value]


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    """Return an optional string field."""
    return _opt(data, key, str)


def _opt_bool(data: Mapping[str, Any], key: str) -> bool | None:
    """Return an optional boolean field."""
    return _opt(data, key, bool)


def _opt_float(data: Mapping[str, Any], key: str) -> float | None:
    """Return an optional finite number field."""
    value: float | int | None = _opt(data, key, (int, float))
    if value is None:
        return None
    if not math.isfinite(value):
        raise ResponseError(f"Tesla field {key!r}: not a finite number")
    return float(value)


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    """Return an optional integer field."""
    return _opt(data, key, int)


def _opt_object(data: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """Return an optional nested object as a plain dict."""
    value = _opt(data, key, Mapping)
    return None if value is None else dict(value)


@dataclass(frozen=True, slots=True)
class EnergySite:
    """One energy product of the account (vehicles are left out)."""

    energy_site_id: int
    site_name: str | None
    resource_type: str | None
    gateway_id: str | None
    asset_site_id: str | None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Parse a product entry that carries an energy_site_id."""
        obj = _object(data, "product")
        site_id = _opt_int(obj, "energy_site_id")
        if site_id is None:
            raise ResponseError("Tesla product: missing energy_site_id")
        return cls(
            energy_site_id=site_id,
            site_name=_opt_str(obj, "site_name"),
            resource_type=_opt_str(obj, "resource_type"),
            gateway_id=_opt_str(obj, "gateway_id"),
            asset_site_id=_opt_str(obj, "asset_site_id"),
        )


def parse_products(data: Any) -> list[EnergySite]:
    """Return the energy sites of a products answer; vehicles and other products are skipped."""
    items = unwrap(data)
    if not isinstance(items, list):
        raise ResponseError("Tesla products: expected a list")
    return [
        EnergySite.from_dict(item)
        for item in items
        if isinstance(item, Mapping) and "energy_site_id" in item
    ]


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What site_info tells the sync: time zone, mode, reserve, export rules and the tariff."""

    id: str | None
    site_name: str | None
    installation_time_zone: str | None
    default_real_mode: str | None
    backup_reserve_percent: float | None
    optimization_strategy: str | None
    tou_capable: bool | None
    customer_preferred_export_rule: str | None
    disallow_charge_from_grid_with_solar_installed: bool | None
    battery_count: int | None
    nameplate_power: float | None
    nameplate_energy: float | None
    version: str | None
    gateway_dins: tuple[str, ...]
    tariff_content_v2: dict[str, Any] | None
    components: dict[str, Any]

    @classmethod
    def from_response(cls, data: Any) -> Self:
        """Parse a site_info answer."""
        obj = _object(unwrap(data), "site_info")
        components = _opt_object(obj, "components") or {}
        tou = _opt_object(obj, "tou_settings") or {}
        gateways = components.get("gateways")
        dins = tuple(
            gateway["din"]
            for gateway in (gateways if isinstance(gateways, list) else [])
            if isinstance(gateway, Mapping) and isinstance(gateway.get("din"), str)
        )
        return cls(
            id=_opt_str(obj, "id"),
            site_name=_opt_str(obj, "site_name"),
            installation_time_zone=_opt_str(obj, "installation_time_zone"),
            default_real_mode=_opt_str(obj, "default_real_mode"),
            backup_reserve_percent=_opt_float(obj, "backup_reserve_percent"),
            optimization_strategy=_opt_str(tou, "optimization_strategy"),
            tou_capable=_opt_bool(components, "tou_capable"),
            customer_preferred_export_rule=_opt_str(components, "customer_preferred_export_rule"),
            disallow_charge_from_grid_with_solar_installed=_opt_bool(
                components, "disallow_charge_from_grid_with_solar_installed"
            ),
            battery_count=_opt_int(obj, "battery_count"),
            nameplate_power=_opt_float(obj, "nameplate_power"),
            nameplate_energy=_opt_float(obj, "nameplate_energy"),
            version=_opt_str(obj, "version"),
            gateway_dins=dins,
            tariff_content_v2=_opt_object(obj, "tariff_content_v2"),
            components=components,
        )

    @property
    def time_zone(self) -> ZoneInfo | None:
        """Return installation_time_zone as a ZoneInfo, or None when absent or unknown."""
        if not self.installation_time_zone:
            return None
        try:
            return ZoneInfo(self.installation_time_zone)
        except ZoneInfoNotFoundError, ValueError:
            return None


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """Power flows (W) and charge of a site right now; positive grid power is import."""

    solar_power: float | None
    battery_power: float | None
    grid_power: float | None
    load_power: float | None
    percentage_charged: float | None
    energy_left: float | None
    total_pack_energy: float | None
    grid_status: str | None
    island_status: str | None
    storm_mode_active: bool | None
    timestamp: dt.datetime | None

    @classmethod
    def from_response(cls, data: Any) -> Self:
        """Parse a live_status answer."""
        obj = _object(unwrap(data), "live_status")
        stamp = _opt_str(obj, "timestamp")
        try:
            timestamp = None if stamp is None else dt.datetime.fromisoformat(stamp)
        except ValueError:
            raise ResponseError(f"Tesla field 'timestamp': bad timestamp {stamp!r}") from None
        return cls(
            solar_power=_opt_float(obj, "solar_power"),
            battery_power=_opt_float(obj, "battery_power"),
            grid_power=_opt_float(obj, "grid_power"),
            load_power=_opt_float(obj, "load_power"),
            percentage_charged=_opt_float(obj, "percentage_charged"),
            energy_left=_opt_float(obj, "energy_left"),
            total_pack_energy=_opt_float(obj, "total_pack_energy"),
            grid_status=_opt_str(obj, "grid_status"),
            island_status=_opt_str(obj, "island_status"),
            storm_mode_active=_opt_bool(obj, "storm_mode_active"),
            timestamp=timestamp,
        )


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The answer to an energy command: {"response": {"code": 201, "message": "Updated"}}."""

    code: int | None
    message: str | None

    @classmethod
    def from_response(cls, data: Any) -> Self:
        """Parse a command answer; older captures spell the keys Code and Message."""
        body = unwrap(data)
        if not isinstance(body, Mapping):
            # Some commands answer {"response": true}; nothing more to read.
            return cls(code=None, message=None)
        code = _opt_int(body, "code")
        code = _opt_int(body, "Code") if code is None else code
        message = _opt_str(body, "message")
        message = _opt_str(body, "Message") if message is None else message
        return cls(code=code, message=message)
