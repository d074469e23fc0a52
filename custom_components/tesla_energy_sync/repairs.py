"""Repairs: the fix flows of the issues that have one."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant

from .tou_sync.conflict import ISSUE_PREFIX
from .tou_sync.repairs import TariffReplacedRepairFlow


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the fix flow of a fixable issue (only a replaced TOU tariff has one)."""
    if issue_id.startswith(ISSUE_PREFIX):
        return TariffReplacedRepairFlow(issue_id.removeprefix(ISSUE_PREFIX))
    raise ValueError(f"no fix flow for issue {issue_id}")
