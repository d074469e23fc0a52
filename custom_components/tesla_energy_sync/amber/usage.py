"""Amber's metered usage and what it billed, imported as long-term statistics.

Each channel of the site becomes two external statistics (hourly sums, source
`tesla_energy_sync`) the Energy Dashboard can use: its energy in kWh, and its cost in AUD, or
for a feed-in channel its credit (positive = paid to you, as the feed-in price sensor). The
first import back-fills the days chosen in the options; later ones continue each statistic's
running sum from its last imported hour, so a re-run adds nothing and nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from ..clients.amber import USAGE_MAX_DAYS, USAGE_MAX_DAYS_PER_REQUEST
from ..clients.amber_models import Channel, ChannelType, Usage, UsageQuality
from ..clients.errors import AuthenticationError, ClientError
from ..const import CONF_USAGE_DAYS, DEFAULT_USAGE_DAYS, DOMAIN, LOGGER
from ..coordinator import interval_start
from ..tariff import AMBER_CURRENCY, from_cents

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from ..clients.amber import AmberClient
    from .coordinator import AmberCoordinator

# Amber publishes a day's meter data once the distributor sends it, usually the next day.
USAGE_INTERVAL = timedelta(days=1)
USAGE_RETRY = timedelta(hours=1)
# An hour goes in once every half hour of it is billable. One still missing or estimated holds
# the statistic back, so an estimate never enters it, unless the hour is older than this: data
# Amber never completes must not stall the statistics for ever (it goes in as it is).
USAGE_SETTLE = timedelta(days=7)
HOUR = timedelta(hours=1)
NEM_TZ_OFFSET = timedelta(hours=10)

_CHANNEL_WORDS = {
    ChannelType.GENERAL: "general",
    ChannelType.CONTROLLED_LOAD: "controlled load",
    ChannelType.FEED_IN: "feed-in",
}


def nem_date(moment: datetime) -> date:
    """Return the NEM (fixed UTC+10) date of a moment: the days Amber's usage is asked by."""
    return (moment.astimezone(dt_util.UTC) + NEM_TZ_OFFSET).date()


def nem_midnight(day: date) -> datetime:
    """Return the UTC moment a NEM day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=dt_util.UTC) - NEM_TZ_OFFSET


def energy_kwh(usage: Usage) -> float:
    """Return the energy a reading counts: imported, or for feed-in exported, as a positive kWh."""
    # Amber's schema calls generation negative, its answers send it positive; either way the
    # Energy Dashboard wants energy returned to the grid as a growing total.
    return abs(usage.kwh) if usage.channel_type is ChannelType.FEED_IN else usage.kwh


def money(usage: Usage) -> float:
    """Return a reading's cost in AUD; for feed-in, its credit (positive = paid to you)."""
    if usage.channel_type is not ChannelType.FEED_IN:
        return from_cents(usage.cost)
    # cost = kWh x perKwh, and perKwh is negative when the customer is paid: with the kWh sent
    # positive the credit is -cost; sent negative (as the schema says), it is cost.
    return from_cents(-usage.cost if usage.kwh >= 0 else usage.cost)


@dataclass(frozen=True, slots=True)
class UsageStatistic:
    """One statistic a channel feeds: its id, what it is called, and how a reading counts."""

    statistic_id: str
    name: str
    unit: str
    unit_class: str | None
    value: Callable[[Usage], float]

    def metadata(self) -> StatisticMetaData:
        """Return the statistic's metadata (an hourly sum, no mean)."""
        return StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=self.name,
            source=DOMAIN,
            statistic_id=self.statistic_id,
            unit_class=self.unit_class,
            unit_of_measurement=self.unit,
        )


def channel_statistics(site_id: str, title: str, channel: Channel) -> tuple[UsageStatistic, ...]:
    """Return the energy and cost (credit, for feed-in) statistics of one channel."""
    prefix = f"{DOMAIN}:amber_{site_id}_{channel.identifier}".lower()
    label = f"{title} {_CHANNEL_WORDS[channel.type]} ({channel.identifier})"
    feed_in = channel.type is ChannelType.FEED_IN
    word = "credit" if feed_in else "cost"
    return (
        UsageStatistic(
            statistic_id=f"{prefix}_energy",
            name=f"{label} energy",
            unit=UnitOfEnergy.KILO_WATT_HOUR,
            unit_class=EnergyConverter.UNIT_CLASS,
            value=energy_kwh,
        ),
        UsageStatistic(
            statistic_id=f"{prefix}_{word}",
            name=f"{label} {word}",
            unit=AMBER_CURRENCY,
            unit_class=None,
            value=money,
        ),
    )


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a statistic's import goes on from: the next hour, and the sum before it."""

    start: datetime
    total: float


