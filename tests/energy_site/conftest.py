"""Cloud energy site fixtures: a proxy-token Tesla account and a site entry on the simulator."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    CONF_ACCOUNT_ENTRY,
    CONF_CONTROL,
    CONF_ENERGY_SITE_ID,
    CONF_KIND,
    DOMAIN,
    EntryKind,
)
from custom_components.tesla_energy_sync.energy_site.coordinator import (
    CONF_GATEWAY_DIN,
    EnergySiteRuntime,
)
from simulators.tesla_energy import SITE_ID, TeslaEnergySimulator

from ..conftest import FROZEN_TIME, setup_entry
from ..helpers import entity_id
from ..tesla_account.test_account_tou_flow import proxy_account

PREFIX = f"energy_site_{SITE_ID}"


@pytest.fixture
async def account(
    hass: HomeAssistant,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """A loaded Tesla account on a proxy token that holds the simulated site (clock frozen)."""
    freezer.move_to(FROZEN_TIME)
    entry = proxy_account(tesla_energy_simulator, str(SITE_ID))
    await setup_entry(hass, entry)
    return entry


def site_entry(
    simulator: TeslaEnergySimulator,
    account: ConfigEntry[Any],
    *,
    control: bool = False,
    site_id: int = SITE_ID,
) -> MockConfigEntry:
    """Return a cloud energy site entry for one of the simulator's sites."""
    site = simulator.site(site_id)
    return MockConfigEntry(
        domain=DOMAIN,
        title=site["site_name"],
        unique_id=f"energy_site_{site_id}",
        data={
            CONF_KIND: EntryKind.ENERGY_SITE,
            CONF_ACCOUNT_ENTRY: account.entry_id,
            CONF_ENERGY_SITE_ID: site_id,
            CONF_GATEWAY_DIN: site["gateway_id"],
        },
        options={CONF_CONTROL: control},
    )


def runtime_of(entry: ConfigEntry[Any]) -> EnergySiteRuntime:
    """Return a loaded site entry's runtime."""
    runtime = entry.runtime_data
    assert isinstance(runtime, EnergySiteRuntime)
    return runtime


def site_state(hass: HomeAssistant, platform: str, key: str) -> str:
    """Return the state of one of the site's entities."""
    state = hass.states.get(entity_id(hass, platform, f"{PREFIX}_{key}"))
    assert state is not None
    return state.state
