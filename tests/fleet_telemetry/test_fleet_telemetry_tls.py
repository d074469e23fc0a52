"""Fleet Telemetry over SSL: certificates uploaded in the flow, kept in the entry, used at setup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Mapping
from pathlib import Path
import ssl
from typing import Any
from unittest.mock import AsyncMock, patch
import uuid

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.clients.errors import ClientConnectionError
from custom_components.tesla_energy_sync.clients.fleet_telemetry.config import (
    ConsumerConfig,
    SecurityProtocol,
    Timing,
    kafka_options,
)
from custom_components.tesla_energy_sync.const import (
    CONF_BOOTSTRAP_SERVERS,
    CONF_GROUP_ID,
    CONF_KIND,
    CONF_OFFSET_RESET,
    CONF_SASL_MECHANISM,
    CONF_SECURITY_PROTOCOL,
    CONF_TOPIC_PREFIX,
    CONF_VINS,
    DOMAIN,
    EntryKind,
)
from custom_components.tesla_energy_sync.fleet_telemetry.config import (
    CONF_SSL_CA,
    CONF_SSL_CERT,
    CONF_SSL_KEY,
    LEGACY_SSL_FILES,
)
from custom_components.tesla_energy_sync.fleet_telemetry.flow import CONF_SSL_CLEAR
from simulators.kafka_broker import TANSU_TIMING, TansuBroker, free_port
from simulators.tls import Pki, TlsProxy, key_pem, make_pki, new_key

Upload = Callable[[str | bytes], Awaitable[str]]

PKI = make_pki()
OTHER = make_pki()
CA_SUBJECT = ((("commonName", "Test Kafka CA"),),)
VIN = "5YJ3E1EA0PF000001"
SETTINGS = {
    CONF_BOOTSTRAP_SERVERS: "127.0.0.1:9093",
    CONF_TOPIC_PREFIX: "ha",
    CONF_GROUP_ID: "ha",
    CONF_OFFSET_RESET: "latest",
    CONF_VINS: "",
    CONF_SECURITY_PROTOCOL: "SSL",
}
FLOW_CHECK = "custom_components.tesla_energy_sync.fleet_telemetry.flow.check_connection"


@pytest.fixture
async def upload(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, tmp_path: Path
) -> AsyncGenerator[Upload]:
    """Upload a file as the frontend's file selector does; return its file id.

    Uploads land in the test's own directory: file_upload wipes a shared temp directory.
    """
    assert await async_setup_component(hass, "file_upload", {})
    # The integration's other dependency registers views too: before the test client freezes them.
    assert await async_setup_component(hass, "application_credentials", {})
    client = await hass_client()

    async def send(content: str | bytes) -> str:
        form = aiohttp.FormData()
        form.add_field("file", content, filename="upload.pem")
        response = await client.post("/api/file_upload", data=form)
        assert response.status == 200
        file_id: str = (await response.json())["file_id"]
        return file_id

    with patch(
        "homeassistant.components.file_upload.tempfile.gettempdir", return_value=str(tmp_path)
    ):
        yield send


@pytest.fixture
def check() -> Generator[AsyncMock]:
    """The flow's connection check, recording the consumer configuration it was given."""
    with (
        patch(FLOW_CHECK, AsyncMock(return_value=set())) as mock,
        patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True),
    ):
        yield mock


def _checked(check: AsyncMock) -> ConsumerConfig:
    assert check.await_args is not None
    config: ConsumerConfig = check.await_args.args[0]
    return config


async def _form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.FLEET_TELEMETRY}
    )
    assert result["step_id"] == "fleet_telemetry"
    return str(result["flow_id"])


async def _submit(hass: HomeAssistant, flow_id: str, **fields: Any) -> Any:
    return await hass.config_entries.flow.async_configure(flow_id, {**SETTINGS, **fields})


