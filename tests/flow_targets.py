"""Every flow step that reaches a service, and how to point it at a given address.

Each target adds the entries its step needs (a tariff for TOU sync, the entry a reauth,
reconfigure or options flow belongs to), opens the step through the HTTP API and submits
valid-looking input aimed at `address` (a base URL, a host or a Kafka bootstrap server).
`fields` overrides what is submitted, for the hostile-input tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_TOKEN,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
)
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_energy_sync.const import (
    COMED_UNIQUE_ID,
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_BOOTSTRAP_SERVERS,
    CONF_CLOUD,
    CONF_CONTROL,
    CONF_EMAIL,
    CONF_ENERGY_SITE_ID,
    CONF_GROUP_ID,
    CONF_KIND,
    CONF_OFFSET_RESET,
    CONF_POLL_INTERVAL,
    CONF_POWERWALL_MODE,
    CONF_SASL_MECHANISM,
    CONF_SECURITY_PROTOCOL,
    CONF_SERIAL,
    CONF_SITE_ID,
    CONF_TARIFF_ENTRY,
    CONF_TOPIC_PREFIX,
    CONF_VINS,
    DOMAIN,
    EntryKind,
)

from .flow_api import FlowApi, Step

TOKEN = "psk_0123456789abcdef0123456789abcdef"
PASSWORD = "S1mulated-Passw0rd"
SITE = "01J0SIMSITE0000000000000001"
DIN = "1232100-00-E--TG121000000001"
ENERGY_SITE = 90210


class Reach(StrEnum):
    """How a target's step reaches its service."""

    HTTP = "http"  # an HTTP JSON API (Amber, ComEd, a Wall Connector, the Tesla energy API)
    GATEWAY = "gateway"  # a Powerwall gateway over HTTPS, through pypowerwall
    KAFKA = "kafka"  # a Kafka cluster
    NONE = "none"  # nothing yet: the step only takes input (a sign-in follows)


def _add(api: FlowApi, kind: EntryKind, data: Mapping[str, Any], unique_id: str) -> str:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"{kind} under test",
        unique_id=unique_id,
        data={CONF_KIND: kind, **data},
    )
    entry.add_to_hass(api.hass)
    return str(entry.entry_id)


def _amber(api: FlowApi, url: str) -> str:
    return _add(
        api,
        EntryKind.AMBER,
        {CONF_API_TOKEN: "psk_old", CONF_SITE_ID: SITE, CONF_BASE_URL: url},
        SITE,
    )


def _tou(api: FlowApi, url: str) -> str:
    tariff = _amber(api, "http://127.0.0.1:9")
    return _add(
        api,
        EntryKind.TOU_SYNC,
        {
            CONF_TARIFF_ENTRY: tariff,
            CONF_ACCESS_TOKEN: "tesla_old",
            CONF_BASE_URL: url,
            CONF_ENERGY_SITE_ID: ENERGY_SITE,
        },
        str(ENERGY_SITE),
    )


def _powerwall(api: FlowApi, host: str) -> str:
    return _add(
        api,
        EntryKind.POWERWALL,
        {
            CONF_HOST: host,
            CONF_POWERWALL_MODE: "local",
            CONF_EMAIL: "owner@example.com",
            CONF_PASSWORD: "old",
        },
        DIN,
    )


def _fleet(api: FlowApi, bootstrap: str) -> str:
    return _add(
        api,
        EntryKind.FLEET_TELEMETRY,
        {
            CONF_BOOTSTRAP_SERVERS: bootstrap,
            CONF_TOPIC_PREFIX: "ha",
            CONF_GROUP_ID: "ha",
            CONF_OFFSET_RESET: "latest",
            CONF_VINS: [],
            CONF_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
            CONF_SASL_MECHANISM: "PLAIN",
            CONF_USERNAME: "ha",
            CONF_PASSWORD: "stored",
        },
        f"{bootstrap}|ha",
    )


def kafka_form(bootstrap: str, **fields: Any) -> dict[str, Any]:
    """Return a Fleet Telemetry form's fields."""
    return {
        CONF_BOOTSTRAP_SERVERS: bootstrap,
        CONF_TOPIC_PREFIX: "ha",
        CONF_GROUP_ID: "ha",
        CONF_OFFSET_RESET: "latest",
        CONF_VINS: "",
        CONF_SECURITY_PROTOCOL: "PLAINTEXT",
        **fields,
    }


