"""Hostile input in every form field: a translated error under the field, nothing contacted.

Through the HTTP flow API every field of every step is sent empty, blank, 100 kB long,
non-ASCII where only ASCII works, with CR/LF and other control characters, and with the
malformed values a black-box run turned into HTTP 500s. Each answer must be HTTP 200 with
the field's error, no service may have been contacted (the address is a server that never
answers), nothing may be logged at error level, and a secret typed in never comes back.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
import json
from typing import Any
from unittest.mock import patch

from homeassistant.const import CONF_ACCESS_TOKEN, CONF_API_TOKEN, CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.const import (
    CONF_BASE_URL,
    CONF_BOOTSTRAP_SERVERS,
    CONF_EMAIL,
    CONF_GROUP_ID,
    CONF_TOPIC_PREFIX,
    CONF_VINS,
)
from simulators.hostile import HostileServer, Misbehaviour

from .flow_api import FlowApi, loud_records
from .flow_targets import TARGETS

pytestmark = pytest.mark.fault

HUGE = "x" * 100_000
CONTROL = ["line\r\nX-Injected: yes", "nul\x00byte", "tab\tinside", "bell\x07"]
# Empty, blank, 100 kB, and control characters: wrong in every field that takes text.
HOSTILE = ["", "   ", HUGE, *CONTROL]
NON_ASCII = "ünïcödé-ßtring"
VIN = "5YJ3E1EA7KF000001"

BAD: dict[str, list[str]] = {
    "token": [*HOSTILE, NON_ASCII, "two words"],
    # An empty optional token means none (keep the stored one): every other bad value counts.
    "optional_token": [value for value in HOSTILE if value] + [NON_ASCII, "two words"],
    "url": [
        *HOSTILE,
        NON_ASCII,
        "api.amber.com.au",
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "https://127.0.0.1:99999/",
        "http://user:secret@127.0.0.1/",
        "http://127.0.0.1/?q=1",
        "http://127.0.0.1/" + "a" * 3000,
    ],
    "optional_url": [
        HUGE,
        *CONTROL,
        NON_ASCII,
        "api.tesla.com",
        "ftp://127.0.0.1/",
        "javascript:alert(1)",
        "http://user:secret@127.0.0.1/",
    ],
    "host": [
        *HOSTILE,
        NON_ASCII,
        "http://x",
        "file:///etc/passwd",
        "x:notaport",
        "x:0",
        "x:99999",
        "x/y",
        "[::1",
        "-bad-.local",
    ],
    "password": ["", "   ", HUGE, *CONTROL],
    "email": [HUGE, "no-at-sign", "two@@x", "a b@c.d", "line\r\n@x.y", "@x.y"],
    "bootstrap": [
        *HOSTILE,
        NON_ASCII,
        "x:notaport",
        "127.0.0.1:99999",
        "file:///etc/passwd",
        "http://x",
        "kafka",
        "a:1,,b:2",
        ",".join(f"h{index}:9092" for index in range(21)),
    ],
    "topic_prefix": [*HOSTILE, NON_ASCII, "a b", "a/b", "x" * 201],
    "group_id": [*HOSTILE, NON_ASCII, "a b"],
    "vins": [
        HUGE,
        "5YJ3SIM0000000001",  # I is not a VIN letter
        "SHORT",
        VIN + "\x00",
        ", ".join(f"5YJ3E1EA7KF{index:06d}" for index in range(101)),
    ],
    "username": ["", "   ", HUGE, *CONTROL],
}

SASL = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN"}
SASL_LOGIN = {**SASL, "username": "ha", "password": "secret"}

# (target, field, kind of value, where the error shows, error key, fields sent with it)
CASES: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    ("amber", CONF_API_TOKEN, "token", CONF_API_TOKEN, "invalid_token", {}),
    ("amber", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    ("amber_reauth", CONF_API_TOKEN, "token", CONF_API_TOKEN, "invalid_token", {}),
    ("amber_reconfigure", CONF_API_TOKEN, "token", CONF_API_TOKEN, "invalid_token", {}),
    ("amber_reconfigure", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    ("comed", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    ("comed_reconfigure", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    ("wall_connector", CONF_HOST, "host", CONF_HOST, "invalid_host", {}),
    ("wall_connector_reconfigure", CONF_HOST, "host", CONF_HOST, "invalid_host", {}),
    ("tou_sync", CONF_ACCESS_TOKEN, "token", CONF_ACCESS_TOKEN, "invalid_token", {}),
    ("tou_sync", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    ("tou_reauth", CONF_ACCESS_TOKEN, "token", CONF_ACCESS_TOKEN, "invalid_token", {}),
    ("tou_reconfigure", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    # The options' cloud fields sit in a section: their errors show at the top.
    ("powerwall_options", CONF_ACCESS_TOKEN, "optional_token", "base", "invalid_token", {}),
    ("powerwall_options", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    ("tesla_account_token", CONF_ACCESS_TOKEN, "token", CONF_ACCESS_TOKEN, "invalid_token", {}),
    ("tesla_account_token", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    ("tesla_account_reauth", CONF_ACCESS_TOKEN, "token", CONF_ACCESS_TOKEN, "invalid_token", {}),
    ("tesla_account_reconfigure", CONF_BASE_URL, "url", "base", "invalid_url", {}),
    # Left empty, the sign-in's URL follows the region: every other bad value counts.
    ("tesla_account_oauth", CONF_BASE_URL, "optional_url", "base", "invalid_url", {}),
    ("powerwall", CONF_HOST, "host", CONF_HOST, "invalid_host", {}),
    ("powerwall", CONF_EMAIL, "email", CONF_EMAIL, "invalid_email", {}),
    ("powerwall", CONF_PASSWORD, "password", CONF_PASSWORD, "invalid_password", {}),
    ("powerwall_reauth", CONF_PASSWORD, "password", CONF_PASSWORD, "invalid_password", {}),
    ("powerwall_reauth", CONF_EMAIL, "email", CONF_EMAIL, "invalid_email", {}),
    ("powerwall_reconfigure", CONF_HOST, "host", CONF_HOST, "invalid_host", {}),
    ("fleet_telemetry", CONF_BOOTSTRAP_SERVERS, "bootstrap", "", "invalid_bootstrap_servers", {}),
    ("fleet_telemetry", CONF_TOPIC_PREFIX, "topic_prefix", "", "invalid_topic_prefix", {}),
    ("fleet_telemetry", CONF_GROUP_ID, "group_id", "", "invalid_group_id", {}),
    ("fleet_telemetry", CONF_VINS, "vins", "", "invalid_vins", {}),
    ("fleet_telemetry", "username", "username", "", "invalid_username", SASL_LOGIN),
    ("fleet_telemetry", CONF_PASSWORD, "password", "", "invalid_password", SASL_LOGIN),
    (
        "fleet_telemetry_reconfigure",
        CONF_TOPIC_PREFIX,
        "topic_prefix",
        "",
        "invalid_topic_prefix",
        {},
    ),
    (
        "fleet_telemetry_reconfigure",
        CONF_BOOTSTRAP_SERVERS,
        "bootstrap",
        "",
        "invalid_bootstrap_servers",
        {},
    ),
]


@pytest.fixture(autouse=True)
def no_setup() -> Generator[None]:
    """A flow that wrongly succeeded must not go on to set the entry up."""
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        yield


@pytest.fixture
async def api(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> FlowApi:
    """The flow API of a Home Assistant with the config panel's endpoints."""
    return await FlowApi.start(hass, hass_client)


