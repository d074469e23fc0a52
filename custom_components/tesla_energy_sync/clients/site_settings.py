"""The energy-site settings the gateway's local API and the Fleet API share, defined once."""

from __future__ import annotations

from enum import StrEnum


class OperatingMode(StrEnum):
    """Operating mode: the gateway's `real_mode`, the Fleet API's `default_real_mode`."""

    SELF_CONSUMPTION = "self_consumption"
    BACKUP = "backup"
    AUTONOMOUS = "autonomous"  # time-based control in the app


class GridExportRule(StrEnum):
    """What may be exported to the grid (the Fleet API's `customer_preferred_export_rule`)."""

    BATTERY_OK = "battery_ok"
    PV_ONLY = "pv_only"
    NEVER = "never"
