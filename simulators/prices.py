"""A deterministic model of one realistic price day, shared by the Amber and ComEd stand-ins.

Every function is pure: the same interval always gives the same number, so tests can compute
what a simulator must serve. Amber values are c/kWh with Amber's sign (feed-in negative when the
customer is paid); ComEd values are c/kWh rounded to 0.1 as ComEd publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from functools import lru_cache
import hashlib
from itertools import pairwise
import math
from zoneinfo import ZoneInfo

NEM_TZ = dt.timezone(dt.timedelta(hours=10))
CHICAGO_TZ = ZoneInfo("America/Chicago")
FIVE_MINUTES = dt.timedelta(minutes=5)

GENERAL = "general"
CONTROLLED_LOAD = "controlledLoad"
FEED_IN = "feedIn"
CHANNEL_ORDER = (GENERAL, CONTROLLED_LOAD, FEED_IN)

# (minute of the NEM day, c/kWh) anchors; values between them are interpolated linearly.
_GENERAL_CURVE = (
    (0, 20.0), (180, 18.5), (300, 19.0), (360, 22.0), (390, 30.0), (420, 38.0), (480, 45.0),
    (540, 38.0), (570, 28.0), (600, 16.0), (630, 6.0), (690, 2.0), (720, 0.2), (730, -1.2),
    (740, -1.2), (750, 0.2), (780, 1.5), (870, 2.5), (900, 8.0), (960, 25.0), (990, 32.0),
    (1020, 50.0),
    (1110, 58.0), (1170, 60.0), (1260, 50.0), (1290, 30.0), (1350, 22.0), (1440, 20.0),
)  # fmt: skip
# Amber sign: negative = the customer is paid; positive through the solar trough.
_FEED_IN_CURVE = (
    (0, -4.0), (360, -4.5), (420, -9.0), (480, -11.0), (540, -8.0), (600, -2.0), (630, 2.2),
    (720, 3.5), (780, 3.8), (900, 2.2), (930, -3.0), (1020, -20.0), (1140, -25.0),
    (1260, -22.0), (1320, -6.0), (1380, -4.0), (1440, -4.0),
)  # fmt: skip
# A household's half-hourly general consumption (kWh) by minute of the NEM day.
_LOAD_CURVE = (
    (0, 0.35), (300, 0.25), (390, 0.6), (480, 0.9), (600, 0.45), (840, 0.4), (1020, 1.1),
    (1140, 1.4), (1260, 1.0), (1380, 0.5), (1440, 0.35),
)  # fmt: skip
# Chicago local minute of the day, c/kWh.
_COMED_CURVE = (
    (0, 2.2), (180, 1.9), (300, 2.0), (420, 3.0), (540, 3.5), (720, 4.5), (840, 6.5),
    (960, 8.5), (1020, 9.0), (1080, 7.0), (1200, 4.0), (1320, 2.8), (1440, 2.2),
)  # fmt: skip

SPIKE_START, SPIKE_END = 18 * 60 + 30, 19 * 60  # NEM local minutes, interval starts
POTENTIAL_START = SPIKE_START - 30
DEMAND_START, DEMAND_END = 15 * 60, 21 * 60
COMED_NEGATIVE_START = 3 * 60 + 15  # Chicago local minute of the one negative 5-min price
COMED_SPIKE_START = 16 * 60 + 30  # Chicago local minute of the one spike
_NETWORK = {"offPeak": 9.5, "shoulder": 12.0, "solarSponge": 4.0, "peak": 20.0}


def _unit(*parts: object) -> float:
    """Return a stable pseudo-random number in [-1, 1) for these parts."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**63 - 1.0


def _interpolate(curve: tuple[tuple[int, float], ...], minute: float) -> float:
    """Return the curve's value at this minute of the day."""
    for (left, low), (right, high) in pairwise(curve):
        if left <= minute <= right:
            return low + (high - low) * (minute - left) / (right - left)
    return curve[-1][1]


def floor_time(moment: dt.datetime, minutes: int) -> dt.datetime:
    """Return the start of the interval of this length containing moment, in UTC."""
    utc = moment.astimezone(dt.UTC)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (utc - midnight) // dt.timedelta(minutes=minutes)
    return midnight + elapsed * dt.timedelta(minutes=minutes)


def nem_minute(start: dt.datetime) -> int:
    """Return the minute of the NEM (UTC+10) day at which an interval starts."""
    local = start.astimezone(NEM_TZ)
    return local.hour * 60 + local.minute


def nem_date(start: dt.datetime) -> dt.date:
    """Return the NEM date of a moment."""
    return start.astimezone(NEM_TZ).date()


