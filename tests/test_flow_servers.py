"""Every flow step pointed at a server that answers badly ends in a form error, quietly.

Through the HTTP flow API, each step that reaches a service is aimed at a local server
answering HTML, invalid JSON, a 50 MB body, a gzip bomb, an error page echoing the request,
nothing at all, or one byte a second. Each must answer HTTP 200 with a form error within
15 s, log no error line and no traceback, and never log a credential.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
import contextlib
from pathlib import Path
import ssl
import subprocess
import tempfile
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.const import LOGGER
from simulators.hostile import HostileServer, Misbehaviour
from simulators.kafka_broker import free_port, tansu_binary
from simulators.tls import make_pki

from .flow_api import FlowApi, loud_records
from .flow_targets import PASSWORD, TARGETS, TOKEN, Reach, kafka_form

pytestmark = pytest.mark.fault

# A check gives up after this long here (10 s in use), so that hanging servers cost little.
SHORT_CHECK = 0.5
FAST = "custom_components.tesla_energy_sync.flow_helpers.CHECK_TIMEOUT"

# What a form must say, by how the service misbehaved: it answered with something else
# than was asked for, or it did not answer in time.
EXPECTED = {
    Misbehaviour.HTML: "invalid_response",
    Misbehaviour.INVALID_JSON: "invalid_response",
    Misbehaviour.HUGE: "invalid_response",
    Misbehaviour.GZIP_BOMB: "invalid_response",
    Misbehaviour.ECHO: "invalid_response",
    Misbehaviour.HANG: "cannot_connect",
    Misbehaviour.DRIP: "cannot_connect",
}

type Start = Callable[..., Awaitable[HostileServer]]


def _budget(misbehaviour: Misbehaviour) -> Any:
    """Shorten the check for servers that never finish; the others get the real budget."""
    slow = misbehaviour in {Misbehaviour.HANG, Misbehaviour.DRIP}
    return patch(FAST, SHORT_CHECK) if slow else contextlib.nullcontext()


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
def gateway_tls() -> ssl.SSLContext:
    """A server-side TLS context, as a gateway has (pypowerwall does not verify it)."""
    pki = make_pki()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as directory:
        pem = Path(directory, "server.pem")
        pem.write_text(pki.server_cert + pki.server_key, encoding="utf-8")
        context.load_cert_chain(pem)
    return context


@pytest.fixture
async def start(socket_enabled: None) -> AsyncGenerator[Start]:
    """Start hostile servers on loopback; all stop (hanging up on clients) at teardown."""
    servers: list[HostileServer] = []

    async def start_server(misbehaviour: Misbehaviour, **options: Any) -> HostileServer:
        server = HostileServer(misbehaviour, **options)
        await server.start()
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        await server.stop()


def _cases(reach: Reach, misbehaviours: list[Misbehaviour]) -> list[tuple[str, Misbehaviour]]:
    """Every misbehaviour for the steps that add a source and for options; two for the rest.

    Reauth and reconfigure steps reach their service through the same check as the step
    that added the source, so a parse failure and a hang are enough to show they map it.
    """
    return [
        (name, misbehaviour)
        for name, target in TARGETS.items()
        if target.reach is reach
        for misbehaviour in misbehaviours
        if not name.endswith(("_reauth", "_reconfigure"))
        or misbehaviour in {Misbehaviour.INVALID_JSON, Misbehaviour.HANG}
    ]


@pytest.mark.parametrize(("name", "misbehaviour"), _cases(Reach.HTTP, list(Misbehaviour)))
async def test_http_services(
    api: FlowApi,
    start: Start,
    caplog: pytest.LogCaptureFixture,
    name: str,
    misbehaviour: Misbehaviour,
) -> None:
    """Cloud APIs and Wall Connectors: a form error for each misbehaviour, no error logged."""
    target = TARGETS[name]
    server = await start(misbehaviour)
    address = server.host if name.startswith("wall_connector") else server.base_url
    with _budget(misbehaviour):
        step = await target.run(api, address)
    assert step.body["type"] == "form"
    assert step.errors == {"base": EXPECTED[misbehaviour]}
    assert server.requests, "the step never reached the server"
    assert not loud_records(caplog)
    assert TOKEN not in caplog.text


# A gateway speaks HTTPS; pypowerwall reads it. Whatever it makes of a bad answer, the form
# says the gateway answered wrongly or not at all.
GATEWAY_ERRORS = {"invalid_response", "cannot_connect"}


@pytest.mark.parametrize(("name", "misbehaviour"), _cases(Reach.GATEWAY, list(Misbehaviour)))
async def test_powerwall_gateways(
    api: FlowApi,
    start: Start,
    gateway_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
    name: str,
    misbehaviour: Misbehaviour,
) -> None:
    """Powerwall steps: a form error for each misbehaviour, no error logged, no password.

    pypowerwall reads every body whole, endpoint after endpoint, so all cases run on the
    short check: a 50 MB answer may then be cut short as well as refused.
    """
    server = await start(misbehaviour, tls=gateway_tls)
    with patch(FAST, SHORT_CHECK):
        step = await TARGETS[name].run(api, server.host)
    assert step.body["type"] == "form"
    expected = EXPECTED[misbehaviour]
    allowed = {expected} if expected == "cannot_connect" else GATEWAY_ERRORS
    assert step.errors.keys() == {"base"}
    assert step.errors["base"] in allowed
    assert server.requests, "the step never reached the gateway"
    assert not loud_records(caplog)
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    ("name", "misbehaviour"),
    _cases(
        Reach.KAFKA,
        [Misbehaviour.HTML, Misbehaviour.INVALID_JSON, Misbehaviour.HANG, Misbehaviour.DRIP],
    ),
)
async def test_kafka_brokers(
    api: FlowApi,
    start: Start,
    caplog: pytest.LogCaptureFixture,
    name: str,
    misbehaviour: Misbehaviour,
) -> None:
    """Something that is not a Kafka broker: cannot_connect, and aiokafka's errors stay debug."""
    server = await start(misbehaviour)
    with patch(FAST, SHORT_CHECK):
        step = await TARGETS[name].run(api, server.host)
    assert step.errors == {"base": "cannot_connect"}
    assert not loud_records(caplog)


