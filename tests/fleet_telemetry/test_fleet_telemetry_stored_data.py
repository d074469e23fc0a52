"""A Fleet Telemetry entry whose stored settings cannot work fails set-up and stays deletable.

An entry made before the form checked its fields (a 100 kB topic prefix, a broker list
aiokafka cannot parse) used to start a consumer that never subscribed and never stopped,
so unloading it, and with that deleting it, hung.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

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
from custom_components.tesla_energy_sync.fleet_telemetry.flow import stored_data_problem
from simulators.hostile import HostileServer, Misbehaviour

SOUND: dict[str, Any] = {
    CONF_KIND: EntryKind.FLEET_TELEMETRY,
    CONF_BOOTSTRAP_SERVERS: "127.0.0.1:9",
    CONF_TOPIC_PREFIX: "ha",
    CONF_GROUP_ID: "ha",
    CONF_OFFSET_RESET: "latest",
    CONF_VINS: [],
}

ODD: dict[str, tuple[dict[str, Any], str]] = {
    "100 kB prefix": ({CONF_TOPIC_PREFIX: "p" * 100_000}, CONF_TOPIC_PREFIX),
    "prefix with a slash": ({CONF_TOPIC_PREFIX: "a/b"}, CONF_TOPIC_PREFIX),
    "port not a number": ({CONF_BOOTSTRAP_SERVERS: "x:notaport"}, CONF_BOOTSTRAP_SERVERS),
    "port out of range": ({CONF_BOOTSTRAP_SERVERS: "127.0.0.1:99999"}, CONF_BOOTSTRAP_SERVERS),
    "a URL for brokers": ({CONF_BOOTSTRAP_SERVERS: "file:///etc/passwd"}, CONF_BOOTSTRAP_SERVERS),
    "no brokers": ({CONF_BOOTSTRAP_SERVERS: ""}, CONF_BOOTSTRAP_SERVERS),
    "blank group": ({CONF_GROUP_ID: "  "}, CONF_GROUP_ID),
    "unknown offset reset": ({CONF_OFFSET_RESET: "yesterday"}, CONF_OFFSET_RESET),
    "unknown protocol": ({CONF_SECURITY_PROTOCOL: "QUANTUM"}, CONF_SECURITY_PROTOCOL),
    "unknown mechanism": ({CONF_SASL_MECHANISM: "GSSAPI"}, CONF_SASL_MECHANISM),
    "VINs not a list": ({CONF_VINS: "5YJ3E1EA7KF000001"}, CONF_VINS),
    "SASL without a user": (
        {CONF_SECURITY_PROTOCOL: "SASL_PLAINTEXT", CONF_PASSWORD: "secret"},
        CONF_USERNAME,
    ),
    "SASL without a password": (
        {CONF_SECURITY_PROTOCOL: "SASL_SSL", CONF_USERNAME: "ha", CONF_PASSWORD: ""},
        CONF_PASSWORD,
    ),
}


@pytest.mark.parametrize("case", list(ODD))
async def test_odd_settings_fail_setup_and_the_entry_is_deleted(
    hass: HomeAssistant, socket_enabled: None, case: str
) -> None:
    """Set-up fails with the setting named; nothing connects; removing needs no restart."""
    changes, field = ODD[case]
    # Were a consumer started, it would hang on this broker instead of failing fast.
    broker = HostileServer(Misbehaviour.HANG)
    await broker.start()
    data = {**SOUND, CONF_BOOTSTRAP_SERVERS: broker.host, **changes}
    entry = MockConfigEntry(domain=DOMAIN, title="Fleet Telemetry odd", data=data)
    entry.add_to_hass(hass)
    try:
        assert not await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.SETUP_ERROR
        assert entry.reason is not None
        assert f"setting {field} " in entry.reason
        assert broker.connections == 0
        assert await hass.config_entries.async_remove(entry.entry_id) == {"require_restart": False}
    finally:
        await broker.stop()
    assert hass.config_entries.async_get_entry(entry.entry_id) is None


WITHOUT_GROUP = {key: value for key, value in SOUND.items() if key != CONF_GROUP_ID}


@pytest.mark.parametrize(
    "data",
    [
        SOUND,
        # A bare host: Kafka's clients add port 9092.
        {**SOUND, CONF_BOOTSTRAP_SERVERS: "kafka-1, kafka-2:9093"},
        # A VIN older forms let through (it only filters records).
        {**SOUND, CONF_VINS: ["5YJ3SIM0000000001"]},
        # From before the group was asked for.
        WITHOUT_GROUP,
        {**SOUND, CONF_SECURITY_PROTOCOL: "SASL_SSL", CONF_USERNAME: "ha", CONF_PASSWORD: "pw"},
    ],
    ids=["sound", "bare host", "odd VIN", "no group", "SASL"],
)
def test_what_older_forms_stored_still_sets_up(data: dict[str, Any]) -> None:
    assert stored_data_problem(data) is None
