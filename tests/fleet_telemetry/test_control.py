"""Vehicle controls through Home Assistant, the simulated Tesla cloud and the real broker.

Expected commands and bodies are those core's Teslemetry/Tesla Fleet integrations send
(tesla-fleet-api's vehicle methods), written out here rather than taken from our tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_energy_sync.const import CONF_KIND, DOMAIN, EntryKind
from simulators.fleet_telemetry import FleetProducer
from simulators.tesla_vehicle import TeslaVehicleSimulator

from .common import VIN, state_of, until, vehicle_state
from .control_common import TOKEN, account_entry, applied, car_online

CONTROL_PLATFORMS = (
    "lock",
    "cover",
    "switch",
    "number",
    "select",
    "button",
    "climate",
    "media_player",
    "update",
)


@pytest.fixture(autouse=True)
def quick_wake() -> Generator[None]:
    """Wake-up waits of nothing: the simulated car wakes on the second call."""
    with patch(
        "custom_components.tesla_energy_sync.fleet_telemetry.control.WAKE_WAITS", (0.0, 0.0)
    ):
        yield


@pytest.fixture
async def cloud(producer: FleetProducer) -> AsyncIterator[TeslaVehicleSimulator]:
    """The simulated Tesla cloud with one car, whose telemetry goes to the real broker."""
    simulator = TeslaVehicleSimulator(tokens=(TOKEN,), vins=(VIN,))
    simulator.producer = producer
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def controlled(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> MockConfigEntry:
    """A Fleet Telemetry entry with a Tesla account picked, its car online."""
    await car_online(hass, telemetry_entry, cloud, account_entry(cloud))
    return telemetry_entry


def entity_id(hass: HomeAssistant, platform: str, key: str) -> str:
    """Return the entity id of one of the car's control entities."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{VIN}_{key}")
    assert found is not None, f"no {platform} {key}"
    return found


async def call(hass: HomeAssistant, platform: str, key: str, service: str, **data: Any) -> None:
    """Call a service on one of the car's entities and wait for it."""
    await hass.services.async_call(
        platform,
        service,
        {"entity_id": entity_id(hass, platform, key), **data},
        blocking=True,
    )


