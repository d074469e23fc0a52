"""The session history on its own: bounded, idempotent, ranged, summarised in local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
import pytest

from custom_components.tesla_energy_sync.wall_connector.history import (
    MAX_SESSIONS,
    SessionHistory,
    summarize,
)
from custom_components.tesla_energy_sync.wall_connector.session import (
    ActiveSession,
    FinishedSession,
)

SYDNEY = ZoneInfo("Australia/Sydney")


def finished(
    start: datetime, kwh: float, cost: float | None, currency: str | None = "AUD"
) -> FinishedSession:
    """Return a one-hour session that charged `kwh` for `cost`."""
    return FinishedSession(
        started_at=start,
        ended_at=start + timedelta(hours=1),
        energy_kwh=kwh,
        duration_s=3600,
        charging_s=3600,
        cost=cost,
        currency=currency if cost is not None else None,
        average_price=cost / kwh if cost is not None else None,
        unpriced_energy_kwh=0.0 if cost is not None else kwh,
    )


def test_bounded_and_idempotent() -> None:
    """The newest MAX_SESSIONS are kept; the same session finished twice is kept once."""
    start = datetime(2020, 1, 1, tzinfo=SYDNEY)
    history = SessionHistory()
    for day in range(MAX_SESSIONS + 3):
        history.add(finished(start + timedelta(days=day), 1.0, 0.3))
    assert len(history) == MAX_SESSIONS
    assert history.between()[0].started_at == start + timedelta(days=3)
    last = history.between()[-1]
    history.add(finished(last.started_at, 2.0, 0.6))  # finished again after a crash
    assert len(history) == MAX_SESSIONS
    assert history.between()[-1].energy_kwh == 2.0
    assert SessionHistory.from_dict(history.as_dict()).between() == history.between()
    assert len(SessionHistory.from_dict(None)) == 0


def test_between_is_start_inclusive_end_exclusive() -> None:
    """A session belongs to the range its start falls in."""
    days = [datetime(2026, 12, day, 18, tzinfo=SYDNEY) for day in (1, 2, 3)]
    history = SessionHistory(finished(day, 1.0, 0.3) for day in days)
    assert [s.started_at for s in history.between(days[1])] == days[1:]
    assert [s.started_at for s in history.between(None, days[1])] == days[:1]
    assert [s.started_at for s in history.between(days[0], days[2])] == days[:2]


async def test_summary_periods_in_local_time(hass: HomeAssistant) -> None:
    """Today, week (from Monday), month and year start at local midnight; in progress counts."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    now = datetime(2026, 12, 10, 9, 30, tzinfo=SYDNEY)  # a Thursday
    history = SessionHistory(
        [
            finished(datetime(2025, 12, 31, 23, 30, tzinfo=SYDNEY), 9.0, 9.0),  # last year
            finished(datetime(2026, 11, 30, 23, 59, tzinfo=SYDNEY), 5.0, 1.5),  # last month
            finished(datetime(2026, 12, 7, 0, 0, tzinfo=SYDNEY), 4.0, 1.0),  # Monday 00:00
            finished(datetime(2026, 12, 9, 20, 0, tzinfo=SYDNEY), 3.0, None),  # unpriced
            finished(datetime(2026, 12, 10, 0, 10, tzinfo=SYDNEY), 2.0, 0.4),  # today
            finished(
                datetime(2026, 12, 10, 1, 0, tzinfo=SYDNEY), 1.0, 0.5, "USD"
            ),  # other currency
        ]
    )
    active = ActiveSession(
        started_at=datetime(2026, 12, 10, 8, 0, tzinfo=SYDNEY),
        last_seen=now,
        energy_wh=1500.0,
        cost=0.25,
        priced_energy_wh=1000.0,
        currency="AUD",
        charging_s=1800,
        last_reading_wh=1500.0,
        last_uptime_s=100,
        charging=True,
    )
    summary = summarize(history, active, "AUD", now)
    assert summary["today"] == {
        "start": "2026-12-10T00:00:00+11:00",
        "sessions": 3,
        "energy_kwh": 2.0 + 1.0 + 1.5,
        "cost": pytest.approx(0.4 + 0.25),
        "currency": "AUD",
        "unpriced_energy_kwh": 0.5,
    }
    assert summary["week"]["start"] == "2026-12-07T00:00:00+11:00"
    assert summary["week"]["sessions"] == 5
    assert summary["week"]["energy_kwh"] == 4.0 + 3.0 + 2.0 + 1.0 + 1.5
    assert summary["week"]["cost"] == pytest.approx(1.0 + 0.4 + 0.25)
    assert summary["week"]["unpriced_energy_kwh"] == 3.5
    assert summary["month"]["start"] == "2026-12-01T00:00:00+11:00"
    assert summary["month"]["sessions"] == 5
    assert summary["year"]["start"] == "2026-01-01T00:00:00+11:00"
    assert summary["year"]["sessions"] == 6
    assert summary["year"]["cost"] == pytest.approx(1.5 + 1.0 + 0.4 + 0.25)
    no_tariff = summarize(history, None, None, now)
    assert no_tariff["year"]["cost"] is None
    assert no_tariff["year"]["energy_kwh"] == 15.0
