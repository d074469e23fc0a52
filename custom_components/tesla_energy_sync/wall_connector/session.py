"""Charging sessions from Wall Connector vitals: when they start and end, energy and cost.

Pure logic (no Home Assistant), fed one sample per vitals poll. What the charger reports and
what we rely on (docs/wall-connector.md#sessions): a session starts at plug-in (`vehicle_connected` turns
true) and ends at unplug; `session_energy_wh` restarts from 0 at plug-in and freezes during
pauses; after a reboot (`uptime_s` drops) it may restart from 0 mid-session.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Self

from ..tariff import PriceInterval


@dataclass(frozen=True, slots=True)
class SessionSample:
    """What one vitals poll tells the tracker."""

    time: datetime
    vehicle_connected: bool
    contactor_closed: bool
    session_energy_wh: float | None
    uptime_s: int | None
    session_s: int | None = None
    booting: bool = False


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A session in progress."""

    started_at: datetime
    last_seen: datetime
    energy_wh: float
    cost: float
    priced_energy_wh: float
    currency: str | None
    charging_s: float
    last_reading_wh: float | None
    last_uptime_s: int | None
    charging: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (for storage and diagnostics)."""
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["last_seen"] = self.last_seen.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from `as_dict` output."""
        return cls(
            **{
                **data,
                "started_at": datetime.fromisoformat(data["started_at"]),
                "last_seen": datetime.fromisoformat(data["last_seen"]),
            }
        )


@dataclass(frozen=True, slots=True)
class FinishedSession:
    """A session that ended at unplug."""

    started_at: datetime
    ended_at: datetime
    energy_kwh: float
    duration_s: float
    charging_s: float
    cost: float | None
    currency: str | None
    average_price: float | None
    unpriced_energy_kwh: float

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (event data, storage, diagnostics)."""
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["ended_at"] = self.ended_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from `as_dict` output."""
        return cls(
            **{
                **data,
                "started_at": datetime.fromisoformat(data["started_at"]),
                "ended_at": datetime.fromisoformat(data["ended_at"]),
            }
        )


class SessionTracker:
    """Follows plug-in to unplug and prices each energy step at the price in force."""

    def __init__(self) -> None:
        """Start with no session known."""
        self.active: ActiveSession | None = None
        self.last: FinishedSession | None = None
        self._connected: bool | None = None

    def update(self, sample: SessionSample, price: PriceInterval | None) -> FinishedSession | None:
        """Account for one sample; return the session that just ended, if one did.

        `price` is the linked tariff's interval in force at the sample (None: no price known).
        """
        if sample.booting:
            # A booting unit reports no vehicle (evse_state 0); that is not an unplug.
            return None
        was_connected, self._connected = self._connected, sample.vehicle_connected
        if not sample.vehicle_connected:
            if self.active is None:
                return None
            finished = self._finish(self.active, sample.time)
            self.active, self.last = None, finished
            return finished
        if self.active is None:
            self.active = self._start(sample, plugged_in_now=was_connected is False)
        self.active = self._advance(self.active, sample, price)
        return None

    def _start(self, sample: SessionSample, *, plugged_in_now: bool) -> ActiveSession:
        # Seen at plug-in, the session starts now and from 0 Wh. Found already connected (first
        # poll after set-up), it started `session_s` ago; its energy so far is priced at today's
        # price, the best we know.
        started = sample.time
        if not plugged_in_now and sample.session_s:
            started = sample.time - timedelta(seconds=sample.session_s)
        return ActiveSession(
            started_at=started,
            last_seen=sample.time,
            energy_wh=0.0,
            cost=0.0,
            priced_energy_wh=0.0,
            currency=None,
            charging_s=0.0,
            last_reading_wh=0.0,
            last_uptime_s=sample.uptime_s,
            charging=sample.contactor_closed,
        )

    def _advance(
        self, session: ActiveSession, sample: SessionSample, price: PriceInterval | None
    ) -> ActiveSession:
        delta_wh = self._energy_step(session, sample)
        elapsed = max(0.0, (sample.time - session.last_seen).total_seconds())
        cost, priced, currency = session.cost, session.priced_energy_wh, session.currency
        value = None if price is None else price.import_price
        if (
            delta_wh > 0
            and price is not None
            and value is not None
            and currency
            in (
                None,
                price.currency,
            )
        ):
            cost += delta_wh / 1000 * value
            priced += delta_wh
            currency = price.currency
        return replace(
            session,
            last_seen=sample.time,
            energy_wh=session.energy_wh + delta_wh,
            cost=cost,
            priced_energy_wh=priced,
            currency=currency,
            charging_s=session.charging_s + (elapsed if session.charging else 0.0),
            last_reading_wh=(
                sample.session_energy_wh
                if sample.session_energy_wh is not None
                else session.last_reading_wh
            ),
            last_uptime_s=sample.uptime_s if sample.uptime_s is not None else session.last_uptime_s,
            charging=sample.contactor_closed,
        )

    @staticmethod
    def _energy_step(session: ActiveSession, sample: SessionSample) -> float:
        reading = sample.session_energy_wh
        if reading is None:
            return 0.0  # an unreadable (nan) sample: account for it at the next good one
        previous = session.last_reading_wh
        if previous is None or reading >= previous:
            return reading - (previous or 0.0)
        rebooted = (
            sample.uptime_s is not None
            and session.last_uptime_s is not None
            and sample.uptime_s < session.last_uptime_s
        )
        # After a reboot the counter restarts from 0 within the same session: all of it is new.
        # A drop without a reboot is a glitch or a swapped car; take the new value as baseline.
        return reading if rebooted else 0.0

    @staticmethod
    def _finish(session: ActiveSession, ended_at: datetime) -> FinishedSession:
        energy_kwh = round(session.energy_wh / 1000, 4)
        # Energy drawn while no price was known (no linked tariff, tariff down) is reported
        # separately rather than guessed.
        cost = round(session.cost, 4) if session.currency else None
        return FinishedSession(
            started_at=session.started_at,
            ended_at=ended_at,
            energy_kwh=energy_kwh,
            duration_s=round((ended_at - session.started_at).total_seconds(), 1),
            charging_s=round(
                session.charging_s
                + ((ended_at - session.last_seen).total_seconds() if session.charging else 0.0),
                1,
            ),
            cost=cost,
            currency=session.currency,
            average_price=(
                round(session.cost / (session.priced_energy_wh / 1000), 5)
                if cost is not None and session.priced_energy_wh
                else None
            ),
            unpriced_energy_kwh=round((session.energy_wh - session.priced_energy_wh) / 1000, 4),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a Home Assistant restart."""
        return {
            "active": self.active.as_dict() if self.active else None,
            "last": self.last.as_dict() if self.last else None,
            "connected": self._connected,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Self:
        """Restore from `as_dict` output (or start empty)."""
        tracker = cls()
        if data:
            tracker.active = ActiveSession.from_dict(data["active"]) if data["active"] else None
            tracker.last = FinishedSession.from_dict(data["last"]) if data["last"] else None
            tracker._connected = data["connected"]
        return tracker
