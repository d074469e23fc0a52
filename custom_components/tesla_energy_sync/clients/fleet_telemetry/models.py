"""Typed records decoded from the Fleet Telemetry Kafka topics; no protobuf or Kafka types here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from enum import StrEnum
import re

from ..errors import ResponseError

type Location = tuple[float, float]
"""Latitude and longitude in degrees."""

type TelemetryValue = float | int | bool | str | Location | dt.time | Mapping[str, bool] | None
"""One decoded field value; None means the vehicle reported no valid value."""


# 17 characters, no I, O or Q (ISO 3779); the check digit exists on North American VINs only.
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def valid_vin(vin: str) -> bool:
    """Return whether text is a well-formed VIN; the forms and the consumer share this rule."""
    return _VIN.fullmatch(vin) is not None


class DecodeError(ResponseError):
    """A Kafka record that is not a Fleet Telemetry message; the consumer counts and skips it."""


class RecordType(StrEnum):
    """The record types the server writes, each to `<prefix>_<value>`."""

    VEHICLE_DATA = "V"
    CONNECTIVITY = "connectivity"
    ALERTS = "alerts"
    ERRORS = "errors"

    def topic(self, prefix: str) -> str:
        """Return this record type's topic for a namespace (the server has no default one)."""
        return f"{prefix}_{self.value}"


class ConnectivityStatus(StrEnum):
    """A socket event the server reports for a vehicle."""

    UNKNOWN = "unknown"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class VehicleData:
    """One `<prefix>_V` record: the fields that changed, by upstream field name (e.g. `Soc`)."""

    vin: str
    created_at: dt.datetime | None
    fields: Mapping[str, TelemetryValue]
    unknown_fields: int = 0
    rejected_values: int = 0
    """Values outside what their field can hold: None, cut short or left out (values.sanitize)."""
    is_resend: bool = False
    received_at: dt.datetime | None = None
    timestamp: dt.datetime | None = None
    """The Kafka record's timestamp: when the server produced it, by the server's clock."""


@dataclass(frozen=True, slots=True)
class Connectivity:
    """One `<prefix>_connectivity` record: a vehicle's socket opened or closed."""

    vin: str
    connection_id: str
    status: ConnectivityStatus
    created_at: dt.datetime | None
    network_interface: str
    received_at: dt.datetime | None = None
    timestamp: dt.datetime | None = None
    """The Kafka record's timestamp: when the server produced it, by the server's clock."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One vehicle alert; it is active while `ended_at` is None."""

    vin: str
    name: str
    audiences: tuple[str, ...]
    started_at: dt.datetime | None
    ended_at: dt.datetime | None

    @property
    def active(self) -> bool:
        """Return whether the alert has not ended."""
        return self.ended_at is None


@dataclass(frozen=True, slots=True)
class Alerts:
    """One `<prefix>_alerts` record."""

    vin: str
    created_at: dt.datetime | None
    alerts: tuple[Alert, ...]
    received_at: dt.datetime | None = None
    timestamp: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class VehicleError:
    """One error the vehicle reported about its telemetry."""

    vin: str
    name: str
    tags: Mapping[str, str]
    body: str
    created_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Errors:
    """One `<prefix>_errors` record."""

    vin: str
    created_at: dt.datetime | None
    errors: tuple[VehicleError, ...]
    received_at: dt.datetime | None = None
    timestamp: dt.datetime | None = None


type Decoded = VehicleData | Connectivity | Alerts | Errors
"""Any decoded record; every kind carries `vin`."""
