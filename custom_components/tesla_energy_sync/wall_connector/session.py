"""Charging sessions from Wall Connector vitals: when they start and end, energy and cost.

Pure logic (no Home Assistant), fed one sample per vitals poll. What the charger reports and
what we rely on (docs/wall-connector.md#sessions): a session starts at plug-in (`vehicle_connected` turns
true) and ends at unplug; `session_energy_wh` restarts from 0 at plug-in and freezes during
pauses; after a reboot (`uptime_s` drops) it may restart from 0 mid-session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final, Self

from ..tariff import PriceInterval

# ComEd's feed reaches back a day (docs/comed.md#feeds): an hour not settled by then never will
# be, and its energy keeps the provisional price.
SETTLE_WITHIN: Final = timedelta(hours=25)


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
    power_w: float | None = None


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
    # Absent from sessions stored before peak power was tracked.
    peak_power_w: float | None = None

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
    # Absent from sessions stored before power was tracked.
    average_power_kw: float | None = None
    peak_power_kw: float | None = None

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


def repriced(session: FinishedSession, cost: float, priced_wh: float) -> FinishedSession:
    """Return a finished session with its cost (unrounded, as the tracker keeps it) corrected."""
    return replace(
        session,
        cost=round(cost, 4),
        average_price=round(cost / (priced_wh / 1000), 5) if priced_wh else None,
    )


@dataclass(frozen=True, slots=True)
class UnsettledHour:
    """A session's energy drawn in one hour of an hourly-average tariff, priced provisionally.

    ComEd bills the hour at the average of its twelve 5-minute prices, known only once the hour
    is over; until then each step is priced at the 5-minute price in force when it was drawn.
    """

    session_start: datetime
    hour: datetime
    energy_wh: float
    cost: float
    currency: str

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (for storage)."""
        data = asdict(self)
        data["session_start"] = self.session_start.isoformat()
        data["hour"] = self.hour.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from `as_dict` output."""
        return cls(
            **{
                **data,
                "session_start": datetime.fromisoformat(data["session_start"]),
                "hour": datetime.fromisoformat(data["hour"]),
            }
        )


@dataclass(frozen=True, slots=True)
class ChargingTotals:
    """Energy and cost of every session since the charger was added; they never go down."""

    energy_wh: float = 0.0
    unpriced_energy_wh: float = 0.0
    # By currency: a tariff in another currency starts its own total rather than mixing.
    costs: dict[str, float] = field(default_factory=dict)

    def add(self, energy_wh: float, price: PriceInterval | None) -> ChargingTotals:
        """Return the totals with one energy step added, at `price`'s import price if it has one."""
        if price is None or price.import_price is None:
            return replace(
                self,
                energy_wh=self.energy_wh + energy_wh,
                unpriced_energy_wh=self.unpriced_energy_wh + energy_wh,
            )
        costs = dict(self.costs)
        step_cost = energy_wh / 1000 * price.import_price
        costs[price.currency] = costs.get(price.currency, 0.0) + step_cost
        return replace(self, energy_wh=self.energy_wh + energy_wh, costs=costs)

    def correct(self, currency: str, delta: float) -> ChargingTotals:
        """Return the totals with a settled hour's cost difference applied."""
        costs = dict(self.costs)
        costs[currency] = costs.get(currency, 0.0) + delta
        return replace(self, costs=costs)

    def cost(self, currency: str | None) -> float | None:
        """Return the total cost in `currency` (0 before the first priced step), None without."""
        if currency is None:
            return None
        return round(self.costs.get(currency, 0.0), 6)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (for storage and diagnostics)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ChargingTotals:
        """Rebuild from `as_dict` output (or start from zero)."""
        if not data:
            return cls()
        return cls(
            energy_wh=float(data["energy_wh"]),
            unpriced_energy_wh=float(data["unpriced_energy_wh"]),
            costs={str(currency): float(cost) for currency, cost in data["costs"].items()},
        )


