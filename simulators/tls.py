"""TLS for tests: a throwaway PKI (CA, server and client certificates), a TLS front for Kafka."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import datetime as dt
import ipaddress
from pathlib import Path
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ._server import require_loopback

_PrivateKey = ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class Pki:
    """PEM text: a CA, a server and a client certificate it signed, their keys."""

    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str


def key_pem(key: _PrivateKey, password: bytes | None = None) -> str:
    """Return a private key as PKCS#8 PEM, encrypted when `password` is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


def new_key() -> _PrivateKey:
    """Return a fresh P-256 key (quick to make, unlike RSA)."""
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: str, issuer: str, key: _PrivateKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )


def make_pki(*, strict_ca: bool = True) -> Pki:
    """Return a fresh PKI; `strict_ca=False` marks the CA's basicConstraints non-critical.

    That is how `openssl req -x509` writes a CA, which Python's strict X.509 checks reject.
    """
    ca_key, server_key, client_key = new_key(), new_key(), new_key()
    ca = (
        _builder("Test Kafka CA", "Test Kafka CA", ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=strict_ca)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(subject: str, key: _PrivateKey, usage: x509.ObjectIdentifier) -> str:
        builder = (
            _builder(subject, "Test Kafka CA", key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        )
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    return Pki(
        ca=ca.public_bytes(serialization.Encoding.PEM).decode(),
        server_cert=leaf("127.0.0.1", server_key, ExtendedKeyUsageOID.SERVER_AUTH),
        server_key=key_pem(server_key),
        client_cert=leaf("tesla_energy_sync", client_key, ExtendedKeyUsageOID.CLIENT_AUTH),
        client_key=key_pem(client_key),
    )


class TlsProxy:
    """Terminate TLS on loopback, a client certificate required, and relay the bytes to `target`.

    In front of a plaintext Kafka broker that advertises the proxy's port, Kafka clients speak
    SSL end to end (mutual TLS included) to a broker that has no TLS of its own.
    """

    def __init__(self, pki: Pki, target: tuple[str, int], *, port: int, host: str = "127.0.0.1"):
        """Prepare the proxy on host:port (the port the broker advertises)."""
        self.host = require_loopback(host)
        self.port = port
        self.target = target
        self.clients: list[str] = []
        """Common names of the client certificates of the handshakes that succeeded."""
        self.refused = 0
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cadata=pki.ca)
        self._context.verify_mode = ssl.CERT_REQUIRED
        self._context.verify_flags &= ~ssl.VERIFY_X509_STRICT
        with tempfile.TemporaryDirectory() as directory:
            pem = Path(directory, "server.pem")
            pem.write_text(pki.server_cert + pki.server_key, encoding="utf-8")
            self._context.load_cert_chain(pem)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen; the handshake happens per connection, so a refused client logs no error."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and drop the connections."""
        if self._server is not None:
            self._server.close()
            self._server.close_clients()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await writer.start_tls(self._context)
        except OSError:  # ssl.SSLError, or a client that hung up on our certificate
            self.refused += 1
            writer.close()
            return
        subject = dict(item[0] for item in writer.get_extra_info("peercert")["subject"])
        self.clients.append(subject["commonName"])
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_relay(reader, upstream_writer), _relay(upstream_reader, writer))


async def _relay(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until either side closes, then close the sink."""
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except OSError:
        pass
    finally:
        sink.close()
