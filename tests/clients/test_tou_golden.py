"""Golden test: the Amber simulator's prices at 16:37 AEDT on 24 Nov 2026, planned into a tariff.

The table is the fold example of docs/tou-sync.md#fold: at 16:37 PERIOD_16_30 is now, PERIOD_17_00
to PERIOD_23_30 are today's and PERIOD_00_00 to PERIOD_16_00 are tomorrow's. Run with
UPDATE_GOLDEN=1 to rewrite the golden file after an intended change, then review its diff:
`in_env env UPDATE_GOLDEN=1 python -m pytest tests/clients/test_tou_golden.py` (the sysroot
only passes TES_* variables through, so `TES_UPDATE_GOLDEN=1 scripts/test ...` works too).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.tesla_energy_sync.clients.amber import AmberClient
from custom_components.tesla_energy_sync.clients.amber_models import Interval
from custom_components.tesla_energy_sync.tou.models import PlannedTariff, PlanOptions, SlotSource
from custom_components.tesla_energy_sync.tou.planner import build_tariff
from custom_components.tesla_energy_sync.tou.tariff import PERIOD_NAMES, round_price
from custom_components.tesla_energy_sync.tou.validate import validate_tariff
from simulators import prices
from simulators.amber import SITE_ID, AmberSimulator

if TYPE_CHECKING:
    import aiohttp

    from .conftest import SimClock

SYDNEY = ZoneInfo("Australia/Sydney")
NEM = prices.NEM_TZ
# A Tuesday in daylight saving time: 16:37:20 AEDT is 15:37:20 in the NEM's fixed UTC+10.
NOW = dt.datetime(2026, 11, 24, 16, 37, 20, tzinfo=SYDNEY)
GOLDEN = Path(__file__).parent / "golden" / "tou_2026-11-24T16-37+11.json"


def golden_document(planned: PlannedTariff) -> dict[str, Any]:
    """Return what the golden file holds: the rows in fold order and the fingerprint."""
    return {
        "now": NOW.isoformat(),
        "site_tz": str(SYDNEY),
        "current_period": planned.current_period,
        "fingerprint": planned.fingerprint,
        "rows": [
            {"period": slot.period, "buy": slot.buy, "sell": slot.sell} for slot in planned.slots
        ],
    }


def update_golden(document: dict[str, Any]) -> None:
    """Rewrite the golden file when UPDATE_GOLDEN=1 is set; otherwise do nothing."""
    if "1" not in {os.environ.get("UPDATE_GOLDEN"), os.environ.get("TES_UPDATE_GOLDEN")}:
        return
    head = json.dumps({key: value for key, value in document.items() if key != "rows"}, indent=1)
    rows = ",\n".join(f"  {json.dumps(row)}" for row in document["rows"])
    GOLDEN.parent.mkdir(exist_ok=True)
    # One row per line, so a change to the plan reads as a diff of the half hours it touched.
    text = head.removesuffix("\n}") + ',\n "rows": [\n' + rows + "\n ]\n}\n"
    GOLDEN.write_text(text, encoding="utf-8")


async def fetch(session: aiohttp.ClientSession, base_url: str) -> list[Interval]:
    """Fetch prices the way the Amber coordinator does for a 5-minute site."""
    client = AmberClient(session, "psk_sim", base_url=base_url)
    live = await client.get_current_prices(SITE_ID, previous=1, next=1, resolution=5)
    horizon = await client.get_current_prices(SITE_ID, next=48, resolution=30)
    return [*live, *horizon]


@pytest.fixture
async def intervals(
    session: aiohttp.ClientSession, amber_sim: AmberSimulator, sim_clock: SimClock
) -> list[Interval]:
    """Return the simulator's intervals at the frozen now, fetched over loopback."""
    sim_clock.now = NOW
    return await fetch(session, amber_sim.base_url)


@pytest.fixture
def planned(intervals: list[Interval]) -> PlannedTariff:
    """Return the tariff planned with default options, as the sync coordinator plans it."""
    return build_tariff(intervals, intervals, now=NOW, site_tz=SYDNEY)