def _ssl_entry(
    changes: Mapping[str, Any] | None = None, *, without: tuple[str, ...] = ()
) -> MockConfigEntry:
    """A SASL_SSL entry with all three certificates stored (but those `without`)."""
    data = {
        CONF_KIND: EntryKind.FLEET_TELEMETRY,
        **SETTINGS,
        CONF_VINS: [VIN],
        CONF_SECURITY_PROTOCOL: "SASL_SSL",
        CONF_SASL_MECHANISM: "SCRAM-SHA-512",
        CONF_USERNAME: "ha",
        CONF_PASSWORD: "secret",
        CONF_SSL_CA: PKI.ca,
        CONF_SSL_CERT: PKI.client_cert,
        CONF_SSL_KEY: PKI.client_key,
        **(changes or {}),
    }
    return MockConfigEntry(
        domain=DOMAIN,
        title="Fleet Telemetry ha",
        unique_id=f"{data[CONF_BOOTSTRAP_SERVERS]}|{data[CONF_TOPIC_PREFIX]}",
        data={key: value for key, value in data.items() if key not in without},
    )


def _legacy_files(directory: Path, pki: Pki = PKI) -> dict[str, str]:
    """An old entry's keys: PEM files named by path on the Home Assistant host."""
    texts = {CONF_SSL_CA: pki.ca, CONF_SSL_CERT: pki.client_cert, CONF_SSL_KEY: pki.client_key}
    paths = {}
    for key, legacy in LEGACY_SSL_FILES.items():
        path = directory / f"{legacy}.pem"
        path.write_text(texts[key])
        paths[legacy] = str(path)
    return paths


def _trusts_the_ca(context: ssl.SSLContext | None) -> bool:
    assert context is not None
    return [ca["subject"] for ca in context.get_ca_certs()] == [CA_SUBJECT]


async def test_uploaded_certificates_are_kept_in_the_entry(
    hass: HomeAssistant, upload: Upload, check: AsyncMock
) -> None:
    """CA, client certificate and key are uploaded, checked, and their text stored."""
    flow_id = await _form(hass)
    ids = {
        CONF_SSL_CA: await upload(PKI.ca),
        CONF_SSL_CERT: await upload(PKI.client_cert),
        CONF_SSL_KEY: await upload(PKI.client_key),
    }
    result = await _submit(hass, flow_id, **ids)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert (data[CONF_SSL_CA], data[CONF_SSL_CERT], data[CONF_SSL_KEY]) == (
        PKI.ca,
        PKI.client_cert,
        PKI.client_key,
    )
    assert not set(LEGACY_SSL_FILES.values()) & set(data)
    config = _checked(check)
    assert config.security_protocol is SecurityProtocol.SSL
    assert _trusts_the_ca(config.ssl_context)
    options = kafka_options(config, Timing())
    assert options["security_protocol"] == "SSL"
    assert options["ssl_context"] is config.ssl_context


async def test_ssl_without_uploads_trusts_the_system_cas(
    hass: HomeAssistant, check: AsyncMock
) -> None:
    result = await _submit(hass, await _form(hass))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert not {CONF_SSL_CA, CONF_SSL_CERT, CONF_SSL_KEY} & set(result["data"])
    context = _checked(check).ssl_context
    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED


