"""The tariff a site holds: its buy and sell rate now, as Home Assistant shows them."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.energy_site.coordinator import SiteState
from custom_components.tesla_energy_sync.energy_site.tariff import SiteTariff, TariffShapeError
from custom_components.tesla_energy_sync.powerwall.cloud import CloudSettings
from simulators.tesla_energy import SITE_ID, TeslaEnergySimulator, app_tariff

from ..conftest import setup_entry
from ..helpers import advance, entity_id
from .conftest import PREFIX, site_entry, site_state

SYDNEY = ZoneInfo("Australia/Sydney")
SITE_INFO = f"/api/1/energy_sites/{SITE_ID}/site_info"


def _rate(hass: HomeAssistant, side: str) -> str:
    return site_state(hass, "sensor", f"tariff_{side}_price")


def _attributes(hass: HomeAssistant, side: str) -> dict[str, Any]:
    state = hass.states.get(entity_id(hass, "sensor", f"{PREFIX}_tariff_{side}_price"))
    assert state is not None
    return dict(state.attributes)


def _at(sim: TeslaEnergySimulator, hour: int, minute: int, second: int = 0) -> dt.datetime:
    day = sim.now().astimezone(SYDNEY).date()
    return dt.datetime.combine(day, dt.time(hour, minute, second), SYDNEY)


async def test_rate_turns_with_the_periods(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The rate of the period in force, turning at the period's start without a new read."""
    sim = tesla_energy_simulator
    sim.replace_tariff()
    freezer.move_to(_at(sim, 15, 58))
    await setup_entry(hass, site_entry(sim, account))
    assert float(_rate(hass, "buy")) == 0.26
    assert float(_rate(hass, "sell")) == 0.05
    assert _attributes(hass, "buy")[ATTR_UNIT_OF_MEASUREMENT] == "AUD/kWh"
    assert {key: _attributes(hass, "buy")[key] for key in ("period", "season", "tariff")} == {
        "period": "SHOULDER",
        "season": "Summer",
        "tariff": "Home tariff",
    }
    reads = sim.path_counts[SITE_INFO]
    await advance(hass, freezer, 125)  # 16:00:05, settings next read at 16:03
    assert sim.path_counts[SITE_INFO] == reads
    assert float(_rate(hass, "buy")) == 0.52
    assert float(_rate(hass, "sell")) == 0.08
    # OFF_PEAK wraps midnight: 21:00 on, and still after midnight.
    freezer.move_to(_at(sim, 20, 59, 58))
    await advance(hass, freezer, 5)
    assert float(_rate(hass, "buy")) == 0.18
    freezer.move_to(_at(sim, 23, 59, 58))
    await advance(hass, freezer, 5)
    assert float(_rate(hass, "buy")) == 0.18