def spike_status(start: dt.datetime) -> str:
    """Return the spike flag of the 5-min interval starting at start."""
    minute = nem_minute(start)
    if SPIKE_START <= minute < SPIKE_END:
        return "spike"
    if POTENTIAL_START <= minute < SPIKE_START:
        return "potential"
    return "none"


def tariff_period(start: dt.datetime) -> str:
    """Return the network tariff period of the interval starting at start."""
    minute = nem_minute(start)
    if 10 * 60 <= minute < 14 * 60:
        return "solarSponge"
    if DEMAND_START <= minute < DEMAND_END:
        return "peak"
    if 7 * 60 <= minute < 22 * 60:
        return "shoulder"
    return "offPeak"


def demand_window(start: dt.datetime) -> bool:
    """Return whether the interval starting at start is in the demand window."""
    return DEMAND_START <= nem_minute(start) < DEMAND_END


def general_price(start: dt.datetime) -> float:
    """Return the general-channel perKwh of the 5-min interval starting at start."""
    start = floor_time(start, 5)
    if spike_status(start) == "spike":
        return round(380.0 + 25.0 * _unit("spike", start.isoformat()), 2)
    base = _interpolate(_GENERAL_CURVE, nem_minute(start))
    day = 1.0 + 0.03 * _unit("general-day", nem_date(start).isoformat())
    return round(base * day + 0.3 * _unit("general", start.isoformat()), 2)


def controlled_load_price(start: dt.datetime) -> float:
    """Return the controlled-load perKwh: about 60 % of general."""
    return round(0.6 * general_price(start), 2)


def spot_price(start: dt.datetime) -> float:
    """Return the spot price: general less the network charge of the period."""
    return round(general_price(start) - _NETWORK[tariff_period(start)], 2)


def feed_in_price(start: dt.datetime) -> float:
    """Return the feed-in perKwh in Amber's sign (negative when the customer is paid)."""
    start = floor_time(start, 5)
    if spike_status(start) == "spike":
        return round(-spot_price(start), 2)
    base = _interpolate(_FEED_IN_CURVE, nem_minute(start))
    day = 1.0 + 0.03 * _unit("feed-in-day", nem_date(start).isoformat())
    return round(base * day + 0.1 * _unit("feed-in", start.isoformat()), 2)


def channel_price(channel: str, start: dt.datetime) -> float:
    """Return the 5-min perKwh of a channel."""
    if channel == GENERAL:
        return general_price(start)
    if channel == CONTROLLED_LOAD:
        return controlled_load_price(start)
    if channel == FEED_IN:
        return feed_in_price(start)
    raise ValueError(f"unknown channel {channel!r}")


def renewables(start: dt.datetime) -> float:
    """Return the renewable share (%), following the sun from 15 % at night to 80 % at noon."""
    hours = (nem_minute(floor_time(start, 5)) + 2.5) / 60
    sun = max(0.0, math.sin(math.pi * (hours - 6) / 12))
    value = 15.0 + 65.0 * sun + 1.5 * _unit("renewables", start.isoformat())
    return round(min(80.0, max(15.0, value)), 2)


def descriptor(channel: str, per_kwh: float) -> str:
    """Rate a price in Amber's words; feed-in is rated by what the customer earns."""
    if channel == FEED_IN:
        value, limits = -per_kwh, (1.0, 4.0, 8.0, 15.0, 100.0)
    else:
        value, limits = per_kwh, (5.0, 12.0, 22.0, 35.0, 100.0)
    words = ("extremelyLow", "veryLow", "low", "neutral", "high")
    for word, limit in zip(words, limits, strict=True):
        if value < limit:
            return word
    return "spike"


@dataclass(frozen=True, slots=True)
class AmberPoint:
    """Everything the Amber stand-in serves for one channel and interval."""

    per_kwh: float
    spot_per_kwh: float
    renewables: float
    spike_status: str
    descriptor: str
    period: str
    demand_window: bool
    range: tuple[float, float] | None
    advanced: tuple[float, float, float]