async def test_certificates_are_not_kept_without_tls(
    hass: HomeAssistant, upload: Upload, check: AsyncMock
) -> None:
    """SASL_PLAINTEXT uses no certificate: uploads are ignored, nothing is stored."""
    result = await _submit(
        hass,
        await _form(hass),
        **{
            CONF_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
            CONF_USERNAME: "ha",
            CONF_PASSWORD: "secret",
            CONF_SSL_CA: await upload(PKI.ca),
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_SSL_CA not in result["data"]
    assert _checked(check).ssl_context is None


_BAD_UPLOADS: dict[str, tuple[dict[str, str | bytes], dict[str, str]]] = {
    "ca-not-pem": ({CONF_SSL_CA: "junk"}, {CONF_SSL_CA: "invalid_ca"}),
    "ca-not-text": ({CONF_SSL_CA: b"\x30\x82\xff\xfe"}, {CONF_SSL_CA: "invalid_ca"}),
    "cert-without-key": ({CONF_SSL_CERT: PKI.client_cert}, {"base": "client_cert_key_pair"}),
    "key-without-cert": ({CONF_SSL_KEY: PKI.client_key}, {"base": "client_cert_key_pair"}),
    "cert-not-pem": (
        {CONF_SSL_CERT: "junk", CONF_SSL_KEY: PKI.client_key},
        {CONF_SSL_CERT: "invalid_client_cert"},
    ),
    "key-encrypted": (
        {CONF_SSL_CERT: PKI.client_cert, CONF_SSL_KEY: key_pem(new_key(), b"secret")},
        {CONF_SSL_KEY: "invalid_client_key"},
    ),
    "key-of-another-cert": (
        {CONF_SSL_CERT: PKI.client_cert, CONF_SSL_KEY: OTHER.client_key},
        {CONF_SSL_KEY: "client_cert_key_mismatch"},
    ),
}


@pytest.mark.parametrize("case", list(_BAD_UPLOADS))
async def test_unusable_uploads_are_refused_on_their_field(
    hass: HomeAssistant, upload: Upload, check: AsyncMock, case: str
) -> None:
    """Each unusable file is named; fixing it (the others not uploaded again) succeeds."""
    files, errors = _BAD_UPLOADS[case]
    flow_id = await _form(hass)
    ids = {key: await upload(content) for key, content in files.items()}
    result = await _submit(hass, flow_id, **ids)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    check.assert_not_awaited()
    # The form comes back with the same file ids; the good files were read once and kept.
    good = {CONF_SSL_CA: PKI.ca, CONF_SSL_CERT: PKI.client_cert, CONF_SSL_KEY: PKI.client_key}
    fixed = {key: await upload(good[key]) for key in good if key not in ids or key in errors}
    result = await _submit(hass, flow_id, **(ids | fixed))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert {key: result["data"][key] for key in good} == good


@pytest.mark.parametrize("too_large", [False, True], ids=["unknown-file-id", "too-large"])
async def test_an_upload_that_cannot_be_read_is_refused(
    hass: HomeAssistant, upload: Upload, check: AsyncMock, too_large: bool
) -> None:
    file_id = await upload(PKI.ca + " " * 1024 * 1024) if too_large else uuid.uuid4().hex
    result = await _submit(hass, await _form(hass), **{CONF_SSL_CA: file_id})
    assert result["errors"] == {CONF_SSL_CA: "invalid_ca"}


async def test_an_unreachable_broker_keeps_the_uploads(
    hass: HomeAssistant, upload: Upload, check: AsyncMock
) -> None:
    """Submitting the same form again after cannot_connect reuses the files already read."""
    check.side_effect = [ClientConnectionError("no broker"), set()]
    flow_id = await _form(hass)
    ids = {CONF_SSL_CA: await upload(PKI.ca)}
    result = await _submit(hass, flow_id, **ids)
    assert result["errors"] == {"base": "cannot_connect"}
    result = await _submit(hass, flow_id, **ids)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SSL_CA] == PKI.ca


@pytest.fixture
async def tls_broker(socket_enabled: None) -> AsyncIterator[TlsProxy]:
    """A real broker (Tansu) that clients reach over mutual TLS only, through a TLS proxy."""
    port = free_port()
    tansu = TansuBroker(advertised_port=port)
    await tansu.start()
    proxy = TlsProxy(PKI, (tansu.host, tansu.port), port=port)
    await proxy.start()
    yield proxy
    await proxy.stop()
    tansu.stop()


async def test_the_flow_connects_over_mutual_tls(
    hass: HomeAssistant, upload: Upload, tls_broker: TlsProxy
) -> None:
    """Real handshakes: the uploaded CA must verify the broker, which wants the client cert."""
    bootstrap = {CONF_BOOTSTRAP_SERVERS: f"127.0.0.1:{tls_broker.port}"}
    client = {
        CONF_SSL_CERT: await upload(PKI.client_cert),
        CONF_SSL_KEY: await upload(PKI.client_key),
    }
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        flow_id = await _form(hass)
        # Another CA does not vouch for the broker; the right CA without a client certificate
        # is refused by the broker.
        for ca, extra in ((OTHER.ca, client), (PKI.ca, {})):
            fields = {**bootstrap, CONF_SSL_CA: await upload(ca), **extra}
            result = await _submit(hass, flow_id, **fields)
            assert result["errors"] == {"base": "cannot_connect"}
        result = await _submit(
            hass, flow_id, **bootstrap, **client, **{CONF_SSL_CA: await upload(PKI.ca)}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert tls_broker.refused >= 2
    assert set(tls_broker.clients) == {"tesla_energy_sync"}


# Reconfigure


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "fleet_telemetry_reconfigure"
    return result


def _suggested(result: Any) -> dict[str, Any]:
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


async def test_reconfigure_keeps_certificates_and_password_left_empty(
    hass: HomeAssistant, check: AsyncMock
) -> None:
    """The form shows the settings but no secret; empty fields keep what is stored."""
    entry = _ssl_entry()
    result = await _reconfigure(hass, entry)
    suggested = _suggested(result)
    assert suggested[CONF_BOOTSTRAP_SERVERS] == "127.0.0.1:9093"
    assert suggested[CONF_VINS] == VIN
    assert not {CONF_PASSWORD, CONF_SSL_CA, CONF_SSL_CERT, CONF_SSL_KEY} & set(suggested)
    assert result["description_placeholders"] == {"title": "Fleet Telemetry ha"}
    fields = {
        **SETTINGS,
        CONF_SECURITY_PROTOCOL: "SASL_SSL",
        CONF_SASL_MECHANISM: "SCRAM-SHA-512",
        CONF_USERNAME: "ha",
        CONF_GROUP_ID: "ha-2",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], fields)
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_GROUP_ID] == "ha-2"
    assert entry.data[CONF_PASSWORD] == "secret"
    assert (entry.data[CONF_SSL_CA], entry.data[CONF_SSL_CERT], entry.data[CONF_SSL_KEY]) == (
        PKI.ca,
        PKI.client_cert,
        PKI.client_key,
    )
    assert _trusts_the_ca(_checked(check).ssl_context)


