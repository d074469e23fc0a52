"""The automation blueprints in blueprints/: valid for Home Assistant, and doing what they say."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    async_validate_config_item,
)
from homeassistant.components.automation.const import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.blueprint.errors import MissingInput
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.const import CONF_LATITUDE, CONF_LONGITUDE
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.tesla_energy_sync.const import (
    DOMAIN,
    EVENT_SESSION_ENDED,
    EVSE_STATES,
    TOU_RESULTS,
)
from custom_components.tesla_energy_sync.wall_connector.session import FinishedSession

FOLDER = Path(__file__).parents[1] / "blueprints" / "automation" / DOMAIN
NAMES = sorted(path.name for path in FOLDER.glob("*.yaml"))
NOTIFY = ["notify.phone", "notify.tablet"]
PRICE = "sensor.amber_general_price"
SPIKE = "binary_sensor.amber_price_spike"
STATUS = "sensor.wall_connector_status"
RESULT = "sensor.tou_sync_last_sync_result"
CAR = "device_tracker.tesla_000001_location"
SUCCESSES = ["uploaded", "unchanged", "already_synced"]

# For every blueprint, inputs a user could give: each entity input filled, every option used.
EXAMPLE_INPUTS: dict[str, dict[str, Any]] = {
    "charger_fault.yaml": {"status_entity": STATUS, "notify_entities": NOTIFY},
    "charging_session_ended.yaml": {"notify_entities": NOTIFY, "min_energy": 0.5},
    "price_above_threshold.yaml": {
        "price_entity": PRICE,
        "threshold": 0.5,
        "duration": {"minutes": 5},
        "notify_entities": NOTIFY,
    },
    "price_spike.yaml": {
        "spike_entity": SPIKE,
        "price_entity": PRICE,
        "notify_end": False,
        "notify_entities": NOTIFY,
    },
    "tou_sync_failed.yaml": {"result_entity": RESULT, "notify_entities": NOTIFY},
    "vehicle_arrived_home.yaml": {"vehicles": [CAR], "notify_entities": NOTIFY},
}


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give each test its own config folder, where the blueprints are installed."""
    return hass_tmp_config_dir


@pytest.fixture
def installed(hass: HomeAssistant) -> Path:
    """Install the repository's blueprints where Home Assistant imports them to."""
    target = Path(hass.config.path("blueprints", AUTOMATION_DOMAIN, DOMAIN))
    shutil.copytree(FOLDER, target)
    return target


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml_util.load_yaml_dict(FOLDER / name)
    return data


def _record(name: str) -> list[dict[str, Any]]:
    """Return an action input that records the blueprint's variables through test.record."""
    return [
        {
            "action": "test.record",
            "data": {"blueprint": name, "message": "{{ message }}", "title": "{{ title }}"},
        }
    ]


