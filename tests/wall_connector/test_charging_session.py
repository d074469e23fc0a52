"""The charging-session tracker, sample by sample (pure logic, no Home Assistant)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.tesla_energy_sync.tariff import PriceInterval, PriceKind
from custom_components.tesla_energy_sync.wall_connector.history import SessionHistory
from custom_components.tesla_energy_sync.wall_connector.session import (
    FinishedSession,
    SessionSample,
    SessionTracker,
)

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
AUD = "AUD"


def price(value: float, currency: str = AUD) -> PriceInterval:
    """Return a final price in force around the samples, as a linked tariff publishes it."""
    return PriceInterval(
        start=T0,
        end=T0 + timedelta(hours=2),
        kind=PriceKind.CURRENT,
        import_price=value,
        export_price=None,
        estimate=False,
        currency=currency,
    )


def sample(
    seconds: float,
    *,
    connected: bool = True,
    charging: bool = True,
    wh: float | None = 0.0,
    uptime: int | None = None,
    session_s: int | None = None,
) -> SessionSample:
    """Return a sample `seconds` after T0 (uptime follows time unless given)."""
    return SessionSample(
        time=T0 + timedelta(seconds=seconds),
        vehicle_connected=connected,
        contactor_closed=charging,
        session_energy_wh=wh,
        uptime_s=int(1000 + seconds) if uptime is None else uptime,
        session_s=session_s,
    )


def test_plug_charge_pause_unplug() -> None:
    """Energy between samples is priced at the price in force; pauses stay in the session."""
    tracker = SessionTracker()
    assert tracker.update(sample(0, connected=False, charging=False, wh=500.0), None) is None
    assert tracker.as_dict()["active"] is None
    tracker.update(sample(10, charging=False, wh=0.0), price(0.30, AUD))  # plug-in
    assert tracker.active is not None
    assert tracker.active.started_at == T0 + timedelta(seconds=10)
    tracker.update(sample(70, wh=1000.0), price(0.30, AUD))  # 1 kWh at 0.30
    tracker.update(sample(130, wh=3000.0), price(0.50, AUD))  # 2 kWh at 0.50
    tracker.update(sample(190, charging=False, wh=3000.0), price(0.90, AUD))  # pause
    tracker.update(sample(250, wh=3500.0), price(0.10, AUD))  # 0.5 kWh at 0.10
    finished = tracker.update(sample(310, connected=False, charging=False, wh=3500.0), None)
    assert finished is not None
    assert finished.energy_kwh == 3.5
    assert finished.cost == pytest.approx(0.30 + 1.00 + 0.05)
    assert finished.currency == AUD
    assert finished.average_price == pytest.approx(1.35 / 3.5, abs=1e-5)
    assert finished.duration_s == 300
    assert finished.charging_s == 180  # 70->130, 130->190 and 250->310 had the contactor closed
    assert finished.unpriced_energy_kwh == 0
    assert tracker.as_dict()["active"] is None
    assert tracker.last == finished


def test_reboot_mid_session_keeps_counting() -> None:
    """A reboot restarts the charger's session counter; the energy after it is all new."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False, charging=False), None)
    tracker.update(sample(10, wh=0.0), price(0.20, AUD))
    tracker.update(sample(70, wh=2000.0), price(0.20, AUD))
    tracker.update(sample(130, wh=500.0, uptime=30), price(0.20, AUD))  # rebooted
    tracker.update(sample(190, wh=900.0, uptime=90), price(0.20, AUD))
    assert tracker.active is not None
    assert tracker.active.energy_wh == 2900.0


def test_drop_without_reboot_is_a_new_baseline() -> None:
    """A lower reading without a reboot is not counted as energy (and not as negative)."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False), None)
    tracker.update(sample(10, wh=0.0), None)
    tracker.update(sample(70, wh=2000.0), None)
    tracker.update(sample(130, wh=100.0), None)
    tracker.update(sample(190, wh=300.0), None)
    assert tracker.active is not None
    assert tracker.active.energy_wh == 2200.0


def test_nan_readings_are_accounted_later() -> None:
    """An unreadable sample adds nothing; the next good one carries the whole step."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False), None)
    tracker.update(sample(10, wh=0.0), price(0.2, AUD))
    tracker.update(sample(70, wh=None, uptime=None), price(0.2, AUD))
    tracker.update(sample(130, wh=1000.0), price(0.4, AUD))
    assert tracker.active is not None
    assert tracker.active.energy_wh == 1000.0
    assert tracker.active.cost == pytest.approx(0.4)