type Open = Callable[[FlowApi, str], Awaitable[Step]]
type Form = Callable[[FlowApi, str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Target:
    """A step that reaches a service: how to open it and what a valid submission is."""

    reach: Reach
    open: Open
    form: Form

    async def run(self, api: FlowApi, address: str, **fields: Any) -> Step:
        """Open the step for `address` and submit the form (with `fields` changed)."""
        step = await self.open(api, address)
        data = self.form(api, address)
        for key, value in fields.items():
            if key == CONF_BASE_URL:
                section = CONF_CLOUD if CONF_CLOUD in data else CONF_ADVANCED
                data[section] = {**data[section], CONF_BASE_URL: value}
            elif key == CONF_ACCESS_TOKEN and CONF_CLOUD in data:
                data[CONF_CLOUD] = {**data[CONF_CLOUD], CONF_ACCESS_TOKEN: value}
            else:
                data[key] = value
        return await api.submit(step, data)


def _url_form(token_key: str | None) -> Form:
    def form(_api: FlowApi, url: str) -> dict[str, Any]:
        data: dict[str, Any] = {CONF_ADVANCED: {CONF_BASE_URL: url}}
        if token_key:
            data[token_key] = TOKEN
        return data

    return form


def _tou_form(api: FlowApi, url: str) -> dict[str, Any]:
    [tariff] = [
        entry.entry_id
        for entry in api.hass.config_entries.async_entries(DOMAIN)
        if entry.data[CONF_KIND] == EntryKind.AMBER
    ]
    return {
        CONF_TARIFF_ENTRY: tariff,
        CONF_ACCESS_TOKEN: TOKEN,
        CONF_ADVANCED: {CONF_BASE_URL: url},
    }


async def _tou_user(api: FlowApi, _url: str) -> Step:
    _amber(api, "http://127.0.0.1:9")  # the tariff it syncs from
    return await api.user(EntryKind.TOU_SYNC)


def _gateway_form(_api: FlowApi, host: str) -> dict[str, Any]:
    return {
        CONF_HOST: host,
        CONF_POWERWALL_MODE: "local",
        CONF_EMAIL: "owner@example.com",
        CONF_PASSWORD: PASSWORD,
    }


def _options_form(_api: FlowApi, url: str) -> dict[str, Any]:
    return {
        CONF_POLL_INTERVAL: 30,
        CONF_CONTROL: True,
        CONF_CLOUD: {CONF_ACCESS_TOKEN: TOKEN, CONF_BASE_URL: url},
    }


async def _reauth_amber(api: FlowApi, url: str) -> Step:
    return await api.reauth(_amber(api, url))


async def _reconfigure_amber(api: FlowApi, url: str) -> Step:
    return await api.reconfigure(_amber(api, "http://127.0.0.1:9"))


async def _reconfigure_comed(api: FlowApi, url: str) -> Step:
    return await api.reconfigure(
        _add(api, EntryKind.COMED, {CONF_BASE_URL: "http://127.0.0.1:9"}, COMED_UNIQUE_ID)
    )


async def _reconfigure_wall_connector(api: FlowApi, host: str) -> Step:
    entry = _add(
        api,
        EntryKind.WALL_CONNECTOR,
        {CONF_HOST: "127.0.0.1:9", CONF_SERIAL: "PGT2251234567"},
        "PGT2251234567",
    )
    return await api.reconfigure(entry)


async def _reauth_tou(api: FlowApi, url: str) -> Step:
    return await api.reauth(_tou(api, url))


async def _reconfigure_tou(api: FlowApi, url: str) -> Step:
    return await api.reconfigure(_tou(api, "http://127.0.0.1:9"))


async def _reauth_powerwall(api: FlowApi, host: str) -> Step:
    return await api.reauth(_powerwall(api, host))


async def _reconfigure_powerwall(api: FlowApi, host: str) -> Step:
    return await api.reconfigure(_powerwall(api, "127.0.0.1:9"))


async def _options_powerwall(api: FlowApi, url: str) -> Step:
    return await api.options(_powerwall(api, "127.0.0.1:9"))


def _tesla_account(api: FlowApi, url: str) -> str:
    return _add(
        api,
        EntryKind.TESLA_ACCOUNT,
        {CONF_ACCESS_TOKEN: "tesla_old", CONF_BASE_URL: url},
        f"energy_sites_{ENERGY_SITE}",
    )


async def _tesla_account_token(api: FlowApi, _url: str) -> Step:
    return await api.user(EntryKind.TESLA_ACCOUNT, "tesla_account_token")


async def _tesla_account_oauth(api: FlowApi, _url: str) -> Step:
    return await api.user(EntryKind.TESLA_ACCOUNT, "tesla_account_oauth")


async def _reauth_tesla_account(api: FlowApi, url: str) -> Step:
    return await api.reauth(_tesla_account(api, url))


async def _reconfigure_tesla_account(api: FlowApi, url: str) -> Step:
    return await api.reconfigure(_tesla_account(api, "http://127.0.0.1:9"))


async def _reconfigure_fleet(api: FlowApi, bootstrap: str) -> Step:
    return await api.reconfigure(_fleet(api, "127.0.0.1:9"))


def _opener(kind: EntryKind) -> Open:
    async def open_step(api: FlowApi, _address: str) -> Step:
        return await api.user(kind)

    return open_step


TARGETS: dict[str, Target] = {
    "amber": Target(Reach.HTTP, _opener(EntryKind.AMBER), _url_form(CONF_API_TOKEN)),
    "amber_reauth": Target(Reach.HTTP, _reauth_amber, lambda _api, _url: {CONF_API_TOKEN: TOKEN}),
    "amber_reconfigure": Target(Reach.HTTP, _reconfigure_amber, _url_form(CONF_API_TOKEN)),
    "comed": Target(Reach.HTTP, _opener(EntryKind.COMED), _url_form(None)),
    "comed_reconfigure": Target(Reach.HTTP, _reconfigure_comed, _url_form(None)),
    "wall_connector": Target(
        Reach.HTTP, _opener(EntryKind.WALL_CONNECTOR), lambda _api, host: {CONF_HOST: host}
    ),
    "wall_connector_reconfigure": Target(
        Reach.HTTP, _reconfigure_wall_connector, lambda _api, host: {CONF_HOST: host}
    ),
    "tou_sync": Target(Reach.HTTP, _tou_user, _tou_form),
    "tou_reauth": Target(Reach.HTTP, _reauth_tou, lambda _api, _url: {CONF_ACCESS_TOKEN: TOKEN}),
    "tou_reconfigure": Target(Reach.HTTP, _reconfigure_tou, _url_form(CONF_ACCESS_TOKEN)),
    "powerwall_options": Target(Reach.HTTP, _options_powerwall, _options_form),
    "powerwall": Target(Reach.GATEWAY, _opener(EntryKind.POWERWALL), _gateway_form),
    "powerwall_reauth": Target(
        Reach.GATEWAY,
        _reauth_powerwall,
        lambda _api, _host: {CONF_EMAIL: "owner@example.com", CONF_PASSWORD: PASSWORD},
    ),
    "powerwall_reconfigure": Target(Reach.GATEWAY, _reconfigure_powerwall, _gateway_form),
    "tesla_account_token": Target(Reach.HTTP, _tesla_account_token, _url_form(CONF_ACCESS_TOKEN)),
    "tesla_account_reauth": Target(
        Reach.HTTP, _reauth_tesla_account, lambda _api, _url: {CONF_ACCESS_TOKEN: TOKEN}
    ),
    "tesla_account_reconfigure": Target(
        Reach.HTTP, _reconfigure_tesla_account, _url_form(CONF_ACCESS_TOKEN)
    ),
    "tesla_account_oauth": Target(
        Reach.NONE,
        _tesla_account_oauth,
        lambda _api, url: {"region": "na", **_url_form(None)(_api, url)},
    ),
    "fleet_telemetry": Target(
        Reach.KAFKA, _opener(EntryKind.FLEET_TELEMETRY), lambda _api, host: kafka_form(host)
    ),
    "fleet_telemetry_reconfigure": Target(
        Reach.KAFKA, _reconfigure_fleet, lambda _api, host: kafka_form(host)
    ),
}