@pytest.fixture
async def silent(socket_enabled: None) -> AsyncGenerator[HostileServer]:
    """A server that never answers: a value that slipped through would hang on it."""
    server = HostileServer(Misbehaviour.HANG)
    await server.start()
    yield server
    await server.stop()


def _address(name: str, server: HostileServer) -> str:
    return (
        server.base_url
        if TARGETS[name].reach in {"http", "none"} and "wall" not in name
        else server.host
    )


@pytest.mark.parametrize(
    ("name", "field", "kind", "where", "error", "extra"),
    CASES,
    ids=[f"{case[0]}-{case[1]}" for case in CASES],
)
async def test_hostile_values_are_refused_under_their_field(
    api: FlowApi,
    silent: HostileServer,
    caplog: pytest.LogCaptureFixture,
    name: str,
    field: str,
    kind: str,
    where: str,
    error: str,
    extra: dict[str, Any],
) -> None:
    """Each bad value: HTTP 200, the field's error, no connection made, no error logged."""
    target = TARGETS[name]
    address = _address(name, silent)
    where = where or field
    step = await target.open(api, address)
    for value in BAD[kind]:
        data = target.form(api, address) | extra
        _put(data, field, value)
        step = await api.submit(step, data)
        assert step.body["type"] == "form", (value[:40], step.body)
        assert step.errors.get(where) == error, (value[:40], step.errors)
        if kind in {"token", "optional_token", "password"} and value.strip():
            assert value not in json.dumps(step.body), "a secret was sent back"
    assert silent.connections == 0, "a value reached the network"
    assert not loud_records(caplog)