# (platform, key, service, service data, commands core sends, state after the car's record)
STEPS: list[tuple[str, str, str, dict[str, Any], list[tuple[str, Any]], str]] = [
    ("lock", "vehicle_state_locked", "unlock", {}, [("door_unlock", None)], "unlocked"),
    ("lock", "vehicle_state_locked", "lock", {}, [("door_lock", None)], "locked"),
    (
        "lock",
        "charge_state_charge_port_latch",
        "unlock",
        {},
        [("charge_port_door_open", None)],
        "unlocked",
    ),
    (
        "cover",
        "windows",
        "open_cover",
        {},
        [("window_control", {"lat": None, "lon": None, "command": "vent"})],
        "open",
    ),
    (
        "cover",
        "windows",
        "close_cover",
        {},
        [("window_control", {"lat": None, "lon": None, "command": "close"})],
        "closed",
    ),
    (
        "cover",
        "charge_state_charge_port_door_open",
        "close_cover",
        {},
        [("charge_port_door_close", None)],
        "closed",
    ),
    (
        "cover",
        "charge_state_charge_port_door_open",
        "open_cover",
        {},
        [("charge_port_door_open", None)],
        "open",
    ),
    (
        "cover",
        "vehicle_state_ft",
        "open_cover",
        {},
        [("actuate_trunk", {"which_trunk": "front"})],
        "open",
    ),
    (
        "cover",
        "vehicle_state_rt",
        "open_cover",
        {},
        [("actuate_trunk", {"which_trunk": "rear"})],
        "open",
    ),
    # Open already: the toggling command is not sent again.
    ("cover", "vehicle_state_rt", "open_cover", {}, [], "open"),
    (
        "cover",
        "vehicle_state_rt",
        "close_cover",
        {},
        [("actuate_trunk", {"which_trunk": "rear"})],
        "closed",
    ),
    (
        "switch",
        "vehicle_state_sentry_mode",
        "turn_on",
        {},
        [("set_sentry_mode", {"on": True})],
        "on",
    ),
    (
        "switch",
        "vehicle_state_sentry_mode",
        "turn_off",
        {},
        [("set_sentry_mode", {"on": False})],
        "off",
    ),
    (
        "switch",
        "vehicle_state_valet_mode",
        "turn_on",
        {},
        [("set_valet_mode", {"on": True, "password": ""})],
        "on",
    ),
    (
        "switch",
        "climate_state_auto_seat_climate_left",
        "turn_on",
        {},
        [("remote_auto_seat_climate_request", {"auto_seat_position": 1, "auto_climate_on": True})],
        "on",
    ),
    (
        "switch",
        "climate_state_auto_seat_climate_right",
        "turn_on",
        {},
        [("remote_auto_seat_climate_request", {"auto_seat_position": 2, "auto_climate_on": True})],
        "on",
    ),
    (
        "switch",
        "climate_state_auto_steering_wheel_heat",
        "turn_on",
        {},
        [("remote_auto_steering_wheel_heat_climate_request", {"on": True})],
        "on",
    ),
    (
        "switch",
        "climate_state_defrost_mode",
        "turn_on",
        {},
        [("set_preconditioning_max", {"on": True, "manual_override": False})],
        "on",
    ),
    (
        "switch",
        "charge_state_user_charge_enable_request",
        "turn_on",
        {},
        [("charge_start", None)],
        "on",
    ),
    (
        "switch",
        "charge_state_user_charge_enable_request",
        "turn_off",
        {},
        [("charge_stop", None)],
        "off",
    ),
    ("switch", "guest_mode_enabled", "turn_on", {}, [("guest_mode", {"enable": True})], "on"),
    (
        "number",
        "charge_state_charge_current_request",
        "set_value",
        {"value": 24},
        [("set_charging_amps", {"charging_amps": 24})],
        "24.0",
    ),
    (
        "number",
        "charge_state_charge_limit_soc",
        "set_value",
        {"value": 90},
        [("set_charge_limit", {"percent": 90})],
        "90.0",
    ),
    # Heaters need the climate on: core starts it first.
    (
        "select",
        "climate_state_seat_heater_left",
        "select_option",
        {"option": "high"},
        [
            ("auto_conditioning_start", None),
            ("remote_seat_heater_request", {"heater": 0, "level": 3}),
        ],
        "high",
    ),
    (
        "select",
        "climate_state_seat_heater_rear_center",
        "select_option",
        {"option": "low"},
        [("remote_seat_heater_request", {"heater": 4, "level": 1})],
        "low",
    ),
    (
        "select",
        "climate_state_steering_wheel_heat_level",
        "select_option",
        {"option": "high"},
        [("remote_steering_wheel_heat_level_request", {"level": 3})],
        "high",
    ),
    (
        "select",
        "climate_state_seat_fan_front_right",
        "select_option",
        {"option": "medium"},
        [("remote_seat_cooler_request", {"seat_position": 2, "seat_cooler_level": 2})],
        "medium",
    ),
    ("climate", "driver_temp", "turn_off", {}, [("auto_conditioning_stop", None)], "off"),
    (
        "climate",
        "driver_temp",
        "set_preset_mode",
        {"preset_mode": "dog"},
        [("set_climate_keeper_mode", {"climate_keeper_mode": 2})],
        "heat_cool",
    ),
    (
        "climate",
        "driver_temp",
        "set_temperature",
        {"temperature": 22.5},
        [("set_temps", {"driver_temp": 22.5, "passenger_temp": 22.5})],
        "heat_cool",
    ),
    (
        "climate",
        "climate_state_cabin_overheat_protection",
        "set_hvac_mode",
        {"hvac_mode": "fan_only"},
        [("set_cabin_overheat_protection", {"on": True, "fan_only": True})],
        "fan_only",
    ),
    (
        "climate",
        "climate_state_cabin_overheat_protection",
        "set_temperature",
        {"temperature": 39},
        [("set_cop_temp", {"cop_temp": 2})],
        "fan_only",
    ),
    ("media_player", "media", "media_play", {}, [("media_toggle_playback", None)], "playing"),
    (
        "media_player",
        "media",
        "volume_set",
        {"volume_level": 0.5},
        [("adjust_volume", {"volume": 0.5 * 31 / 3})],
        "playing",
    ),
    ("media_player", "media", "media_next_track", {}, [("media_next_track", None)], "playing"),
    (
        "media_player",
        "media",
        "media_previous_track",
        {},
        [("media_prev_track", None)],
        "playing",
    ),
    ("media_player", "media", "media_pause", {}, [("media_toggle_playback", None)], "paused"),
    (
        "update",
        "vehicle_state_software_update_status",
        "install",
        {},
        [("schedule_software_update", {"offset_sec": 0})],
        "on",
    ),
]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_commands_and_confirmed_state(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """Each control sends core's command and body; the car's record then confirms the state."""
    for platform, key, service, data, commands, expected in STEPS:
        before = len(cloud.vehicle_commands)
        await call(hass, platform, key, service, **data)
        sent = [(name, body) for _vin, name, body in cloud.vehicle_commands[before:]]
        assert sent == commands, (platform, key, service)
        await applied(hass, controlled, cloud)
        assert state_of(hass, platform, VIN, key).state == expected, (platform, key, service)

    climate = state_of(hass, "climate", VIN, "driver_temp")
    assert climate.attributes["temperature"] == 22.5
    assert climate.attributes["preset_mode"] == "dog"
    protection = state_of(hass, "climate", VIN, "climate_state_cabin_overheat_protection")
    assert protection.attributes["temperature"] == 40
    media = state_of(hass, "media_player", VIN, "media")
    assert media.attributes["volume_level"] == pytest.approx(0.5)
    update = state_of(hass, "update", VIN, "vehicle_state_software_update_status")
    assert update.attributes["in_progress"] is True
    assert update.attributes["update_percentage"] == 50


async def test_buttons(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """Buttons exist from the car's first record; each press sends core's command."""
    hass.config.latitude, hass.config.longitude = -33.86, 151.21
    presses = {
        "flash_lights": ("flash_lights", None),
        "honk": ("honk_horn", None),
        "enable_keyless_driving": ("remote_start_drive", None),
        "boombox": ("remote_boombox", {"sound": 0}),
        "homelink": ("trigger_homelink", {"lat": -33.86, "lon": 151.21}),
    }
    for key, (name, body) in presses.items():
        await call(hass, "button", key, "press")
        assert cloud.vehicle_commands[-1] == (VIN, name, body)
    await call(hass, "button", "wake", "press")
    assert cloud.wake_calls == [VIN]


async def test_optimistic_until_telemetry(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """An accepted command shows its state only until a record of the field says otherwise."""
    producer = cloud.producer
    cloud.producer = None  # the car accepts but its telemetry is late
    await call(hass, "lock", "vehicle_state_locked", "unlock")
    assert state_of(hass, "lock", VIN, "vehicle_state_locked").state == "unlocked"

    cloud.producer = producer
    await cloud.publish(VIN, {"InsideTemp": 19.0})  # another field: the overlay stays
    await applied(hass, controlled, cloud)
    assert state_of(hass, "lock", VIN, "vehicle_state_locked").state == "unlocked"

    await cloud.publish(VIN, {"Locked": True})  # the car reports itself locked: reverted
    await applied(hass, controlled, cloud)
    assert state_of(hass, "lock", VIN, "vehicle_state_locked").state == "locked"


async def test_asleep_car_is_woken_and_the_command_retried(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """408 asleep: wake_up until online, then the command once more; a car that stays asleep fails."""
    cloud.asleep.add(VIN)
    await call(hass, "switch", "vehicle_state_sentry_mode", "turn_on")
    assert [name for _vin, name, _body in cloud.vehicle_commands] == ["set_sentry_mode"] * 2
    assert cloud.wake_calls == [VIN, VIN]  # "asleep", then "online"
    await applied(hass, controlled, cloud)
    assert state_of(hass, "switch", VIN, "vehicle_state_sentry_mode").state == "on"

    cloud.asleep.add(VIN)
    cloud.wake_calls_needed = 100
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "switch", "vehicle_state_sentry_mode", "turn_off")
    assert err.value.translation_key == "vehicle_asleep"
    assert len(cloud.wake_calls) == 2 + 3  # the patched two waits, then the last call
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "button", "wake", "press")
    assert err.value.translation_key == "vehicle_asleep"
    assert state_of(hass, "switch", VIN, "vehicle_state_sentry_mode").state == "on"


@pytest.mark.parametrize(
    ("setup", "translation_key"),
    [
        (lambda cloud: cloud.signing_required.add(VIN), "vehicle_signing_required"),
        (lambda cloud: cloud.refusals.update({VIN: "user_present"}), "vehicle_command_refused"),
        (lambda cloud: setattr(cloud, "tokens", {"another"}), "vehicle_command_auth"),
        (lambda cloud: setattr(cloud, "fault", "server_error"), "vehicle_command_failed"),
        (lambda cloud: setattr(cloud, "rate_limit", 1), "vehicle_command_rate_limited"),
    ],
)
async def test_command_failures(
    hass: HomeAssistant,
    controlled: MockConfigEntry,
    cloud: TeslaVehicleSimulator,
    caplog: pytest.LogCaptureFixture,
    setup: Any,
    translation_key: str,
) -> None:
    """Refusals raise translated errors, leave the state alone and log no error."""
    setup(cloud)
    if translation_key == "vehicle_command_rate_limited":
        await call(hass, "button", "honk", "press")  # the one request the limit lets through
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "lock", "vehicle_state_locked", "unlock")
    assert err.value.translation_key == translation_key
    assert state_of(hass, "lock", VIN, "vehicle_state_locked").state == "locked"
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
    assert TOKEN not in caplog.text


async def test_accepted_refusal_and_cable_lock(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """`already_set` is success (as in core); the cable cannot be locked remotely."""
    cloud.refusals[VIN] = "already_set"
    await call(hass, "lock", "vehicle_state_locked", "lock")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "lock", "charge_state_charge_port_latch", "lock")
    assert err.value.translation_key == "vehicle_cable_lock"


async def test_account_not_loaded(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """With the account unloaded, a command says so instead of being sent."""
    account = next(
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data[CONF_KIND] == EntryKind.TESLA_ACCOUNT
    )
    await hass.config_entries.async_unload(account.entry_id)
    assert account.state is ConfigEntryState.NOT_LOADED
    before = len(cloud.vehicle_commands)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "button", "honk", "press")
    assert err.value.translation_key == "account_not_loaded"
    assert len(cloud.vehicle_commands) == before


async def test_no_account_no_control_entities(
    hass: HomeAssistant, telemetry_entry: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """Without a Tesla account in the options, the car gets its readings but no controls."""
    await car_online(hass, telemetry_entry, cloud, None)
    registry = er.async_get(hass)
    entities = er.async_entries_for_config_entry(registry, telemetry_entry.entry_id)
    assert entities  # the read side made its entities
    assert not [entity for entity in entities if entity.domain in CONTROL_PLATFORMS]
    assert vehicle_state(hass, "lock", VIN, "vehicle_state_locked") is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", CONTROL_PLATFORMS)
async def test_control_entities_snapshot(
    hass: HomeAssistant,
    telemetry_entry: MockConfigEntry,
    cloud: TeslaVehicleSimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: str,
) -> None:
    """Every control entity of a parked, locked car, one platform at a time."""
    with patch("custom_components.tesla_energy_sync.PLATFORMS", [platform]):
        await car_online(hass, telemetry_entry, cloud, account_entry(cloud))
    await snapshot_platform(hass, entity_registry, snapshot, telemetry_entry.entry_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_less_common_paths(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """Modes given with a temperature, progress, right-hand drive, and a reload."""
    before = len(cloud.vehicle_commands)
    await call(
        hass, "climate", "driver_temp", "set_temperature", temperature=21, hvac_mode="heat_cool"
    )
    await call(hass, "climate", "driver_temp", "set_hvac_mode", hvac_mode="off")
    protection = "climate_state_cabin_overheat_protection"
    await call(hass, "climate", protection, "set_temperature", temperature=31, hvac_mode="cool")
    await call(hass, "climate", protection, "turn_off")
    await call(hass, "climate", protection, "turn_on")
    sent = [(name, body) for _vin, name, body in cloud.vehicle_commands[before:]]
    assert sent == [
        ("set_temps", {"driver_temp": 21, "passenger_temp": 21}),
        ("auto_conditioning_start", None),
        ("auto_conditioning_stop", None),
        ("set_cop_temp", {"cop_temp": 0}),
        ("set_cabin_overheat_protection", {"on": True, "fan_only": False}),
        ("set_cabin_overheat_protection", {"on": False, "fan_only": False}),
        ("set_cabin_overheat_protection", {"on": True, "fan_only": False}),
    ]

    await cloud.publish(
        VIN,
        {
            "RightHandDrive": True,
            "HvacRightTemperatureRequest": 23.0,
            "MediaNowPlayingDuration": 180500,
            "MediaNowPlayingElapsed": 61000,
            "SoftwareUpdateDownloadPercentComplete": 40,
            "SeatHeaterLeft": None,
        },
    )
    await applied(hass, controlled, cloud)
    assert state_of(hass, "climate", VIN, "driver_temp").attributes["temperature"] == 23.0
    media = state_of(hass, "media_player", VIN, "media").attributes
    assert (media["media_duration"], media["media_position"]) == (180, 61)
    update = state_of(hass, "update", VIN, "vehicle_state_software_update_status").attributes
    assert update["update_percentage"] == 40
    assert state_of(hass, "select", VIN, "climate_state_seat_heater_left").state == "unknown"

    # After a reload the buttons come back from the registry, once each.
    assert await hass.config_entries.async_reload(controlled.entry_id)
    await hass.async_block_till_done()
    buttons = [
        entity
        for entity in er.async_entries_for_config_entry(er.async_get(hass), controlled.entry_id)
        if entity.domain == "button"
    ]
    assert len(buttons) == 6
    assert hass.states.get(entity_id(hass, "button", "honk")) is not None
    await until(hass, lambda: controlled.runtime_data.hub.connected)


async def test_signing_refusal_inside_an_answer(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """A proxy may answer 200 with the refusal as the reason: still the signing error."""
    cloud.refusals[VIN] = "vehicle requires signed command (vehicle command protocol)"
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "button", "honk", "press")
    assert err.value.translation_key == "vehicle_signing_required"
    cloud.refusals.clear()
    cloud.vehicle_answer = {
        "response": None,
        "error": "Tesla Vehicle Command Protocol required",
        "error_description": "",
    }
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "button", "honk", "press")
    assert err.value.translation_key == "vehicle_signing_required"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_controls_keep_their_state_across_a_restart(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """After a reload (nothing re-delivered) controls show what they showed, until a record."""
    await cloud.publish(VIN, {"Locked": True, "SentryMode": "Armed", "ChargeLimitSoc": 77})
    await applied(hass, controlled, cloud)
    lock, sentry = ("lock", "vehicle_state_locked"), ("switch", "vehicle_state_sentry_mode")
    limit = ("number", "charge_state_charge_limit_soc")
    shown = {key: state_of(hass, key[0], VIN, key[1]).state for key in (lock, sentry, limit)}
    assert shown == {lock: "locked", sentry: "on", limit: "77.0"}

    assert await hass.config_entries.async_reload(controlled.entry_id)
    await hass.async_block_till_done()
    hub = controlled.runtime_data.hub
    await until(
        hass, lambda: all(state_of(hass, key[0], VIN, key[1]).state == shown[key] for key in shown)
    )
    assert VIN not in hub.vehicles  # shown from what was kept, not from a record
    await until(hass, lambda: hub.connected)

    await cloud.publish(VIN, {"Locked": False})  # the first record of a field replaces it
    consumer = hub.consumer  # a new consumer: it counts from the reload
    await until(hass, lambda: consumer.records == 1)
    assert state_of(hass, "lock", VIN, lock[1]).state == "unlocked"
    assert state_of(hass, "switch", VIN, sentry[1]).state == "on"


async def test_the_tonneau_is_shown_without_remote_actions(
    hass: HomeAssistant, controlled: MockConfigEntry, cloud: TeslaVehicleSimulator
) -> None:
    """The Cybertruck's tonneau follows TonneauPosition and offers no open or close."""
    for position, expected in (
        ("Closed", "closed"),
        ("PartiallyOpen", "open"),
        ("Invalid", "unknown"),
    ):
        await cloud.publish(VIN, {"TonneauPosition": position})
        await applied(hass, controlled, cloud)
        tonneau = state_of(hass, "cover", VIN, "tonneau")
        assert tonneau.state == expected, position
    assert tonneau.attributes["supported_features"] == 0
    assert tonneau.attributes["device_class"] == "door"
