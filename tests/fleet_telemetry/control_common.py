"""Fixtures' helpers for vehicle control: the simulated cloud, a Tesla account, a car online."""

from __future__ import annotations

from typing import Any

from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_ACCOUNT_ENTRY,
    CONF_BASE_URL,
    CONF_KIND,
    DOMAIN,
    EntryKind,
)
from simulators.tesla_vehicle import TeslaVehicleSimulator

from .common import VIN, until

TOKEN = "tesla_sim"
CAR_NAME = "Sim Car"


def account_entry(cloud: TeslaVehicleSimulator) -> MockConfigEntry:
    """Return a Tesla account entry (static token) whose base URL is the simulated cloud."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Tesla account (proxy)",
        unique_id="vehicle-proxy",
        data={
            CONF_KIND: EntryKind.TESLA_ACCOUNT,
            CONF_ACCESS_TOKEN: TOKEN,
            CONF_BASE_URL: cloud.base_url,
        },
    )


async def car_online(
    hass: HomeAssistant,
    telemetry: MockConfigEntry,
    cloud: TeslaVehicleSimulator,
    account: MockConfigEntry | None,
) -> None:
    """Set up the account (if any) and the telemetry entry, then stream the car's every field."""
    if account is not None:
        # First: setting up the integration sets up every entry already added.
        account.add_to_hass(hass)
        assert await hass.config_entries.async_setup(account.entry_id)
    telemetry.add_to_hass(hass)
    if account is not None:
        hass.config_entries.async_update_entry(
            telemetry, options={CONF_ACCOUNT_ENTRY: account.entry_id}
        )
    assert await hass.config_entries.async_setup(telemetry.entry_id)
    await hass.async_block_till_done()
    hub = telemetry.runtime_data.hub
    await until(hass, lambda: hub.connected)
    await cloud.publish(VIN, {"VehicleName": CAR_NAME})
    await cloud.publish_all(VIN)
    await applied(hass, telemetry, cloud)


async def applied(hass: HomeAssistant, telemetry: MockConfigEntry, cloud: Any) -> None:
    """Wait until the consumer applied every record the simulated car has sent."""
    consumer = telemetry.runtime_data.hub.consumer
    assert cloud.producer is not None
    sent = sum(cloud.producer.sent.values())
    await until(hass, lambda: consumer.records >= sent)
