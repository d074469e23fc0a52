"""Tesla Fleet Telemetry pushed through Kafka: vehicles as trackers and sensors, and their controls."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_time_interval

from ..clients.fleet_telemetry.config import TlsMaterialError
from ..clients.fleet_telemetry.consumer import TelemetryConsumer
from ..const import DOMAIN, EntryKind
from ..runtime import SourceSpec, TesConfigEntry
from . import config
from .config import LEGACY_SSL_FILES, SSL_PEMS, async_consumer_config
from .control import ControlledRuntime, vehicle_control
from .control_entities import (
    setup_buttons,
    setup_climates,
    setup_covers,
    setup_locks,
    setup_media_players,
    setup_numbers,
    setup_selects,
    setup_switches,
    setup_updates,
)
from .entity import setup_binary_sensors, setup_sensors, setup_trackers
from .flow import FleetTelemetrySteps, stored_data_problem
from .hub import HEALTH_INTERVAL, FleetTelemetryRuntime, TelemetryHub
from .options import FleetTelemetryOptionsFlow


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> FleetTelemetryRuntime:
    """Build the consumer and start it in the background; it runs until the entry unloads."""
    if (problem := stored_data_problem(entry.data)) is not None:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_entry_data",
            translation_placeholders={"field": problem},
        )
    try:
        consumer_config = await async_consumer_config(hass, entry.data)
    except TlsMaterialError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="tls_material",
            translation_placeholders={"error": str(err)},
        ) from err
    except OSError as err:  # a legacy entry's PEM file (perhaps on a share not mounted yet)
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="tls_file",
            translation_placeholders={"error": str(err)},
        ) from err
    consumer = TelemetryConsumer(consumer_config, timing=config.TIMING)
    hub = TelemetryHub(hass, consumer, entry.entry_id)
    task = entry.async_create_background_task(
        hass, consumer.run(hub.apply), f"{DOMAIN} fleet telemetry {entry.title}"
    )
    entry.async_on_unload(async_track_time_interval(hass, hub.async_health_tick, HEALTH_INTERVAL))
    control = vehicle_control(hass, entry)
    runtime = (
        FleetTelemetryRuntime(hub=hub, task=task)
        if control is None
        else ControlledRuntime(hub=hub, task=task, control=control)
    )
    # Stopped cleanly before Home Assistant cancels background tasks at shutdown: cancelled,
    # aiokafka's stop is cut short and leaves the group member heartbeating, which holds up
    # the group join of the next start.
    entry.async_on_unload(hass.async_add_shutdown_job(HassJob(runtime.async_stop)))
    return runtime


def remove_vehicle(entry: TesConfigEntry, device: dr.DeviceEntry) -> bool:
    """Forget a vehicle that stopped reporting; it comes back, as new, if it streams again."""
    runtime = entry.runtime_data
    if not isinstance(runtime, FleetTelemetryRuntime) or (DOMAIN, entry.entry_id) in (
        device.identifiers
    ):
        return False  # the entry's own service device goes only with the entry
    for domain, vin in device.identifiers:
        if domain == DOMAIN:
            runtime.hub.async_forget(vin)
    return True


SPEC = SourceSpec(
    kind=EntryKind.FLEET_TELEMETRY,
    build=async_build,
    platform_setup={
        Platform.SENSOR: setup_sensors,
        Platform.BINARY_SENSOR: setup_binary_sensors,
        Platform.DEVICE_TRACKER: setup_trackers,
        # Vehicle controls: only with a Tesla account picked in the options.
        Platform.LOCK: setup_locks,
        Platform.COVER: setup_covers,
        Platform.SWITCH: setup_switches,
        Platform.NUMBER: setup_numbers,
        Platform.SELECT: setup_selects,
        Platform.BUTTON: setup_buttons,
        Platform.CLIMATE: setup_climates,
        Platform.MEDIA_PLAYER: setup_media_players,
        Platform.UPDATE: setup_updates,
    },
    flow=FleetTelemetrySteps,
    options_flow=FleetTelemetryOptionsFlow,
    reconfigure=FleetTelemetrySteps.async_step_fleet_telemetry_reconfigure,
    # VINs, the fields a car sends (locations), and the TLS material (the key above all).
    redact=frozenset({"vin", "vins", "fields", *SSL_PEMS, *LEGACY_SSL_FILES.values()}),
    remove_device=remove_vehicle,
)
