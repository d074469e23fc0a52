"""Constants for Tesla Energy Sync."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "tesla_energy_sync"
LOGGER = logging.getLogger(__package__)

CONF_KIND: Final = "kind"
CONF_SITE_ID: Final = "site_id"
CONF_BASE_URL: Final = "base_url"
CONF_ADVANCED: Final = "advanced"

AUD_PER_KWH: Final = "AUD/kWh"
USD_PER_KWH: Final = "USD/kWh"


class EntryKind(StrEnum):
    """What one config entry connects to."""

    AMBER = "amber"
    COMED = "comed"
    WALL_CONNECTOR = "wall_connector"
    TOU_SYNC = "tou_sync"
    FLEET_TELEMETRY = "fleet_telemetry"
    POWERWALL = "powerwall"
    POWERWALL_COMBINED = "powerwall_combined"
    TESLA_ACCOUNT = "tesla_account"
    ENERGY_SITE = "energy_site"


COMED_UNIQUE_ID: Final = "comed_hourly_pricing"
# Options of the tariff entries (amber/options.py, comed/options.py).
CONF_PRICE_ADDER: Final = "price_adder"
MAX_PRICE_ADDER: Final = 1.0
CONF_USAGE_DAYS: Final = "usage_backfill_days"
DEFAULT_USAGE_DAYS: Final = 30
MAX_USAGE_DAYS: Final = 90
CONF_CHEAP_HOURS: Final = "cheap_window_hours"
DEFAULT_CHEAP_HOURS: Final = 4.0
CONF_CHEAP_DEADLINE: Final = "cheap_window_deadline"
DEFAULT_CHEAP_DEADLINE: Final = "07:00:00"
CURRENCY_BY_KIND: Final = {EntryKind.AMBER: "AUD", EntryKind.COMED: "USD"}

# Prices change on 5-minute boundaries; polling a few seconds later picks up the new interval.
PRICE_PERIOD: Final = timedelta(minutes=5)
AMBER_POLL_OFFSET: Final = timedelta(seconds=3)
# Amber locks in a 5-minute price within the first minute or so; re-poll evenly through that
# minute until it stops being an estimate, then wait for the next boundary. (bench/price_freshness:
# 10/20/30 s showed the final price at +63 s, 15/15/15 s at +48 s, for the same requests.)
AMBER_ESTIMATE_BACKOFF: Final = (
    timedelta(seconds=15),
    timedelta(seconds=15),
    timedelta(seconds=15),
)
# Below this many requests left in Amber's window, only boundary polls are made.
AMBER_MIN_REMAINING_FOR_REPOLL: Final = 10
AMBER_FORECAST_INTERVALS: Final = 96  # 48 h at 30 minutes
AMBER_FORECAST_HORIZON: Final = timedelta(hours=48)
# ComEd publishes each 5-minute price a little after the interval ends.
COMED_POLL_OFFSET: Final = timedelta(seconds=20)
COMED_STALE_RETRY: Final = timedelta(seconds=30)
COMED_STALE_RETRIES: Final = 4

RETRY_INTERVAL: Final = timedelta(seconds=30)

# Wall Connector. The unit can take seconds to answer (docs/wall-connector.md#transport), so each endpoint has its own
# coordinator: a slow lifetime read never delays vitals.
CONF_SERIAL: Final = "serial_number"
CONF_VITALS_CONNECTED_S: Final = "vitals_connected_interval"
CONF_VITALS_IDLE_S: Final = "vitals_idle_interval"
CONF_TARIFF_ENTRY: Final = "tariff_entry_id"
DEFAULT_VITALS_CONNECTED_S: Final = 5
DEFAULT_VITALS_IDLE_S: Final = 30
WALL_CONNECTOR_LIFETIME_INTERVAL: Final = timedelta(seconds=60)
WALL_CONNECTOR_INFO_INTERVAL: Final = timedelta(minutes=5)
WALL_CONNECTOR_TIMEOUT: Final = 10.0
EVENT_SESSION_ENDED: Final = f"{DOMAIN}_charging_session_ended"
EVENT_CHARGER_ALERT: Final = f"{DOMAIN}_charger_alert"
SERVICE_GET_CHARGING_SESSIONS: Final = "get_charging_sessions"
SERVICE_GET_CHARGING_SUMMARY: Final = "get_charging_summary"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
SESSION_STORE_VERSION: Final = 1
EVSE_STATES: Final = (
    "booting",
    "not_connected",
    "connected",
    "ready",
    "negotiating",
    "error",
    "charging_finished",
    "waiting_car",
    "charging_reduced",
    "charging",
)

PRICE_DESCRIPTORS: Final = (
    "negative",
    "extremely_low",
    "very_low",
    "low",
    "neutral",
    "high",
    "spike",
)

# TOU sync plans once per price interval, as soon as its price is final. Amber polls 3 s after
# each boundary and re-polls an estimate at +18/+33/+48 s, then not before the next boundary,
# so a price still an estimate at +60 s stays one: the sync then goes ahead with it.
CONF_ENERGY_SITE_ID: Final = "energy_site_id"
# The Tesla account entry a TOU sync or Powerwall takes its cloud session from.
CONF_ACCOUNT_ENTRY: Final = "account_entry_id"
CONF_AUTOMATIC: Final = "automatic"
TOU_FINAL_DEADLINE: Final = timedelta(seconds=60)
# A final price comes with other updates close by; the sync reads the series once they settle.
TOU_SYNC_DEBOUNCE: Final = timedelta(seconds=1)
TOU_SITE_INFO_INTERVAL: Final = timedelta(minutes=30)
SERVICE_SYNC_TOU: Final = "sync_tou"
ATTR_DRY_RUN: Final = "dry_run"
TOU_RESULTS: Final = (
    "uploaded",
    "unchanged",
    "already_synced",
    "missing_prices",
    "stale_prices",
    "no_prices",
    "invalid_tariff",
    "upload_failed",
    "unverified",
    "read_back_mismatch",
    "rate_limited",
    "tariff_replaced",
)

# Fleet Telemetry over Kafka.
CONF_BOOTSTRAP_SERVERS: Final = "bootstrap_servers"
CONF_TOPIC_PREFIX: Final = "topic_prefix"
CONF_GROUP_ID: Final = "group_id"
CONF_OFFSET_RESET: Final = "auto_offset_reset"
CONF_VINS: Final = "vins"
CONF_SECURITY_PROTOCOL: Final = "security_protocol"
CONF_SASL_MECHANISM: Final = "sasl_mechanism"
DEFAULT_GROUP_ID: Final = "home-assistant-tesla-energy-sync"
DEFAULT_TOPIC_PREFIX: Final = "tesla"
EVENT_VEHICLE_ALERT: Final = f"{DOMAIN}_vehicle_alert"
EVENT_TELEMETRY_ERROR: Final = f"{DOMAIN}_telemetry_error"

# Powerwall gateways through pypowerwall. HA core polls every 30 s because 5 s overloaded
# gateways; 15 s is the default here, 5 s the floor.
CONF_POWERWALL_MODE: Final = "powerwall_mode"
CONF_EMAIL: Final = "email"
CONF_POLL_INTERVAL: Final = "poll_interval"
CONF_CONTROL: Final = "control"
DEFAULT_POWERWALL_POLL_S: Final = 15
MIN_POWERWALL_POLL_S: Final = 5
MAX_POWERWALL_POLL_S: Final = 300
POWERWALL_DEFAULT_EMAIL: Final = "nobody@nowhere.com"
# Control through the Tesla cloud: the gateway refuses writes to the customer login
# (docs/powerwall.md#writes), so reserve, mode and grid settings go to the energy site that holds the gateway.
CONF_CLOUD: Final = "cloud"
CLOUD_SETTINGS_INTERVAL: Final = timedelta(minutes=5)
SERVICE_SET_BACKUP_RESERVE: Final = "set_backup_reserve"
SERVICE_SET_OPERATING_MODE: Final = "set_operating_mode"
SERVICE_SET_GRID_CHARGING: Final = "set_grid_charging"
SERVICE_SET_GRID_EXPORT: Final = "set_grid_export"
ATTR_PERCENT: Final = "percent"
ATTR_MODE: Final = "mode"
ATTR_ENABLED: Final = "enabled"
ATTR_RULE: Final = "rule"