class SessionTracker:
    """Follows plug-in to unplug and prices each energy step at the price in force."""

    def __init__(self) -> None:
        """Start with no session known."""
        self.active: ActiveSession | None = None
        self.last: FinishedSession | None = None
        self.totals = ChargingTotals()
        # Priced energy of hours an hourly-average tariff has not settled yet, and the unrounded
        # cost and priced energy of finished sessions that still have some.
        self.unsettled: list[UnsettledHour] = []
        self.open_costs: dict[datetime, tuple[float, float]] = {}
        self._hour: datetime | None = None
        self._connected: bool | None = None

    def update(
        self,
        sample: SessionSample,
        price: PriceInterval | None,
        hour: datetime | None = None,
    ) -> FinishedSession | None:
        """Account for one sample; return the session that just ended, if one did.

        `price` is the linked tariff's interval in force while the step since the last sample
        was drawn (None: no price known). `hour` is the clock hour it was drawn in when the
        tariff bills hourly averages: its cost is then provisional until `settle`.
        """
        self._hour = hour
        if sample.booting:
            # A booting unit reports no vehicle (evse_state 0); that is not an unplug.
            return None
        was_connected, self._connected = self._connected, sample.vehicle_connected
        if not sample.vehicle_connected:
            if self.active is None:
                return None
            finished = self._finish(self.active, sample.time)
            if any(u.session_start == finished.started_at for u in self.unsettled):
                self.open_costs[finished.started_at] = (
                    self.active.cost,
                    self.active.priced_energy_wh,
                )
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
        # A price in another currency than the session's so far is not mixed into its cost.
        applied = price if price is not None and currency in (None, price.currency) else None
        if delta_wh > 0:
            # The lifetime totals take the same steps as the sessions, so they always agree.
            self.totals = self.totals.add(delta_wh, applied)
            # An interval whose answer lacked the import price prices nothing.
            if applied is not None and applied.import_price is not None:
                cost += delta_wh / 1000 * applied.import_price
                priced += delta_wh
                currency = applied.currency
                if self._hour is not None:
                    self._hold(session.started_at, delta_wh, applied)
        peak = session.peak_power_w
        if sample.power_w is not None and (peak is None or sample.power_w > peak):
            peak = sample.power_w
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
            peak_power_w=peak,
        )

    def _hold(self, session_start: datetime, energy_wh: float, price: PriceInterval) -> None:
        """Keep a provisionally priced step until its hour is settled."""
        assert self._hour is not None  # noqa: S101 - only called with an hour
        assert price.import_price is not None  # noqa: S101 - only priced steps
        cost = energy_wh / 1000 * price.import_price
        for index, held in enumerate(self.unsettled):
            if (held.session_start, held.hour, held.currency) == (
                session_start,
                self._hour,
                price.currency,
            ):
                self.unsettled[index] = replace(
                    held, energy_wh=held.energy_wh + energy_wh, cost=held.cost + cost
                )
                return
        self.unsettled.append(
            UnsettledHour(session_start, self._hour, energy_wh, cost, price.currency)
        )

    def settle(
        self, average: Callable[[datetime], float | None], now: datetime
    ) -> dict[datetime, tuple[float, float]]:
        """Re-price every held hour whose average is known; return the finished sessions moved.

        The session in progress, the last session and the lifetime totals move by the
        difference; the result maps each finished session that moved (by start) to its
        unrounded cost and priced energy, for the history to follow.
        """
        moved: dict[datetime, tuple[float, float]] = {}
        keep: list[UnsettledHour] = []
        for held in self.unsettled:
            price = average(held.hour)
            if price is None:
                if now - held.hour < SETTLE_WITHIN:
                    keep.append(held)
                continue
            delta = held.energy_wh / 1000 * price - held.cost
            self.totals = self.totals.correct(held.currency, delta)
            if self.active is not None and self.active.started_at == held.session_start:
                self.active = replace(self.active, cost=self.active.cost + delta)
            elif held.session_start in self.open_costs:
                cost, priced = self.open_costs[held.session_start]
                self.open_costs[held.session_start] = moved[held.session_start] = (
                    cost + delta,
                    priced,
                )
        self.unsettled = keep
        for start, (cost, priced) in moved.items():
            if self.last is not None and self.last.started_at == start:
                self.last = repriced(self.last, cost, priced)
        # A finished session with nothing left to settle needs its unrounded cost no more.
        pending = {held.session_start for held in keep}
        self.open_costs = {k: v for k, v in self.open_costs.items() if k in pending}
        return moved

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
        charging_s = round(
            session.charging_s
            + ((ended_at - session.last_seen).total_seconds() if session.charging else 0.0),
            1,
        )
        return FinishedSession(
            started_at=session.started_at,
            ended_at=ended_at,
            energy_kwh=energy_kwh,
            duration_s=round((ended_at - session.started_at).total_seconds(), 1),
            charging_s=charging_s,
            cost=cost,
            currency=session.currency,
            average_price=(
                round(session.cost / (session.priced_energy_wh / 1000), 5)
                if cost is not None and session.priced_energy_wh
                else None
            ),
            unpriced_energy_kwh=round((session.energy_wh - session.priced_energy_wh) / 1000, 4),
            # Over the time the contactor was closed: pauses and the wait before charging are
            # not delivery.
            average_power_kw=(
                round(session.energy_wh / 1000 / (charging_s / 3600), 3) if charging_s else None
            ),
            peak_power_kw=(
                round(session.peak_power_w / 1000, 3) if session.peak_power_w is not None else None
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a Home Assistant restart."""
        return {
            "active": self.active.as_dict() if self.active else None,
            "last": self.last.as_dict() if self.last else None,
            "connected": self._connected,
            "totals": self.totals.as_dict(),
            "unsettled": [held.as_dict() for held in self.unsettled],
            "open_costs": [
                [start.isoformat(), cost, priced]
                for start, (cost, priced) in self.open_costs.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Self:
        """Restore from `as_dict` output (or start empty)."""
        tracker = cls()
        if data:
            tracker.active = ActiveSession.from_dict(data["active"]) if data["active"] else None
            tracker.last = FinishedSession.from_dict(data["last"]) if data["last"] else None
            tracker._connected = data["connected"]
            # Stores written before lifetime totals existed start them from zero.
            tracker.totals = ChargingTotals.from_dict(data.get("totals"))
            tracker.unsettled = [UnsettledHour.from_dict(h) for h in data.get("unsettled", [])]
            tracker.open_costs = {
                datetime.fromisoformat(start): (float(cost), float(priced))
                for start, cost, priced in data.get("open_costs", [])
            }
        return tracker
