"""Checks for what a user types into a form, before anything uses it.

Each check takes the raw value (any JSON type: the flow API lets a caller send anything the
schema lets through) and returns it cleaned, or raises InputError with the form error key. Limits
keep a typo or a pasted file from reaching a socket, a header, a log line or a unique id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import ipaddress
import re
from typing import Any, Final

from yarl import URL

from .clients.fleet_telemetry.models import valid_vin

MAX_HOST: Final = 260  # a 253-character name and a port
MAX_URL: Final = 2048
MAX_TOKEN: Final = 4096
MAX_PASSWORD: Final = 1024
MAX_NAME: Final = 255  # usernames, consumer groups
MAX_EMAIL: Final = 254
MAX_BOOTSTRAP: Final = 2048
MAX_BROKERS: Final = 20
MAX_TOPIC_PREFIX: Final = 200  # Kafka allows 249 characters; the longest suffix is 13
MAX_VINS: Final = 100
MAX_VIN_TEXT: Final = 4096

type Validator = Callable[[Any], Any]
"""A check: takes the raw value, returns it cleaned or raises InputError."""

_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_TOPIC_PREFIX = re.compile(r"[A-Za-z0-9._-]+")
# ISO 3779: 17 characters, digits and capitals without I, O and Q.
_VIN_SEPARATORS = re.compile(r"[\s,;]+")


class InputError(ValueError):
    """A value a form cannot take; `error` is the translated error key to show under it."""

    def __init__(self, error: str) -> None:
        """Keep the error key; the message never repeats the value (it may be a secret)."""
        super().__init__(error)
        self.error = error


def _text(value: object, error: str, limit: int) -> str:
    """Return `value` stripped; it must be a non-empty string of at most `limit` characters."""
    if not isinstance(value, str):
        raise InputError(error)
    text = value.strip()
    if not text or len(text) > limit:
        raise InputError(error)
    return text


def _visible_ascii(text: str) -> bool:
    """Return whether every character is printable ASCII other than a space."""
    return all("!" <= char <= "~" for char in text)


def _printable(text: str) -> bool:
    """Return whether the text holds no control characters (any script is fine)."""
    return text.isprintable()


def _hostname(name: str) -> bool:
    """Return whether `name` is an IP address or a DNS name (ASCII labels, 253 at most)."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return True
    labels = name.removesuffix(".").split(".")
    return len(name) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def _port(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and 0 < int(raw) < 65536


def host(value: object, *, require_port: bool = False, error: str = "invalid_host") -> str:
    """Return "host", "host:port", "[v6]:port" or a bare IPv6 address as typed, or raise.

    No scheme, path, user or query: the client adds those.
    """
    text = _text(value, error, MAX_HOST)
    if not _visible_ascii(text) or any(char in text for char in "/?#@\\"):
        raise InputError(error)
    name, port = text, None
    if text.startswith("["):
        name, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise InputError(error)
        if rest:
            if not rest.startswith(":"):
                raise InputError(error)
            port = rest[1:]
        if ":" not in name:  # brackets are for IPv6 addresses only
            raise InputError(error)
    elif text.count(":") == 1:
        name, _, port = text.partition(":")
    if not name or not _hostname(name):
        raise InputError(error)
    if (port is None and require_port) or (port is not None and not _port(port)):
        raise InputError(error)
    return text


def base_url(value: object) -> str:
    """Return an http(s) URL with a host (and perhaps a path), as typed; or raise."""
    text = _text(value, "invalid_url", MAX_URL)
    if not _visible_ascii(text):
        raise InputError("invalid_url")
    try:
        url = URL(text)
        port = url.explicit_port  # yarl raises for a port out of range only when asked
    except ValueError:
        raise InputError("invalid_url") from None
    if (
        url.scheme not in {"http", "https"}
        or not url.raw_host
        or not _hostname(url.raw_host)
        or url.raw_user is not None
        or url.raw_password is not None
        or url.raw_query_string
        or url.raw_fragment
        or (port is not None and not 0 < port < 65536)
    ):
        raise InputError("invalid_url")
    return text


def token(value: object) -> str:
    """Return an API token: visible ASCII only (it goes into an HTTP header), 4 kB at most."""
    text = _text(value, "invalid_token", MAX_TOKEN)
    if not _visible_ascii(text):
        raise InputError("invalid_token")
    return text


def password(value: object) -> str:
    """Return a password as typed (spaces count): not blank, no control characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PASSWORD:
        raise InputError("invalid_password")
    if not _printable(value):
        raise InputError("invalid_password")
    return value


def username(value: object) -> str:
    """Return a login name: not blank, no control characters."""
    text = _text(value, "invalid_username", MAX_NAME)
    if not _printable(text):
        raise InputError("invalid_username")
    return text


def email(value: object) -> str:
    """Return an email address, or "" when none was given (it is optional where asked)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    text = _text(value, "invalid_email", MAX_EMAIL)
    local, _, domain = text.partition("@")
    if (
        text.count("@") != 1
        or not local
        or not domain
        or not _printable(text)
        or any(char.isspace() for char in text)
    ):
        raise InputError("invalid_email")
    return text


def bootstrap_servers(value: object, *, require_port: bool = True) -> str:
    """Return a comma-separated list of host:port, spaces removed; or raise.

    Kafka's clients take a bare host for port 9092; forms ask for the port all the same.
    """
    error = "invalid_bootstrap_servers"
    text = _text(value, error, MAX_BOOTSTRAP)
    servers = [server.strip() for server in text.split(",")]
    if len(servers) > MAX_BROKERS:
        raise InputError(error)
    return ",".join(host(server, require_port=require_port, error=error) for server in servers)


def topic_prefix(value: object) -> str:
    """Return a prefix that makes valid Kafka topic names ([A-Za-z0-9._-], 200 at most)."""
    text = _text(value, "invalid_topic_prefix", MAX_TOPIC_PREFIX)
    if not _TOPIC_PREFIX.fullmatch(text):
        raise InputError("invalid_topic_prefix")
    return text


def group_id(value: object) -> str:
    """Return a consumer group id: visible ASCII, 255 at most."""
    text = _text(value, "invalid_group_id", MAX_NAME)
    if not _visible_ascii(text):
        raise InputError("invalid_group_id")
    return text


def vins(value: object) -> list[str]:
    """Return the VINs of a comma (or space) separated list, upper-cased, sorted, unique."""
    if value is None:
        return []
    if not isinstance(value, str) or len(value) > MAX_VIN_TEXT:
        raise InputError("invalid_vins")
    return vin_list(vin for vin in _VIN_SEPARATORS.split(value.upper()) if vin)


def vin_list(values: Iterable[object]) -> list[str]:
    """Return stored (or split) VINs checked, sorted and unique."""
    found: set[str] = set()
    for vin in values:
        if not isinstance(vin, str) or not valid_vin(vin):
            raise InputError("invalid_vins")
        found.add(vin)
    if len(found) > MAX_VINS:
        raise InputError("invalid_vins")
    return sorted(found)