async def _automation(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from an installed blueprint, failing on any validation error."""
    alias = name.removesuffix(".yaml")
    config = {
        "id": alias,
        "alias": alias,
        "use_blueprint": {"path": f"{DOMAIN}/{name}", "input": inputs},
    }
    assert await async_validate_config_item(hass, alias, config) is not None
    assert await async_setup_component(hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: [config]})
    await hass.async_block_till_done()
    state = hass.states.get(f"automation.{alias}")
    assert state is not None
    assert state.state == "on"


def _messages(calls: list[ServiceCall]) -> list[tuple[list[str], str, str]]:
    return [(call.data["entity_id"], call.data["title"], call.data["message"]) for call in calls]


def test_every_blueprint_has_example_inputs() -> None:
    assert sorted(EXAMPLE_INPUTS) == NAMES
    assert len(NAMES) == 6


@pytest.mark.parametrize("name", NAMES)
def test_blueprint_schema(name: str) -> None:
    """Home Assistant's blueprint schemas accept it; every input has a selector."""
    data = _load(name)
    BLUEPRINT_SCHEMA(data)
    blueprint = Blueprint(data, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA)
    # min_version is met by the Home Assistant installed here.
    assert blueprint.validate() is None
    assert blueprint.domain == "automation"
    assert blueprint.metadata["source_url"].endswith(f"/blueprints/automation/{DOMAIN}/{name}")
    for key, spec in blueprint.inputs.items():
        assert "selector" in spec, f"{name}: input {key} has no selector"
        assert spec.get("name"), f"{name}: input {key} has no name"
    # Every blueprint can notify and run actions of the user's choice.
    assert blueprint.inputs["notify_entities"]["selector"]["entity"]["filter"] == [
        {"domain": ["notify"]}
    ]
    assert any("action" in spec["selector"] for spec in blueprint.inputs.values())
    # Inputs without a default are the ones the examples (like a user) must give.
    required = {key for key, spec in blueprint.inputs.items() if "default" not in spec}
    assert required <= set(EXAMPLE_INPUTS[name])


@pytest.mark.parametrize("name", NAMES)
async def test_substituted_automation_is_valid(
    hass: HomeAssistant, installed: Path, name: str
) -> None:
    """With example inputs, the automation it makes passes Home Assistant's validation."""
    config = {"use_blueprint": {"path": f"{DOMAIN}/{name}", "input": EXAMPLE_INPUTS[name]}}
    validated = await async_validate_config_item(hass, name, config)
    assert validated is not None
    assert validated.validation_status == "ok"
    assert validated.raw_blueprint_inputs == config
    assert validated["triggers"]
    assert validated["actions"]


async def test_missing_input_is_refused(hass: HomeAssistant, installed: Path) -> None:
    """Required inputs left out fail validation: the two sensors have no default."""
    config = {"use_blueprint": {"path": f"{DOMAIN}/price_spike.yaml", "input": {}}}
    with pytest.raises(MissingInput) as missing:
        await async_validate_config_item(hass, "spike", config)
    # Named in no fixed order (a set).
    assert set(str(missing.value).split("Missing input ")[-1].split(", ")) == {
        "price_entity",
        "spike_entity",
    }


def test_tou_failures_and_successes_cover_every_result() -> None:
    """The failure states offered, and the recoveries listened to, are TOU sync's results."""
    data = _load("tou_sync_failed.yaml")
    failures = data["blueprint"]["input"]["failures"]
    offered = [option["value"] for option in failures["selector"]["select"]["options"]]
    assert failures["default"] == offered
    recovered = data["triggers"][1]["to"]
    assert recovered == SUCCESSES
    assert sorted(offered + recovered) == sorted(TOU_RESULTS)


def test_charger_fault_listens_for_the_status_sensors_error() -> None:
    data = _load("charger_fault.yaml")
    assert data["triggers"][0]["to"] in EVSE_STATES


async def test_price_above_threshold(
    hass: HomeAssistant, installed: Path, freezer: FrozenDateTimeFactory
) -> None:
    """A price above the threshold for 5 minutes is told once, and its fall back below."""
    notify = async_mock_service(hass, "notify", "send_message")
    record = async_mock_service(hass, "test", "record")
    attrs = {"unit_of_measurement": "AUD/kWh", "friendly_name": "General price"}
    hass.states.async_set(PRICE, "0.31", attrs)
    name = "price_above_threshold.yaml"
    await _automation(
        hass,
        name,
        {**EXAMPLE_INPUTS[name], "above_actions": _record("above")},
    )

    hass.states.async_set(PRICE, "0.62", attrs)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=4))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert notify == []  # not for 5 minutes yet
    hass.states.async_set(PRICE, "0.71", attrs)  # still above: the 5 minutes run on
    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    above = "General price is 0.71 AUD/kWh, above 0.5 AUD/kWh."
    assert _messages(notify) == [(NOTIFY, "Electricity price", above)]
    assert [call.data for call in record] == [
        {"blueprint": "above", "message": above, "title": "Electricity price"}
    ]

    hass.states.async_set(PRICE, "0.4", attrs)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=5, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    below = "General price is 0.4 AUD/kWh, back below 0.5 AUD/kWh."
    assert _messages(notify)[1:] == [(NOTIFY, "Electricity price", below)]
    assert len(record) == 1  # the actions for "back below" are empty by default


