"""Pure functions turning raw Kafka records of the Fleet Telemetry topics into typed records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
import datetime as dt
from typing import Any

from .models import (
    Alert,
    Alerts,
    Connectivity,
    ConnectivityStatus,
    Decoded,
    DecodeError,
    Errors,
    RecordType,
    TelemetryValue,
    VehicleData,
    VehicleError,
)
from .schema import (
    AUDIENCES,
    FIELD_NAMES,
    JsonParseError,
    Payload,
    ProtobufDecodeError,
    VehicleAlerts,
    VehicleConnectivity,
    VehicleErrors,
    parse_json,
)
from .values import Verdict, decode_value, sanitize, snake

type Headers = Sequence[tuple[str, bytes | None]]
"""Kafka record headers as aiokafka gives them."""

_MESSAGES: dict[RecordType, Any] = {
    RecordType.VEHICLE_DATA: Payload,
    RecordType.CONNECTIVITY: VehicleConnectivity,
    RecordType.ALERTS: VehicleAlerts,
    RecordType.ERRORS: VehicleErrors,
}


def record_type(topic: str) -> RecordType:
    """Return the record type a topic carries, from its suffix after the last underscore."""
    _, separator, suffix = topic.rpartition("_")
    try:
        if separator:
            return RecordType(suffix)
    except ValueError:
        pass
    raise DecodeError(f"{topic}: not a Fleet Telemetry topic (no _V/_connectivity/_alerts/_errors)")


def _timestamp(stamp: Any, present: bool) -> dt.datetime | None:
    """Return a protobuf Timestamp as an aware UTC datetime; unset or out of range is None."""
    if not present:
        return None
    try:
        return dt.datetime.fromtimestamp(stamp.seconds, dt.UTC) + dt.timedelta(
            microseconds=stamp.nanos // 1000
        )
    except OverflowError, OSError, ValueError:
        return None


def _header(headers: Headers, name: str) -> str | None:
    """Return a header's value as text, or None when absent or not UTF-8."""
    for key, raw in headers:
        if key == name and raw is not None:
            try:
                return raw.decode()
            except UnicodeDecodeError:
                return None
    return None


def _received_at(headers: Headers) -> dt.datetime | None:
    """Return the server's receive time from the `receivedat` header (epoch milliseconds)."""
    text = _header(headers, "receivedat")
    try:
        return dt.datetime.fromtimestamp(int(text or "") / 1000, dt.UTC)
    except ValueError, OverflowError, OSError:
        return None


def _vin(topic: str, key: bytes | None, headers: Headers, payload_vin: str) -> str:
    """Return the VIN: the record key (from the car's certificate), else the header or payload."""
    if key:
        try:
            return key.decode()
        except UnicodeDecodeError:
            raise DecodeError(f"{topic}: record key is not a UTF-8 VIN") from None
    vin = _header(headers, "vin") or payload_vin
    if not vin:
        raise DecodeError(f"{topic}: record has no VIN (no key, header or payload vin)")
    return vin


def _parse(topic: str, kind: RecordType, value: bytes | None) -> Any:
    """Parse the value as protojson when it starts with a brace (after blanks), else protobuf."""
    if value is None:
        raise DecodeError(f"{topic}: record has no value")
    message_class = _MESSAGES[kind]
    try:
        if value.lstrip()[:1] == b"{":
            try:
                return parse_json(value, message_class)
            except JsonParseError, UnicodeDecodeError, ValueError:
                # Blanks are protobuf bytes too: b"\n{" opens field 1 with 123 bytes. Only a
                # value that starts with the brace itself is surely JSON.
                if value[:1] == b"{":
                    raise
        parsed = message_class.FromString(value)
    except (ProtobufDecodeError, JsonParseError, UnicodeDecodeError, ValueError) as err:
        raise DecodeError(f"{topic}: cannot decode {message_class.__name__}: {err}") from None
    # Random bytes can parse as nothing but unknown fields; a real record has a known one.
    if value and not parsed.ListFields():
        raise DecodeError(f"{topic}: {message_class.__name__} has no field we know")
    return parsed