@dataclass(slots=True)
class UsageImport:
    """What the last import did (diagnostics)."""

    fetched_at: datetime
    requests: int = 0
    readings: int = 0
    rows_added: dict[str, int] = field(default_factory=dict)
    imported_until: dict[str, str] = field(default_factory=dict)
    # The first hour held back because a half hour of it was missing or still estimated.
    held_back_from: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view for diagnostics."""
        return {
            "fetched_at": self.fetched_at.isoformat(),
            "requests": self.requests,
            "readings": self.readings,
            "rows_added": self.rows_added,
            "imported_until": self.imported_until,
            "held_back_from": self.held_back_from,
        }


def hourly_rows(
    readings: Iterable[Usage],
    value: Callable[[Usage], float],
    cursor: Cursor,
    now: datetime,
) -> tuple[list[StatisticData], datetime | None]:
    """Return the hours from the cursor on that can be imported, and where it stopped early.

    Hours follow each other without a gap: the first one that is incomplete or estimated
    ends the run (None when it ran up to the last hour that has ended), unless it is older
    than USAGE_SETTLE.
    """
    by_hour: dict[datetime, list[Usage]] = {}
    for reading in readings:
        by_hour.setdefault(interval_start(reading.start, HOUR), []).append(reading)
    rows: list[StatisticData] = []
    total, hour = cursor.total, cursor.start
    while hour + HOUR <= now:
        found = by_hour.get(hour, [])
        complete = sum(reading.duration for reading in found) >= 60
        billable = all(reading.quality is UsageQuality.BILLABLE for reading in found)
        if not (complete and billable) and hour + HOUR > now - USAGE_SETTLE:
            return rows, hour
        amount = sum(value(reading) for reading in found)
        total += amount
        rows.append(StatisticData(start=hour, state=amount, sum=total))
        hour += HOUR
    return rows, None


class AmberUsageImporter(DataUpdateCoordinator[UsageImport]):
    """Imports the site's usage once a day (no entities: the statistics are the result)."""

    config_entry: ConfigEntry[Any]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: AmberClient,
        prices: AmberCoordinator,
    ) -> None:
        """Keep the client the prices use too: both spend the one request budget."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Amber Electric {prices.site_id} usage",
            update_interval=USAGE_RETRY,
        )
        self.client = client
        self.prices = prices
        self.backfill_days: int = int(entry.options.get(CONF_USAGE_DAYS, DEFAULT_USAGE_DAYS))

        @callback
        def _keep_polling() -> None:
            """Stand in for entities: a coordinator without listeners is never refreshed."""

        self.async_add_listener(_keep_polling)

    def statistics(self) -> dict[str, tuple[UsageStatistic, ...]]:
        """Return each channel's statistics, by channel identifier."""
        site = self.prices.site
        return {
            channel.identifier: channel_statistics(site.id, self.config_entry.title, channel)
            for channel in site.channels
        }

    async def _async_update_data(self) -> UsageImport:
        """Fetch the days not imported yet and add every hour that is complete and billable."""
        # A failure is retried within the hour; a success waits a day.
        self.update_interval = USAGE_RETRY
        now = dt_util.utcnow()
        result = UsageImport(fetched_at=now)
        statistics = self.statistics()
        cursors = {
            stat.statistic_id: await self._cursor(stat.statistic_id, now)
            for stats in statistics.values()
            for stat in stats
        }
        first = min(cursor.start for cursor in cursors.values())
        if first + HOUR <= now:
            readings = await self._fetch(nem_date(first), nem_date(now), result)
            for identifier, stats in statistics.items():
                own = [reading for reading in readings if reading.channel_identifier == identifier]
                for stat in stats:
                    self._import(stat, own, cursors[stat.statistic_id], now, result)
        self.update_interval = USAGE_INTERVAL
        return result

    async def _cursor(self, statistic_id: str, now: datetime) -> Cursor:
        """Return where a statistic goes on: after its last hour, else the back-fill's start."""
        last = await get_instance(self.hass).async_add_executor_job(
            get_last_statistics, self.hass, 1, statistic_id, True, {"sum"}
        )
        if rows := last.get(statistic_id):
            row = rows[0]
            return Cursor(dt_util.utc_from_timestamp(row["start"]) + HOUR, row.get("sum") or 0.0)
        first_day = nem_date(now) - timedelta(days=self.backfill_days)
        active_from = self.prices.site.active_from
        if active_from is not None and active_from > first_day:
            first_day = active_from
        return Cursor(nem_midnight(first_day), 0.0)

    async def _fetch(self, first: date, last: date, result: UsageImport) -> list[Usage]:
        """Return every reading of the NEM days first..last, asked for a few days at a time."""
        # Amber keeps 90 days; older hours would come back empty anyway.
        first = max(first, last - timedelta(days=USAGE_MAX_DAYS - 1))
        readings: dict[tuple[str, datetime], Usage] = {}
        while first <= last:
            end = min(last, first + timedelta(days=USAGE_MAX_DAYS_PER_REQUEST - 1))
            try:
                answer = await self.client.get_usage(
                    self.prices.site_id, start_date=first, end_date=end
                )
            except AuthenticationError as err:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN,
                    translation_key="auth_failed",
                    translation_placeholders={"source": self.name},
                ) from err
            except ClientError as err:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="update_failed",
                    translation_placeholders={"source": self.name, "error": str(err)},
                ) from err
            result.requests += 1
            for reading in answer:
                # A half hour sent twice counts once.
                readings.setdefault((reading.channel_identifier, reading.start), reading)
            first = end + timedelta(days=1)
        result.readings = len(readings)
        return list(readings.values())

    def _import(
        self,
        stat: UsageStatistic,
        readings: list[Usage],
        cursor: Cursor,
        now: datetime,
        result: UsageImport,
    ) -> None:
        """Add a statistic's new hours, going on from its cursor's running sum."""
        rows, held_back = hourly_rows(readings, stat.value, cursor, now)
        result.rows_added[stat.statistic_id] = len(rows)
        if rows:
            async_add_external_statistics(self.hass, stat.metadata(), rows)
            result.imported_until[stat.statistic_id] = rows[-1]["start"].isoformat()
        if held_back is not None:
            result.held_back_from[stat.statistic_id] = held_back.isoformat()

    def diagnostics(self) -> dict[str, Any]:
        """Return JSON-safe state for diagnostics."""
        return {
            "last_update_success": self.last_update_success,
            "last_exception": repr(self.last_exception) if self.last_exception else None,
            "backfill_days": self.backfill_days,
            "data": self.data.as_dict() if self.data is not None else None,
        }