async def test_no_tariff_and_legacy_tariff(
    hass: HomeAssistant,
    account: MockConfigEntry,
    tesla_energy_simulator: TeslaEnergySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No tariff: unknown. A legacy v1 tariff (no wrappers, no currency) is read too."""
    sim = tesla_energy_simulator
    await setup_entry(hass, site_entry(sim, account))
    assert _rate(hass, "buy") == STATE_UNKNOWN
    assert _attributes(hass, "buy").get("period") is None
    # Without a currency in the tariff, the unit is Home Assistant's currency per kWh.
    assert _attributes(hass, "buy")[ATTR_UNIT_OF_MEASUREMENT] == f"{hass.config.currency}/kWh"

    # v1 has no "periods" and no "rates" wrappers.
    season = app_tariff()["seasons"]["Summer"]
    season["tou_periods"] = {name: body["periods"] for name, body in season["tou_periods"].items()}
    legacy = {
        "name": "Old plan",
        "seasons": {"Summer": season},
        "energy_charges": {"Summer": {"OFF_PEAK": 0.15, "SHOULDER": 0.21, "ON_PEAK": 0.4}},
    }
    sim.site()["tariff_content"] = legacy
    await advance(hass, freezer, 300)
    assert float(_rate(hass, "buy")) == 0.21  # 07:07, shoulder
    assert _rate(hass, "sell") == STATE_UNKNOWN  # the legacy tariff has no sell side


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t["energy_charges"]["Summer"]["rates"].update(ON_PEAK="dear"),
        lambda t: t["seasons"]["Summer"]["tou_periods"]["ON_PEAK"]["periods"][0].update(toHour=30),
        lambda t: t["seasons"]["Summer"].update(toMonth=2, toDay=30),
        lambda t: t.update(seasons={"Winter": {"tou_periods": {}}}),
        lambda t: t["sell_tariff"].update(energy_charges=[]),
    ],
    ids=["price", "hour", "date", "no season", "charges"],
)
async def test_a_tariff_that_cannot_be_read(
    hass: HomeAssistant,
    account: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    tesla_energy_simulator: TeslaEnergySimulator,
    change: Any,
) -> None:
    """Unknown rather than half read; counted in diagnostics."""
    tariff = app_tariff()
    change(tariff)
    tesla_energy_simulator.replace_tariff(tariff)
    entry = site_entry(tesla_energy_simulator, account)
    await setup_entry(hass, entry)
    assert _rate(hass, "buy") == STATE_UNKNOWN
    assert _rate(hass, "sell") == STATE_UNKNOWN
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["coordinators"]["settings"]["rejected"] == {"tariff": 1}


def test_a_site_without_time_zone() -> None:
    """Periods are wall-clock times of the site: without its zone there is no rate."""
    state = SiteState(
        settings=CloudSettings(None, None, None, None),
        tariff=SiteTariff.parse(app_tariff()),
        time_zone=None,
        gateway_dins=(),
    )
    assert state.rate() is None
    assert state.as_dict()["time_zone"] is None


# --- the tariff reader on its own -------------------------------------------------------------


def _seasonal() -> dict[str, Any]:
    """A tariff with a summer across new year, a winter, weekend and wrapping periods."""
    every_day = {"fromDayOfWeek": 0, "toDayOfWeek": 6}
    return {
        "currency": "USD",
        "energy_charges": {
            "ALL": {"rates": {"ALL": 0}},
            "Summer": {"rates": {"PEAK": 0.5, "OFF": 0.1}},
            "Winter": {"rates": {"WEEKDAY": 0.3, "WEEKEND": 0.2}},
        },
        "seasons": {
            "Summer": {
                "fromMonth": 11,
                "fromDay": 1,
                "toMonth": 3,
                "toDay": 31,
                "tou_periods": {
                    "PEAK": {"periods": [{**every_day, "fromHour": 17, "toHour": 20}]},
                    "OFF": {"periods": [{**every_day, "fromHour": 20, "toHour": 17}]},
                },
            },
            "Winter": {
                "fromMonth": 4,
                "fromDay": 1,
                "toMonth": 10,
                "toDay": 31,
                "tou_periods": {
                    # Saturday to Monday wraps past Sunday; minute 60 ends the hour.
                    "WEEKEND": {"periods": [{"fromDayOfWeek": 5, "toDayOfWeek": 0}]},
                    "WEEKDAY": {
                        "periods": [
                            {"fromDayOfWeek": 1, "toDayOfWeek": 4, "toHour": 23, "toMinute": 60}
                        ]
                    },
                },
            },
            "Empty": {"fromMonth": 0, "fromDay": 0, "toMonth": 0, "toDay": 0},
        },
    }


@pytest.mark.parametrize(
    ("moment", "price", "period"),
    [
        (dt.datetime(2026, 1, 2, 18, 0, tzinfo=SYDNEY), 0.5, "PEAK"),
        (dt.datetime(2026, 12, 31, 3, 0, tzinfo=SYDNEY), 0.1, "OFF"),  # summer runs across new year
        (dt.datetime(2026, 7, 4, 12, 0, tzinfo=SYDNEY), 0.2, "WEEKEND"),  # a Saturday
        (
            dt.datetime(2026, 7, 6, 12, 0, tzinfo=SYDNEY),
            0.2,
            "WEEKEND",
        ),  # Monday: the weekend wraps to it
        (dt.datetime(2026, 7, 7, 23, 59, tzinfo=SYDNEY), 0.3, "WEEKDAY"),
    ],
)
def test_rate_at(moment: dt.datetime, price: float, period: str) -> None:
    tariff = SiteTariff.parse(_seasonal())
    rate = tariff.rate_at(moment)
    assert rate is not None
    assert (rate.price, rate.period) == (price, period)
    assert tariff.sell is None
    assert tariff.rate_at(moment, sell=True) is None


def test_gaps_and_turns() -> None:
    """A moment no period or season covers has no rate; turns come at period edges."""
    tariff = _seasonal()
    tariff["seasons"]["Winter"].update(toMonth=9, toDay=30)  # October uncovered
    del tariff["seasons"]["Winter"]["tou_periods"]["WEEKEND"]  # weekends uncovered
    del tariff["energy_charges"]["Winter"]["rates"]["WEEKEND"]
    parsed = SiteTariff.parse(tariff)
    assert parsed.rate_at(dt.datetime(2026, 10, 7, 12, tzinfo=SYDNEY)) is None
    assert parsed.rate_at(dt.datetime(2026, 7, 4, 12, tzinfo=SYDNEY)) is None
    summer = dt.datetime(2026, 1, 2, 18, 30, tzinfo=SYDNEY)
    assert parsed.next_change(summer) == dt.datetime(2026, 1, 2, 20, 0, tzinfo=SYDNEY)
    late = dt.datetime(2026, 1, 2, 23, 30, tzinfo=SYDNEY)
    assert parsed.next_change(late) == dt.datetime(2026, 1, 3, 0, 0, tzinfo=SYDNEY)
    assert parsed.as_dict()["buy"]["Summer"] == {"PEAK": 0.5, "OFF": 0.1}
    assert parsed.as_dict()["sell"] is None


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.update(seasons=None),
        lambda t: t["seasons"]["Summer"].update(tou_periods="all day"),
        lambda t: t["seasons"]["Summer"]["tou_periods"].update(PEAK={"periods": []}),
        lambda t: t["seasons"]["Summer"]["tou_periods"]["PEAK"]["periods"].append(5),
        lambda t: t["seasons"]["Summer"]["tou_periods"]["PEAK"]["periods"][0].update(toHour=17),
        lambda t: t["seasons"]["Summer"]["tou_periods"]["PEAK"]["periods"][0].update(fromHour=True),
        lambda t: t["seasons"]["Summer"].update(fromMonth=13),
        lambda t: t["energy_charges"].pop("Summer"),
        lambda t: t["energy_charges"]["Summer"]["rates"].update(PEAK=float("nan")),
        lambda t: t["energy_charges"]["Summer"]["rates"].pop("OFF"),
    ],
)
def test_shapes_refused(change: Any) -> None:
    tariff = copy.deepcopy(_seasonal())
    change(tariff)
    with pytest.raises(TariffShapeError):
        SiteTariff.parse(tariff)
    with pytest.raises(TariffShapeError):
        SiteTariff.parse([tariff])
