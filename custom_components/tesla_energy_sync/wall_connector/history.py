"""Finished charging sessions kept over time, their rows for export, and period summaries."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Self

from homeassistant.util import dt as dt_util

from .session import ActiveSession, FinishedSession, repriced

# About fourteen years of daily charging; the bound keeps the stored file (1.5 MB of JSON) and
# the scan behind every query small.
MAX_SESSIONS: Final = 5000

# Column order of the CSV export, and the keys of every row the service returns.
SESSION_FIELDS: Final = (
    "started_at",
    "ended_at",
    "duration_s",
    "charging_s",
    "energy_kwh",
    "cost",
    "currency",
    "average_price",
    "average_power_kw",
    "peak_power_kw",
    "unpriced_energy_kwh",
)
PERIODS: Final = ("today", "week", "month", "year")


class SessionHistory:
    """The most recent MAX_SESSIONS finished sessions, oldest first."""

    def __init__(self, sessions: Iterable[FinishedSession] = ()) -> None:
        """Keep the newest MAX_SESSIONS of `sessions`."""
        self._sessions: deque[FinishedSession] = deque(sessions, maxlen=MAX_SESSIONS)

    def __len__(self) -> int:
        """Return how many sessions are kept."""
        return len(self._sessions)

    def add(self, session: FinishedSession) -> None:
        """Append a finished session; the same session again (same start) replaces it.

        The history is written before the tracker's state, so a crash between the two writes
        makes the tracker finish the session once more after the restart.
        """
        if self._sessions and self._sessions[-1].started_at == session.started_at:
            self._sessions[-1] = session
        else:
            self._sessions.append(session)

    def reprice(self, started_at: datetime, cost: float, priced_wh: float) -> bool:
        """Correct the cost of the session that started at `started_at`; return if it is kept."""
        # Settlement reaches back a day at most: search from the newest.
        for index in range(len(self._sessions) - 1, -1, -1):
            session = self._sessions[index]
            if session.started_at == started_at:
                self._sessions[index] = repriced(session, cost, priced_wh)
                return True
        return False

    def between(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[FinishedSession]:
        """Return the sessions that started in [start, end), oldest first."""
        return [
            session
            for session in self._sessions
            if (start is None or session.started_at >= start)
            and (end is None or session.started_at < end)
        ]

    def as_dict(self) -> dict[str, Any]:
        """Return what the store keeps."""
        return {"sessions": [session.as_dict() for session in self._sessions]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Self:
        """Rebuild from `as_dict` output (or start empty)."""
        if not data:
            return cls()
        return cls(FinishedSession.from_dict(item) for item in data["sessions"])


def _local_time(moment: datetime) -> str:
    return dt_util.as_local(moment).isoformat(timespec="seconds")


def session_row(session: FinishedSession) -> dict[str, Any]:
    """Return a session as the service and the CSV export show it (times local, ISO 8601)."""
    data = session.as_dict()
    data["started_at"] = _local_time(session.started_at)
    data["ended_at"] = _local_time(session.ended_at)
    return {key: data[key] for key in SESSION_FIELDS}


@dataclass(slots=True)
class PeriodTotal:
    """What was charged in one calendar period."""

    start: datetime
    sessions: int = 0
    energy_wh: float = 0.0
    unpriced_energy_wh: float = 0.0
    cost: float = 0.0

    def add(self, energy_wh: float, unpriced_wh: float, cost: float | None) -> None:
        """Count one session."""
        self.sessions += 1
        self.energy_wh += energy_wh
        self.unpriced_energy_wh += unpriced_wh
        self.cost += cost or 0.0

    def as_dict(self, currency: str | None) -> dict[str, Any]:
        """Return a JSON-safe view; no cost without a currency to state it in."""
        return {
            "start": _local_time(self.start),
            "sessions": self.sessions,
            "energy_kwh": round(self.energy_wh / 1000, 4),
            "cost": round(self.cost, 4) if currency is not None else None,
            "currency": currency,
            "unpriced_energy_kwh": round(self.unpriced_energy_wh / 1000, 4),
        }


def period_starts(now: datetime) -> dict[str, datetime]:
    """Return the start of today, this week (Monday), month and year in local time."""
    today = dt_util.as_local(now).date()
    return {
        "today": dt_util.start_of_local_day(today),
        "week": dt_util.start_of_local_day(today - timedelta(days=today.weekday())),
        "month": dt_util.start_of_local_day(today.replace(day=1)),
        "year": dt_util.start_of_local_day(today.replace(month=1, day=1)),
    }


def summarize(
    history: SessionHistory,
    active: ActiveSession | None,
    currency: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Return today's, this week's, month's and year's sessions, energy and cost.

    A session counts in the period it started in, the one in progress included. Cost adds
    the sessions priced in `currency` (the linked tariff's); energy counts every session.
    """
    starts = period_starts(now)
    totals = {period: PeriodTotal(start) for period, start in starts.items()}
    year = starts["year"]
    for session in history.between(year):
        cost = session.cost if session.currency == currency else None
        for total in totals.values():
            if session.started_at >= total.start:
                total.add(session.energy_kwh * 1000, session.unpriced_energy_kwh * 1000, cost)
    if active is not None:
        cost = active.cost if active.currency == currency else None
        for total in totals.values():
            if active.started_at >= total.start:
                total.add(active.energy_wh, active.energy_wh - active.priced_energy_wh, cost)
    return {period: totals[period].as_dict(currency) for period in PERIODS}