async def test_price_spike(hass: HomeAssistant, installed: Path) -> None:
    """The spike's start is told with the price; its end runs the end actions only."""
    notify = async_mock_service(hass, "notify", "send_message")
    record = async_mock_service(hass, "test", "record")
    hass.states.async_set(PRICE, "0.25", {"unit_of_measurement": "AUD/kWh"})
    hass.states.async_set(SPIKE, "off")
    name = "price_spike.yaml"
    await _automation(
        hass,
        name,
        {**EXAMPLE_INPUTS[name], "spike_actions": _record("spike"), "end_actions": _record("end")},
    )

    hass.states.async_set(PRICE, "14.3", {"unit_of_measurement": "AUD/kWh"})
    hass.states.async_set(SPIKE, "on")
    await hass.async_block_till_done()
    start = "Amber declares a price spike: the price is now 14.3 AUD/kWh."
    assert _messages(notify) == [(NOTIFY, "Price spike", start)]

    hass.states.async_set(PRICE, "0.3", {"unit_of_measurement": "AUD/kWh"})
    hass.states.async_set(SPIKE, "off")
    await hass.async_block_till_done()
    assert len(notify) == 1  # notify_end is off
    end = "The price spike is over: the price is now 0.3 AUD/kWh."
    assert [(call.data["blueprint"], call.data["message"]) for call in record] == [
        ("spike", start),
        ("end", end),
    ]


def _charger(hass: HomeAssistant) -> dr.DeviceEntry:
    """Register the Wall Connector's device as the integration does (serial number included)."""
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "PGT2251234567")},
        name="Wall Connector PGT2251234567",
        model="Wall Connector Gen 3",
        serial_number="PGT2251234567",
    )


def _session(**changes: Any) -> dict[str, Any]:
    """Return event data as the Wall Connector coordinator fires it."""
    session = FinishedSession(
        started_at=datetime.fromisoformat("2026-11-23T09:00:00+00:00"),
        ended_at=datetime.fromisoformat("2026-11-23T11:05:00+00:00"),
        energy_kwh=23.456,
        duration_s=2 * 3600 + 5 * 60 + 12,
        charging_s=6000,
        cost=5.4321,
        currency="AUD",
        average_price=0.2316,
        unpriced_energy_kwh=0.0,
    )
    return {"serial_number": "PGT2251234567", **session.as_dict(), **changes}


async def test_charging_session_ended(hass: HomeAssistant, installed: Path) -> None:
    """Each session of the chosen charger is told with its cost; small ones and others not."""
    notify = async_mock_service(hass, "notify", "send_message")
    charger = _charger(hass)
    name = "charging_session_ended.yaml"
    await _automation(hass, name, {**EXAMPLE_INPUTS[name], "charger": charger.id})

    hass.bus.async_fire(EVENT_SESSION_ENDED, _session())
    hass.bus.async_fire(EVENT_SESSION_ENDED, _session(serial_number="PGT0000000001"))
    hass.bus.async_fire(EVENT_SESSION_ENDED, _session(energy_kwh=0.2))  # below 0.5 kWh
    hass.bus.async_fire(
        EVENT_SESSION_ENDED,
        _session(energy_kwh=7.04, duration_s=1800, cost=None, average_price=None, currency=None),
    )
    hass.bus.async_fire(
        EVENT_SESSION_ENDED, _session(energy_kwh=0.5, duration_s=59, unpriced_energy_kwh=0.25)
    )
    await hass.async_block_till_done()
    assert _messages(notify) == [
        (
            NOTIFY,
            "Charging session ended",
            "Charged 23.5 kWh in 2 h 05 min for 5.43 AUD (0.232 AUD/kWh).",
        ),
        (
            NOTIFY,
            "Charging session ended",
            "Charged 7.0 kWh in 0 h 30 min; no tariff is linked, so the cost is unknown.",
        ),
        (
            NOTIFY,
            "Charging session ended",
            "Charged 0.5 kWh in 0 h 00 min for 5.43 AUD (0.232 AUD/kWh). "
            "0.2 kWh were drawn while no price was known.",
        ),
    ]


async def test_charging_session_ended_any_charger(hass: HomeAssistant, installed: Path) -> None:
    """Without a charger chosen, every Wall Connector's sessions are told."""
    record = async_mock_service(hass, "test", "record")
    name = "charging_session_ended.yaml"
    await _automation(hass, name, {"actions": _record("session")})
    hass.bus.async_fire(EVENT_SESSION_ENDED, _session(serial_number="PGT0000000001"))
    await hass.async_block_till_done()
    assert [call.data["message"] for call in record] == [
        "Charged 23.5 kWh in 2 h 05 min for 5.43 AUD (0.232 AUD/kWh)."
    ]


