"""The dashboard in dashboards/: core cards only, and its forecast table from the sensor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.helpers.template import Template
from homeassistant.util import yaml as yaml_util

DASHBOARD = Path(__file__).parents[1] / "dashboards" / "tesla_energy_sync.yaml"
FORECAST = "sensor.amber_electric_41021234567_simulator_general_forecast"
# Cards, badges and tile features that ship with Home Assistant's frontend.
CORE_TYPES = {
    "entities",
    "entity",
    "gauge",
    "glance",
    "grid",
    "heading",
    "history-graph",
    "map",
    "markdown",
    "statistic",
    "statistics-graph",
    "tile",
    "toggle",
}
SYDNEY = ZoneInfo("Australia/Sydney")
EN_DASH = "\N{EN DASH}"  # between low and high, as the card shows it


def _types(node: Any) -> set[str]:
    """Return every `type` in the config: views, sections, cards, badges, features."""
    if isinstance(node, dict):
        found = {node["type"]} if isinstance(node.get("type"), str) else set()
        return found.union(*(_types(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_types(item) for item in node))
    return set()


def _markdown() -> str:
    dashboard = yaml_util.load_yaml_dict(DASHBOARD)
    (section,) = [
        section
        for section in dashboard["views"][0]["sections"]
        if any(card["type"] == "markdown" for card in section["cards"])
    ]
    (card,) = [card for card in section["cards"] if card["type"] == "markdown"]
    content: str = card["content"]
    return content


def test_core_cards_only() -> None:
    """No custom cards: every card, badge and feature type is one Home Assistant ships."""
    types = _types(yaml_util.load_yaml_dict(DASHBOARD)["views"])
    assert types - {"sections"} <= CORE_TYPES
    assert not any(kind.startswith("custom:") for kind in types)


async def test_forecast_table(hass: HomeAssistant) -> None:
    """96 half hours become 16 three-hour rows: average, range, the dearest one's descriptor."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    start = datetime(2026, 11, 23, 20, 0, 1, tzinfo=UTC)  # 07:00 in Sydney, a Tuesday
    descriptors = ("very_low", "low", "neutral", "high", "spike")
    # 37 and 96 are coprime, so every price differs: cheapest and dearest are unambiguous.
    forecasts: list[dict[str, Any]] = [
        {
            "price": round(-0.05 + 0.013 * ((i * 37) % 96), 4),
            "start_time": (start + timedelta(minutes=30 * i)).isoformat(),
            "descriptor": descriptors[i % 5],
        }
        for i in range(96)
    ]
    hass.states.async_set(
        FORECAST, "0.2", {"unit_of_measurement": "AUD/kWh", "forecasts": forecasts}
    )

    def when(item: dict[str, Any]) -> str:
        return datetime.fromisoformat(item["start_time"]).astimezone(SYDNEY).strftime("%a %H:%M")

    cheap = min(forecasts, key=lambda item: item["price"])
    dear = max(forecasts, key=lambda item: item["price"])
    rows = []
    for first in range(0, 96, 6):
        block = forecasts[first : first + 6]
        prices = [item["price"] for item in block]
        peak = max(block, key=lambda item: item["price"])["descriptor"].replace("_", " ")
        shown = f"**{peak}**" if peak in {"high", "spike"} else peak
        rows.append(
            f"| {when(block[0])} | {sum(prices) / 6:.3f} | {min(prices):.3f} {EN_DASH} {max(prices):.3f}"
            f" | {shown} |"
        )
    expected = [
        f"Cheapest half hour **{when(cheap)}** at {cheap['price']:.3f} AUD/kWh, dearest"
        f" **{when(dear)}** at {dear['price']:.3f} AUD/kWh.",
        "",
        f"| From | Average | Low {EN_DASH} high | Dearest is |",
        "|:--|--:|--:|:--|",
        *rows,
    ]
    rendered = Template(_markdown(), hass).async_render(parse_result=False)
    assert rendered.strip().splitlines() == expected
    assert rows[0].startswith("| Tue 07:00 |")
    assert rows[-1].startswith("| Thu 04:00 |")


async def test_forecast_table_without_forecasts(hass: HomeAssistant) -> None:
    """Before the first forecast (or while the sensor is unavailable) the card says so."""
    hass.states.async_set(FORECAST, "unavailable", {})
    rendered = Template(_markdown(), hass).async_render(parse_result=False)
    assert rendered.strip() == "No forecast yet."
