"""How to reach the Kafka cluster the Fleet Telemetry server writes to; plain values only."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
import ssl
import tempfile
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from .models import RecordType


class SecurityProtocol(StrEnum):
    """Kafka listener security, as librdkafka and aiokafka name it."""

    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"


TLS_PROTOCOLS = frozenset({SecurityProtocol.SSL, SecurityProtocol.SASL_SSL})


class SaslMechanism(StrEnum):
    """SASL mechanisms supported for username/password logins."""

    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


class OffsetReset(StrEnum):
    """Where a consumer group without a committed offset starts."""

    EARLIEST = "earliest"
    LATEST = "latest"


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    """One Kafka cluster, namespace and consumer group; `vins` empty means every vehicle."""

    bootstrap_servers: str
    prefix: str
    group_id: str
    auto_offset_reset: OffsetReset = OffsetReset.LATEST
    vins: frozenset[str] = frozenset()
    security_protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    ssl_context: ssl.SSLContext | None = None
    """Required for SSL and SASL_SSL; build_ssl_context makes one (in an executor)."""
    sasl_mechanism: SaslMechanism = SaslMechanism.PLAIN
    sasl_username: str | None = None
    sasl_password: str | None = None
    client_id: str = "tesla_energy_sync"

    @property
    def topics(self) -> tuple[str, ...]:
        """Return the four topics the server writes for this namespace."""
        return tuple(kind.topic(self.prefix) for kind in RecordType)

    def allows(self, vin: str) -> bool:
        """Return whether records of this VIN are wanted."""
        return not self.vins or vin in self.vins


@dataclass(frozen=True, slots=True)
class Timing:
    """Consumer timings; the defaults suit Home Assistant, tests shorten them."""

    backoff_initial: float = 0.5
    backoff_max: float = 3.0
    """The longest pause between reconnects: after an outage the broker is back within it. A
    reconnect costs a TCP connection and a metadata request, cheap even every few seconds."""
    poll_timeout: float = 1.0
    probe_interval: float = 4.0
    """How long the consumer may sit idle before it checks the broker still answers. With
    probe_timeout this bounds detection: a broker that froze is found within 4 + 5 s."""
    probe_timeout: float = 5.0
    """How long a metadata probe or a commit may take before the broker counts as gone."""
    connect_timeout: float = 10.0
    """How long building the consumer (bootstrap, group coordinator) may take before the broker
    counts as gone; without it a frozen broker holds the start for the request timeout."""
    request_timeout: float = 30.0
    """aiokafka's own request timeout; a group join waits on the broker longer than most."""
    session_timeout: float = 10.0
    heartbeat_interval: float = 3.0
    metadata_max_age: float = 30.0
    max_records: int = 500
    fetch_max_wait: float = 0.025
    """How long the broker may hold a fetch. aiokafka's 500 ms default let a fetch for the quiet
    topics (_alerts, _errors, ...) block the busy _V topic, and brokers that answer a held fetch
    late added up to that much latency (bench/telemetry: p99 252 ms at 500 ms, ~16 ms at 20 ms,
    for an idle fetch every few tens of milliseconds)."""


class TlsMaterialError(ValueError):
    """A CA, client certificate or key that TLS cannot use; `reason` says which."""

    def __init__(self, reason: str, detail: object = None) -> None:
        """Keep the reason (a config flow error key) and what the library said."""
        super().__init__(f"{reason}: {detail}" if detail is not None else reason)
        self.reason = reason


def build_ssl_context(
    ca: str | None = None, cert: str | None = None, key: str | None = None
) -> ssl.SSLContext:
    """Return a TLS client context from PEM text. Blocking: run it in an executor.

    Without `ca` the system CAs are trusted. `cert` and `key` (mutual TLS) come together;
    the key must not be encrypted. Raises TlsMaterialError naming what is unusable.
    """
    if (cert is None) != (key is None):
        raise TlsMaterialError("client_cert_key_pair")
    try:
        context = ssl.create_default_context(cadata=ca) if ca else ssl.create_default_context()
    except (ssl.SSLError, ValueError) as err:
        raise TlsMaterialError("invalid_ca", err) from err
    # Python 3.13 made the default context reject CAs that are not strictly RFC 5280 (a
    # non-critical basicConstraints, as `openssl req -x509` writes); Kafka clusters often run on
    # such private CAs, and aiokafka's own context never had the flag.
    context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    if cert is not None and key is not None:
        _load_client_cert(context, cert, key)
    return context


def _load_client_cert(context: ssl.SSLContext, cert: str, key: str) -> None:
    """Check the certificate and key apart (clearer errors), then load them as a pair."""
    try:
        x509.load_pem_x509_certificates(cert.encode())
    except ValueError as err:
        raise TlsMaterialError("invalid_client_cert", err) from err
    try:
        load_pem_private_key(key.encode(), password=None)
    except (TypeError, ValueError, UnsupportedAlgorithm) as err:  # TypeError: encrypted
        raise TlsMaterialError("invalid_client_key", err) from err
    # ssl loads a certificate chain from files only: a private directory, gone at once.
    with tempfile.TemporaryDirectory(prefix="tesla_energy_sync-") as directory:
        certfile, keyfile = Path(directory, "cert.pem"), Path(directory, "key.pem")
        for path, text in ((certfile, cert), (keyfile, key)):
            path.touch(mode=0o600)
            path.write_text(text, encoding="utf-8")
        try:
            # A password (never used: the key is not encrypted) keeps OpenSSL from prompting.
            context.load_cert_chain(certfile, keyfile, password="")
        except ssl.SSLError as err:
            raise TlsMaterialError("client_cert_key_mismatch", err) from err


def kafka_options(config: ConsumerConfig, timing: Timing) -> dict[str, Any]:
    """Return AIOKafkaConsumer keyword arguments; offsets are only committed after applying."""
    options: dict[str, Any] = {
        "bootstrap_servers": config.bootstrap_servers,
        "group_id": config.group_id,
        "client_id": config.client_id,
        "auto_offset_reset": str(config.auto_offset_reset),
        "enable_auto_commit": False,
        "request_timeout_ms": int(timing.request_timeout * 1000),
        "session_timeout_ms": int(timing.session_timeout * 1000),
        "heartbeat_interval_ms": int(timing.heartbeat_interval * 1000),
        "metadata_max_age_ms": int(timing.metadata_max_age * 1000),
        "fetch_max_wait_ms": int(timing.fetch_max_wait * 1000),
        "security_protocol": str(config.security_protocol),
    }
    if config.security_protocol in TLS_PROTOCOLS:
        if config.ssl_context is None:
            raise ValueError(f"{config.security_protocol} needs an ssl_context")
        options["ssl_context"] = config.ssl_context
    if config.security_protocol in {SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL}:
        options["sasl_mechanism"] = str(config.sasl_mechanism)
        options["sasl_plain_username"] = config.sasl_username
        options["sasl_plain_password"] = config.sasl_password
    return options
