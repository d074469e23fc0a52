"""What the benchmarks share: a real Home Assistant in this process, started as the tests start it.

Importing this module loads the test plugin first (it patches Home Assistant's clocks for
freezegun), and nothing of the integration, so a bench may take readings before it loads.
"""

from __future__ import annotations

# isort: off
# The test plugin patches Home Assistant's clocks for freezegun; it must load before Home Assistant.
from pytest_homeassistant_custom_component import plugins

# isort: on
import asyncio
from collections.abc import AsyncIterator
import contextlib
import ctypes
import logging
import signal
import sys
from unittest.mock import patch

from aiohttp import ThreadedResolver
from homeassistant import loader, runner
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from pytest_homeassistant_custom_component.common import async_test_home_assistant
import pytest_socket


class Resolver(ThreadedResolver):
    """aiohttp's threaded resolver, closable the way Home Assistant closes its own."""

    async def real_close(self) -> None:
        """Close the resolver."""
        await self.close()


def die_with_parent() -> None:
    """Have Linux send this process SIGTERM when its parent dies, even a killed one."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def prepare_process(level: int = logging.WARNING) -> None:
    """Quiet the logs; load the test plugin's freezegun fixes; allow sockets to 127.0.0.1 only."""
    logging.getLogger().setLevel(level)
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)  # "custom integration"
    plugins.pytest_runtest_setup()  # the test plugin's freezegun fixes; sockets to 127.0.0.1 only
    pytest_socket.enable_socket()  # ... and sockets back on, still limited to 127.0.0.1


@contextlib.asynccontextmanager
async def home_assistant(config_dir: str | None = None) -> AsyncIterator[HomeAssistant]:
    """Yield a running Home Assistant that loads custom_components/; unload and stop it after."""
    runner.configure_event_loop(asyncio.get_running_loop())  # Home Assistant's own executor
    # As the test plugin does: no zeroconf behind aiohttp's resolver (only 127.0.0.1 is used),
    # and no HTTP server (the integration depends on file_upload, hence http, which would
    # otherwise listen on every interface at port 8123).
    with (
        patch("homeassistant.helpers.aiohttp_client._async_make_resolver", return_value=Resolver()),
        patch("homeassistant.components.http.HomeAssistantHTTP.async_bind"),
        patch("homeassistant.components.http.HomeAssistantHTTP.start"),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # load custom_components/
            frame.async_setup(hass)
            try:
                yield hass
            finally:
                for entry in hass.config_entries.async_entries():
                    if entry.state is ConfigEntryState.LOADED:
                        await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_stop(force=True)