async def test_reconfigure_replaces_the_client_certificate(
    hass: HomeAssistant, upload: Upload, check: AsyncMock
) -> None:
    entry = _ssl_entry()
    result = await _reconfigure(hass, entry)
    fields = {
        CONF_SSL_CERT: await upload(OTHER.client_cert),
        CONF_SSL_KEY: await upload(OTHER.client_key),
        CONF_PASSWORD: "new secret",
    }
    result = await _submit(hass, result["flow_id"], **fields)
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_SSL_CA] == PKI.ca
    assert (entry.data[CONF_SSL_CERT], entry.data[CONF_SSL_KEY]) == (
        OTHER.client_cert,
        OTHER.client_key,
    )
    assert entry.data[CONF_PASSWORD] == "new secret"


async def test_reconfigure_checks_a_new_certificate_against_the_kept_key(
    hass: HomeAssistant, upload: Upload, check: AsyncMock
) -> None:
    """A renewed certificate may keep its key; one for another key is refused."""
    result = await _reconfigure(hass, _ssl_entry())
    result = await _submit(
        hass, result["flow_id"], **{CONF_SSL_CERT: await upload(OTHER.client_cert)}
    )
    assert result["errors"] == {CONF_SSL_KEY: "client_cert_key_mismatch"}


@pytest.mark.parametrize(
    "fields",
    [{CONF_SSL_CLEAR: True}, {CONF_SECURITY_PROTOCOL: "PLAINTEXT"}],
    ids=["forget", "plaintext"],
)
async def test_reconfigure_can_drop_the_certificates(
    hass: HomeAssistant, check: AsyncMock, fields: dict[str, Any]
) -> None:
    entry = _ssl_entry()
    result = await _reconfigure(hass, entry)
    result = await _submit(hass, result["flow_id"], **fields)
    assert result["reason"] == "reconfigure_successful"
    assert not {CONF_SSL_CA, CONF_SSL_CERT, CONF_SSL_KEY} & set(entry.data)


async def test_reconfigure_moves_the_entry_but_not_onto_another(
    hass: HomeAssistant, check: AsyncMock
) -> None:
    """New brokers give a new unique id; one another entry already has is refused."""
    entry = _ssl_entry()
    MockConfigEntry(domain=DOMAIN, unique_id="10.0.0.1:9093|ha", data={}).add_to_hass(hass)
    result = await _reconfigure(hass, entry)
    result = await _submit(hass, result["flow_id"], **{CONF_BOOTSTRAP_SERVERS: "10.0.0.1:9093"})
    assert result["reason"] == "already_configured"
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"], **{CONF_BOOTSTRAP_SERVERS: "10.0.0.2:9093"})
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "10.0.0.2:9093|ha"


