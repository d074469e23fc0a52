"""Typed results of the Tesla Fleet API energy-site endpoints, parsed leniently but type-checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from enum import StrEnum
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._json import Fields
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


_SOURCE = "Tesla"

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
        obj = Fields(data, "product", source=_SOURCE)
        return cls(
            energy_site_id=obj.integer("energy_site_id"),
            site_name=obj.opt_text("site_name"),
            resource_type=obj.opt_text("resource_type"),
            gateway_id=obj.opt_text("gateway_id"),
            asset_site_id=obj.opt_text("asset_site_id"),
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
        obj = Fields(unwrap(data), "site_info", source=_SOURCE)
        components = dict(obj.opt_object("components") or {})
        parts = Fields(components, "site_info components", source=_SOURCE)
        tou = Fields(obj.opt_object("tou_settings") or {}, "tou_settings", source=_SOURCE)
        tariff = obj.opt_object("tariff_content_v2")
        gateways = components.get("gateways")
        dins = tuple(
            gateway["din"]
            for gateway in (gateways if isinstance(gateways, list) else [])
            if isinstance(gateway, Mapping) and isinstance(gateway.get("din"), str)
        )
        return cls(
            id=obj.opt_text("id"),
            site_name=obj.opt_text("site_name"),
            installation_time_zone=obj.opt_text("installation_time_zone"),
            default_real_mode=obj.opt_text("default_real_mode"),
            backup_reserve_percent=obj.opt_number("backup_reserve_percent"),
            optimization_strategy=tou.opt_text("optimization_strategy"),
            tou_capable=parts.opt_flag("tou_capable"),
            customer_preferred_export_rule=parts.opt_text("customer_preferred_export_rule"),
            disallow_charge_from_grid_with_solar_installed=parts.opt_flag(
                "disallow_charge_from_grid_with_solar_installed"
            ),
            battery_count=obj.opt_integer("battery_count"),
            nameplate_power=obj.opt_number("nameplate_power"),
            nameplate_energy=obj.opt_number("nameplate_energy"),
            version=obj.opt_text("version"),
            gateway_dins=dins,
            tariff_content_v2=None if tariff is None else dict(tariff),
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
        obj = Fields(unwrap(data), "live_status", source=_SOURCE)
        return cls(
            solar_power=obj.opt_number("solar_power"),
            battery_power=obj.opt_number("battery_power"),
            grid_power=obj.opt_number("grid_power"),
            load_power=obj.opt_number("load_power"),
            percentage_charged=obj.opt_number("percentage_charged"),
            energy_left=obj.opt_number("energy_left"),
            total_pack_energy=obj.opt_number("total_pack_energy"),
            grid_status=obj.opt_text("grid_status"),
            island_status=obj.opt_text("island_status"),
            storm_mode_active=obj.opt_flag("storm_mode_active"),
            # Tesla sends an offset, but a time without one is still the time it means.
            timestamp=obj.opt_timestamp("timestamp", aware=False),
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
        obj = Fields(body, "command answer", source=_SOURCE)
        code = obj.opt_integer("code")
        code = obj.opt_integer("Code") if code is None else code
        message = obj.opt_text("message")
        message = obj.opt_text("Message") if message is None else message
        return cls(code=code, message=message)
