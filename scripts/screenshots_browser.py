"""Screenshot the repository's dashboard in the dev instance; fail on any broken card or entity.

Run by scripts/screenshots with Playwright (its own venv) against a Chromium it started. It logs
in as the trusted-network `dev` user (as scripts/check_develop does), reads the dashboard's
config from Home Assistant, waits until every entity it references has a state, opens it, and
fails if a card shows an error or an entity is missing, unavailable or unknown (unknown only
where MAY_BE_UNKNOWN says why).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import re
import shutil
from typing import Any
from urllib.parse import urlsplit

from check_develop_browser import TIMEOUT_MS, browser_page, log_in, open_integration_page, say
from playwright.async_api import Page, Route

DASHBOARD_URL_PATH = "tesla-energy-sync"
VIEW_PATH = "energy"
# Entities the dashboard shows that may read unknown in a fresh dev instance, and why.
MAY_BE_UNKNOWN = {
    "sensor.wall_connector_pgt2251234567_last_session_cost": (
        "no session has ended yet: the simulated car unplugs about 80 minutes after start"
    ),
    "sensor.wall_connector_pgt2251234567_last_session_energy": "as the last session cost",
}
# Turned on through the API as a user would: that syncs at once, so TOU sync's sensors get
# values instead of waiting up to 5 minutes for the next price interval.
TOU_SWITCH = "switch.tou_sync_sim_home_automatic_tou_sync"
# How long entities may take to appear (vehicles with their first Kafka records, TOU sync with
# its first upload) and to get a state.
STATES_TIMEOUT_S = 120
# Texts a card shows when its config or an entity is wrong; the locators pierce shadow DOM.
ERROR_TEXTS = (
    "Configuration error",
    "Configuration warning",
    "Entity not available",
    "Entity not found",
    "Unknown type encountered",
    "Custom element doesn't exist",
    "Custom element not found",
)
# Elements the frontend renders in place of, or inside, a broken card.
ERROR_ELEMENTS = ("hui-error-card", "hui-warning", "hui-warning-element")
HEADINGS = ("Electricity price", "Home energy", "Wall Connector", "Vehicles", "TOU sync")
# Cards that must have drawn before the screenshot, as (element, how many at least).
RENDERED = (
    ("hui-tile-card", 19),
    ("ha-gauge", 1),
    ("ha-map", 1),
    ("state-history-chart-line", 2),
    ("ha-markdown", 1),
)
ENTITY_ID = re.compile(
    r"\b(?:sensor|binary_sensor|switch|device_tracker|zone|number|select)\.[a-z0-9_]+\b"
)


def referenced_entities(config: Any) -> set[str]:
    """Return every entity id a Lovelace config names: `entity`, `entities` and in templates."""
    found: set[str] = set()
    if isinstance(config, dict):
        for key, value in config.items():
            if key == "entity" and isinstance(value, str):
                found.add(value)
            elif key == "entities" and isinstance(value, list):
                found.update(item for item in value if isinstance(item, str))
                found |= referenced_entities([i for i in value if isinstance(i, dict)])
            elif isinstance(value, str):
                found.update(ENTITY_ID.findall(value))
            else:
                found |= referenced_entities(value)
    elif isinstance(config, list):
        for item in config:
            found |= referenced_entities(item)
    return found


def state_problems(states: dict[str, str], wanted: set[str]) -> list[str]:
    """Return one line per wanted entity that is missing, unavailable or unknown uninvited."""
    problems = []
    for entity_id in sorted(wanted):
        state = states.get(entity_id)
        if state is None:
            problems.append(f"{entity_id}: does not exist")
        elif state == "unavailable" or (state == "unknown" and entity_id not in MAY_BE_UNKNOWN):
            problems.append(f"{entity_id}: {state}")
    return problems


async def _api(page: Page, base_url: str, path: str, data: dict[str, Any] | None = None) -> Any:
    """GET (or POST `data` to) the REST API with the logged-in user's token; return the JSON."""
    token = await page.evaluate(
        "() => document.querySelector('home-assistant').hass.auth.data.access_token"
    )
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base_url}/api/{path}"
    response = await (
        page.request.get(url, headers=headers)
        if data is None
        else page.request.post(url, headers=headers, data=data)
    )
    if not response.ok:
        raise RuntimeError(f"/api/{path} answered {response.status}")
    return await response.json()


async def _api_states(page: Page, base_url: str) -> dict[str, str]:
    """Return entity id -> state from GET /api/states."""
    return {item["entity_id"]: item["state"] for item in await _api(page, base_url, "states")}


