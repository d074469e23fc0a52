"""Powerwall gateway (pypowerwall): how to reach and log in to it; its DIN is the identity."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
import logging
from pathlib import Path
import shutil
import threading
from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .. import validation
from ..clients.powerwall import (
    PowerwallCredentials,
    PowerwallGateway,
    PowerwallMode,
    PowerwallSnapshot,
)
from ..const import CONF_EMAIL, CONF_KIND, CONF_POWERWALL_MODE, POWERWALL_DEFAULT_EMAIL, EntryKind
from ..flow_helpers import PASSWORD, check_service, check_timeout, retyped, validated

_LOGIN_CHECKS = {CONF_EMAIL: validation.email, CONF_PASSWORD: validation.password}


# What pypowerwall logs while a form checks a gateway is demoted to debug, shortened and
# without the password: the form shows the error (pypowerwall logs a failed endpoint at
# error level, with the body it could not parse).
_FLOW_THREAD = threading.local()
_LOGGED_CHARS = 300


class _FlowLogFilter(logging.Filter):
    """Demote the records a flow's gateway job logs; other threads' records pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record when the flow's job in this thread logged it."""
        secrets: tuple[str, ...] | None = getattr(_FLOW_THREAD, "secrets", None)
        if secrets is None:
            return True
        message = record.getMessage()[:_LOGGED_CHARS]
        for secret in secrets:
            message = message.replace(secret, "**REDACTED**")
        record.msg, record.args = message, None
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        record.exc_info = record.exc_text = None
        return True


_FLOW_LOG_FILTER = _FlowLogFilter()


class _FlowJobs:
    """Run one flow gateway's executor jobs; jobs the form stopped waiting for can be dropped."""

    def __init__(self, hass: HomeAssistant, secrets: tuple[str, ...]) -> None:
        """Run jobs in Home Assistant's executor; `secrets` never reach the log."""
        self._hass = hass
        self._secrets = secrets
        self._pending: set[asyncio.Future[Any]] = set()

    def __call__[T](self, target: Callable[[], T], /) -> Awaitable[T]:
        """Start a job (the gateway's ExecutorRunner)."""
        future = self._hass.async_add_executor_job(self._quietly, target)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    def _quietly[T](self, target: Callable[[], T]) -> T:
        """Run the job with what pypowerwall logs from this thread demoted. Blocking."""
        import pypowerwall  # noqa: F401 - its loggers must exist to be filtered

        for name in list(logging.root.manager.loggerDict):
            if name.startswith("pypowerwall"):
                logging.getLogger(name).addFilter(_FLOW_LOG_FILTER)
        _FLOW_THREAD.secrets = self._secrets
        try:
            return target()
        finally:
            del _FLOW_THREAD.secrets

    def abandon(self) -> None:
        """Stop waiting for jobs still running in their threads (a gateway that hangs).

        Cancelled, they end quietly whenever their thread does (the gateway's close then
        shuts the connection they hang on), instead of failing later with nobody listening.
        """
        for future in list(self._pending):
            future.cancel()


def flow_gateway(
    hass: HomeAssistant, data: Mapping[str, Any], storage: Path, jobs: _FlowJobs
) -> PowerwallGateway:
    """Return a gateway object for one check in a form, on budgets shorter than an entry's.

    A request may take 40 % and a whole read 80 % of the check timeout (8 s); a read still
    running then is abandoned, so a gateway that hangs or drips releases the form in time.
    """
    budget = check_timeout()
    return PowerwallGateway(
        jobs,
        data[CONF_HOST],
        PowerwallCredentials(
            mode=PowerwallMode(data[CONF_POWERWALL_MODE]),
            password=data[CONF_PASSWORD],
            email=data.get(CONF_EMAIL) or POWERWALL_DEFAULT_EMAIL,
        ),
        storage,
        timeout=0.4 * budget,
        poll_timeout=0.8 * budget,
        timezone=str(hass.config.time_zone),
    )


