"""TOU sync entities: the automatic-sync switch, the last sync and what it planned."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass

from ..const import TOU_RESULTS
from ..description import TesSensorEntityDescription, TesSwitchEntityDescription
from .coordinator import TouSyncCoordinator, TouSyncState, tou_of


def _next_buy(state: TouSyncState) -> float | None:
    attempt = state.last_attempt
    if attempt is None or attempt.planned is None or len(attempt.planned.slots) < 2:
        return None
    return attempt.planned.slots[1].buy


TOU_SYNC_SENSORS: tuple[TesSensorEntityDescription[Any, Any], ...] = (
    TesSensorEntityDescription[TouSyncState](
        key="last_sync",
        translation_key="last_sync",
        coordinator_fn=tou_of,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.last_upload.at if state.last_upload else None,
        attr_fn=lambda state: (
            {
                "fingerprint": state.last_upload.planned.fingerprint,
                "slots": [slot.as_dict() for slot in state.last_upload.planned.slots],
            }
            if state.last_upload and state.last_upload.planned
            else {}
        ),
    ),
    TesSensorEntityDescription[TouSyncState](
        key="last_result",
        translation_key="last_result",
        coordinator_fn=tou_of,
        device_class=SensorDeviceClass.ENUM,
        options=list(TOU_RESULTS),
        value_fn=lambda state: state.last_attempt.result if state.last_attempt else None,
        attr_fn=lambda state: (
            {"at": state.last_attempt.at.isoformat(), "detail": state.last_attempt.detail}
            if state.last_attempt
            else {}
        ),
    ),
    TesSensorEntityDescription[TouSyncState](
        key="next_planned_price",
        translation_key="next_planned_price",
        coordinator_fn=tou_of,
        suggested_display_precision=4,
        unit_fn=lambda coordinator: f"{coordinator.currency}/kWh",
        value_fn=_next_buy,
    ),
)


async def _set_automatic(coordinator: TouSyncCoordinator, on: bool) -> None:
    await coordinator.async_set_automatic(on)


TOU_SYNC_SWITCHES: tuple[TesSwitchEntityDescription, ...] = (
    TesSwitchEntityDescription(
        key="automatic_sync",
        translation_key="automatic_sync",
        coordinator_fn=tou_of,
        is_on_fn=lambda coordinator: coordinator.automatic,
        set_fn=_set_automatic,
    ),
)