def test_no_price_is_reported_as_unpriced() -> None:
    """Energy drawn while no tariff price is known is not guessed."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False), None)
    tracker.update(sample(10, wh=0.0), None)
    tracker.update(sample(70, wh=1000.0), None)
    finished = tracker.update(sample(130, connected=False), None)
    assert finished is not None
    assert finished.cost is None
    assert finished.average_price is None
    assert finished.unpriced_energy_kwh == 1.0


def test_found_mid_session_and_restored_after_restart() -> None:
    """Set up while a car charges: the start is back-dated; state survives a restart."""
    tracker = SessionTracker()
    tracker.update(sample(600, wh=1500.0, session_s=600), price(0.3, AUD))
    assert tracker.active is not None
    assert tracker.active.started_at == T0
    assert tracker.active.energy_wh == 1500.0

    restored = SessionTracker.from_dict(tracker.as_dict())
    assert restored.active == tracker.active
    restored.update(sample(660, wh=2500.0), price(0.3, AUD))
    finished = restored.update(sample(720, connected=False), None)
    assert finished is not None
    assert finished.energy_kwh == 2.5
    assert finished.cost == pytest.approx(0.75)
    again = SessionTracker.from_dict(restored.as_dict())
    assert again.last == finished
    assert again.active is None
    assert SessionTracker.from_dict(None).active is None


def test_currency_change_mid_session_is_not_mixed() -> None:
    """Prices in another currency (the linked tariff changed) are not added to the cost."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False), None)
    tracker.update(sample(10, wh=0.0), price(0.3, AUD))
    tracker.update(sample(70, wh=1000.0), price(0.3, AUD))
    tracker.update(sample(130, wh=2000.0), price(0.1, "USD"))
    finished = tracker.update(sample(190, connected=False), None)
    assert finished is not None
    assert finished.cost == pytest.approx(0.3)
    assert finished.currency == AUD
    assert finished.unpriced_energy_kwh == 1.0


def test_interval_without_import_price_is_unpriced() -> None:
    """An interval whose answer lacked the import price prices neither session nor totals."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False), None)
    tracker.update(sample(10, wh=0.0), price(0.3, AUD))
    tracker.update(sample(70, wh=1000.0), price(0.3, AUD))  # 1 kWh at 0.30
    tracker.update(sample(130, wh=2500.0), replace(price(0.9, AUD), import_price=None))
    finished = tracker.update(sample(190, connected=False), None)
    assert finished is not None
    assert finished.cost == pytest.approx(0.3)
    assert finished.unpriced_energy_kwh == 1.5
    assert tracker.totals.cost(AUD) == pytest.approx(0.3)
    assert tracker.totals.unpriced_energy_wh == 1500.0
    assert tracker.totals.energy_wh == 2500.0


def test_booting_is_not_an_unplug() -> None:
    """While the unit boots it reports no vehicle; the session carries on after the boot."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False), None)
    tracker.update(sample(10, wh=0.0), None)
    tracker.update(sample(70, wh=2000.0), None)
    booting = SessionSample(
        time=T0 + timedelta(seconds=100),
        vehicle_connected=False,
        contactor_closed=False,
        session_energy_wh=0.0,
        uptime_s=5,
        booting=True,
    )
    assert tracker.update(booting, None) is None
    assert tracker.active is not None
    tracker.update(sample(130, wh=500.0, uptime=35), None)
    assert tracker.active is not None
    assert tracker.active.energy_wh == 2500.0


