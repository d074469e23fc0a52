"""WallConnectorClient over real HTTP against the simulator, and its models on captured bodies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.tesla_energy_sync.clients.errors import (
    ClientConnectionError,
    ClientTimeoutError,
    RequestError,
    ResponseError,
    ServerError,
)
from custom_components.tesla_energy_sync.clients.wall_connector import (
    EvseState,
    WallConnectorClient,
    WallConnectorLifetime,
    WallConnectorVersion,
    WallConnectorVitals,
    WallConnectorWifiStatus,
    is_three_phase,
    parse_body,
    session_power_w,
)
from custom_components.tesla_energy_sync.clients.wall_connector_models import decode_ssid
from simulators.wall_connector import FIRMWARES, WallConnectorSimulator

from .conftest import Scripted

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp

    from .conftest import ScriptedServer, SimClock

# Captures from real units (docs/wall-connector.md#vitals), verbatim.
IDLE_EU = (
    '{"contactor_closed":false,"vehicle_connected":false,"session_s":0,"grid_v":230.1,'
    '"grid_hz":49.928,"vehicle_current_a":0.1,"currentA_a":0.0,"currentB_a":0.1,"currentC_a":0.0,'
    '"currentN_a":0.0,"voltageA_v":0.0,"voltageB_v":0.0,"voltageC_v":0.0,"relay_coil_v":11.8,'
    '"pcba_temp_c":19.2,"handle_temp_c":15.3,"mcu_temp_c":25.1,"uptime_s":831580,'
    '"input_thermopile_uv":-233,"prox_v":0.0,"pilot_high_v":11.9,"pilot_low_v":11.9,'
    '"session_energy_wh":22864.699,"config_status":5,"evse_state":1,"current_alerts":[]}'
)
PLUGGED_EU = (
    '{"contactor_closed":false,"vehicle_connected":true,"session_s":66347,"grid_v":231.6,'
    '"grid_hz":50.007,"vehicle_current_a":0.1,"currentA_a":0.0,"currentB_a":0.0,"currentC_a":0.1,'
    '"currentN_a":0.1,"voltageA_v":1.7,"voltageB_v":0.0,"voltageC_v":0.0,"relay_coil_v":11.9,'
    '"pcba_temp_c":8.2,"handle_temp_c":4.0,"mcu_temp_c":14.7,"uptime_s":158037,'
    '"input_thermopile_uv":-199,"prox_v":0.0,"pilot_high_v":8.7,"pilot_low_v":-11.8,'
    '"session_energy_wh":20.700,"config_status":5,"evse_state":4,"current_alerts":[49],'
    '"evse_not_ready_reasons":[1]}'
)
CHARGING_3P = (
    '{"contactor_closed":true,"vehicle_connected":true,"session_s":85420,"grid_v":239.1,'
    '"grid_hz":49.975,"vehicle_current_a":6.1,"currentA_a":6.1,"currentB_a":6.1,"currentC_a":6.1,'
    '"currentN_a":0.3,"voltageA_v":242.8,"voltageB_v":234.3,"voltageC_v":228.8,"relay_coil_v":6.1,'
    '"pcba_temp_c":24.6,"handle_temp_c":20.1,"mcu_temp_c":31.3,"uptime_s":354882,'
    '"input_thermopile_uv":-275,"prox_v":1.9,"pilot_high_v":0.1,"pilot_low_v":0.1,'
    '"session_energy_wh":3761.700,"config_status":5,"evse_state":11,"current_alerts":[]}'
)
CHARGING_SPLIT = (
    '{"contactor_closed":true,"vehicle_connected":true,"session_s":3229,"grid_v":228.6,'
    '"grid_hz":59.902,"vehicle_current_a":40.4,"currentA_a":18.7,"currentB_a":21.7,'
    '"currentC_a":22.1,"currentN_a":18.3,"voltageA_v":236.7,"voltageB_v":236.5,"voltageC_v":117.7,'
    '"relay_coil_v":6.1,"pcba_temp_c":13.0,"handle_temp_c":12.2,"mcu_temp_c":9.9,"uptime_s":96059,'
    '"input_thermopile_uv":-156,"prox_v":1.5,"pilot_high_v":0.0,"pilot_low_v":0.0,'
    '"session_energy_wh":61.000,"config_status":5,"evse_state":11,"current_alerts":[]}'
)
LIFETIME = (
    '{"contactor_cycles":175,"contactor_cycles_loaded":3,"alert_count":1603,"thermal_foldbacks":0,'
    '"avg_startup_temp":27.8,"charge_starts":175,"energy_wh":386204,"connector_cycles":23,'
    '"uptime_s":1945056,"charging_time_s":183022}'
)
LIFETIME_NAN = (
    '{"contactor_cycles":450,"contactor_cycles_loaded": nan,"alert_count":nan,'
    '"thermal_foldbacks":0,"avg_startup_temp": nan,"charge_starts":450,"energy_wh":2566837,'
    '"connector_cycles":40,"uptime_s":15896787,"charging_time_s":758036}'
)
VERSION_OLD = (
    '{"firmware_version":"21.29.1+g4152353e50f744","part_number":"1529455-02-D",'
    '"serial_number":"ACB12345678901"}'
)
WIFI = (
    '{"wifi_ssid":"VGVzdE5ldHdvcms=","wifi_signal_strength":94,"wifi_rssi":-43,"wifi_snr":33,'
    '"wifi_connected":true,"wifi_infra_ip":"192.168.1.50","internet":true,'
    '"wifi_mac":"AA:BB:CC:DD:EE:FF"}'
)
# What the library's split-phase vitals carry instead of relay_coil_v on 2026 firmware.
NEW_RELAYS = json.dumps(
    {k: v for k, v in json.loads(IDLE_EU).items() if k != "relay_coil_v"}
    | {"relay_k1_v": 12.0, "relay_k2_v": 0.0, "evse_not_ready_reasons": [4, 8]}
)

# The wire key of each model field whose python name differs.
WIRE_KEYS = {
    "current_a_a": "currentA_a",
    "current_b_a": "currentB_a",
    "current_c_a": "currentC_a",
    "current_n_a": "currentN_a",
    "voltage_a_v": "voltageA_v",
    "voltage_b_v": "voltageB_v",
    "voltage_c_v": "voltageC_v",
}


def vitals_of(text: str) -> WallConnectorVitals:
    """Parse a vitals body."""
    return WallConnectorVitals.from_dict(parse_body(text))


def with_fields(text: str, **changes: Any) -> dict[str, Any]:
    """Return a capture with some fields replaced or (value ...) removed."""
    data: dict[str, Any] = json.loads(text)
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return data


@pytest.fixture
async def wall(sim_clock: SimClock) -> AsyncIterator[WallConnectorSimulator]:
    """Run a split-phase Wall Connector simulator on loopback."""
    simulator = WallConnectorSimulator(clock=sim_clock)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def client(session: aiohttp.ClientSession, wall: WallConnectorSimulator) -> WallConnectorClient:
    """Return a client on the simulator, configured the way a user types the host."""
    return WallConnectorClient(session, wall.host)


def scripted_client(session: aiohttp.ClientSession, server: ScriptedServer) -> WallConnectorClient:
    """Return a client on the scripted server."""
    host, port = server.url.removeprefix("http://").split(":")
    return WallConnectorClient(session, host, port=int(port), request_timeout=2.0)


# --- every field, over HTTP -------------------------------------------------------------------


async def test_vitals_every_field_while_charging(
    client: WallConnectorClient, wall: WallConnectorSimulator, sim_clock: SimClock
) -> None:
    sim_clock.advance(700)  # 100 s after plug-in, 40 s into the charge
    vitals = await client.get_vitals()
    served = wall.vitals()
    assert wall.request_log[-1].path == "/api/1/vitals"
    for name, value in vitals.as_dict().items():
        if name == "evse_state":
            assert value == "charging"
        elif name == "evse_state_code":
            assert value == served["evse_state"] == 11
        elif name in ("relay_coil_v", "relay_k1_v", "relay_k2_v"):
            continue
        elif name == "evse_not_ready_reasons":
            assert value == served.get(name)
        else:
            assert value == served[WIRE_KEYS.get(name, name)], name
    assert vitals.contactor_closed is True
    assert vitals.vehicle_connected is True
    assert vitals.evse_state is EvseState.CHARGING
    assert vitals.vehicle_current_a == 48.0
    assert vitals.session_s == 100
    assert vitals.session_energy_wh == pytest.approx(11500.8 * 40 / 3600, abs=0.001)


async def test_lifetime_version_wifi_every_field(
    client: WallConnectorClient, wall: WallConnectorSimulator
) -> None:
    lifetime = await client.get_lifetime()
    assert lifetime.as_dict() == wall.lifetime()
    version = await client.get_version()
    assert version.as_dict() == {"git_branch": None, "web_service": None} | wall.version()
    assert version.serial_number == "PGT2251234567"
    wifi = await client.get_wifi_status()
    served = wall.wifi_status()
    assert wifi.as_dict() == served | {"wifi_ssid": "TeslaEnergySim"}
    assert wall.path_counts["/api/1/lifetime"] == 1
    assert wall.path_counts["/api/1/wifi_status"] == 1


@pytest.mark.parametrize("firmware", FIRMWARES, ids=lambda f: f.version)
async def test_every_firmware_shape_parses(
    session: aiohttp.ClientSession, sim_clock: SimClock, firmware: Any
) -> None:
    unit = WallConnectorSimulator(clock=sim_clock, firmware=firmware, three_phase=True)
    await unit.start()
    try:
        client = WallConnectorClient(session, unit.host)
        sim_clock.advance(700)
        vitals = await client.get_vitals()
        version = await client.get_version()
        wifi = await client.get_wifi_status()
    finally:
        await unit.stop()
    assert version.firmware_version == firmware.version
    assert (version.git_branch is not None) is firmware.version_extras
    assert (vitals.evse_not_ready_reasons is not None) is firmware.not_ready_reasons
    assert (vitals.relay_k1_v is not None) is firmware.relay_pair
    assert vitals.relay_coil_v == 6.1  # aliased to relay K1 when the unit has two relays
    assert wifi.wifi_ssid == "TeslaEnergySim"  # base64 or plain text alike


# --- captured bodies ---------------------------------------------------------------------------


def test_idle_capture() -> None:
    vitals = vitals_of(IDLE_EU)
    assert vitals.evse_state is EvseState.NOT_CONNECTED
    assert vitals.session_energy_wh == 22864.699
    assert vitals.relay_coil_v == 11.8
    assert (vitals.relay_k1_v, vitals.relay_k2_v) == (None, None)
    assert vitals.evse_not_ready_reasons is None  # firmware before 2025 omits them
    assert vitals.current_alerts == ()
    assert vitals.input_thermopile_uv == -233
    assert session_power_w(vitals) == 0.0  # idle noise is not delivery


def test_plugged_capture() -> None:
    vitals = vitals_of(PLUGGED_EU)
    assert vitals.evse_state is EvseState.READY
    assert vitals.current_alerts == (49,)
    assert vitals.evse_not_ready_reasons == (1,)
    assert (vitals.pilot_high_v, vitals.pilot_low_v) == (8.7, -11.8)


def test_new_firmware_relays() -> None:
    vitals = vitals_of(NEW_RELAYS)
    assert (vitals.relay_k1_v, vitals.relay_k2_v) == (12.0, 0.0)
    assert vitals.relay_coil_v == 12.0
    assert vitals.evse_not_ready_reasons == (4, 8)


def test_string_alerts_accepted() -> None:
    vitals = WallConnectorVitals.from_dict(with_fields(IDLE_EU, current_alerts=["49", 50]))
    assert vitals.current_alerts == ("49", 50)


def test_lifetime_capture_and_nan() -> None:
    lifetime = WallConnectorLifetime.from_dict(parse_body(LIFETIME))
    assert lifetime.energy_wh == 386204
    assert lifetime.avg_startup_temp == 27.8
    with_nan = WallConnectorLifetime.from_dict(parse_body(LIFETIME_NAN))
    assert (with_nan.alert_count, with_nan.avg_startup_temp) == (None, None)
    assert with_nan.contactor_cycles_loaded is None
    assert (with_nan.energy_wh, with_nan.uptime_s) == (2566837, 15896787)
    assert json.loads(json.dumps(with_nan.as_dict()))["alert_count"] is None


def test_version_and_wifi_captures() -> None:
    version = WallConnectorVersion.from_dict(parse_body(VERSION_OLD))
    assert version.serial_number == "ACB12345678901"
    assert (version.git_branch, version.web_service) == (None, None)
    wifi = WallConnectorWifiStatus.from_dict(parse_body(WIFI))
    assert wifi.wifi_ssid == "TestNetwork"
    assert (wifi.wifi_signal_strength, wifi.wifi_rssi, wifi.wifi_snr) == (94, -43, 33)
    assert (wifi.wifi_connected, wifi.internet) == (True, True)
    assert (wifi.wifi_infra_ip, wifi.wifi_mac) == ("192.168.1.50", "AA:BB:CC:DD:EE:FF")


@pytest.mark.parametrize(
    ("raw", "ssid"),
    [
        ("VGVzdE5ldHdvcms=", "TestNetwork"),
        ("My Home", "My Home"),  # not base64
        ("Home", "Home"),  # valid base64 of bytes that are not UTF-8
        ("AAAA", "AAAA"),  # valid base64 of unprintable bytes
        ("", ""),
    ],
)
def test_ssid_decoding(raw: str, ssid: str) -> None:
    assert decode_ssid(raw) == ssid


# --- evse_state --------------------------------------------------------------------------------

EVSE_TABLE = {
    0: EvseState.BOOTING,
    1: EvseState.NOT_CONNECTED,
    2: EvseState.CONNECTED,
    4: EvseState.READY,
    6: EvseState.NEGOTIATING,
    7: EvseState.ERROR,
    8: EvseState.CHARGING_FINISHED,
    9: EvseState.WAITING_CAR,
    10: EvseState.CHARGING_REDUCED,
    11: EvseState.CHARGING,
}


@pytest.mark.parametrize(("code", "state"), EVSE_TABLE.items())
def test_known_evse_codes(code: int, state: EvseState) -> None:
    vitals = WallConnectorVitals.from_dict(with_fields(IDLE_EU, evse_state=code))
    assert vitals.evse_state is state
    assert vitals.evse_state_code == code
    assert state.key == state.name.lower()


@pytest.mark.parametrize("code", [3, 5, 12, 13, 99, -1, -7])
def test_unknown_evse_codes_keep_the_number(code: int) -> None:
    vitals = WallConnectorVitals.from_dict(with_fields(IDLE_EU, evse_state=code))
    assert vitals.evse_state is EvseState.UNKNOWN
    assert vitals.evse_state.key is None
    assert vitals.evse_state_code == code
    assert vitals.as_dict()["evse_state"] == "unknown"


def test_ha_status_options() -> None:
    keys = [state.key for state in EvseState if state.key]
    assert keys == [
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
    ]


# --- the tolerant parse ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a":nan}', {"a": None}),
        (
            '{"a": NaN, "b":[1, nan, -inf], "c":Infinity}',
            {"a": None, "b": [1, None, None], "c": None},
        ),
        ('{"ssid":"nan inf","a":1}', {"ssid": "nan inf", "a": 1}),  # quoted text is left alone
        ('{"s":"say \\"nan\\"","a":nan}', {"s": 'say "nan"', "a": None}),
        ('{"a":1,"b":[2]', {"a": 1, "b": [2]}),  # the missing final brace
        ('{"a":nan,"b":2\n', {"a": None, "b": 2}),  # both quirks at once
    ],
)
def test_parse_body_repairs(text: str, expected: dict[str, Any]) -> None:
    assert parse_body(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty body"),
        ("  \n", "empty body"),
        ('{"a":1,"b', "even after adding the missing closing brace"),  # cut mid-field
        ('{"a":1,,}', "invalid JSON: "),  # ends with } but is broken
        ("[1, 2]", "expected a JSON object, got list"),
        ("<html>busy</html>", "even after adding"),
    ],
)
def test_parse_body_refuses(text: str, message: str) -> None:
    with pytest.raises(ResponseError, match=message):
        parse_body(text)


def test_overflowing_numbers_become_none() -> None:
    vitals = vitals_of(with_fields_text(IDLE_EU, "19.2", "1e999"))
    assert vitals.pcba_temp_c is None
    lifetime = WallConnectorLifetime.from_dict(parse_body(LIFETIME.replace("386204", "1e999")))
    assert lifetime.energy_wh is None


def with_fields_text(text: str, old: str, new: str) -> str:
    """Return a body with one literal replaced."""
    assert old in text
    return text.replace(old, new, 1)


def test_vitals_nan_readings_become_none() -> None:
    text = with_fields_text(CHARGING_SPLIT, '"grid_v":228.6', '"grid_v":nan')
    vitals = vitals_of(
        with_fields_text(text, '"input_thermopile_uv":-156', '"input_thermopile_uv":nan')
    )
    assert (vitals.grid_v, vitals.input_thermopile_uv) == (None, None)
    assert session_power_w(vitals) is None
    assert not is_three_phase(vitals)


# --- shape errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"evse_state": ...}, "missing field 'evse_state'"),
        ({"evse_state": None}, "expected an integer, got null"),
        ({"session_s": True}, "expected an integer"),
        ({"session_s": 1.5}, "expected an integer"),
        ({"session_s": "12"}, "expected an integer"),
        ({"grid_v": "230"}, "expected a number"),
        ({"grid_v": False}, "expected a number"),
        ({"contactor_closed": 0}, "expected a boolean"),
        ({"current_alerts": "49"}, "list of codes"),
        ({"current_alerts": [True]}, "list of codes"),
        ({"evse_not_ready_reasons": ["1"]}, "list of integers"),
        ({"evse_not_ready_reasons": [False]}, "list of integers"),
        ({"relay_k1_v": "12"}, "expected a number"),
    ],
)
def test_vitals_shape_errors(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ResponseError, match=message):
        WallConnectorVitals.from_dict(with_fields(IDLE_EU, **changes))


def test_integral_floats_and_null_optionals() -> None:
    vitals = WallConnectorVitals.from_dict(
        with_fields(IDLE_EU, uptime_s=831580.0, evse_not_ready_reasons=None, relay_coil_v=None)
    )
    assert vitals.uptime_s == 831580
    assert isinstance(vitals.uptime_s, int)
    assert vitals.evse_not_ready_reasons is None
    assert vitals.relay_coil_v is None  # sent as nan: not replaced by relay K1


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (WallConnectorVitals, [], "vitals: expected an object, got list"),
        (WallConnectorLifetime, "x", "lifetime: expected an object"),
        (WallConnectorVersion, None, "version: expected an object"),
        (WallConnectorWifiStatus, 1, "wifi_status: expected an object"),
        (WallConnectorVersion, {"firmware_version": "1", "part_number": "p"}, "serial_number"),
        (
            WallConnectorVersion,
            {"firmware_version": "1", "part_number": "p", "serial_number": ""},
            "empty serial_number",
        ),
        (
            WallConnectorVersion,
            {"firmware_version": 21, "part_number": "p", "serial_number": "s"},
            "expected a string",
        ),
        (WallConnectorWifiStatus, json.loads(WIFI) | {"internet": "yes"}, "expected a boolean"),
        (WallConnectorLifetime, json.loads(LIFETIME) | {"energy_wh": "1"}, "expected an integer"),
    ],
)
def test_other_shape_errors(model: Any, data: Any, message: str) -> None:
    with pytest.raises(ResponseError, match=message):
        model.from_dict(data)


# --- power -------------------------------------------------------------------------------------


def test_power_split_phase_capture() -> None:
    vitals = vitals_of(CHARGING_SPLIT)
    assert not is_three_phase(vitals)  # phase C reads about half of grid_v
    assert session_power_w(vitals) == round(228.6 * 40.4, 1) == 9235.4
    phase_sum = 236.7 * 18.7 + 236.5 * 21.7 + 117.7 * 22.1
    assert phase_sum > 1.2 * 9235.4  # why the sum of phases is wrong here
    assert session_power_w(vitals, three_phase=True) == round(phase_sum, 1)


def test_power_three_phase_capture() -> None:
    vitals = vitals_of(CHARGING_3P)
    assert is_three_phase(vitals)
    assert session_power_w(vitals) == round((242.8 + 234.3 + 228.8) * 6.1, 1) == 4306.0
    assert session_power_w(vitals, three_phase=False) == round(239.1 * 6.1, 1)
    # Matches the capture's energy: 11.9 Wh in 10 s.
    assert pytest.approx(3773.6 - 3761.7, abs=0.1) == 4306.0 * 10 / 3600


def test_power_single_phase_and_missing_phase() -> None:
    single = WallConnectorVitals.from_dict(
        with_fields(CHARGING_3P, voltageB_v=0.4, voltageC_v=0.0, currentB_a=0.0, currentC_a=0.0)
    )
    assert not is_three_phase(single)
    assert session_power_w(single) == round(239.1 * 6.1, 1)
    missing = WallConnectorVitals.from_dict(with_fields(CHARGING_3P, currentB_a=None))
    assert session_power_w(missing, three_phase=True) is None
    assert (
        session_power_w(WallConnectorVitals.from_dict(with_fields(CHARGING_3P, voltageC_v=None)))
        is not None
    )


# --- transport and status mapping --------------------------------------------------------------


async def test_host_with_port_and_separate_port(
    session: aiohttp.ClientSession, wall: WallConnectorSimulator
) -> None:
    port = int(wall.host.rsplit(":", 1)[1])
    by_kw = WallConnectorClient(session, "127.0.0.1", port=port)
    assert by_kw.base_url == f"http://127.0.0.1:{port}"
    assert (await by_kw.get_version()).serial_number == wall.serial
    in_host = WallConnectorClient(session, f" 127.0.0.1:{port} ", port=1)  # the host's port wins
    assert in_host.base_url == by_kw.base_url


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("192.168.1.50", "http://192.168.1.50"),
        ("wallconnector.local:8080", "http://wallconnector.local:8080"),
        ("[fe80::1]:8080", "http://[fe80::1]:8080"),
        ("[fe80::1]", "http://[fe80::1]"),
        ("fe80::1", "http://[fe80::1]"),
    ],
)
def test_host_forms(session: aiohttp.ClientSession, host: str, url: str) -> None:
    assert WallConnectorClient(session, host).base_url == url


@pytest.mark.parametrize(
    ("host", "message"),
    [("", "empty"), ("1.2.3.4:x", "bad port"), ("h:0", "bad port"), ("[::1]:99999", "bad port")],
)
def test_bad_hosts(session: aiohttp.ClientSession, host: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WallConnectorClient(session, host)


async def test_server_error(client: WallConnectorClient, wall: WallConnectorSimulator) -> None:
    wall.fault = "server_error"
    with pytest.raises(ServerError) as caught:
        await client.get_vitals()
    assert caught.value.status == 503


@pytest.mark.parametrize("status", [400, 401, 404, 429])
async def test_4xx_is_a_request_error(
    session: aiohttp.ClientSession, scripted: ScriptedServer, status: int
) -> None:
    scripted.answer = Scripted(status=status, body="nope")
    with pytest.raises(RequestError) as caught:
        await scripted_client(session, scripted).get_lifetime()
    assert caught.value.status == status
    assert scripted.last_path == "/api/1/lifetime"


async def test_slow_unit_times_out(
    session: aiohttp.ClientSession, wall: WallConnectorSimulator
) -> None:
    wall.fault, wall.slow_seconds = "slow", 0.2
    client = WallConnectorClient(session, wall.host, request_timeout=0.05)
    with pytest.raises(ClientTimeoutError, match=r"did not answer within 0\.05 s"):
        await client.get_vitals()


async def test_offline_unit(client: WallConnectorClient, wall: WallConnectorSimulator) -> None:
    wall.fault = "offline"
    with pytest.raises(ClientConnectionError, match="unreachable") as caught:
        await client.get_vitals()
    assert not isinstance(caught.value, ClientTimeoutError)
    wall.fault = None
    assert (await client.get_vitals()).uptime_s > 0


async def test_connection_refused(session: aiohttp.ClientSession, sim_clock: SimClock) -> None:
    unit = WallConnectorSimulator(clock=sim_clock)
    await unit.start()
    host = unit.host
    await unit.stop()
    with pytest.raises(ClientConnectionError, match=f"Wall Connector at {host} unreachable"):
        await WallConnectorClient(session, host).get_version()


async def test_nan_and_truncated_faults(
    client: WallConnectorClient, wall: WallConnectorSimulator
) -> None:
    wall.fault = "nan"
    lifetime = await client.get_lifetime()
    assert (lifetime.alert_count, lifetime.avg_startup_temp, lifetime.contactor_cycles_loaded) == (
        None,
        None,
        None,
    )
    assert lifetime.energy_wh == wall.energy_wh()
    wall.fault = "truncated"
    assert (await client.get_version()).serial_number == wall.serial
    assert (await client.get_vitals()).uptime_s == wall.moment().uptime_s
    assert (await client.get_wifi_status()).wifi_mac.startswith("98:ED:5C")


async def test_malformed_body(client: WallConnectorClient, wall: WallConnectorSimulator) -> None:
    wall.fault = "malformed"
    with pytest.raises(ResponseError, match=r"/api/1/vitals answered with invalid JSON"):
        await client.get_vitals()


async def test_unknown_endpoint_answers_500(
    session: aiohttp.ClientSession, wall: WallConnectorSimulator
) -> None:
    async with session.get(f"{wall.base_url}/api/1/status") as response:
        assert response.status == 500
    async with session.get(f"{wall.base_url}/api/2/vitals") as response:
        assert response.status == 404


async def test_several_units_on_their_own_ports(
    session: aiohttp.ClientSession, sim_clock: SimClock
) -> None:
    units = [
        WallConnectorSimulator(serial=serial, clock=sim_clock)
        for serial in ("PGT2251234567", "PGT2251234568", "PGT2251234569")
    ]
    for unit in units:
        await unit.start()
    try:
        versions = [await WallConnectorClient(session, u.host).get_version() for u in units]
    finally:
        for unit in units:
            await unit.stop()
    assert len({unit.host for unit in units}) == 3
    assert [v.serial_number for v in versions] == [u.serial for u in units]
    assert len({(v.part_number, v.firmware_version) for v in versions}) > 1