class PowerwallSteps(ConfigFlow):
    """Add a Powerwall gateway, reconfigure it, or ask for its password again."""

    async def _powerwall_read(
        self, data: Mapping[str, Any]
    ) -> tuple[PowerwallSnapshot | None, str]:
        """Log in and read the gateway once, or say why not (wrong password vs unreachable)."""
        from .gateway import powerwall_storage

        storage = powerwall_storage(self.hass, f"flow_{self.flow_id}")
        jobs = _FlowJobs(self.hass, (data[CONF_PASSWORD],))
        gateway: PowerwallGateway | None = None

        async def read() -> PowerwallSnapshot:
            nonlocal gateway
            gateway = flow_gateway(self.hass, data, storage, jobs)
            return await gateway.read()

        try:
            return await check_service(
                read(),
                f"the Powerwall gateway at {data[CONF_HOST]}",
                secrets=(data[CONF_PASSWORD],),
            )
        finally:
            jobs.abandon()
            if gateway is not None:
                await check_service(gateway.close(), "closing the Powerwall gateway")
            await self.hass.async_add_executor_job(shutil.rmtree, storage, True)

    async def async_step_powerwall(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how to reach the gateway (also used to reconfigure it)."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        current: Mapping[str, Any] = (
            self._get_reconfigure_entry().data
            if reconfiguring
            else {CONF_POWERWALL_MODE: PowerwallMode.LOCAL}
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            values, errors = validated(user_input, {CONF_HOST: validation.host, **_LOGIN_CHECKS})
            data = {
                CONF_KIND: EntryKind.POWERWALL,
                CONF_POWERWALL_MODE: user_input[CONF_POWERWALL_MODE],
                **values,
            }
            if not errors:
                snapshot, error = await self._powerwall_read(data)
                if snapshot is not None and snapshot.din is None:
                    error = "no_din"
                if snapshot is None or snapshot.din is None:
                    errors["base"] = error
                else:
                    await self.async_set_unique_id(snapshot.din)
                    if reconfiguring:
                        self._abort_if_unique_id_mismatch(reason="wrong_gateway")
                        return self.async_update_reload_and_abort(
                            self._get_reconfigure_entry(), data_updates=data
                        )
                    self._abort_if_unique_id_configured()
                    return self.async_create_entry(
                        title=snapshot.site_name or f"Powerwall {snapshot.din}", data=data
                    )
            # Shown again as typed; the password never is.
            current = {
                CONF_HOST: retyped(user_input, CONF_HOST, current.get(CONF_HOST, "")),
                CONF_POWERWALL_MODE: user_input[CONF_POWERWALL_MODE],
                CONF_EMAIL: retyped(user_input, CONF_EMAIL, current.get(CONF_EMAIL, "")),
            }
        schema = {
            probatio.Required(CONF_HOST, default=current.get(CONF_HOST, "")): TextSelector(),
            probatio.Required(
                CONF_POWERWALL_MODE, default=current[CONF_POWERWALL_MODE]
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[str(mode) for mode in PowerwallMode],
                    translation_key=CONF_POWERWALL_MODE,
                )
            ),
            probatio.Optional(CONF_EMAIL, default=current.get(CONF_EMAIL, "")): TextSelector(
                TextSelectorConfig(type=TextSelectorType.EMAIL)
            ),
            probatio.Required(CONF_PASSWORD): PASSWORD,
        }
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "powerwall",
            data_schema=probatio.Schema(schema),
            errors=errors,
        )

    async def async_step_powerwall_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the password (and email) again after the gateway refused them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            values, errors = validated(user_input, _LOGIN_CHECKS)
            if not errors:
                data = {**entry.data, **values}
                snapshot, error = await self._powerwall_read(data)
                if snapshot is None:
                    errors["base"] = error
                elif snapshot.din != entry.unique_id:
                    errors["base"] = "wrong_gateway"
                else:
                    return self.async_update_reload_and_abort(entry, data=data)
        schema = {
            probatio.Optional(CONF_EMAIL, default=entry.data.get(CONF_EMAIL, "")): TextSelector(
                TextSelectorConfig(type=TextSelectorType.EMAIL)
            ),
            probatio.Required(CONF_PASSWORD): PASSWORD,
        }
        return self.async_show_form(
            step_id="powerwall_reauth",
            data_schema=probatio.Schema(schema),
            description_placeholders={"title": entry.title},
            errors=errors,
        )