def test_lifetime_totals_follow_every_priced_and_unpriced_step() -> None:
    """Totals add each step as the sessions do: cost by currency, unpriced energy apart."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False), None)
    tracker.update(sample(10, wh=0.0), price(0.3, AUD))
    tracker.update(sample(70, wh=1000.0), price(0.3, AUD))  # 1 kWh at 0.30
    tracker.update(sample(130, wh=1500.0), None)  # 0.5 kWh with no price
    first = tracker.update(sample(190, connected=False), None)
    tracker.update(sample(250, wh=0.0), price(0.2, "USD"))  # another tariff, another currency
    tracker.update(sample(310, wh=2000.0), price(0.2, "USD"))  # 2 kWh at 0.20 USD
    second = tracker.update(sample(370, connected=False), None)
    assert first is not None
    assert second is not None
    totals = tracker.totals
    assert totals.energy_wh == 3500.0
    assert totals.unpriced_energy_wh == 500.0
    assert totals.cost(AUD) == pytest.approx(0.3)
    assert totals.cost("USD") == pytest.approx(0.4)
    assert totals.cost("EUR") == 0.0
    assert totals.cost(None) is None
    # The lifetime totals are the sessions' sums.
    assert totals.energy_wh / 1000 == pytest.approx(first.energy_kwh + second.energy_kwh)
    restored = SessionTracker.from_dict(tracker.as_dict())
    assert restored.totals == totals
    # A store written before totals existed starts them from zero.
    legacy = {key: value for key, value in tracker.as_dict().items() if key != "totals"}
    assert SessionTracker.from_dict(legacy).totals.energy_wh == 0.0


def test_average_and_peak_power() -> None:
    """Average power is over the time the contactor was closed; peak is the highest sample."""
    tracker = SessionTracker()
    tracker.update(sample(0, connected=False), None)

    def powered(seconds: float, wh: float, power_w: float | None, *, charging: bool = True) -> None:
        tracker.update(
            SessionSample(
                time=T0 + timedelta(seconds=seconds),
                vehicle_connected=True,
                contactor_closed=charging,
                session_energy_wh=wh,
                uptime_s=int(1000 + seconds),
                power_w=power_w,
            ),
            None,
        )

    powered(0, 0.0, 0.0, charging=False)  # plugged, waiting
    powered(600, 0.0, 11_000.0)  # contactor closes
    powered(1800, 3600.0, None)  # power unreadable (nan)
    powered(2400, 5400.0, 7_000.0, charging=False)
    powered(3000, 5400.0, 0.0, charging=False)
    finished = tracker.update(sample(3100, connected=False, charging=False), None)
    assert finished is not None
    assert finished.charging_s == 1800  # 600 -> 2400
    assert finished.average_power_kw == pytest.approx(5.4 / 0.5)
    assert finished.peak_power_kw == 11.0
    # Sessions stored before power was tracked still load.
    stored = finished.as_dict()
    del stored["average_power_kw"], stored["peak_power_kw"]
    assert FinishedSession.from_dict(stored).peak_power_kw is None


def test_two_sessions_in_one_hour_settle_and_stale_hours_expire() -> None:
    """Each session held in an hour moves by its own difference; a day-old hour keeps its price."""
    tracker = SessionTracker()
    hour = T0
    # A first session of 2 kWh at 0.10 and a second of 1 kWh at 0.30, both in the 08:00 hour.
    tracker.update(sample(0, wh=0), price(0.10), hour)
    tracker.update(sample(600, wh=2000), price(0.10), hour)
    first = tracker.update(sample(700, connected=False), None)
    tracker.update(sample(800, wh=0), price(0.30), hour)
    tracker.update(sample(1200, wh=1000), price(0.30), hour)
    second = tracker.update(sample(1300, connected=False), None)
    assert first is not None
    assert second is not None
    assert (first.cost, second.cost) == (0.2, 0.3)

    # The hour's average is 0.20: +0.20 for the first, -0.10 for the second.
    moved = tracker.settle(lambda h: 0.20 if h == hour else None, T0 + timedelta(hours=1))
    assert moved == {first.started_at: (0.4, 2000.0), second.started_at: (0.2, 1000.0)}
    assert tracker.last is not None
    assert tracker.last.cost == 0.2
    assert tracker.last.average_price == 0.2
    assert tracker.totals.cost(AUD) == pytest.approx(0.6)
    assert not tracker.unsettled
    assert not tracker.open_costs
    # The history follows by start; a session no longer kept is left alone.
    history = SessionHistory([first])
    assert history.reprice(first.started_at, *moved[first.started_at])
    assert history.between()[0].cost == 0.4
    assert not history.reprice(second.started_at, *moved[second.started_at])

    # An hour whose average never comes (source down for a day) is dropped, priced as held.
    tracker.update(sample(7200, wh=0), price(0.10), hour + timedelta(hours=2))
    tracker.update(sample(7800, wh=1000), price(0.10), hour + timedelta(hours=2))
    restored = SessionTracker.from_dict(tracker.as_dict())
    assert restored.unsettled == tracker.unsettled
    assert restored.settle(lambda h: None, T0 + timedelta(hours=3)) == {}
    assert len(restored.unsettled) == 1
    assert restored.settle(lambda h: None, T0 + timedelta(hours=28)) == {}
    assert not restored.unsettled
    assert restored.totals.cost(AUD) == pytest.approx(0.7)
