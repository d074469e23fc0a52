"""Log in to the dev instance as the trusted-network user and open Tesla Energy Sync's page.

Run by scripts/check_develop with Playwright (its own venv) against a Chromium it started;
scripts/screenshots_browser.py logs in the same way.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
import sys
import time

from playwright.async_api import Locator, Page, async_playwright

INTEGRATION_PATH = "/config/integrations/integration/tesla_energy_sync"
# Texts the integration's page shows once loaded: its name and a seeded entry's title.
EXPECTED = ("Tesla Energy Sync", "Amber Electric 41021234567 (simulator)")
TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1280, "height": 900}


STARTED = time.monotonic()


def say(message: str) -> None:
    """Print one progress line, with the seconds since the browser script started."""
    sys.stdout.write(f"browser [{time.monotonic() - STARTED:5.1f}s]: {message}\n")
    sys.stdout.flush()


async def log_in(page: Page, visited: list[str], path: str, loaded: Locator) -> None:
    """Pass the login page as the trusted-network user until `loaded` shows on `path`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT_MS / 1000
    # The frontend redirects to the login page only once its code runs. With the
    # username/password provider listed first, the trusted-network one is a link; with several
    # users, a picker asks which one. A password field is never filled.
    trusted = page.get_by_text("Trusted Networks", exact=True)
    picker = page.get_by_role("combobox")
    seen_login = False
    while not await loaded.is_visible():
        if loop.time() > deadline:
            raise TimeoutError(f"{path} not shown after {TIMEOUT_MS} ms (at {page.url})")
        if "/auth/authorize" in page.url:
            if not seen_login:
                say("login page shown")
                seen_login = True
            if await trusted.is_visible():
                say("login page: choosing Trusted Networks")
                await trusted.click()
            elif await picker.is_visible():
                say("login page: choosing the dev user")
                await picker.click()
                await page.get_by_role("option", name="dev", exact=True).click()
                await page.get_by_role("button", name="Log in").click()
        await asyncio.sleep(0.5)
    if path not in page.url:
        raise RuntimeError(f"ended on {page.url}, not {path}")
    # A fresh browser context has no token: the frontend must have gone through the login page.
    if not any("/auth/authorize" in url for url in visited):
        raise RuntimeError("the login page was never shown")
    say("passed the login page without typing anything")


@asynccontextmanager
async def browser_page(cdp_url: str) -> AsyncIterator[tuple[Page, list[str]]]:
    """Yield a page in a fresh context (no token) of the Chromium at `cdp_url`, and its URLs."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.connect_over_cdp(cdp_url, timeout=TIMEOUT_MS)
        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        visited: list[str] = []
        page.on("framenavigated", lambda frame: visited.append(frame.url))
        try:
            yield page, visited
        finally:
            await context.close()


async def open_integration_page(page: Page, visited: list[str], base_url: str) -> None:
    """Log in and show Tesla Energy Sync's page; raise unless it shows the seeded entries."""
    await page.goto(f"{base_url}{INTEGRATION_PATH}", timeout=TIMEOUT_MS)
    await log_in(page, visited, INTEGRATION_PATH, page.get_by_text(EXPECTED[0], exact=True).first)
    say(f"at {page.url}")
    for text in EXPECTED:
        await page.get_by_text(text, exact=True).first.wait_for(timeout=TIMEOUT_MS)
        say(f"page shows {text!r}")
    # The sidebar names the logged-in user.
    await page.get_by_text("dev", exact=True).first.wait_for(timeout=TIMEOUT_MS)
    say("logged in as 'dev'")


async def check(base_url: str, cdp_url: str, screenshot: Path) -> int:
    """Return 0 when the integration's page shows up for the dev user, 1 otherwise."""
    async with browser_page(cdp_url) as (page, visited):
        try:
            await open_integration_page(page, visited, base_url)
        except Exception as err:  # noqa: BLE001 - any failure is reported with a screenshot
            say(f"FAILED: {err}")
            return 1
        finally:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=screenshot)
            say(f"screenshot {screenshot}")
    return 0


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--cdp", required=True)
    parser.add_argument("--screenshot", type=Path, required=True)
    args = parser.parse_args()
    return asyncio.run(check(args.url.rstrip("/"), args.cdp, args.screenshot))


if __name__ == "__main__":
    raise SystemExit(main())