def five_minute_starts(start: dt.datetime, minutes: int) -> list[dt.datetime]:
    """Return the 5-min interval starts inside an interval of this length."""
    first = floor_time(start, minutes)
    return [first + i * FIVE_MINUTES for i in range(minutes // 5)]


# A pure function of its arguments, asked for the same forecast intervals at every poll: a
# month of polls (the long-term statistics tests) would otherwise spend most of its time here.
@lru_cache(maxsize=16384)
def amber_point(channel: str, start: dt.datetime, minutes: int = 5) -> AmberPoint:
    """Return one channel's values for the interval (5 or 30 min) starting at start."""
    parts = five_minute_starts(start, minutes)
    per_kwh = round(sum(channel_price(channel, part) for part in parts) / len(parts), 5)
    spot = round(sum(spot_price(part) for part in parts) / len(parts), 5)
    flags = {spike_status(part) for part in parts}
    status = next(flag for flag in ("spike", "potential", "none") if flag in flags)
    volatile = status != "none" or 17 * 60 <= nem_minute(parts[0]) < 21 * 60
    spot_spread = 0.2 * abs(spot) + 1.0
    spread = (0.25 * abs(per_kwh) + 2.0) if volatile else (0.08 * abs(per_kwh) + 0.5)
    # Amber's feed-in band runs the other way: "high" is the better (more negative) price.
    sign = -1.0 if channel == FEED_IN else 1.0
    return AmberPoint(
        per_kwh=per_kwh,
        spot_per_kwh=spot,
        renewables=round(sum(renewables(part) for part in parts) / len(parts), 2),
        spike_status=status,
        descriptor=descriptor(channel, per_kwh),
        period=tariff_period(parts[0]),
        demand_window=demand_window(parts[0]),
        range=(round(spot - spot_spread, 5), round(spot + spot_spread, 5)) if volatile else None,
        advanced=(
            round(per_kwh - sign * spread, 5),
            per_kwh,
            round(per_kwh + sign * spread, 5),
        ),
    )


def comed_price(end: dt.datetime) -> float:
    """Return ComEd's price for the 5-min interval ending at end (its millisUTC)."""
    start = floor_time(end, 5) - FIVE_MINUTES
    local = start.astimezone(CHICAGO_TZ)
    minute = local.hour * 60 + local.minute
    if minute == COMED_NEGATIVE_START:
        return round(-0.4 - 0.2 * abs(_unit("comed-negative", local.date().isoformat())), 1)
    if minute == COMED_SPIKE_START:
        return round(25.0 + 1.5 * _unit("comed-spike", local.date().isoformat()), 1)
    day = 1.0 + 0.05 * _unit("comed-day", local.date().isoformat())
    return round(
        _interpolate(_COMED_CURVE, minute) * day + 0.3 * _unit("comed", start.isoformat()), 1
    )


def comed_latest_end(now: dt.datetime) -> dt.datetime:
    """Return the end of the newest completed 5-min interval at now."""
    return floor_time(now, 5)


def comed_hour_average(now: dt.datetime) -> tuple[dt.datetime, float]:
    """Return (newest interval end, average of this hour's completed 5-min prices)."""
    latest = comed_latest_end(now)
    hour_start = floor_time(now, 60)
    ends = [hour_start + i * FIVE_MINUTES for i in range(1, 13)]
    done = [end for end in ends if end <= latest]
    # In the first five minutes of an hour nothing has completed yet; ComEd then shows the
    # newest price, which closed the previous hour.
    prices = [comed_price(end) for end in done] or [comed_price(latest)]
    return latest, round(sum(prices) / len(prices), 1)


# Usage (the metered half hours Amber bills) -----------------------------------------------------

USAGE_MINUTES = 30
# Off-peak hours (NEM minutes) when the controlled-load circuit (a hot water heater) runs.
CONTROLLED_LOAD_ON, CONTROLLED_LOAD_OFF = 23 * 60, 5 * 60


def usage_kwh(channel: str, start: dt.datetime) -> float:
    """Return the kWh a channel metered in the half hour starting at start (export positive)."""
    start = floor_time(start, USAGE_MINUTES)
    minute = nem_minute(start)
    noise = _unit("usage", channel, start.isoformat())
    if channel == GENERAL:
        value = _interpolate(_LOAD_CURVE, minute) * (1.0 + 0.15 * noise)
    elif channel == CONTROLLED_LOAD:
        running = minute >= CONTROLLED_LOAD_ON or minute < CONTROLLED_LOAD_OFF
        value = 1.2 * (1.0 + 0.05 * noise) if running else 0.0
    elif channel == FEED_IN:
        hours = (minute + 15) / 60
        sun = max(0.0, math.sin(math.pi * (hours - 6) / 12))
        value = 2.2 * sun * (1.0 + 0.1 * noise)
    else:
        raise ValueError(f"unknown channel {channel!r}")
    return round(max(0.0, value), 3)


def usage_cost(channel: str, start: dt.datetime) -> float:
    """Return what Amber charged for a half hour's usage, in c incl. GST (Amber's sign).

    The half hour's kWh at its 30-minute perKwh: on the feed-in channel the cost is negative
    when the customer is paid.
    """
    per_kwh = amber_point(channel, floor_time(start, USAGE_MINUTES), USAGE_MINUTES).per_kwh
    return round(usage_kwh(channel, start) * per_kwh, 4)
