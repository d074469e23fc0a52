"""The form checks: what real users type passes unchanged, the rest names its error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from custom_components.tesla_energy_sync import validation
from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import valid_vin
from custom_components.tesla_energy_sync.validation import InputError

GOOD: list[tuple[Callable[[Any], Any], Any, Any]] = [
    (validation.host, "192.168.1.50", "192.168.1.50"),
    (validation.host, " 192.168.1.50:8080 ", "192.168.1.50:8080"),
    (validation.host, "wall-connector.local", "wall-connector.local"),
    (validation.host, "tesla_wc.lan.", "tesla_wc.lan."),
    (validation.host, "fe80::1", "fe80::1"),
    (validation.host, "fe80::1%eth0", "fe80::1%eth0"),
    (validation.host, "[fe80::1]:443", "[fe80::1]:443"),
    (validation.host, "[::1]", "[::1]"),
    (validation.base_url, "https://api.amber.com.au/v1", "https://api.amber.com.au/v1"),
    (validation.base_url, "http://127.0.0.1:8123/", "http://127.0.0.1:8123/"),
    (validation.base_url, "https://[::1]:8443/api/", "https://[::1]:8443/api/"),
    (validation.token, " psk_0123abcd ", "psk_0123abcd"),
    (validation.token, "eyJhbGciOi.eyJzdWIiOi-_x.sig+/=", "eyJhbGciOi.eyJzdWIiOi-_x.sig+/="),
    (validation.password, " spaces count ", " spaces count "),
    (validation.password, "pässwörd", "pässwörd"),
    (validation.username, " ha-user ", "ha-user"),
    (validation.email, "", ""),
    (validation.email, None, ""),
    (validation.email, " owner@example.com ", "owner@example.com"),
    (validation.bootstrap_servers, "k1:9092, k2:9093 ,[::1]:9094", "k1:9092,k2:9093,[::1]:9094"),
    (validation.topic_prefix, "tesla.fleet-telemetry_1", "tesla.fleet-telemetry_1"),
    (validation.group_id, "home-assistant/main", "home-assistant/main"),
    (validation.vins, "", []),
    (validation.vins, None, []),
    (
        validation.vins,
        "5yjygdee1lf000002, 5YJ3E1EA7KF000001;5YJ3E1EA7KF000001\n",
        ["5YJ3E1EA7KF000001", "5YJYGDEE1LF000002"],
    ),
]


@pytest.mark.parametrize(("check", "value", "cleaned"), GOOD)
def test_what_users_type_passes(check: Callable[[Any], Any], value: Any, cleaned: Any) -> None:
    assert check(value) == cleaned


BAD: list[tuple[Callable[[Any], Any], Any, str]] = [
    (validation.host, None, "invalid_host"),
    (validation.host, 42, "invalid_host"),
    (validation.host, "[fe80::1", "invalid_host"),
    (validation.host, "[fe80::1]x", "invalid_host"),
    (validation.host, "[wallconnector]:80", "invalid_host"),
    (validation.host, "a" * 64 + ".local", "invalid_host"),
    (validation.host, "user@host", "invalid_host"),
    (validation.host, "host:", "invalid_host"),
    (validation.base_url, "https://", "invalid_url"),
    (validation.base_url, "http://x:abc/", "invalid_url"),
    (validation.base_url, "http://x:0/", "invalid_url"),
    (validation.base_url, "http://exa mple.com/", "invalid_url"),
    (validation.base_url, "http://x#frag", "invalid_url"),
    (validation.base_url, "http://bad_label-.com/", "invalid_url"),
    (validation.token, "x" * 4097, "invalid_token"),
    (validation.password, 1234, "invalid_password"),
    (validation.password, "x" * 1025, "invalid_password"),
    (validation.password, "zero\u200bwidth", "invalid_password"),
    (validation.username, "x" * 256, "invalid_username"),
    (validation.email, "a@b@c", "invalid_email"),
    (validation.email, "a@", "invalid_email"),
    (validation.email, 7, "invalid_email"),
    (validation.bootstrap_servers, "k1", "invalid_bootstrap_servers"),
    (validation.bootstrap_servers, "k1:9092,", "invalid_bootstrap_servers"),
    (validation.topic_prefix, "a+b", "invalid_topic_prefix"),
    (validation.group_id, "", "invalid_group_id"),
    (validation.vins, ["5YJ3E1EA7KF000001"], "invalid_vins"),
    (validation.vins, "5YJ3E1EA7KF00000O", "invalid_vins"),
    (validation.vins, "5YJ3E1EA7KF00000Q", "invalid_vins"),
]


@pytest.mark.parametrize(("check", "value", "error"), BAD)
def test_the_rest_names_its_error(check: Callable[[Any], Any], value: Any, error: str) -> None:
    with pytest.raises(InputError) as raised:
        check(value)
    assert raised.value.error == error
    # The message is the key: a secret typed in never reaches a log line through it.
    assert str(raised.value) == error


def test_kafka_clients_take_a_bare_host_where_the_form_did() -> None:
    """Set-up accepts the bare hosts older forms stored (Kafka adds port 9092)."""
    assert validation.bootstrap_servers("k1, k2:9093", require_port=False) == "k1,k2:9093"
    with pytest.raises(InputError):
        validation.bootstrap_servers("k1, k2:9093")


def test_stored_vins_are_checked_as_a_list() -> None:
    assert validation.vin_list(["5YJ3E1EA7KF000001", "5YJ3E1EA7KF000001"]) == ["5YJ3E1EA7KF000001"]
    with pytest.raises(InputError):
        validation.vin_list([f"5YJ3E1EA7KF{index:06d}" for index in range(101)])
    with pytest.raises(InputError):
        validation.vin_list([None])


@pytest.mark.parametrize(
    ("vin", "valid"),
    [
        ("5YJ3E1EA7KF000001", True),
        ("5YJ3E1EA0PF000001", True),
        ("WBA00000000000000", True),
        ("5YJ3E1EA0PF00000I", False),  # I, O and Q never appear in a VIN
        ("5YJ3E1EA0PF00000O", False),
        ("5YJ3E1EA0PF00000Q", False),
        ("5yj3e1ea0pf000001", False),
        ("5YJ3E1EA0PF00001", False),
        ("5YJ3E1EA0PF0000011", False),
        ("V" * 1_000_000, False),
        ("", False),
    ],
)
def test_valid_vin(vin: str, valid: bool) -> None:
    """One VIN rule for the forms and the Kafka consumer (which drops records of others)."""
    assert valid_vin(vin) is valid
