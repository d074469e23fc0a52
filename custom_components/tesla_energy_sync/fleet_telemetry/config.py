"""Turn a Fleet Telemetry entry's data into the consumer's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
import ssl
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from ..clients.fleet_telemetry.config import (
    TLS_PROTOCOLS,
    ConsumerConfig,
    OffsetReset,
    SaslMechanism,
    SecurityProtocol,
    Timing,
    build_ssl_context,
)
from ..const import (
    CONF_BOOTSTRAP_SERVERS,
    CONF_GROUP_ID,
    CONF_OFFSET_RESET,
    CONF_SASL_MECHANISM,
    CONF_SECURITY_PROTOCOL,
    CONF_TOPIC_PREFIX,
    CONF_VINS,
    DEFAULT_GROUP_ID,
)

# The consumer's timings (reconnect back-off, liveness probes); tests shorten them.
TIMING = Timing()

# PEM text uploaded in the config flow: the CA (optional: without it the system CAs are
# trusted), and for mutual TLS the client certificate and its unencrypted key.
CONF_SSL_CA = "ssl_ca"
CONF_SSL_CERT = "ssl_cert"
CONF_SSL_KEY = "ssl_key"
SSL_PEMS = (CONF_SSL_CA, CONF_SSL_CERT, CONF_SSL_KEY)
# Entries made before the upload fields name PEM files on the Home Assistant host instead;
# they are still read (at setup, in the executor) until a reconfigure uploads the files.
LEGACY_SSL_FILES = {
    CONF_SSL_CA: "ssl_cafile",
    CONF_SSL_CERT: "ssl_certfile",
    CONF_SSL_KEY: "ssl_keyfile",
}


def uses_tls(data: Mapping[str, Any]) -> bool:
    """Return whether the entry's security protocol is SSL or SASL_SSL."""
    return data.get(CONF_SECURITY_PROTOCOL) in TLS_PROTOCOLS


def _pem(data: Mapping[str, Any], key: str) -> str | None:
    if pem := data.get(key):
        return str(pem)
    if path := data.get(LEGACY_SSL_FILES[key]):
        return Path(path).read_text(encoding="utf-8")
    return None


def ssl_context(data: Mapping[str, Any]) -> ssl.SSLContext | None:
    """Return the TLS context the entry's data describes, None without TLS.

    Blocking (system CAs, a legacy entry's files): run it in the executor. Raises
    TlsMaterialError for unusable PEM text, OSError for a legacy file that cannot be read.
    """
    if not uses_tls(data):
        return None
    return build_ssl_context(*(_pem(data, key) for key in SSL_PEMS))


async def async_consumer_config(hass: HomeAssistant, data: Mapping[str, Any]) -> ConsumerConfig:
    """Return the consumer configuration, its TLS context built in the executor."""
    return consumer_config(data, await hass.async_add_executor_job(ssl_context, data))


def parse_vins(text: str) -> list[str]:
    """Split a comma/space separated VIN list into upper-case VINs."""
    return sorted({vin.strip().upper() for vin in text.replace(",", " ").split() if vin.strip()})


def consumer_config(data: Mapping[str, Any], tls: ssl.SSLContext | None = None) -> ConsumerConfig:
    """Return the consumer configuration an entry's data describes (`tls`: ssl_context)."""
    return ConsumerConfig(
        bootstrap_servers=data[CONF_BOOTSTRAP_SERVERS],
        prefix=data[CONF_TOPIC_PREFIX],
        group_id=data.get(CONF_GROUP_ID, DEFAULT_GROUP_ID),
        auto_offset_reset=OffsetReset(data.get(CONF_OFFSET_RESET, OffsetReset.LATEST)),
        vins=frozenset(data.get(CONF_VINS, ())),
        security_protocol=SecurityProtocol(
            data.get(CONF_SECURITY_PROTOCOL, SecurityProtocol.PLAINTEXT)
        ),
        ssl_context=tls,
        sasl_mechanism=SaslMechanism(data.get(CONF_SASL_MECHANISM, SaslMechanism.PLAIN)),
        sasl_username=data.get(CONF_USERNAME) or None,
        sasl_password=data.get(CONF_PASSWORD) or None,
    )
