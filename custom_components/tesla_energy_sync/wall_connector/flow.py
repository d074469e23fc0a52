"""Tesla Wall Connector: a host typed in or found by DHCP; its serial is the entry's identity."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import TextSelector
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
import probatio

from .. import validation
from ..clients.wall_connector import WallConnectorClient
from ..clients.wall_connector_models import WallConnectorVersion
from ..const import CONF_KIND, CONF_SERIAL, EntryKind
from ..flow_helpers import check_service, check_timeout, retyped, validated


class WallConnectorSteps(ConfigFlow):
    """Add a Wall Connector (typed in or discovered), or give it a new address."""

    def __init__(self) -> None:
        """Remember the discovered unit until the user confirms it."""
        super().__init__()
        self._host = ""
        self._version: WallConnectorVersion | None = None

    async def _wall_connector_version(self, host: str) -> tuple[WallConnectorVersion | None, str]:
        """Read the unit's version (its serial is the entry's identity), or say why not."""

        async def read() -> WallConnectorVersion:
            client = WallConnectorClient(
                async_get_clientsession(self.hass), host, request_timeout=check_timeout()
            )
            return await client.get_version()

        return await check_service(read(), f"the Wall Connector at {host}")

    async def async_step_wall_connector(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Wall Connector's host (also used to reconfigure a new address)."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        default_host = self._get_reconfigure_entry().data[CONF_HOST] if reconfiguring else ""
        errors: dict[str, str] = {}
        if user_input is not None:
            values, errors = validated(user_input, {CONF_HOST: validation.host})
            default_host = retyped(user_input, CONF_HOST, default_host)
            version = None
            if not errors:
                host = values[CONF_HOST]
                version, error = await self._wall_connector_version(host)
                if version is None:
                    errors["base"] = error
            if version is not None:
                await self.async_set_unique_id(version.serial_number)
                if reconfiguring:
                    self._abort_if_unique_id_mismatch(reason="wrong_device")
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data_updates={CONF_HOST: host}
                    )
                self._abort_if_unique_id_configured(updates={CONF_HOST: host})
                return self._create_wall_connector_entry(host, version)
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "wall_connector",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_HOST, default=default_host): TextSelector()}
            ),
            errors=errors,
        )

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """A Wall Connector appeared on the network (or got a new address)."""
        self._host = discovery_info.ip
        self._async_abort_entries_match({CONF_HOST: self._host})
        version, error = await self._wall_connector_version(self._host)
        if version is None:
            return self.async_abort(reason=error)
        await self.async_set_unique_id(version.serial_number)
        self._abort_if_unique_id_configured(updates={CONF_HOST: self._host})
        self._version = version
        self.context["title_placeholders"] = {"serial": version.serial_number}
        return await self.async_step_wall_connector_confirm()

    async def async_step_wall_connector_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm adding a discovered Wall Connector."""
        assert self._version is not None  # noqa: S101 - set by the discovery step
        if user_input is not None:
            return self._create_wall_connector_entry(self._host, self._version)
        return self.async_show_form(
            step_id="wall_connector_confirm",
            description_placeholders={
                "serial": self._version.serial_number,
                "host": self._host,
            },
        )

    def _create_wall_connector_entry(
        self, host: str, version: WallConnectorVersion
    ) -> ConfigFlowResult:
        return self.async_create_entry(
            title=f"Wall Connector {version.serial_number}",
            data={
                CONF_KIND: EntryKind.WALL_CONNECTOR,
                CONF_HOST: host,
                CONF_SERIAL: version.serial_number,
            },
        )
