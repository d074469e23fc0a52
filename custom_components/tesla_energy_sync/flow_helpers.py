"""Form pieces, input checks and service look-ups more than one source's steps share.

No step may raise: what a user types is checked (validation.py) before anything uses it, and
every call to a service or library goes through `check_service`, which turns whatever it
raises into a form error and at most one log line without a traceback or a secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from . import validation
from .clients.errors import (
    AuthenticationError,
    ClientConnectionError,
    RateLimitError,
    RequestError,
    ResponseError,
    ServerError,
)
from .clients.tesla_energy import TeslaEnergyClient
from .clients.tesla_energy_models import EnergySite
from .const import CONF_ADVANCED, CONF_BASE_URL, LOGGER, MAX_PRICE_ADDER

# How long a step waits for one service check (a request timeout for the HTTP clients, the
# connect budget for Kafka, pypowerwall's read). A form must answer well within 15 s whatever
# the other end does; tests shorten it to run hanging servers quickly.
CHECK_TIMEOUT = 10.0
# The outer bound of a whole check, for a library that overruns its own timeout.
_CHECK_GRACE = 4.0
_DETAIL_CHARS = 200


def check_timeout() -> float:
    """Return how long a step waits for one service (read at call time: tests shorten it)."""
    return CHECK_TIMEOUT


PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def advanced(base_url: str) -> dict[Any, Any]:
    """Return the collapsed section that holds the base URL (for proxies and simulators)."""
    return {
        probatio.Required(CONF_ADVANCED): section(
            probatio.Schema({probatio.Required(CONF_BASE_URL, default=base_url): URL}),
            {"collapsed": True},
        )
    }


def picker(key: str, options: list[SelectOptionDict]) -> probatio.Schema:
    """Return a one-field form that picks one of `options` (a site, an energy site)."""
    return probatio.Schema(
        {probatio.Required(key): SelectSelector(SelectSelectorConfig(options=options))}
    )


def validated(
    user_input: Mapping[str, Any],
    checks: Mapping[str, validation.Validator],
    *,
    base_url: str | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Run each field's check; return the cleaned values and the errors under their fields.

    With `base_url` (the default), the advanced section's URL is checked too and returned
    as CONF_BASE_URL; its error goes to "base", which every frontend shows (a collapsed
    section may hide an error under its own field).
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, check in checks.items():
        try:
            values[key] = check(user_input.get(key))
        except validation.InputError as err:
            errors[key] = err.error
    if base_url is not None:
        section_input = user_input.get(CONF_ADVANCED, {})
        if isinstance(section_input, Mapping):
            base_url = section_input.get(CONF_BASE_URL, base_url)
        try:
            values[CONF_BASE_URL] = validation.base_url(base_url)
        except validation.InputError as err:
            errors["base"] = err.error
    return values, errors


def retyped(user_input: Mapping[str, Any], key: str, default: str) -> str:
    """Return what was typed into a text field, to show it again; `default` if unusable."""
    value = user_input.get(key)
    if isinstance(value, str) and len(value) <= validation.MAX_HOST:
        return value.strip()
    return default


def _detail(err: BaseException, secrets: Iterable[str]) -> str:
    """Describe an error for the log without what the other end sent or the user typed.

    An error page may echo the request, token included, so a status is all that is kept
    of it; other messages lose every secret, control characters and their tail.
    """
    if isinstance(err, ServerError | RequestError):
        return f"{type(err).__name__} (HTTP {err.status})"
    text = str(err)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "**REDACTED**")
    text = "".join(char if char.isprintable() else "?" for char in text[:_DETAIL_CHARS])
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


async def check_service[T](
    call: Awaitable[T],
    service: str,
    *,
    secrets: Iterable[str] = (),
) -> tuple[T | None, str]:
    """Await one call to a service; return its result, or None and the form error.

    Expected failures are logged at debug level, anything else as one warning; never with
    a traceback, never with a secret.
    """
    secrets = tuple(secrets)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT + _CHECK_GRACE):
            return await call, ""
    except Exception as err:  # noqa: BLE001 - a form shows an error; it never fails the request
        error = _error_key(err)
        level = logging.WARNING if error == "unknown" else logging.DEBUG
        LOGGER.log(level, "Checking %s failed (%s): %s", service, error, _detail(err, secrets))
        return None, error


def _error_key(err: BaseException) -> str:
    """Return the form error for what a client raised."""
    if isinstance(err, AuthenticationError):
        return "invalid_auth"
    if isinstance(err, RateLimitError):
        return "rate_limited"
    if isinstance(err, ClientConnectionError | TimeoutError):
        return "cannot_connect"
    if isinstance(err, ResponseError | RequestError):
        return "invalid_response"
    return "unknown"


async def fetch_energy_sites(
    hass: HomeAssistant, token: str, base_url: str
) -> tuple[list[EnergySite], str]:
    """Return the token's energy sites, or the form error explaining why there are none."""
    client = TeslaEnergyClient(
        async_get_clientsession(hass), token, base_url=base_url, request_timeout=check_timeout()
    )
    sites, error = await check_service(
        client.list_energy_sites(), "the Tesla energy API", secrets=(token,)
    )
    if sites is None:
        return [], error
    return (sites, "") if sites else ([], "no_energy_sites")


class TokenUpdateSteps(ConfigFlow):
    """Reauth and reconfigure of a cloud source: a new token (and URL) that still sees the site."""

    async def _token_update_step(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        *,
        with_url: bool,
        token_key: str,
        default_url: str,
        site_of: Callable[[ConfigEntry], Hashable],
        sites_seen: Callable[[str, str], Awaitable[tuple[set[Hashable], str]]],
    ) -> ConfigFlowResult:
        """Check the token with `sites_seen(token, url)`; keep it if the entry's site is there."""
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        current_url = entry.data.get(CONF_BASE_URL, default_url)
        errors: dict[str, str] = {}
        if user_input is not None:
            values, errors = validated(
                user_input, {token_key: validation.token}, base_url=current_url
            )
            if not errors:
                token, base_url = values[token_key], values[CONF_BASE_URL]
                sites, error = await sites_seen(token, base_url)
                if error:
                    errors["base"] = error
                elif site_of(entry) not in sites:
                    errors["base"] = "site_not_found"
                else:
                    return self.async_update_reload_and_abort(
                        entry, data_updates={token_key: token, CONF_BASE_URL: base_url}
                    )
        schema: dict[Any, Any] = {probatio.Required(token_key): PASSWORD}
        if with_url:
            schema |= advanced(current_url)
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema(schema),
            description_placeholders={"title": entry.title},
            errors=errors,
        )


def interval_selector(minimum: int, maximum: int) -> NumberSelector:
    """Return a box that takes a whole number of seconds."""
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
        )
    )


def price_adder_selector(unit: str) -> NumberSelector:
    """Return the box for a tariff's fixed per-kWh adder (delivery or network charges)."""
    return NumberSelector(
        NumberSelectorConfig(
            min=0,
            max=MAX_PRICE_ADDER,
            step="any",
            mode=NumberSelectorMode.BOX,
            unit_of_measurement=unit,
        )
    )