async def test_vehicle_arrived_home(hass: HomeAssistant, installed: Path) -> None:
    """Entering the home zone is told; moving inside it or elsewhere is not."""
    notify = async_mock_service(hass, "notify", "send_message")
    assert await async_setup_component(hass, "zone", {})
    home = hass.states.get("zone.home")
    assert home is not None
    at_home = {
        CONF_LATITUDE: home.attributes[CONF_LATITUDE],
        CONF_LONGITUDE: home.attributes[CONF_LONGITUDE],
        "gps_accuracy": 5,
        "friendly_name": "Model Y",
    }
    away = {**at_home, CONF_LATITUDE: at_home[CONF_LATITUDE] + 0.2}
    hass.states.async_set(CAR, "not_home", away)
    name = "vehicle_arrived_home.yaml"
    await _automation(hass, name, EXAMPLE_INPUTS[name])

    hass.states.async_set(CAR, "not_home", {**away, CONF_LONGITUDE: 0.5})
    hass.states.async_set(CAR, "home", at_home)
    hass.states.async_set(CAR, "home", {**at_home, "gps_accuracy": 8})
    await hass.async_block_till_done()
    assert _messages(notify) == [(NOTIFY, "Model Y is home", f"Model Y arrived at {home.name}.")]


async def test_charger_fault(
    hass: HomeAssistant, installed: Path, freezer: FrozenDateTimeFactory
) -> None:
    """An error lasting 30 s is told by the charger's name, its clearing too; a blip is not."""
    notify = async_mock_service(hass, "notify", "send_message")
    charger = _charger(hass)
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        "PGT2251234567_status",
        suggested_object_id=STATUS.removeprefix("sensor."),
        device_id=charger.id,
    )
    dr.async_get(hass).async_update_device(charger.id, name_by_user="Garage charger")
    attrs = {"friendly_name": "Wall Connector Status"}
    hass.states.async_set(STATUS, "charging", attrs)
    name = "charger_fault.yaml"
    await _automation(hass, name, EXAMPLE_INPUTS[name])

    hass.states.async_set(STATUS, "error", attrs)
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    hass.states.async_set(STATUS, "unavailable", attrs)  # a blip, then unreachable: no message
    await hass.async_block_till_done()
    hass.states.async_set(STATUS, "error", attrs)
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    hass.states.async_set(STATUS, "ready", attrs)
    await hass.async_block_till_done()
    assert _messages(notify) == [
        (NOTIFY, "Charger fault", "Garage charger reports an error; charging has stopped."),
        (NOTIFY, "Charger fault cleared", "Garage charger no longer reports an error (now ready)."),
    ]


async def test_tou_sync_failed(hass: HomeAssistant, installed: Path) -> None:
    """A failure is told with its detail, once; the next success is told; other successes not."""
    notify = async_mock_service(hass, "notify", "send_message")
    record = async_mock_service(hass, "test", "record")
    hass.states.async_set(RESULT, "uploaded")
    name = "tou_sync_failed.yaml"
    await _automation(hass, name, {**EXAMPLE_INPUTS[name], "failed_actions": _record("failed")})

    hass.states.async_set(RESULT, "unchanged")  # a success after a success
    hass.states.async_set(RESULT, "upload_failed", {"detail": "HTTP 503"})
    hass.states.async_set(RESULT, "upload_failed", {"detail": "HTTP 502"})  # same state
    hass.states.async_set(RESULT, "stale_prices", {"detail": None})
    hass.states.async_set(RESULT, "uploaded")
    await hass.async_block_till_done()
    kept = "The Powerwall keeps its previous tariff."
    assert _messages(notify) == [
        (NOTIFY, "TOU sync failed", f"TOU sync failed: upload_failed (HTTP 503). {kept}"),
        (NOTIFY, "TOU sync failed", f"TOU sync failed: stale_prices. {kept}"),
        (NOTIFY, "TOU sync works again", "TOU sync works again: uploaded."),
    ]
    assert [call.data["title"] for call in record] == ["TOU sync failed"] * 2
