"""The cheap window: a binary sensor on during the cheapest N hours before a daily deadline.

The building block for "charge the car when it is cheap": the options set the hours needed and
the time of day they must be done by. Before the window starts it follows the forecast (the
window may move as Amber's forecast changes); once it has started it is kept to its end, so a
changed forecast never cuts a charge short, and the deadline it served is not served twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from ..const import (
    CONF_CHEAP_DEADLINE,
    CONF_CHEAP_HOURS,
    DEFAULT_CHEAP_DEADLINE,
    DEFAULT_CHEAP_HOURS,
)
from ..runtime import TesConfigEntry
from ..tariff import PriceSegment, cheapest_window, price_timeline, shown, window_average
from .coordinator import AmberCoordinator, AmberRuntime


def next_at(after: datetime, at: time) -> datetime:
    """Return the first moment strictly after `after` when Home Assistant's clock shows `at`."""
    local = dt_util.as_local(after)
    zone = dt_util.get_default_time_zone()
    moment = datetime.combine(local.date(), at, tzinfo=zone)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return dt_util.as_utc(moment)


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """The window planned for a deadline (None: none is known yet), and whether it is running."""

    deadline: datetime
    start: datetime | None
    end: datetime | None
    average: float | None
    running: bool

    def attributes(self) -> dict[str, Any]:
        """Return the sensor's attributes: the deadline, and the window with its average."""
        return {
            "deadline": self.deadline.isoformat(),
            "window_start": None if self.start is None else self.start.isoformat(),
            "window_end": None if self.end is None else self.end.isoformat(),
            "average_price": shown(self.average),
        }

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (what the sensor stores over a restart)."""
        return {
            "deadline": self.deadline.isoformat(),
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "average": self.average,
            "running": self.running,
        }

    @classmethod
    def from_dict(cls, data: Any) -> WindowPlan | None:
        """Return a stored plan, or None when what was stored is not one."""
        try:
            return cls(
                deadline=datetime.fromisoformat(data["deadline"]),
                start=None if data["start"] is None else datetime.fromisoformat(data["start"]),
                end=None if data["end"] is None else datetime.fromisoformat(data["end"]),
                average=None if data["average"] is None else float(data["average"]),
                running=bool(data["running"]),
            )
        except KeyError, TypeError, ValueError:
            return None


class CheapWindowPlanner:
    """Chooses the window for the next deadline and keeps a started one to its end."""

    def __init__(self, hours: timedelta, deadline: time) -> None:
        """Keep the hours needed and the time of day they must be done by."""
        self.hours = hours
        self.deadline = deadline
        # The window that has started, kept until it ends.
        self.running: WindowPlan | None = None
        # The deadline the last window that ran was for: the next one comes after it.
        self.served: datetime | None = None

    def next_deadline(self, now: datetime) -> datetime:
        """Return the deadline to plan for: the next one not served yet."""
        deadline = next_at(now, self.deadline)
        if self.served is not None and deadline <= self.served:
            deadline = next_at(self.served, self.deadline)
        return deadline

    def plan(self, segments: list[PriceSegment], now: datetime) -> WindowPlan:
        """Return the plan at `now` from the prices known from `now` on."""
        if self.running is not None:
            if self.running.end is not None and now < self.running.end:
                return self.running
            self.served, self.running = self.running.deadline, None
        deadline = self.next_deadline(now)
        if deadline - now <= self.hours:
            # Too little time left for the whole window: all of it, from now.
            start, end, average = now, deadline, window_average(segments, now, deadline)
        elif window := cheapest_window(segments, self.hours, latest_finish=deadline):
            start, end, average = window.start, window.end, window.average
        else:
            return WindowPlan(deadline, None, None, None, running=False)
        running = start <= now < end
        plan = WindowPlan(deadline, start, end, average, running=running)
        if running:
            self.running = plan
        return plan

    def stored(self) -> dict[str, Any]:
        """Return what must outlive a restart: the running window and the deadline served."""
        return {
            "running": None if self.running is None else self.running.as_dict(),
            "served": None if self.served is None else self.served.isoformat(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take back what `stored` returned before a restart (anything unreadable is dropped)."""
        self.running = WindowPlan.from_dict(data.get("running"))
        try:
            served = data.get("served")
            self.served = None if served is None else datetime.fromisoformat(served)
        except TypeError, ValueError:
            self.served = None


@dataclass(slots=True)
class CheapWindowStoredData(ExtraStoredData):
    """The planner's state, stored with the sensor's last state."""

    planner: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return the planner's state."""
        return self.planner


def setup_cheap_window(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the site's cheap window sensor, configured by the entry's options."""
    runtime = entry.runtime_data
    assert isinstance(runtime, AmberRuntime)  # noqa: S101 - the registry routes by kind
    hours = float(entry.options.get(CONF_CHEAP_HOURS, DEFAULT_CHEAP_HOURS))
    deadline = time.fromisoformat(entry.options.get(CONF_CHEAP_DEADLINE, DEFAULT_CHEAP_DEADLINE))
    async_add_entities([CheapWindowSensor(runtime.prices, timedelta(hours=hours), deadline)])


class CheapWindowSensor(CoordinatorEntity[AmberCoordinator], BinarySensorEntity, RestoreEntity):
    """On during the cheapest hours (general price) before the next deadline."""

    _attr_has_entity_name = True
    _attr_translation_key = "cheap_window"

    def __init__(self, coordinator: AmberCoordinator, hours: timedelta, deadline: time) -> None:
        """Plan for the options' hours and deadline."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.unique_prefix}_cheap_window"
        self._attr_device_info = coordinator.device_info
        self._planner = CheapWindowPlanner(hours, deadline)
        self._plan: WindowPlan | None = None
        self._unsub_timer: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Take back a window that was running before a restart, then plan."""
        await super().async_added_to_hass()
        if (stored := await self.async_get_last_extra_data()) is not None:
            self._planner.restore(stored.as_dict())
        self.async_on_remove(self._cancel_timer)
        self._replan()

    @property
    def extra_restore_state_data(self) -> CheapWindowStoredData:
        """Return the planner's state, so a restart keeps a running window."""
        return CheapWindowStoredData(self._planner.stored())

    @property
    def is_on(self) -> bool | None:
        """Return whether the planned window is running."""
        return None if self._plan is None else self._plan.running

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the deadline planned for and the window, with its average general price."""
        return {} if self._plan is None else self._plan.attributes()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Plan again from the new forecast."""
        self._replan()
        super()._handle_coordinator_update()

    @callback
    def _replan(self) -> None:
        now = dt_util.utcnow()
        # The prices of the last answer: entities are added after the first one came.
        series = self.coordinator.data.series
        segments = price_timeline(series.intervals, lambda i: i.import_price, now)
        self._plan = plan = self._planner.plan(segments, now)
        # Wake at the window's start or end, and at the deadline to plan the next day.
        moments = [plan.deadline, *(m for m in (plan.start, plan.end) if m is not None)]
        self._schedule(min(m for m in moments if m > now))

    @callback
    def _schedule(self, moment: datetime) -> None:
        self._cancel_timer()
        self._unsub_timer = async_track_point_in_utc_time(self.hass, self._wake, moment)

    @callback
    def _wake(self, _now: datetime) -> None:
        self._unsub_timer = None
        self._replan()
        self.async_write_ha_state()

    @callback
    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
