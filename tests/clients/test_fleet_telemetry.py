"""Fleet Telemetry schema and decoding, checked against the upstream protos, not the code.

The FACTS_* tables restate upstream's numbers (docs/fleet-telemetry.md#schema).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]
import pytest

from custom_components.tesla_energy_sync.clients.errors import ResponseError
from custom_components.tesla_energy_sync.clients.fleet_telemetry import schema
from custom_components.tesla_energy_sync.clients.fleet_telemetry.config import (
    ConsumerConfig,
    OffsetReset,
    SaslMechanism,
    SecurityProtocol,
    Timing,
    build_ssl_context,
    kafka_options,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.decode import (
    decode_record,
    record_type,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import (
    Alerts,
    Connectivity,
    ConnectivityStatus,
    DecodeError,
    Errors,
    RecordType,
    VehicleData,
)
from custom_components.tesla_energy_sync.clients.fleet_telemetry.values import (
    MAX_TEXT,
    Verdict,
    decode_value,
    enum_label,
    from_text,
    sanitize,
    snake,
)
from simulators.fleet_telemetry import (
    GARBAGE,
    START_TIME,
    encode_alerts,
    encode_connectivity,
    encode_errors,
    encode_payload,
    plan_trip,
    trip_alerts,
)

VIN = "5YJ3E1EA7KF000001"

# The fields this integration uses (vehicle_data.proto `Field`, docs/fleet-telemetry.md#fields).
FACTS_FIELDS = {
    "ChargeState": 2, "VehicleSpeed": 4, "Odometer": 5, "Soc": 8, "Gear": 10, "Location": 21,
    "GpsHeading": 23, "RatedRange": 32, "DCChargingEnergyIn": 34, "DCChargingPower": 35,
    "ACChargingEnergyIn": 36, "ACChargingPower": 37, "ChargeLimitSoc": 38,
    "FastChargerPresent": 39, "EstBatteryRange": 40, "IdealBatteryRange": 41,
    "BatteryLevel": 42, "TimeToFullCharge": 43, "ChargeAmps": 49, "ChargeEnableRequest": 50,
    "ChargerPhases": 51, "ChargeCurrentRequest": 53, "DoorState": 58, "Locked": 59,
    "VehicleName": 64, "SentryMode": 65, "Version": 68, "InsideTemp": 85, "OutsideTemp": 86,
    "DriverSeatOccupied": 96, "MinutesToArrival": 110, "DestinationLocation": 112,
    "CarType": 113, "Trim": 114, "ExteriorColor": 115, "EnergyRemaining": 158,
    "DestinationName": 163, "DetailedChargeState": 179, "ChargePortDoorOpen": 183,
    "ChargerVoltage": 184, "ChargingCableType": 185, "FastChargerType": 193,
    "HomelinkNearby": 195, "Unknown": 0, "Deprecated_2": 100, "Deprecated_1": 162,
    "Deprecated_3": 257, "MilesSinceReset": 258, "SelfDrivingMilesSinceReset": 259,
}  # fmt: skip

# Upstream's Value oneof (number: arm); 20 is unused (docs/fleet-telemetry.md#schema).
FACTS_VALUE_ARMS = {
    1: "string_value", 2: "int_value", 3: "long_value", 4: "float_value", 5: "double_value",
    6: "boolean_value", 7: "location_value", 8: "charging_value", 9: "shift_state_value",
    10: "invalid", 11: "lane_assist_level_value", 12: "scheduled_charging_mode_value",
    13: "sentry_mode_state_value", 14: "speed_assist_level_value", 15: "bms_state_value",
    16: "buckle_status_value", 17: "car_type_value", 18: "charge_port_value",
    19: "charge_port_latch_value", 21: "door_value", 22: "drive_inverter_state_value",
    23: "hvil_status_value", 24: "window_state_value", 25: "seat_fold_position_value",
    26: "tractor_air_status_value", 27: "follow_distance_value",
    28: "forward_collision_sensitivity_value", 29: "guest_mode_mobile_access_value",
    30: "trailer_air_status_value", 31: "time_value", 32: "detailed_charge_state_value",
    33: "hvac_auto_mode_value", 34: "cabin_overheat_protection_mode_value",
    35: "cabin_overheat_protection_temperature_limit_value", 36: "defrost_mode_value",
    37: "climate_keeper_mode_value", 38: "hvac_power_value", 39: "tire_location_value",
    40: "fast_charger_value", 41: "cable_type_value", 42: "tonneau_tent_mode_value",
    43: "tonneau_position_value", 44: "powershare_type_value", 45: "powershare_state_value",
    46: "powershare_stop_reason_value", 47: "display_state_value", 48: "distance_unit_value",
    49: "temperature_unit_value", 50: "pressure_unit_value",
    51: "charge_unit_preference_value", 52: "turn_signal_state_value",
    53: "media_status_value", 54: "sunroof_installed_state_value",
}  # fmt: skip

# (message, field, number) as upstream's protos give them (docs/fleet-telemetry.md#schema).
FACTS_MESSAGE_FIELDS = [
    ("telemetry.vehicle_data.Payload", "data", 1),
    ("telemetry.vehicle_data.Payload", "created_at", 2),
    ("telemetry.vehicle_data.Payload", "vin", 3),
    ("telemetry.vehicle_data.Payload", "is_resend", 4),
    ("telemetry.vehicle_data.Datum", "key", 1),
    ("telemetry.vehicle_data.Datum", "value", 2),
    ("telemetry.vehicle_data.LocationValue", "latitude", 1),
    ("telemetry.vehicle_data.LocationValue", "longitude", 2),
    ("telemetry.vehicle_data.Doors", "DriverFront", 1),
    ("telemetry.vehicle_data.Doors", "DriverRear", 2),
    ("telemetry.vehicle_data.Doors", "PassengerFront", 3),
    ("telemetry.vehicle_data.Doors", "PassengerRear", 4),
    ("telemetry.vehicle_data.Doors", "TrunkFront", 5),
    ("telemetry.vehicle_data.Doors", "TrunkRear", 6),
    ("telemetry.vehicle_data.Time", "hour", 1),
    ("telemetry.vehicle_data.Time", "minute", 2),
    ("telemetry.vehicle_data.Time", "second", 3),
    ("telemetry.vehicle_connectivity.VehicleConnectivity", "vin", 1),
    ("telemetry.vehicle_connectivity.VehicleConnectivity", "connection_id", 2),
    ("telemetry.vehicle_connectivity.VehicleConnectivity", "status", 3),
    ("telemetry.vehicle_connectivity.VehicleConnectivity", "created_at", 4),
    ("telemetry.vehicle_connectivity.VehicleConnectivity", "network_interface", 5),
    ("telemetry.vehicle_alerts.VehicleAlerts", "alerts", 1),
    ("telemetry.vehicle_alerts.VehicleAlerts", "created_at", 2),
    ("telemetry.vehicle_alerts.VehicleAlerts", "vin", 3),
    ("telemetry.vehicle_alerts.VehicleAlert", "name", 1),
    ("telemetry.vehicle_alerts.VehicleAlert", "audiences", 2),
    ("telemetry.vehicle_alerts.VehicleAlert", "started_at", 3),
    ("telemetry.vehicle_alerts.VehicleAlert", "ended_at", 4),
    ("telemetry.vehicle_error.VehicleErrors", "errors", 1),
    ("telemetry.vehicle_error.VehicleErrors", "created_at", 2),
    ("telemetry.vehicle_error.VehicleErrors", "vin", 3),
    ("telemetry.vehicle_error.VehicleError", "created_at", 1),
    ("telemetry.vehicle_error.VehicleError", "name", 2),
    ("telemetry.vehicle_error.VehicleError", "tags", 3),
    ("telemetry.vehicle_error.VehicleError", "body", 4),
]

# Enums as upstream numbers them (docs/fleet-telemetry.md#enums).
FACTS_ENUMS = {
    "telemetry.vehicle_data.ChargingState": [
        "ChargeStateUnknown", "ChargeStateDisconnected", "ChargeStateNoPower",
        "ChargeStateStarting", "ChargeStateCharging", "ChargeStateComplete", "ChargeStateStopped",
    ],
    "telemetry.vehicle_data.DetailedChargeStateValue": [
        "DetailedChargeStateUnknown", "DetailedChargeStateDisconnected",
        "DetailedChargeStateNoPower", "DetailedChargeStateStarting",
        "DetailedChargeStateCharging", "DetailedChargeStateComplete",
        "DetailedChargeStateStopped",
    ],
    "telemetry.vehicle_data.ShiftState": [
        "ShiftStateUnknown", "ShiftStateInvalid", "ShiftStateP", "ShiftStateR", "ShiftStateN",
        "ShiftStateD", "ShiftStateSNA",
    ],
    "telemetry.vehicle_data.SentryModeState": [
        "SentryModeStateUnknown", "SentryModeStateOff", "SentryModeStateIdle",
        "SentryModeStateArmed", "SentryModeStateAware", "SentryModeStatePanic",
        "SentryModeStateQuiet",
    ],
    "telemetry.vehicle_data.CableType": [
        "CableTypeUnknown", "CableTypeIEC", "CableTypeSAE", "CableTypeGB_AC", "CableTypeGB_DC",
        "CableTypeSNA",
    ],
    "telemetry.vehicle_connectivity.ConnectivityEvent": ["UNKNOWN", "CONNECTED", "DISCONNECTED"],
    "telemetry.vehicle_alerts.Audience": ["Unknown", "Customer", "Service", "ServiceFix"],
}  # fmt: skip


@pytest.mark.parametrize(("name", "number"), FACTS_FIELDS.items())
def test_field_numbers_match_the_facts(name: str, number: int) -> None:
    field_enum = schema.POOL.FindEnumTypeByName("telemetry.vehicle_data.Field")
    assert field_enum.values_by_name[name].number == number
    assert schema.FIELD_NUMBERS[name] == number


def test_field_enum_has_0_to_269_and_nothing_above() -> None:
    field_enum = schema.POOL.FindEnumTypeByName("telemetry.vehicle_data.Field")
    assert sorted(field_enum.values_by_number) == list(range(270))
    assert field_enum.values_by_number[260].name == "GpsAccuracyMeters"
    assert field_enum.values_by_number[269].name == "SemiCruiseSpeedLimitMph"


def test_value_oneof_matches_the_facts() -> None:
    value = schema.POOL.FindMessageTypeByName("telemetry.vehicle_data.Value")
    arms = {field.number: field.name for field in value.oneofs_by_name["value"].fields}
    assert arms == FACTS_VALUE_ARMS
    assert value.fields_by_name["location_value"].message_type.name == "LocationValue"
    assert value.fields_by_name["int_value"].type == value.fields_by_name["int_value"].TYPE_INT32
    assert value.fields_by_name["long_value"].type == value.fields_by_name["int_value"].TYPE_INT64


@pytest.mark.parametrize(("message", "field", "number"), FACTS_MESSAGE_FIELDS)
def test_message_field_numbers_match_the_facts(message: str, field: str, number: int) -> None:
    descriptor = schema.POOL.FindMessageTypeByName(message)
    assert descriptor.fields_by_name[field].number == number


@pytest.mark.parametrize(("enum", "names"), FACTS_ENUMS.items())
def test_enums_match_the_facts(enum: str, names: list[str]) -> None:
    descriptor = schema.POOL.FindEnumTypeByName(enum)
    assert [descriptor.values_by_number[i].name for i in range(len(names))] == names
    assert len(descriptor.values) == len(names)


def test_files_use_the_official_names_and_a_private_pool() -> None:
    from google.protobuf import descriptor_pool

    for name, package in [
        ("vehicle_data.proto", "telemetry.vehicle_data"),
        ("vehicle_connectivity.proto", "telemetry.vehicle_connectivity"),
        ("vehicle_alert.proto", "telemetry.vehicle_alerts"),
        ("vehicle_error.proto", "telemetry.vehicle_error"),
    ]:
        assert schema.POOL.FindFileByName(name).package == package
    with pytest.raises(KeyError):
        descriptor_pool.Default().FindFileByName("vehicle_data.proto")
    assert (
        schema.POOL.FindMessageTypeByName("telemetry.vehicle_error.VehicleError")
        .fields_by_name["tags"]
        .message_type.GetOptions()
        .map_entry
    )


def test_hand_encoded_wire_bytes_decode() -> None:
    # Payload{data:[Datum{key:42 BatteryLevel, value{double_value:80.5}}], vin:"V1"} built by
    # hand from the field numbers: guards against a schema that only agrees with itself.
    double = bytes.fromhex("0000000000205440")  # 80.5 little-endian
    value = b"\x29" + double  # field 5, wire type 1
    datum = b"\x08\x2a" + b"\x12" + bytes([len(value)]) + value
    payload = b"\x0a" + bytes([len(datum)]) + datum + b"\x1a\x02V1"
    record = decode_record("tesla_V", payload)
    assert isinstance(record, VehicleData)
    assert record.vin == "V1"
    assert record.fields == {"BatteryLevel": 80.5}


def _payload(**values: tuple[str, Any]) -> bytes:
    """Encode one datum per keyword: field name=(arm, raw)."""
    payload = schema.Payload(vin=VIN)
    for field, (arm, raw) in values.items():
        datum = payload.data.add(key=schema.FIELD_NUMBERS[field])
        if arm == "location_value":
            datum.value.location_value.latitude, datum.value.location_value.longitude = raw
        elif arm in {"door_value", "time_value", "tire_location_value"}:
            getattr(datum.value, arm).CopyFrom(getattr(datum.value, arm).__class__(**raw))
        else:
            setattr(datum.value, arm, raw)
    data: bytes = payload.SerializeToString()
    return data


def _fields(data: bytes) -> dict[str, object]:
    record = decode_record("tesla_telemetry_V", data, VIN.encode())
    assert isinstance(record, VehicleData)
    return dict(record.fields)


def test_typed_record_from_the_simulator() -> None:
    fields = {
        "Location": (-33.86, 151.2), "VehicleSpeed": 34.797, "Gear": "d", "Odometer": 44964.097,
        "BatteryLevel": 55.5, "ChargeLimitSoc": 80, "Locked": True, "SentryMode": "armed",
        "DetailedChargeState": "charging", "ChargeState": "enable", "VehicleName": "Red",
        "MinutesToArrival": None,
    }  # fmt: skip
    created = START_TIME + dt.timedelta(seconds=5, microseconds=250)
    record = decode_record(
        "tesla_telemetry_V",
        encode_payload(VIN, created, fields),
        VIN.encode(),
        [("receivedat", b"1795419005150"), ("vin", VIN.encode())],
    )
    assert isinstance(record, VehicleData)
    assert record.vin == VIN
    assert record.created_at == created
    assert record.received_at == dt.datetime(2026, 11, 23, 7, 30, 5, 150000, tzinfo=dt.UTC)
    assert record.unknown_fields == 0
    assert not record.is_resend
    assert record.fields == fields


def test_string_valued_record_normalises_to_the_typed_types() -> None:
    fields = {
        "VehicleSpeed": 34.797, "Gear": "d", "Odometer": 44964.097, "BatteryLevel": 55.5,
        "ChargeLimitSoc": 80, "Locked": False, "SentryMode": "armed", "ChargeState": "idle",
        "VehicleName": "Red", "Location": (-33.86, 151.2), "DetailedChargeState": "complete",
    }  # fmt: skip
    typed = _fields(encode_payload(VIN, START_TIME, fields))
    strings = _fields(encode_payload(VIN, START_TIME, fields, string_values=True))
    assert strings == typed == fields
    assert {type(value) for value in strings.values()} == {float, str, int, bool, tuple}


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("Odometer", "44964.097", 44964.097),
        ("VehicleSpeed", "1e-3", 0.001),
        ("VehicleSpeed", "nan", None),
        ("VehicleSpeed", "", None),
        ("ChargeLimitSoc", "80", 80),
        ("ChargeLimitSoc", "79.6", 80),
        ("ChargeLimitSoc", "eighty", None),
        ("Locked", "true", True),
        ("Locked", "FALSE", False),
        ("Locked", "1", True),
        ("Locked", "0", False),
        ("Locked", "maybe", None),
        ("Gear", "D", "d"),
        ("Gear", "ShiftStateR", "r"),
        ("Gear", "SNA", "sna"),
        ("SentryMode", "Armed", "armed"),
        ("SentryMode", "SentryModeStateAware", "aware"),
        ("DetailedChargeState", "DetailedChargeStateNoPower", "no_power"),
        ("ChargePortLatch", "Engaged", "engaged"),
        ("ChargingCableType", "GB_AC", "gb_ac"),
        ("ChargeState", "Idle", "idle"),
        ("ChargeState", "ChargeStateCharging", "charging"),
        ("ChargeState", "QualifyLineConfig", "qualify_line_config"),
        ("ChargeState", "  ", None),
        ("Location", "(37.412374 N, 122.145867 W)", (37.412374, -122.145867)),
        ("DestinationLocation", "(33.8 S, 151.2 E)", (-33.8, 151.2)),
        ("DestinationLocation", "somewhere", None),
        ("VehicleName", "1234", "1234"),
        ("Version", "2026.32.5", "2026.32.5"),
        ("PackVoltage", "368.200", 368.2),
        # Fields we hold no type for are coerced by shape.
        ("NumBrickVoltageMax", "true", True),
        ("NumBrickVoltageMax", "12.5", 12.5),
        ("NumBrickVoltageMax", "Enable", "Enable"),
        (None, "42", 42.0),
    ],
)
def test_string_values(field: str | None, text: str, expected: object) -> None:
    assert from_text(field, text) == expected


@pytest.mark.parametrize(
    ("field", "arm", "raw", "expected"),
    [
        ("VehicleSpeed", "float_value", -0.7, -0.7),
        ("VehicleSpeed", "float_value", math.inf, None),
        ("VehicleSpeed", "double_value", math.nan, None),
        ("VehicleSpeed", "int_value", 34, 34.0),
        ("ChargeLimitSoc", "double_value", 80.0, 80),
        ("ScheduledChargingStartTime", "long_value", 1738000000, 1738000000),
        ("NumBrickVoltageMax", "double_value", 1.25, 1.25),
        ("FastChargerPresent", "boolean_value", True, True),
        ("Gear", "shift_state_value", 5, "d"),
        ("Gear", "shift_state_value", 4, "n"),
        ("Gear", "shift_state_value", 99, None),  # newer than our enum: rejected
        ("DetailedChargeState", "detailed_charge_state_value", 4, "charging"),
        ("ChargeState", "charging_value", 5, "complete"),
        ("FastChargerType", "fast_charger_value", 2, "ch_ade_mo"),
        ("CarType", "car_type_value", 3, "model3"),
        ("ChargingCableType", "cable_type_value", 3, "gb_ac"),
        ("CenterDisplay", "display_state_value", 5, "driving"),
        ("DestinationLocation", "location_value", (1.5, -2.5), (1.5, -2.5)),
        (
            "DoorState",
            "door_value",
            {"DriverFront": True, "TrunkRear": True},
            {
                "driver_front": True, "driver_rear": False, "passenger_front": False,
                "passenger_rear": False, "trunk_front": False, "trunk_rear": True,
            },
        ),
        ("ScheduledDepartureTime", "time_value", {"hour": 7, "minute": 30}, dt.time(7, 30)),
        ("ScheduledDepartureTime", "time_value", {"hour": 25}, None),
        ("VehicleSpeed", "invalid", True, None),
    ],
)  # fmt: skip
def test_typed_values(field: str, arm: str, raw: object, expected: object) -> None:
    assert _fields(_payload(**{field: (arm, raw)})) == {field: expected}


def test_tire_location() -> None:
    value = _fields(_payload(TpmsHardWarnings=("tire_location_value", {"front_left": True})))
    tires = value["TpmsHardWarnings"]
    assert isinstance(tires, dict)
    assert tires["front_left"] is True
    assert len(tires) == 10
    assert not any(v for k, v in tires.items() if k != "front_left")


def test_datum_without_value_is_none() -> None:
    payload = schema.Payload(vin=VIN)
    payload.data.add(key=schema.FIELD_NUMBERS["VehicleSpeed"])
    assert _fields(payload.SerializeToString()) == {"VehicleSpeed": None}


def test_unknown_field_numbers_and_value_arms_are_counted() -> None:
    data = encode_payload(VIN, START_TIME, {"Soc": 50.0}, future_field=True)
    # Datum{key: Soc, value: Value{arm 55 = varint 2}}: an enum arm newer than our schema.
    value = b"\xb8\x03\x02"
    datum = b"\x08\x08\x12" + bytes([len(value)]) + value
    data += b"\x0a" + bytes([len(datum)]) + datum
    record = decode_record("tesla_V", data, VIN.encode())
    assert isinstance(record, VehicleData)
    assert record.unknown_fields == 2
    assert record.fields == {"Soc": 50.0}


def test_protojson_records_are_accepted() -> None:
    message = schema.Payload.FromString(
        encode_payload(VIN, START_TIME, {"Gear": "d", "Odometer": 12.5, "Locked": True})
    )
    text = json_format.MessageToJson(message)
    parsed = json.loads(text)
    parsed["data"].append({"key": 300, "value": {"stringValue": "x"}})
    parsed["unknownKey"] = 1
    record = decode_record("tesla_V", json.dumps(parsed).encode(), VIN.encode())
    assert isinstance(record, VehicleData)
    assert record.fields == {"Gear": "d", "Odometer": 12.5, "Locked": True}
    assert record.unknown_fields == 1
    assert record.created_at == START_TIME


def test_connectivity_record() -> None:
    record = decode_record(
        "tesla_telemetry_connectivity",
        encode_connectivity(VIN, ConnectivityStatus.DISCONNECTED, START_TIME, "conn-1"),
        VIN.encode(),
    )
    assert record == Connectivity(
        vin=VIN,
        connection_id="conn-1",
        status=ConnectivityStatus.DISCONNECTED,
        created_at=START_TIME,
        network_interface="wifi",
    )
    odd = schema.VehicleConnectivity(vin=VIN, status=7).SerializeToString()
    decoded = decode_record("x_connectivity", odd)
    assert isinstance(decoded, Connectivity)
    assert decoded.status is ConnectivityStatus.UNKNOWN
    assert decoded.created_at is None


def test_alerts_record() -> None:
    plan = plan_trip(VIN)
    record = decode_record("p_alerts", encode_alerts(VIN, START_TIME, trip_alerts(plan)))
    assert isinstance(record, Alerts)
    assert record.vin == VIN
    assert [alert.name for alert in record.alerts] == [
        "SIM_ALERT_TPMS_LOW",
        "SIM_ALERT_WASHER_FLUID",
    ]
    ended, active = record.alerts
    assert not ended.active
    assert active.active
    assert active.audiences == ("customer", "service")
    assert ended.ended_at == START_TIME + dt.timedelta(seconds=plan.drive_steps + 1)
    message = schema.VehicleAlerts(vin=VIN)
    message.alerts.add(name="X", audiences=[3, 9])
    decoded = decode_record("p_alerts", message.SerializeToString())
    assert isinstance(decoded, Alerts)
    assert decoded.alerts[0].audiences == ("service_fix", "unknown")
    assert decoded.alerts[0].started_at is None


def test_errors_record() -> None:
    record = decode_record("p_errors", encode_errors(VIN, START_TIME, "bad", {"field": "Soc"}))
    assert isinstance(record, Errors)
    (error,) = record.errors
    assert (error.vin, error.name, dict(error.tags), error.body) == (
        VIN,
        "bad",
        {"field": "Soc"},
        "bad happened",
    )
    assert error.created_at == record.created_at == START_TIME


def test_out_of_range_timestamps_and_headers_become_none() -> None:
    message = schema.Payload(vin=VIN)
    message.created_at.seconds = 10**12
    record = decode_record(
        "t_V", message.SerializeToString(), None, [("receivedat", b"soon"), ("vin", None)]
    )
    assert isinstance(record, VehicleData)
    assert record.created_at is None
    assert record.received_at is None
    record = decode_record("t_V", message.SerializeToString(), None, [("receivedat", b"\xff")])
    assert isinstance(record, VehicleData)
    assert record.received_at is None


def test_vin_comes_from_key_then_header_then_payload() -> None:
    data = schema.Payload(vin="PAYLOAD").SerializeToString()
    assert decode_record("t_V", data, b"KEY", [("vin", b"HEADER")]).vin == "KEY"
    assert decode_record("t_V", data, None, [("vin", b"HEADER")]).vin == "HEADER"
    assert decode_record("t_V", data, b"", [("vin", b"\xff")]).vin == "PAYLOAD"


@pytest.mark.parametrize(
    ("topic", "value", "key", "message"),
    [
        ("t_V", GARBAGE, b"V", "cannot decode Payload"),
        ("t_V", None, b"V", "has no value"),
        ("t_V", b"{not json", b"V", "cannot decode Payload"),
        ("t_V", b'{"data": 5}', b"V", "cannot decode Payload"),
        ("t_V", b"\xa0\x06\x01", b"V", "no field we know"),
        ("t_alerts", b"\x0a\x05\x0a", b"V", "cannot decode VehicleAlerts"),
        ("t_V", schema.Payload().SerializeToString(), None, "no VIN"),
        ("t_V", b"\x1a\x01V", b"\xff\xfe", "not a UTF-8 VIN"),
        ("tesla_T", b"", b"V", "not a Fleet Telemetry topic"),
        ("V", b"", b"V", "not a Fleet Telemetry topic"),
    ],
)
def test_malformed_records_raise_one_error(
    topic: str, value: bytes | None, key: bytes | None, message: str
) -> None:
    with pytest.raises(DecodeError, match=message) as caught:
        decode_record(topic, value, key)
    assert isinstance(caught.value, ResponseError)


def test_record_types_and_topics() -> None:
    assert record_type("tesla_telemetry_V") is RecordType.VEHICLE_DATA
    assert record_type("_connectivity") is RecordType.CONNECTIVITY
    assert RecordType.ALERTS.topic("tesla") == "tesla_alerts"
    assert RecordType.VEHICLE_DATA.topic("") == "_V"


def test_helpers() -> None:
    assert snake("ACSingleWireCAN") == "ac_single_wire_can"
    assert snake("SOCTooLow") == "soc_too_low"
    assert enum_label("ShiftState", -1) == "unknown"
    assert schema.enum_values("ShiftState")[5] == "ShiftStateD"
    empty = schema.Value()
    assert decode_value("Soc", empty) == (None, True)


def test_kafka_options_plaintext() -> None:
    config = ConsumerConfig("127.0.0.1:9092", "tesla", "ha", vins=frozenset({VIN}))
    options = kafka_options(config, Timing())
    assert options["enable_auto_commit"] is False
    assert options["auto_offset_reset"] == "latest"
    assert options["security_protocol"] == "PLAINTEXT"
    assert "ssl_context" not in options
    assert "sasl_mechanism" not in options
    assert config.topics == ("tesla_V", "tesla_connectivity", "tesla_alerts", "tesla_errors")
    assert config.allows(VIN)
    assert not config.allows("OTHER")
    assert ConsumerConfig("b", "p", "g").allows("ANY")


@pytest.mark.parametrize(
    ("protocol", "mechanism", "has_ssl", "has_sasl"),
    [
        (SecurityProtocol.SSL, SaslMechanism.PLAIN, True, False),
        (SecurityProtocol.SASL_PLAINTEXT, SaslMechanism.SCRAM_SHA_256, False, True),
        (SecurityProtocol.SASL_SSL, SaslMechanism.SCRAM_SHA_512, True, True),
    ],
)
def test_kafka_options_security(
    protocol: SecurityProtocol, mechanism: SaslMechanism, has_ssl: bool, has_sasl: bool
) -> None:
    context = build_ssl_context() if has_ssl else None
    config = ConsumerConfig(
        "127.0.0.1:9093",
        "tesla",
        "ha",
        security_protocol=protocol,
        ssl_context=context,
        sasl_mechanism=mechanism,
        sasl_username="user",
        sasl_password="secret",
        auto_offset_reset=OffsetReset.EARLIEST,
    )
    options = kafka_options(config, Timing(request_timeout=12.5))
    assert options["security_protocol"] == protocol.value
    assert options["request_timeout_ms"] == 12500
    assert options.get("ssl_context") is context
    if has_sasl:
        assert options["sasl_mechanism"] == mechanism.value
        assert options["sasl_plain_username"] == "user"
        assert options["sasl_plain_password"] == "secret"
    else:
        assert "sasl_mechanism" not in options


@pytest.mark.parametrize("protocol", [SecurityProtocol.SSL, SecurityProtocol.SASL_SSL])
def test_kafka_options_tls_needs_a_context(protocol: SecurityProtocol) -> None:
    """The context is built beforehand (it reads files: an executor job), never here."""
    config = ConsumerConfig("b", "p", "g", security_protocol=protocol)
    with pytest.raises(ValueError, match="needs an ssl_context"):
        kafka_options(config, Timing())


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("Gear", "d", ("d", Verdict.KEPT)),
        ("Gear", "unknown", ("unknown", Verdict.KEPT)),
        ("Gear", "z", (None, Verdict.REPLACED)),  # no such gear
        ("Gear", "armed", (None, Verdict.REPLACED)),  # another enum's label
        ("Gear", 3, (None, Verdict.REPLACED)),  # a number where a label belongs
        ("DetailedChargeState", "x" * 1_000_000, (None, Verdict.REPLACED)),
        ("ChargeState", "qualify_line_config", ("qualify_line_config", Verdict.KEPT)),
        ("ChargeState", "y" * (MAX_TEXT + 1), (None, Verdict.REPLACED)),
        ("Location", (-33.86, 151.21), ((-33.86, 151.21), Verdict.KEPT)),
        ("Location", (90.0, -180.0), ((90.0, -180.0), Verdict.KEPT)),
        ("Location", (999.0, 10.0), (None, Verdict.DROPPED)),
        ("DestinationLocation", (-91.0, 0.0), (None, Verdict.DROPPED)),
        ("OriginLocation", (0.0, 181.0), (None, Verdict.DROPPED)),
        ("Location", (math.nan, 0.0), (None, Verdict.DROPPED)),
        ("Location", (0.0, -math.inf), (None, Verdict.DROPPED)),
        ("Location", "somewhere", (None, Verdict.DROPPED)),
        ("VehicleName", "n" * (MAX_TEXT + 10), ("n" * MAX_TEXT, Verdict.REPLACED)),
        ("NumBrickVoltageMax", "s" * (MAX_TEXT + 1), ("s" * MAX_TEXT, Verdict.REPLACED)),
        ("VehicleName", "Sim 0001", ("Sim 0001", Verdict.KEPT)),
        ("Odometer", 12.5, (12.5, Verdict.KEPT)),
        ("Gear", None, (None, Verdict.KEPT)),
    ],
)
def test_sanitize(field: str, value: Any, expected: tuple[Any, Verdict]) -> None:
    assert sanitize(field, value) == expected


def test_decoding_counts_rejected_values_and_keeps_the_kafka_timestamp() -> None:
    data = encode_payload(
        VIN,
        START_TIME,
        {"Gear": "z", "Odometer": 1.5, "VehicleName": "n" * 300},
        string_values=True,
    )
    record = decode_record("t_V", data, VIN.encode(), timestamp_ms=1_795_419_005_150)
    assert isinstance(record, VehicleData)
    assert record.fields == {"Gear": None, "Odometer": 1.5, "VehicleName": "n" * MAX_TEXT}
    assert record.rejected_values == 2
    assert record.timestamp == dt.datetime(2026, 11, 23, 7, 30, 5, 150000, tzinfo=dt.UTC)
    assert decode_record("t_V", data, VIN.encode(), timestamp_ms=-1).timestamp is None
    assert decode_record("t_V", data, VIN.encode(), timestamp_ms=10**20).timestamp is None
