"""Fleet Telemetry end to end: real Kafka (Tansu) → consumer → hub → vehicle entities."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import random
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.tesla_energy_sync.clients.fleet_telemetry.models import (
    ConnectivityStatus,
    RecordType,
)
from custom_components.tesla_energy_sync.const import (
    CONF_BOOTSTRAP_SERVERS,
    CONF_GROUP_ID,
    CONF_OFFSET_RESET,
    CONF_TOPIC_PREFIX,
    CONF_VINS,
    DOMAIN,
    EVENT_VEHICLE_ALERT,
    EntryKind,
)
from simulators.fleet_telemetry import (
    START_TIME,
    FleetProducer,
    encode_payload,
    expected_state,
    trip_samples,
)
from simulators.kafka_broker import TansuBroker

from ..helpers import entity_id
from .common import (
    OTHER_VIN,
    PREFIX,
    VIN,
    setup_connected,
    state_of,
    until,
    value_of,
    vehicle_state,
)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # speed, gear, odometer
async def test_a_drive_home(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """A car drives home and charges: its device, tracker, sensors, zone and alerts follow."""
    plan = producer.plan(VIN)
    home = expected_state(plan)["Location"]
    hass.config.latitude, hass.config.longitude = home
    assert await async_setup_component(
        hass,
        "zone",
        {"zone": {"name": "Home", "latitude": home[0], "longitude": home[1], "radius": 150}},
    )
    await setup_connected(hass, telemetry_entry)
    alerts: list[Event] = []
    hass.bus.async_listen(EVENT_VEHICLE_ALERT, alerts.append)

    await producer.send_drive(VIN)
    await until(
        hass,
        lambda: (
            (s := vehicle_state(hass, "sensor", VIN, "shift_state")) is not None
            and s.state == "p"
            and (b := vehicle_state(hass, "binary_sensor", VIN, "online")) is not None
            and b.state == "off"
        ),
    )

    expected = expected_state(plan)
    tracker = state_of(hass, "device_tracker", VIN, "location")
    assert (tracker.attributes["latitude"], tracker.attributes["longitude"]) == expected["Location"]
    assert tracker.state == "home"
    assert tracker.attributes["heading"] == pytest.approx(expected["GpsHeading"])
    assert float(state_of(hass, "sensor", VIN, "battery_level").state) == pytest.approx(
        expected["BatteryLevel"]
    )
    # Sent in miles; this Home Assistant is metric, so it shows kilometres.
    assert float(state_of(hass, "sensor", VIN, "odometer").state) == pytest.approx(
        expected["Odometer"] * 1.609344, abs=0.01
    )
    assert value_of(hass, "sensor", VIN, "charging_state") == "stopped"
    assert value_of(hass, "binary_sensor", VIN, "locked") == "off"  # locked
    assert value_of(hass, "binary_sensor", VIN, "driving") == "off"
    assert alerts
    assert all(event.data["vin"] == VIN for event in alerts)
    hub = telemetry_entry.runtime_data.hub
    assert hub.consumer.records > 0
    assert vehicle_state(hass, "sensor", OTHER_VIN, "shift_state") is None  # not heard from


async def test_zone_entry_fires_an_automation(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """Turning into the home zone triggers a zone automation once."""
    plan = producer.plan(VIN)
    home = expected_state(plan)["Location"]
    assert await async_setup_component(
        hass,
        "zone",
        {"zone": {"name": "Garage", "latitude": home[0], "longitude": home[1], "radius": 150}},
    )
    await setup_connected(hass, telemetry_entry)
    # The tracker exists after the first record; the automation is set up on it then.
    await producer.send_connectivity(VIN, ConnectivityStatus.CONNECTED, START_TIME)
    fields = trip_samples(plan)
    start = START_TIME
    await producer.send_vehicle_data(VIN, start, fields[0])
    await until(hass, lambda: vehicle_state(hass, "device_tracker", VIN, "location") is not None)
    tracker = entity_id(hass, "device_tracker", f"{VIN}_location")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {
                    "platform": "zone",
                    "entity_id": tracker,
                    "zone": "zone.garage",
                    "event": "enter",
                },
                "action": {"event": "garage_door_open"},
            }
        },
    )
    opened: list[Event] = []
    hass.bus.async_listen("garage_door_open", opened.append)

    for index, sample in enumerate(fields[1:], start=1):
        await producer.send_vehicle_data(VIN, start + timedelta(seconds=index), sample)
    await until(hass, lambda: value_of(hass, "device_tracker", VIN, "location") == "Garage")
    await hass.async_block_till_done()
    assert len(opened) == 1


async def test_old_and_duplicate_records_change_nothing(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """Per field the newest created_at wins; late or repeated records are ignored."""

    await setup_connected(hass, telemetry_entry)
    hub = telemetry_entry.runtime_data.hub
    await producer.send_vehicle_data(VIN, START_TIME + timedelta(minutes=5), {"BatteryLevel": 70.0})
    await until(
        hass,
        lambda: (
            (s := vehicle_state(hass, "sensor", VIN, "battery_level")) is not None
            and s.state == "70.0"
        ),
    )
    await producer.send_vehicle_data(VIN, START_TIME, {"BatteryLevel": 20.0})  # older
    await producer.send_vehicle_data(VIN, START_TIME + timedelta(minutes=5), {"BatteryLevel": 70.0})
    await until(hass, lambda: hub.stale >= 1 and hub.consumer.records >= 3)
    assert value_of(hass, "sensor", VIN, "battery_level") == "70.0"


async def test_garbage_on_the_topics_is_counted_and_skipped(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """10,000 random byte strings and truncated records: counted, skipped, no crash."""

    await setup_connected(hass, telemetry_entry)
    hub = telemetry_entry.runtime_data.hub
    rng = random.Random(7)
    good = encode_payload(VIN, START_TIME, {"BatteryLevel": 55.0})
    junk = [
        good[: rng.randrange(1, len(good))]  # truncated
        if index % 10 == 0
        else rng.randbytes(rng.randrange(1, 64))
        for index in range(10_000)
    ]
    for start in range(0, len(junk), 1000):
        await asyncio.gather(
            *(
                producer.send_record(RecordType.VEHICLE_DATA, VIN, value)
                for value in junk[start : start + 1000]
            )
        )
    await producer.send_vehicle_data(VIN, START_TIME + timedelta(minutes=1), {"BatteryLevel": 56.0})
    await until(
        hass,
        lambda: (
            (s := vehicle_state(hass, "sensor", VIN, "battery_level")) is not None
            and s.state == "56.0"
        ),
    )
    assert hub.consumer.malformed >= 9_000  # a few random strings happen to decode
    assert telemetry_entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # speed, gear, odometer
async def test_two_vehicles_and_a_reload_resumes(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """Two cars at once; a reload resumes at the committed offset with states restored."""
    await setup_connected(hass, telemetry_entry)
    await producer.send_drive()
    await until(
        hass,
        lambda: all(
            (s := vehicle_state(hass, "sensor", vin, "shift_state")) is not None and s.state == "p"
            for vin in (VIN, OTHER_VIN)
        ),
    )
    first = telemetry_entry.runtime_data.hub.consumer
    # Everything produced so far is applied (and so committed) before the reload.
    await until(hass, lambda: first.records >= sum(producer.sent.values()))
    applied = first.records
    battery = value_of(hass, "sensor", VIN, "battery_level")

    assert await hass.config_entries.async_unload(telemetry_entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(telemetry_entry.entry_id)
    await hass.async_block_till_done()
    # Restored before any record: the entities came back from the registry.
    assert value_of(hass, "sensor", VIN, "battery_level") == battery
    hub = telemetry_entry.runtime_data.hub
    await until(hass, lambda: hub.connected)
    assert value_of(hass, "sensor", VIN, "battery_level") == battery

    await producer.send_vehicle_data(VIN, START_TIME + timedelta(hours=1), {"BatteryLevel": 99.0})
    await until(hass, lambda: value_of(hass, "sensor", VIN, "battery_level") == "99.0")
    assert hub.consumer.records == 1  # nothing before the committed offset was read again
    assert applied > 1


async def test_a_removed_vehicle_comes_back_as_new(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
) -> None:
    """A vehicle's device can be deleted from the UI; if the VIN reports again, it returns."""
    assert await async_setup_component(hass, "config", {})
    await setup_connected(hass, telemetry_entry)
    await producer.send_vehicle_data(VIN, START_TIME, {"BatteryLevel": 55.0})
    await until(hass, lambda: vehicle_state(hass, "sensor", VIN, "battery_level") is not None)
    devices = dr.async_get(hass)
    vehicle = devices.async_get_device_by_identifier((DOMAIN, VIN), telemetry_entry.entry_id)
    assert vehicle is not None
    client = await hass_ws_client(hass)

    async def remove(device_id: str) -> dict[str, Any]:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": telemetry_entry.entry_id,
                "device_id": device_id,
            }
        )
        answer: dict[str, Any] = await client.receive_json()
        return answer

    assert (await remove(vehicle.id))["success"]
    await hass.async_block_till_done()
    assert devices.async_get(vehicle.id) is None
    assert vehicle_state(hass, "sensor", VIN, "battery_level") is None
    assert VIN not in telemetry_entry.runtime_data.hub.vehicles

    await producer.send_vehicle_data(VIN, START_TIME + timedelta(minutes=1), {"BatteryLevel": 56.0})
    await until(
        hass,
        lambda: (
            (s := vehicle_state(hass, "sensor", VIN, "battery_level")) is not None
            and s.state == "56.0"
        ),
    )
    assert devices.async_get_device_by_identifier((DOMAIN, VIN), telemetry_entry.entry_id)


