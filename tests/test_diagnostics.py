"""Diagnostics for both entry kinds, with the token and meter identifier redacted."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import AMBER_TOKEN, TESLA_TOKEN, WALL_CONNECTOR_SERIAL, setup_entry

EXCLUDE = props(
    "created_at", "modified_at", "entry_id", "base_url", "requests_in_window", "tariff_entry_id"
)


@pytest.mark.usefixtures("frozen")
async def test_amber(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    amber_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Amber diagnostics: no token, no NMI."""
    await setup_entry(hass, amber_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, amber_entry)
    assert AMBER_TOKEN not in str(diagnostics)
    assert "41021234567" not in str(diagnostics)
    assert diagnostics == snapshot(exclude=EXCLUDE)


@pytest.mark.usefixtures("frozen")
async def test_comed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    comed_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """ComEd diagnostics."""
    await setup_entry(hass, comed_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, comed_entry)
    assert diagnostics == snapshot(exclude=EXCLUDE)


@pytest.mark.usefixtures("frozen")  # before the client's token is issued
async def test_wall_connector(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    wall_connector_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Wall Connector diagnostics: no serial number, address or Wi-Fi identity."""
    await setup_entry(hass, wall_connector_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, wall_connector_entry)
    text = str(diagnostics)
    assert WALL_CONNECTOR_SERIAL not in text
    assert "127.0.0.1" not in text
    assert diagnostics == snapshot(exclude=EXCLUDE)


@pytest.mark.usefixtures("frozen")
async def test_tou_sync(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    amber_entry: MockConfigEntry,
    tou_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """TOU sync diagnostics after a dry-run-free sync: no token."""
    await setup_entry(hass, amber_entry)
    await setup_entry(hass, tou_entry)
    await hass.services.async_call(
        "tesla_energy_sync", "sync_tou", {}, blocking=True, return_response=True
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, tou_entry)
    assert TESLA_TOKEN not in str(diagnostics)
    assert diagnostics["coordinators"]["tou"]["data"]["last_attempt"]["result"] == "uploaded"
    assert diagnostics == snapshot(exclude=EXCLUDE)