def nem(hour: int, minute: int, *, day: int = 24) -> dt.datetime:
    """Return a NEM interval start in November 2026."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=NEM)


def planning_price(channel: str, start: dt.datetime, minutes: int = 30) -> float:
    """Return the model's predicted price of one interval in Tesla's sign and $/kWh."""
    cents = prices.amber_point(channel, start, minutes).advanced[1]
    return round_price((-cents if channel == prices.FEED_IN else cents) / 100)


def test_golden_file_matches(planned: PlannedTariff) -> None:
    document = golden_document(planned)
    update_golden(document)
    assert json.loads(GOLDEN.read_text(encoding="utf-8")) == document
    validate_tariff(planned.tariff)
    assert planned.filled == 0


def test_fold_at_16_37(planned: PlannedTariff) -> None:
    periods = [slot.period for slot in planned.slots]
    assert planned.current_period == periods[0] == "PERIOD_16_30"
    today, tomorrow = dt.date(2026, 11, 24), dt.date(2026, 11, 25)
    by_period = {slot.period: slot for slot in planned.slots}
    assert periods[1:15] == list(PERIOD_NAMES[34:])  # PERIOD_17_00 .. PERIOD_23_30
    assert all(by_period[name].start.date() == today for name in PERIOD_NAMES[33:])
    assert periods[15:] == list(PERIOD_NAMES[:33])  # PERIOD_00_00 .. PERIOD_16_00
    assert all(by_period[name].start.date() == tomorrow for name in PERIOD_NAMES[:33])
    assert by_period["PERIOD_16_00"].start == dt.datetime(2026, 11, 25, 16, 0, tzinfo=SYDNEY)
    # AEDT is NEM + 1 h: PERIOD_17_00 today is NEM 16:00, PERIOD_00_00 tomorrow is NEM 23:00.
    assert by_period["PERIOD_17_00"].buy == planning_price(prices.GENERAL, nem(16, 0))
    assert by_period["PERIOD_23_30"].buy == planning_price(prices.GENERAL, nem(22, 30))
    assert by_period["PERIOD_00_00"].buy == planning_price(prices.GENERAL, nem(23, 0))
    assert by_period["PERIOD_16_00"].buy == planning_price(prices.GENERAL, nem(15, 0, day=25))
    assert by_period["PERIOD_16_00"].sell == planning_price(prices.FEED_IN, nem(15, 0, day=25))


def test_current_slot_is_the_live_5_minute_price(planned: PlannedTariff) -> None:
    current = planned.slots[0]
    assert current.buy_source is current.sell_source is SlotSource.LIVE
    # 15:37 NEM is inside the 15:35-15:40 interval; its price, not the half hour's average.
    assert current.buy == planning_price(prices.GENERAL, nem(15, 35), 5)
    assert current.sell == planning_price(prices.FEED_IN, nem(15, 35), 5)
    assert current.buy != planning_price(prices.GENERAL, nem(15, 30))
    assert {slot.buy_source for slot in planned.slots[1:]} == {SlotSource.FORECAST}


def test_evening_spike(planned: PlannedTariff, intervals: list[Interval]) -> None:
    by_period = {slot.period: slot for slot in planned.slots}
    # The simulator spikes 18:30-19:00 NEM, which is PERIOD_19_30 in AEDT.
    assert prices.amber_point(prices.GENERAL, nem(18, 30), 30).spike_status == "spike"
    spike = by_period["PERIOD_19_30"]
    assert spike.buy >= 3.55  # 380 c/kWh less at most 25
    assert spike.buy == max(planned.buy_rates().values())
    # In a spike the feed-in pays the spot price: the best sell of the day.
    assert spike.sell == max(planned.sell_rates().values())
    assert not any(slot.spike for slot in planned.slots)  # flagged only with protection on
    guarded = build_tariff(
        intervals, intervals, now=NOW, site_tz=SYDNEY, options=PlanOptions(spike_protection=True)
    )
    flagged = {slot.period: slot for slot in guarded.slots if slot.spike}
    # The potential spike (18:00 NEM) and the spike itself; only today's, not tomorrow's.
    assert sorted(flagged) == ["PERIOD_19_00", "PERIOD_19_30"]
    assert all(slot.start.date() == NOW.date() for slot in flagged.values())
    # Both are lifted to a dollar above the best sell, which is the spike's own feed-in, so
    # the spike's buy goes up too; spike protection never lowers a price.
    ceiling = round_price(spike.sell + 1.0)
    assert flagged["PERIOD_19_00"].buy == ceiling > by_period["PERIOD_19_00"].buy
    assert flagged["PERIOD_19_30"].buy == ceiling > spike.buy
    assert guarded.sell_rates() == planned.sell_rates()


def test_midday_sell_is_zero_when_amber_charges_to_export(planned: PlannedTariff) -> None:
    sells = planned.sell_rates()
    # Tomorrow 11:30-16:00 AEDT (10:30-15:00 NEM) Amber's feed-in is positive: the customer pays.
    for index in range(PERIOD_NAMES.index("PERIOD_11_30"), PERIOD_NAMES.index("PERIOD_16_00")):
        start = nem(index // 2 - 1, 30 * (index % 2), day=25)
        assert prices.amber_point(prices.FEED_IN, start, 30).advanced[1] > 0
        assert sells[PERIOD_NAMES[index]] == 0.0
    # The general price dips below zero around 12:10 NEM: the 13:00 AEDT half hour averages
    # negative and is clamped to 0, as Time-Based Control would do anyway.
    assert prices.amber_point(prices.GENERAL, nem(12, 0, day=25), 30).advanced[1] < 0
    assert planned.buy_rates()["PERIOD_13_00"] == 0.0
    # Either side of the trough exports pay again.
    assert sells["PERIOD_09_30"] > 0.0
    assert sells["PERIOD_17_00"] > 0.0
