"""The fix flow of a replaced tariff: resume automatic sync, or keep the other tariff."""

from __future__ import annotations

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState

from .coordinator import TouSyncCoordinator, TouSyncRuntime


class TariffReplacedRepairFlow(RepairsFlow):
    """Resume automatic sync (its tariff goes back), or keep the other tariff (sync off)."""

    def __init__(self, entry_id: str) -> None:
        """Remember the TOU sync entry the issue is about."""
        self._entry_id = entry_id

    def _tou(self) -> TouSyncCoordinator | None:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return None
        runtime = entry.runtime_data
        return runtime.tou if isinstance(runtime, TouSyncRuntime) else None

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Offer the two ways out."""
        if (tou := self._tou()) is None:
            return self.async_abort(reason="entry_not_loaded")
        return self.async_show_menu(
            step_id="init",
            menu_options=["resume", "keep"],
            description_placeholders={"site": tou.config_entry.title},
        )

    async def async_step_resume(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Upload TOU sync's tariff again and carry on syncing."""
        if (tou := self._tou()) is None:
            return self.async_abort(reason="entry_not_loaded")
        await tou.async_resume()
        return self.async_create_entry(data={})

    async def async_step_keep(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Leave the other tariff in place: automatic sync goes off."""
        if (tou := self._tou()) is None:
            return self.async_abort(reason="entry_not_loaded")
        await tou.async_keep_other()
        return self.async_create_entry(data={})