async def _wait_for_states(page: Page, base_url: str, wanted: set[str]) -> None:
    """Wait until every wanted entity has a usable state; raise naming those that never did."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STATES_TIMEOUT_S
    while problems := state_problems(await _api_states(page, base_url), wanted):
        if loop.time() > deadline:
            raise RuntimeError(
                f"after {STATES_TIMEOUT_S}s, entities on the dashboard: " + "; ".join(problems)
            )
        await asyncio.sleep(2)
    allowed = sorted(wanted & MAY_BE_UNKNOWN.keys())
    say(f"all {len(wanted)} entities have a state (unknown allowed for {', '.join(allowed)})")


async def _card_errors(page: Page) -> list[str]:
    """Return what the dashboard shows as broken: error elements and error texts."""
    errors = []
    for element in ERROR_ELEMENTS:
        texts = await page.locator(element).evaluate_all(
            "(found) => found.map((el) => (el.shadowRoot || el).textContent.trim())"
        )
        if texts:
            errors.append(f"{len(texts)} {element}: {' | '.join(texts)}")
    counts = [(text, await page.get_by_text(text).count()) for text in ERROR_TEXTS]
    return errors + [f"{count} x {text!r}" for text, count in counts if count]


async def _open_dashboard(page: Page, visited: list[str], base_url: str) -> None:
    """Show the dashboard and wait until every card has drawn."""
    path = f"/{DASHBOARD_URL_PATH}/{VIEW_PATH}"
    await page.goto(f"{base_url}{path}", timeout=TIMEOUT_MS)
    # Logged in already, unless the frontend kept no token: then the login page passes again.
    await log_in(page, visited, path, page.locator("hui-sections-view"))
    for heading in HEADINGS:
        await page.get_by_text(heading, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    await page.get_by_text("Cheapest half hour").wait_for(timeout=TIMEOUT_MS)
    for element, least in RENDERED:
        await page.wait_for_function(
            "([selector, least]) => {"
            "  const found = [];"
            "  const walk = (root) => root.querySelectorAll('*').forEach((el) => {"
            "    if (el.localName === selector) found.push(el);"
            "    if (el.shadowRoot) walk(el.shadowRoot);"
            "  });"
            "  walk(document);"
            "  return found.length >= least;"
            "}",
            arg=[element, least],
            timeout=TIMEOUT_MS,
        )
    say(f"dashboard drawn: {', '.join(f'{least}+ {element}' for element, least in RENDERED)}")
    # Charts animate their first draw; nothing signals its end.
    await page.wait_for_timeout(2000)


async def shoot(base_url: str, cdp_url: str, work: Path) -> int:
    """Return 0 once both screenshots are in `work` and nothing on the dashboard is broken."""
    local = urlsplit(base_url).hostname
    outside: list[str] = []
    blocked: list[str] = []

    async def _no_tiles(route: Route) -> None:
        # The map card asks Home Assistant for map tiles, which it fetches from OpenStreetMap:
        # the screenshots stay on loopback, so the map is drawn without its base map.
        blocked.append(route.request.url)
        await route.abort()

    async with browser_page(cdp_url) as (page, visited):
        await page.route("**/api/map_tiles/**", _no_tiles)
        page.on(
            "request",
            lambda request: (
                outside.append(request.url)
                if urlsplit(request.url).hostname not in {local, None}
                and request.url.startswith("http")
                else None
            ),
        )
        try:
            await open_integration_page(page, visited, base_url)
            await page.screenshot(path=work / "integration.png")
            config = await page.evaluate(
                "(url_path) => document.querySelector('home-assistant').hass.connection"
                ".sendMessagePromise({type: 'lovelace/config', url_path})",
                DASHBOARD_URL_PATH,
            )
            wanted = referenced_entities(config)
            say(f"the dashboard references {len(wanted)} entities")
            await _api(page, base_url, "services/switch/turn_on", {"entity_id": TOU_SWITCH})
            say(f"turned {TOU_SWITCH} on")
            await _wait_for_states(page, base_url, wanted)
            await _open_dashboard(page, visited, base_url)
            errors = await _card_errors(page)
            await page.screenshot(path=work / "dashboard.png", full_page=True)
            # Entities may have gone away while the page drew.
            errors += state_problems(await _api_states(page, base_url), wanted)
        except Exception as err:  # noqa: BLE001 - any failure is reported with a screenshot
            say(f"FAILED: {err}")
            await page.screenshot(path=work / "failed.png", full_page=True)
            say(f"screenshot of the failure: {work / 'failed.png'}")
            return 1
    say(f"map tile requests kept from Home Assistant: {len(blocked)}")
    if outside:
        say(f"requests beyond {local} (refused by the browser's proxy): {sorted(set(outside))}")
    if errors:
        for error in errors:
            say(f"FAILED: {error}")
        say(f"screenshot of the failure: {work / 'dashboard.png'}")
        return 1
    say("no card shows an error; no entity is missing, unavailable or unknown uninvited")
    return 0


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--cdp", required=True)
    parser.add_argument("--out", type=Path, required=True, help="where the screenshots go")
    parser.add_argument("--work", type=Path, required=True, help="where they are taken")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if status := asyncio.run(shoot(args.url.rstrip("/"), args.cdp, args.work)):
        return status
    # Only a dashboard that passed every check replaces the published screenshots.
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("integration.png", "dashboard.png"):
        shutil.copyfile(args.work / name, args.out / name)
        say(f"screenshot {args.out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