def _vehicle_data(
    topic: str, message: Any, key: bytes | None, headers: Headers, sent_at: dt.datetime | None
) -> VehicleData:
    """Build VehicleData, counting datums whose field or value type we do not know."""
    fields: dict[str, TelemetryValue] = {}
    unknown = rejected = 0
    for datum in message.data:
        number = int(datum.key)
        name = FIELD_NAMES[number] if 0 <= number < len(FIELD_NAMES) else None
        value, understood = decode_value(name, datum.value)
        if name is None or not understood:
            unknown += 1
            continue
        value, verdict = sanitize(name, value, datum.value.WhichOneof("value"))
        if verdict is not Verdict.KEPT:
            rejected += 1
        if verdict is not Verdict.DROPPED:
            fields[name] = value
    return VehicleData(
        vin=_vin(topic, key, headers, message.vin),
        created_at=_timestamp(message.created_at, message.HasField("created_at")),
        fields=fields,
        unknown_fields=unknown,
        rejected_values=rejected,
        is_resend=message.is_resend,
        received_at=_received_at(headers),
        timestamp=sent_at,
    )


def _connectivity(
    topic: str, message: Any, key: bytes | None, headers: Headers, sent_at: dt.datetime | None
) -> Connectivity:
    """Build Connectivity; an unknown status number is UNKNOWN."""
    try:
        status = ConnectivityStatus(("unknown", "connected", "disconnected")[message.status])
    except IndexError:
        status = ConnectivityStatus.UNKNOWN
    return Connectivity(
        vin=_vin(topic, key, headers, message.vin),
        connection_id=message.connection_id,
        status=status,
        created_at=_timestamp(message.created_at, message.HasField("created_at")),
        network_interface=message.network_interface,
        received_at=_received_at(headers),
        timestamp=sent_at,
    )


def _audience(number: int) -> str:
    """Return an Audience number as a lower_snake label."""
    return snake(AUDIENCES[number]) if 0 <= number < len(AUDIENCES) else "unknown"


def _alerts(
    topic: str, message: Any, key: bytes | None, headers: Headers, sent_at: dt.datetime | None
) -> Alerts:
    """Build Alerts."""
    vin = _vin(topic, key, headers, message.vin)
    return Alerts(
        vin=vin,
        created_at=_timestamp(message.created_at, message.HasField("created_at")),
        alerts=tuple(
            Alert(
                vin=vin,
                name=alert.name,
                audiences=tuple(_audience(int(number)) for number in alert.audiences),
                started_at=_timestamp(alert.started_at, alert.HasField("started_at")),
                ended_at=_timestamp(alert.ended_at, alert.HasField("ended_at")),
            )
            for alert in message.alerts
        ),
        received_at=_received_at(headers),
        timestamp=sent_at,
    )


def _errors(
    topic: str, message: Any, key: bytes | None, headers: Headers, sent_at: dt.datetime | None
) -> Errors:
    """Build Errors."""
    vin = _vin(topic, key, headers, message.vin)
    return Errors(
        vin=vin,
        created_at=_timestamp(message.created_at, message.HasField("created_at")),
        errors=tuple(
            VehicleError(
                vin=vin,
                name=error.name,
                tags=dict(error.tags),
                body=error.body,
                created_at=_timestamp(error.created_at, error.HasField("created_at")),
            )
            for error in message.errors
        ),
        received_at=_received_at(headers),
        timestamp=sent_at,
    )


type _Builder = Callable[[str, Any, bytes | None, Headers, dt.datetime | None], Decoded]

_BUILDERS: dict[RecordType, _Builder] = {
    RecordType.VEHICLE_DATA: _vehicle_data,
    RecordType.CONNECTIVITY: _connectivity,
    RecordType.ALERTS: _alerts,
    RecordType.ERRORS: _errors,
}


def _kafka_time(timestamp_ms: int | None) -> dt.datetime | None:
    """Return a Kafka record timestamp (epoch milliseconds, -1 for none) as a UTC datetime."""
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    try:
        return dt.datetime.fromtimestamp(timestamp_ms / 1000, dt.UTC)
    except OverflowError, OSError, ValueError:
        return None


def decode_record(
    topic: str,
    value: bytes | None,
    key: bytes | None = None,
    headers: Headers = (),
    *,
    timestamp_ms: int | None = None,
) -> Decoded:
    """Decode one Kafka record of a Fleet Telemetry topic; raise DecodeError when malformed."""
    kind = record_type(topic)
    return _BUILDERS[kind](
        topic, _parse(topic, kind, value), key, headers, _kafka_time(timestamp_ms)
    )
