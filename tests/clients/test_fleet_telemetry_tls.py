"""The Kafka consumer's TLS context, from PEM text: CA, client certificate, and what is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from pathlib import Path
import ssl
from typing import Any

import pytest

from custom_components.tesla_energy_sync.clients.fleet_telemetry.config import (
    TlsMaterialError,
    build_ssl_context,
)
from simulators.tls import Pki, key_pem, make_pki, new_key


@contextlib.asynccontextmanager
async def _tls_server(pki: Pki, directory: Path, peers: list[dict[str, Any]]) -> AsyncIterator[int]:
    """Serve TLS on loopback with the PKI's server certificate, requiring a client certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cadata=pki.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    (directory / "server.pem").write_text(pki.server_cert + pki.server_key)
    context.load_cert_chain(directory / "server.pem")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The handshake here, not in start_server: a client that refuses it is expected.
        try:
            await writer.start_tls(context)
        except OSError:  # ssl.SSLError, or the client hanging up
            writer.close()
            return
        peers.append(writer.get_extra_info("peercert"))
        writer.write(b"hello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def _hello(port: int, context: ssl.SSLContext) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    try:
        return await reader.read()
    finally:
        writer.close()


def test_without_a_ca_the_system_cas_are_trusted() -> None:
    context = build_ssl_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert not context.verify_flags & ssl.VERIFY_X509_STRICT


@pytest.mark.parametrize("strict_ca", [True, False], ids=["strict-ca", "openssl-style-ca"])
async def test_mutual_tls_with_the_uploaded_ca_and_client_certificate(
    strict_ca: bool, tmp_path: Path
) -> None:
    """The CA verifies the broker and the client certificate is presented, on a real handshake."""
    pki = make_pki(strict_ca=strict_ca)
    context = build_ssl_context(pki.ca, pki.client_cert, pki.client_key)
    assert [ca["subject"] for ca in context.get_ca_certs()] == [
        ((("commonName", "Test Kafka CA"),),)
    ]
    peers: list[dict[str, Any]] = []
    async with _tls_server(pki, tmp_path, peers) as port:
        assert await _hello(port, context) == b"hello"
        # The system CAs do not know the private CA.
        with pytest.raises(ssl.SSLCertVerificationError):
            await _hello(port, build_ssl_context())
    assert peers[0]["subject"] == ((("commonName", "tesla_energy_sync"),),)


async def test_a_ca_python_finds_too_loose_is_still_accepted(tmp_path: Path) -> None:
    """Python's strict X.509 mode would refuse an `openssl req -x509` CA; we clear it."""
    pki = make_pki(strict_ca=False)
    strict = build_ssl_context(pki.ca)
    strict.verify_flags |= ssl.VERIFY_X509_STRICT
    async with _tls_server(pki, tmp_path, []) as port:
        with pytest.raises(ssl.SSLCertVerificationError):
            await _hello(port, strict)


_PKI = make_pki()
_CASES: dict[str, Callable[[Pki], tuple[str | None, str | None, str | None]]] = {
    "ca-not-pem": lambda pki: ("not a certificate", None, None),
    "ca-is-a-key": lambda pki: (pki.client_key, None, None),
    "cert-without-key": lambda pki: (pki.ca, pki.client_cert, None),
    "key-without-cert": lambda pki: (None, None, pki.client_key),
    "cert-not-pem": lambda pki: (None, "junk", pki.client_key),
    "cert-is-a-key": lambda pki: (None, pki.client_key, pki.client_key),
    "key-not-pem": lambda pki: (None, pki.client_cert, "junk"),
    "key-encrypted": lambda pki: (None, pki.client_cert, key_pem(new_key(), b"secret")),
    "key-of-another-cert": lambda pki: (None, pki.client_cert, pki.server_key),
}
_REASONS = {
    "ca-not-pem": "invalid_ca",
    "ca-is-a-key": "invalid_ca",
    "cert-without-key": "client_cert_key_pair",
    "key-without-cert": "client_cert_key_pair",
    "cert-not-pem": "invalid_client_cert",
    "cert-is-a-key": "invalid_client_cert",
    "key-not-pem": "invalid_client_key",
    "key-encrypted": "invalid_client_key",
    "key-of-another-cert": "client_cert_key_mismatch",
}


@pytest.mark.parametrize("case", list(_CASES))
def test_unusable_material_says_which_part(case: str) -> None:
    with pytest.raises(TlsMaterialError) as caught:
        build_ssl_context(*_CASES[case](_PKI))
    assert caught.value.reason == _REASONS[case]
    assert str(caught.value).startswith(_REASONS[case])