async def test_reconfigure_a_legacy_entry(
    hass: HomeAssistant, upload: Upload, check: AsyncMock, tmp_path: Path
) -> None:
    """Paths given before uploads existed are kept until a file is uploaded in their place."""
    paths = _legacy_files(tmp_path)
    entry = _ssl_entry(paths, without=(CONF_SSL_CA, CONF_SSL_CERT, CONF_SSL_KEY))
    result = await _reconfigure(hass, entry)
    result = await _submit(hass, result["flow_id"], **{CONF_SSL_CA: await upload(OTHER.ca)})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_SSL_CA] == OTHER.ca
    assert "ssl_cafile" not in entry.data
    assert entry.data["ssl_certfile"] == paths["ssl_certfile"]
    assert entry.data["ssl_keyfile"] == paths["ssl_keyfile"]
    # A file that has gone: the form says so, and uploading the files instead fixes it.
    await hass.async_add_executor_job(Path(paths["ssl_keyfile"]).unlink)
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"])
    assert result["errors"] == {"base": "tls_file"}
    fields = {
        CONF_SSL_CERT: await upload(PKI.client_cert),
        CONF_SSL_KEY: await upload(PKI.client_key),
    }
    result = await _submit(hass, result["flow_id"], **fields)
    assert result["reason"] == "reconfigure_successful"
    assert not set(LEGACY_SSL_FILES.values()) & set(entry.data)


# Setup


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _consumer_config(entry: MockConfigEntry) -> ConsumerConfig:
    config: ConsumerConfig = entry.runtime_data.hub.consumer.config
    return config


async def test_setup_connects_with_the_stored_certificates(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, tls_broker: TlsProxy
) -> None:
    """The consumer reaches the broker over mutual TLS; diagnostics show none of the PEM."""
    entry = _ssl_entry(
        {CONF_BOOTSTRAP_SERVERS: f"127.0.0.1:{tls_broker.port}", CONF_SECURITY_PROTOCOL: "SSL"}
    )
    with patch("custom_components.tesla_energy_sync.fleet_telemetry.config.TIMING", TANSU_TIMING):
        await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    config = _consumer_config(entry)
    assert config.security_protocol is SecurityProtocol.SSL
    assert _trusts_the_ca(config.ssl_context)
    assert kafka_options(config, Timing())["ssl_context"] is config.ssl_context
    hub = entry.runtime_data.hub
    async with asyncio.timeout(10):
        while not hub.connected:
            await asyncio.sleep(0.05)
            await hass.async_block_till_done()
    assert "tesla_energy_sync" in tls_broker.clients
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = str(diagnostics)
    for pem in (PKI.ca, PKI.client_cert, PKI.client_key):
        assert pem not in text
    assert diagnostics["entry"]["data"][CONF_SSL_KEY] == "**REDACTED**"
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_setup_reads_a_legacy_entrys_files(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = _ssl_entry(
        {**_legacy_files(tmp_path), CONF_BOOTSTRAP_SERVERS: f"127.0.0.1:{free_port()}"},
        without=(CONF_SSL_CA, CONF_SSL_CERT, CONF_SSL_KEY),
    )
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert _trusts_the_ca(_consumer_config(entry).ssl_context)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_setup_fails_on_unusable_certificates(hass: HomeAssistant, tmp_path: Path) -> None:
    """Stored PEM text that TLS refuses: an error; a legacy file missing: retried later."""
    broken = _ssl_entry({CONF_SSL_KEY: OTHER.client_key})
    await _setup(hass, broken)
    assert broken.state is ConfigEntryState.SETUP_ERROR
    assert "client_cert_key_mismatch" in str(broken.reason)
    missing = _ssl_entry(
        {"ssl_cafile": str(tmp_path / "gone.pem"), CONF_TOPIC_PREFIX: "other"},
        without=(CONF_SSL_CA,),
    )
    await _setup(hass, missing)
    assert missing.state is ConfigEntryState.SETUP_RETRY
