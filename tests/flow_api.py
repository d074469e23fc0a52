"""Drive config, reconfigure, reauth and options flows through Home Assistant's HTTP API.

The frontend's way in: every answer must be HTTP 200 (a form, an abort, an entry) within
15 s, whatever was typed and whatever the other end did; an HTTP 500 is a flow that raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import logging
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_energy_sync.const import DOMAIN

FLOWS = "/api/config/config_entries/flow"
OPTIONS = "/api/config/config_entries/options/flow"
CALL_BUDGET = 15.0


@dataclass(frozen=True, slots=True)
class Step:
    """One answer of the flow API: the result's JSON."""

    body: dict[str, Any]

    @property
    def flow_id(self) -> str:
        """Return the flow's id."""
        return str(self.body["flow_id"])

    @property
    def errors(self) -> dict[str, str]:
        """Return the form's errors (none: an empty dict)."""
        return dict(self.body.get("errors") or {})


class FlowApi:
    """POST to the flow endpoints as the frontend does; each call bounded by 15 s."""

    def __init__(self, hass: HomeAssistant, client: TestClient[Any, Any]) -> None:
        """Use an authenticated admin client of the test's Home Assistant."""
        self.hass = hass
        self.client = client

    @classmethod
    async def start(cls, hass: HomeAssistant, hass_client: ClientSessionGenerator) -> FlowApi:
        """Set up the config panel and our integration (its views precede the HTTP server)."""
        for component in ("config", "file_upload", DOMAIN):
            assert await async_setup_component(hass, component, {})
        return cls(hass, await hass_client())

    async def _post(self, path: str, payload: Mapping[str, Any], status: int = 200) -> Step:
        async with asyncio.timeout(CALL_BUDGET):
            response = await self.client.post(path, json=dict(payload))
            text = await response.text()
        assert response.status == status, f"POST {path}: HTTP {response.status}: {text[:500]}"
        body: dict[str, Any] = await response.json() if status == 200 else {"text": text}
        return Step(body)

    async def user(self, kind: str, *then: str) -> Step:
        """Open the add-source menu and pick `kind` (then `then` in its menus); return the form."""
        menu = await self._post(FLOWS, {"handler": DOMAIN, "show_advanced_options": False})
        for choice in (kind, *then):
            assert menu.body["type"] == "menu", menu.body
            step = menu = await self._post(f"{FLOWS}/{menu.flow_id}", {"next_step_id": choice})
        assert step.body["type"] == "form", step.body
        return step

    async def reconfigure(self, entry_id: str) -> Step:
        """Start reconfiguring an entry; return its form."""
        step = await self._post(FLOWS, {"handler": DOMAIN, "entry_id": entry_id})
        assert step.body["type"] == "form", step.body
        return step

    async def reauth(self, entry_id: str) -> Step:
        """Start a reauth as the integration would, then read its form through the API."""
        entry = self.hass.config_entries.async_get_entry(entry_id)
        assert entry is not None
        entry.async_start_reauth(self.hass)
        await self.hass.async_block_till_done()
        [flow] = [
            flow
            for flow in self.hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            if flow["context"]["source"] == SOURCE_REAUTH
        ]
        async with asyncio.timeout(CALL_BUDGET):
            response = await self.client.get(f"{FLOWS}/{flow['flow_id']}")
        assert response.status == 200
        return Step(await response.json())

    async def options(self, entry_id: str) -> Step:
        """Open an entry's options; return the form."""
        step = await self._post(OPTIONS, {"handler": entry_id})
        assert step.body["type"] == "form", step.body
        return step

    async def submit(self, step: Step, data: Mapping[str, Any], status: int = 200) -> Step:
        """Submit a form of the same flow (config or options); expect HTTP `status`."""
        path = OPTIONS if step.body["handler"] != DOMAIN else FLOWS
        return await self._post(f"{path}/{step.flow_id}", data, status)


def loud_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the error lines and tracebacks logged while the test ran.

    Left out: asyncio's debug-mode note of a socket the peer reset, which the test's own
    misbehaving servers cause when a client hangs up on them.
    """
    return [
        f"{record.levelname} {record.name}: {record.getMessage()[:300]}"
        for record in caplog.get_records("call")
        if (record.levelno >= logging.ERROR or record.exc_info or record.exc_text)
        and not (record.name == "asyncio" and record.levelno == logging.DEBUG)
    ]