def _put(data: dict[str, Any], field: str, value: Any) -> None:
    """Set a field, inside its section where it has one."""
    for section in ("advanced", "cloud"):
        if section in data and (field == CONF_BASE_URL or field in data[section]):
            data[section] = {**data[section], field: value}
            return
    data[field] = value


# A valid secret, another field wrong: the form comes back without the secret in it.
SECRETS = [
    ("amber", CONF_API_TOKEN, CONF_BASE_URL, "ftp://x"),
    ("tou_sync", CONF_ACCESS_TOKEN, CONF_BASE_URL, "ftp://x"),
    ("tesla_account_token", CONF_ACCESS_TOKEN, CONF_BASE_URL, "ftp://x"),
    ("powerwall_options", CONF_ACCESS_TOKEN, CONF_BASE_URL, "ftp://x"),
    ("powerwall", CONF_PASSWORD, CONF_HOST, "http://x"),
    ("powerwall_reconfigure", CONF_PASSWORD, CONF_HOST, "http://x"),
    ("fleet_telemetry", CONF_PASSWORD, CONF_BOOTSTRAP_SERVERS, "x:notaport"),
    ("fleet_telemetry_reconfigure", CONF_PASSWORD, CONF_BOOTSTRAP_SERVERS, "x:notaport"),
]


@pytest.mark.parametrize(("name", "secret_field", "wrong_field", "wrong"), SECRETS)
async def test_a_secret_is_never_sent_back(
    api: FlowApi,
    silent: HostileServer,
    name: str,
    secret_field: str,
    wrong_field: str,
    wrong: str,
) -> None:
    """The form shown again with an error leaves the password (or token) empty."""
    secret = "Sup3r-S3cret-value"
    target = TARGETS[name]
    address = _address(name, silent)
    step = await target.open(api, address)
    data = target.form(api, address) | (SASL if name.startswith("fleet") else {})
    if name.startswith("fleet"):
        data["username"] = "ha"
    _put(data, secret_field, secret)
    _put(data, wrong_field, wrong)
    step = await api.submit(step, data)
    assert step.body["type"] == "form"
    assert step.errors
    assert secret not in json.dumps(step.body)


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("amber", CONF_API_TOKEN, 12345),
        ("wall_connector", CONF_HOST, ["127.0.0.1"]),
        ("powerwall", "powerwall_mode", "cloud-of-doom"),
        ("fleet_telemetry", "security_protocol", "SASL_MAGIC"),
        ("fleet_telemetry", CONF_VINS, {"vin": VIN}),
        ("powerwall_options", "poll_interval", 0),
    ],
)
async def test_values_of_the_wrong_type_are_a_bad_request(
    api: FlowApi, silent: HostileServer, name: str, field: str, value: Any
) -> None:
    """What the form's schema refuses is HTTP 400 (the frontend shows it), never a 500."""
    target = TARGETS[name]
    address = _address(name, silent)
    step = await target.open(api, address)
    data = target.form(api, address)
    _put(data, field, value)
    await api.submit(step, data, status=400)
    assert silent.connections == 0