async def test_broker_outage_makes_entities_unavailable(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
    broker: TansuBroker,
) -> None:
    """A frozen broker: unavailable; thawed: back by itself, nothing lost."""

    await setup_connected(hass, telemetry_entry)
    await producer.send_vehicle_data(VIN, START_TIME, {"BatteryLevel": 40.0})
    await until(
        hass,
        lambda: (
            (s := vehicle_state(hass, "sensor", VIN, "battery_level")) is not None
            and s.state == "40.0"
        ),
    )
    broker.pause()
    try:
        await until(
            hass,
            lambda: value_of(hass, "sensor", VIN, "battery_level") == STATE_UNAVAILABLE,
        )
    finally:
        broker.resume()
    await producer.send_vehicle_data(VIN, START_TIME + timedelta(minutes=1), {"BatteryLevel": 41.0})
    await until(hass, lambda: value_of(hass, "sensor", VIN, "battery_level") == "41.0")


async def test_config_flow(hass: HomeAssistant, broker: TansuBroker) -> None:
    """Brokers and prefix are checked by connecting; VINs are normalised; one entry each."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": EntryKind.FLEET_TELEMETRY}
    )
    assert result["step_id"] == "fleet_telemetry"
    user_input = {
        CONF_BOOTSTRAP_SERVERS: "127.0.0.1:1",
        CONF_TOPIC_PREFIX: PREFIX,
        CONF_GROUP_ID: "ha",
        CONF_OFFSET_RESET: "latest",
        # Real VINs (ISO 3779 has no I, O or Q, unlike the simulator's).
        CONF_VINS: "5yj3e1ea7kf000001, 5YJYGDEE1LF000002",
        "security_protocol": "PLAINTEXT",
    }
    with patch("custom_components.tesla_energy_sync.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
        assert result["errors"] == {"base": "cannot_connect"}
        # An O for a 0: no record would ever match, so the list is refused.
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                **user_input,
                CONF_BOOTSTRAP_SERVERS: broker.bootstrap,
                CONF_VINS: "5YJ3E1EA0PF00000O",
            },
        )
        assert result["errors"] == {CONF_VINS: "invalid_vins"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**user_input, CONF_BOOTSTRAP_SERVERS: broker.bootstrap}
        )
        assert result["type"] == "create_entry"
        assert result["data"][CONF_VINS] == ["5YJ3E1EA7KF000001", "5YJYGDEE1LF000002"]
        assert result["result"].unique_id == f"{broker.bootstrap}|{PREFIX}"

        again = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
        again = await hass.config_entries.flow.async_configure(
            again["flow_id"], {"next_step_id": EntryKind.FLEET_TELEMETRY}
        )
        again = await hass.config_entries.flow.async_configure(
            again["flow_id"], {**user_input, CONF_BOOTSTRAP_SERVERS: broker.bootstrap}
        )
    assert again["reason"] == "already_configured"


async def test_diagnostics_redact_vins_and_locations(
    hass: HomeAssistant,
    hass_client: Any,
    telemetry_entry: MockConfigEntry,
    producer: FleetProducer,
) -> None:
    """Counters are shown; VINs and what the cars sent (locations among it) are not."""
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    await setup_connected(hass, telemetry_entry)
    await producer.send_drive(VIN)
    hub = telemetry_entry.runtime_data.hub
    await until(hass, lambda: hub.consumer.records >= sum(producer.sent.values()))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, telemetry_entry)
    assert VIN not in str(diagnostics)
    assert str(expected_state(producer.plan(VIN))["Location"][0]) not in str(diagnostics)
    assert diagnostics["telemetry"]["records"] == hub.consumer.records
    assert diagnostics["telemetry"]["connected"] is True


async def test_a_burst_writes_each_entity_once(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, producer: FleetProducer
) -> None:
    """Fifty records for one car in one batch: the battery sensor's state is written once."""
    await setup_connected(hass, telemetry_entry)
    hub = telemetry_entry.runtime_data.hub
    await producer.send_vehicle_data(VIN, START_TIME, {"BatteryLevel": 10.0})
    await until(hass, lambda: vehicle_state(hass, "sensor", VIN, "battery_level") is not None)
    battery = entity_id(hass, "sensor", f"{VIN}_battery_level")
    writes: list[Event] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: writes.append(event) if event.data["entity_id"] == battery else None,
    )
    # Hand the hub one burst directly as the consumer would: one batch, fifty records.
    from custom_components.tesla_energy_sync.clients.fleet_telemetry.decode import decode_record

    burst = [
        decode_record(
            RecordType.VEHICLE_DATA.topic(PREFIX),
            encode_payload(VIN, START_TIME + timedelta(seconds=i), {"BatteryLevel": 10.0 + i}),
            VIN.encode(),
        )
        for i in range(1, 51)
    ]
    hub.apply(burst)
    await hass.async_block_till_done()
    assert len(writes) == 1
    assert writes[0].data["new_state"].state == "60.0"