@pytest.fixture
def guarded_broker(socket_enabled: None) -> Generator[str]:
    """A real Kafka-compatible broker (Tansu) that requires a login nobody has."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
        [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
            "--authentication",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(5)


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_a_refused_sasl_login_is_invalid_auth(
    api: FlowApi,
    guarded_broker: str,
    caplog: pytest.LogCaptureFixture,
    mechanism: str,
) -> None:
    """A wrong password (SCRAM's refusal used to raise a KeyError: HTTP 500) is invalid_auth."""
    sasl = {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "username": "ha",
        "password": "wrong password",
    }
    await _until_listening(guarded_broker)
    step = await api.user("fleet_telemetry")
    with patch(FAST, 5.0):
        step = await api.submit(step, kafka_form(guarded_broker, **sasl))
    assert step.errors == {"base": "invalid_auth"}
    assert not loud_records(caplog)
    assert "wrong password" not in caplog.text


async def _until_listening(address: str) -> None:
    """Wait (5 s at most) until the broker accepts connections."""
    host, _, port = address.partition(":")
    async with asyncio.timeout(5):
        while True:
            try:
                _, writer = await asyncio.open_connection(host, int(port))
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return


async def test_an_echoed_token_stays_out_of_the_log(
    api: FlowApi, start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """An error page repeating the request carries the token; nothing logged repeats it."""
    server = await start(Misbehaviour.ECHO)
    caplog.set_level("DEBUG")
    step = await TARGETS["amber"].run(api, server.base_url)
    assert step.errors == {"base": "invalid_response"}
    assert TOKEN.encode() in server.requests[0]
    assert TOKEN not in caplog.text
    assert any(record.name == LOGGER.name for record in caplog.get_records("call"))


async def test_the_real_budget_releases_a_dripping_gateway(
    api: FlowApi, start: Start, gateway_tls: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the shortened check, a gateway dripping its answer still frees the form in time.

    This held the form for 40 s (a 20 s read, then 20 s more waiting for it at close).
    """
    server = await start(Misbehaviour.DRIP, tls=gateway_tls)
    step = await TARGETS["powerwall"].run(api, server.host)
    assert step.errors == {"base": "cannot_connect"}
    assert not loud_records(caplog)
