"""Turn a Fleet Telemetry entry's data into the consumer's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .clients.fleet_telemetry.config import (
    ConsumerConfig,
    OffsetReset,
    SaslMechanism,
    SecurityProtocol,
    Timing,
)
from .const import (
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

CONF_SSL_CAFILE = "ssl_cafile"
CONF_SSL_CERTFILE = "ssl_certfile"
CONF_SSL_KEYFILE = "ssl_keyfile"


def parse_vins(text: str) -> list[str]:
    """Split a comma/space separated VIN list into upper-case VINs."""
    return sorted({vin.strip().upper() for vin in text.replace(",", " ").split() if vin.strip()})


def consumer_config(data: Mapping[str, Any]) -> ConsumerConfig:
    """Return the consumer configuration an entry's data describes."""
    return ConsumerConfig(
        bootstrap_servers=data[CONF_BOOTSTRAP_SERVERS],
        prefix=data[CONF_TOPIC_PREFIX],
        group_id=data.get(CONF_GROUP_ID, DEFAULT_GROUP_ID),
        auto_offset_reset=OffsetReset(data.get(CONF_OFFSET_RESET, OffsetReset.LATEST)),
        vins=frozenset(data.get(CONF_VINS, ())),
        security_protocol=SecurityProtocol(
            data.get(CONF_SECURITY_PROTOCOL, SecurityProtocol.PLAINTEXT)
        ),
        ssl_cafile=data.get(CONF_SSL_CAFILE) or None,
        ssl_certfile=data.get(CONF_SSL_CERTFILE) or None,
        ssl_keyfile=data.get(CONF_SSL_KEYFILE) or None,
        sasl_mechanism=SaslMechanism(data.get(CONF_SASL_MECHANISM, SaslMechanism.PLAIN)),
        sasl_username=data.get(CONF_USERNAME) or None,
        sasl_password=data.get(CONF_PASSWORD) or None,
    )
