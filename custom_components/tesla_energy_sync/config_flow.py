"""Config flow: a menu of sources, then the steps each source needs."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
import shutil
import ssl
from typing import Any

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_TOKEN,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    FileSelector,
    FileSelectorConfig,
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
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
import probatio

from .clients.amber import DEFAULT_AMBER_BASE_URL, AmberClient
from .clients.amber_models import Site, SiteStatus
from .clients.comed import DEFAULT_COMED_BASE_URL, ComEdClient
from .clients.errors import (
    AuthenticationError,
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    RateLimitError,
)
from .clients.fleet_telemetry.config import (
    OffsetReset,
    SaslMechanism,
    SecurityProtocol,
    TlsMaterialError,
)
from .clients.fleet_telemetry.consumer import check_connection
from .clients.powerwall import PowerwallMode, PowerwallSnapshot
from .clients.tesla_energy import DEFAULT_TESLA_BASE_URL, TeslaEnergyClient
from .clients.tesla_energy_models import EnergySite
from .clients.wall_connector import WallConnectorClient
from .clients.wall_connector_models import WallConnectorVersion
from .const import (
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
    CONF_VITALS_CONNECTED_S,
    CONF_VITALS_IDLE_S,
    CURRENCY_BY_KIND,
    DEFAULT_GROUP_ID,
    DEFAULT_POWERWALL_POLL_S,
    DEFAULT_TOPIC_PREFIX,
    DEFAULT_VITALS_CONNECTED_S,
    DEFAULT_VITALS_IDLE_S,
    DOMAIN,
    LOGGER,
    MAX_POWERWALL_POLL_S,
    MIN_POWERWALL_POLL_S,
    EntryKind,
)
from .telemetry_config import (
    CONF_SSL_CA,
    CONF_SSL_CERT,
    CONF_SSL_KEY,
    LEGACY_SSL_FILES,
    SSL_PEMS,
    consumer_config,
    parse_vins,
    ssl_context,
    uses_tls,
)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))

# Fleet Telemetry TLS: PEM files uploaded in the form (file_upload), their text kept in the entry.
CONF_SSL_CLEAR = "ssl_clear"
_CERT_UPLOAD = FileSelector(FileSelectorConfig(accept=".pem,.crt,.cer"))
_KEY_UPLOAD = FileSelector(FileSelectorConfig(accept=".pem,.key"))
_MAX_PEM_BYTES = 1024 * 1024
# Which field a TLS error belongs under (a certificate without its key: the form as a whole).
_TLS_ERROR_FIELD = {
    "invalid_ca": CONF_SSL_CA,
    "invalid_client_cert": CONF_SSL_CERT,
    "invalid_client_key": CONF_SSL_KEY,
    "client_cert_key_mismatch": CONF_SSL_KEY,
}
_UPLOAD_ERROR = {
    CONF_SSL_CA: "invalid_ca",
    CONF_SSL_CERT: "invalid_client_cert",
    CONF_SSL_KEY: "invalid_client_key",
}


def _advanced(base_url: str) -> dict[Any, Any]:
    """Return the collapsed section that holds the base URL (for proxies and simulators)."""
    return {
        probatio.Required(CONF_ADVANCED): section(
            probatio.Schema({probatio.Required(CONF_BASE_URL, default=base_url): _URL}),
            {"collapsed": True},
        )
    }


def _picker(key: str, options: list[SelectOptionDict]) -> probatio.Schema:
    """Return a one-field form that picks one of `options` (a site, an energy site)."""
    return probatio.Schema(
        {probatio.Required(key): SelectSelector(SelectSelectorConfig(options=options))}
    )


def _base_url(user_input: dict[str, Any], default: str) -> str:
    return str(user_input.get(CONF_ADVANCED, {}).get(CONF_BASE_URL, default))


async def _fetch_energy_sites(
    hass: HomeAssistant, token: str, base_url: str
) -> tuple[list[EnergySite], str]:
    """Return the token's energy sites, or the form error explaining why there are none."""
    client = TeslaEnergyClient(async_get_clientsession(hass), token, base_url=base_url)
    try:
        sites = await client.list_energy_sites()
    except AuthenticationError:
        return [], "invalid_auth"
    except ClientConnectionError:
        return [], "cannot_connect"
    except ClientError:
        LOGGER.exception("Unexpected answer from the Tesla energy API")
        return [], "unknown"
    return (sites, "") if sites else ([], "no_energy_sites")


class TesConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add one source (an Amber site, ComEd, ...) per config entry."""

    VERSION = 1

    def __init__(self) -> None:
        """Remember what earlier steps learned."""
        self._token = ""
        self._base_url = DEFAULT_AMBER_BASE_URL
        self._sites: list[Site] = []
        self._host = ""
        self._version: WallConnectorVersion | None = None
        self._tou: dict[str, Any] = {}
        self._energy_sites: list[EnergySite] = []
        self._uploads: dict[str, str] = {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which source to add."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[
                EntryKind.AMBER,
                EntryKind.COMED,
                EntryKind.WALL_CONNECTOR,
                EntryKind.TOU_SYNC,
                EntryKind.FLEET_TELEMETRY,
                EntryKind.POWERWALL,
            ],
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TesOptionsFlow:
        """Return the options flow (Wall Connector intervals and linked tariff)."""
        return TesOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Only chargers have options; tariff sources have nothing to tune."""
        return config_entry.data.get(CONF_KIND) in {EntryKind.WALL_CONNECTOR, EntryKind.POWERWALL}

    # Amber Electric

    async def _amber_sites(self, token: str, base_url: str) -> tuple[list[Site], dict[str, str]]:
        """Return the token's usable sites, or the form errors explaining why there are none."""
        client = AmberClient(async_get_clientsession(self.hass), token, base_url=base_url)
        try:
            sites = await client.get_sites()
        except AuthenticationError:
            return [], {"base": "invalid_auth"}
        except ClientConnectionError:
            return [], {"base": "cannot_connect"}
        except ClientError:
            LOGGER.exception("Unexpected answer from Amber")
            return [], {"base": "unknown"}
        usable = [site for site in sites if site.status is not SiteStatus.CLOSED]
        if not usable:
            return [], {"base": "no_sites"}
        return usable, {}

    def _amber_schema(self, *, with_url: bool) -> probatio.Schema:
        schema: dict[Any, Any] = {probatio.Required(CONF_API_TOKEN): _PASSWORD}
        if with_url:
            schema |= _advanced(self._base_url)
        return probatio.Schema(schema)

    async def async_step_amber(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the Amber API token (and, in advanced mode, the API's base URL)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._token = user_input[CONF_API_TOKEN]
            self._base_url = _base_url(user_input, DEFAULT_AMBER_BASE_URL)
            self._sites, errors = await self._amber_sites(self._token, self._base_url)
            if not errors:
                if len(self._sites) == 1:
                    return await self._create_amber_entry(self._sites[0])
                return await self.async_step_amber_site()
        return self.async_show_form(
            step_id="amber",
            data_schema=self._amber_schema(with_url=True),
            errors=errors,
        )

    async def async_step_amber_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick one of the token's sites."""
        if user_input is not None:
            site = next(s for s in self._sites if s.id == user_input[CONF_SITE_ID])
            return await self._create_amber_entry(site)
        options = [
            SelectOptionDict(value=site.id, label=f"{site.nmi} ({site.network}, {site.status})")
            for site in self._sites
        ]
        return self.async_show_form(
            step_id="amber_site", data_schema=_picker(CONF_SITE_ID, options)
        )

    async def _create_amber_entry(self, site: Site) -> ConfigFlowResult:
        await self.async_set_unique_id(site.id)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=f"Amber Electric {site.nmi}",
            data={
                CONF_KIND: EntryKind.AMBER,
                CONF_API_TOKEN: self._token,
                CONF_SITE_ID: site.id,
                CONF_BASE_URL: self._base_url,
            },
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when a cloud API refuses the stored token."""
        if entry_data[CONF_KIND] == EntryKind.TOU_SYNC:
            return await self.async_step_tou_reauth()
        if entry_data[CONF_KIND] == EntryKind.POWERWALL:
            return await self.async_step_powerwall_reauth()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token and check it still reaches the configured site."""
        return await self._amber_update_step("reauth_confirm", user_input, with_url=False)

    async def _amber_update_step(
        self, step_id: str, user_input: dict[str, Any] | None, *, with_url: bool
    ) -> ConfigFlowResult:
        """Shared by reauth and reconfigure: new token (and URL), same site."""
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        self._base_url = entry.data.get(CONF_BASE_URL, DEFAULT_AMBER_BASE_URL)
        errors: dict[str, str] = {}
        if user_input is not None:
            base_url = _base_url(user_input, self._base_url)
            sites, errors = await self._amber_sites(user_input[CONF_API_TOKEN], base_url)
            if not errors:
                if entry.unique_id not in {site.id for site in sites}:
                    errors = {"base": "site_not_found"}
                else:
                    return self.async_update_reload_and_abort(
                        entry,
                        data_updates={
                            CONF_API_TOKEN: user_input[CONF_API_TOKEN],
                            CONF_BASE_URL: base_url,
                        },
                    )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self._amber_schema(with_url=with_url),
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the token or base URL of an existing entry."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_KIND] == EntryKind.COMED:
            return await self.async_step_comed(user_input)
        if entry.data[CONF_KIND] == EntryKind.WALL_CONNECTOR:
            return await self.async_step_wall_connector(user_input)
        if entry.data[CONF_KIND] == EntryKind.TOU_SYNC:
            return await self._tou_update_step("reconfigure", user_input, with_url=True)
        if entry.data[CONF_KIND] == EntryKind.POWERWALL:
            return await self.async_step_powerwall(user_input)
        if entry.data[CONF_KIND] == EntryKind.FLEET_TELEMETRY:
            return await self.async_step_fleet_telemetry_reconfigure(user_input)
        return await self._amber_update_step("reconfigure", user_input, with_url=True)

    # ComEd hourly pricing

    async def async_step_comed(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm adding ComEd hourly pricing (one per installation)."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        if not reconfiguring:
            await self.async_set_unique_id(COMED_UNIQUE_ID)
            self._abort_if_unique_id_configured()
        errors: dict[str, str] = {}
        default_url = (
            self._get_reconfigure_entry().data.get(CONF_BASE_URL, DEFAULT_COMED_BASE_URL)
            if reconfiguring
            else DEFAULT_COMED_BASE_URL
        )
        if user_input is not None:
            base_url = _base_url(user_input, default_url)
            client = ComEdClient(async_get_clientsession(self.hass), base_url=base_url)
            try:
                await client.get_current_hour_average()
            except ClientConnectionError:
                errors["base"] = "cannot_connect"
            except ClientError:
                LOGGER.exception("Unexpected answer from ComEd")
                errors["base"] = "unknown"
            else:
                data = {CONF_KIND: EntryKind.COMED, CONF_BASE_URL: base_url}
                if reconfiguring:
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data_updates=data
                    )
                return self.async_create_entry(title="ComEd hourly pricing", data=data)
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "comed",
            data_schema=probatio.Schema(_advanced(default_url)),
            errors=errors,
        )

    # Tesla Wall Connector

    async def _wall_connector_version(self, host: str) -> tuple[WallConnectorVersion | None, str]:
        """Read the unit's version (its serial is the entry's identity), or say why not."""
        client = WallConnectorClient(async_get_clientsession(self.hass), host)
        try:
            return await client.get_version(), ""
        except ClientConnectionError:
            return None, "cannot_connect"
        except ClientError:
            LOGGER.exception("Unexpected answer from the Wall Connector at %s", host)
            return None, "unknown"

    async def async_step_wall_connector(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Wall Connector's host (also used to reconfigure a new address)."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        default_host = self._get_reconfigure_entry().data[CONF_HOST] if reconfiguring else ""
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            version, error = await self._wall_connector_version(host)
            if version is None:
                errors["base"] = error
            else:
                await self.async_set_unique_id(version.serial_number)
                if reconfiguring:
                    self._abort_if_unique_id_mismatch(reason="wrong_device")
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data_updates={CONF_HOST: host}
                    )
                self._abort_if_unique_id_configured(updates={CONF_HOST: host})
                return self._create_wall_connector_entry(host, version)
            default_host = host
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

    # TOU sync

    async def async_step_tou_sync(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask which tariff feeds the sync and for Tesla energy API access."""
        tariffs = [
            SelectOptionDict(value=entry.entry_id, label=entry.title)
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_KIND) in CURRENCY_BY_KIND
        ]
        if not tariffs:
            return self.async_abort(reason="no_tariff_entry")
        errors: dict[str, str] = {}
        if user_input is not None:
            base_url = _base_url(user_input, DEFAULT_TESLA_BASE_URL)
            self._energy_sites, error = await _fetch_energy_sites(
                self.hass, user_input[CONF_ACCESS_TOKEN], base_url
            )
            if error:
                errors["base"] = error
            else:
                self._tou = {
                    CONF_KIND: EntryKind.TOU_SYNC,
                    CONF_TARIFF_ENTRY: user_input[CONF_TARIFF_ENTRY],
                    CONF_ACCESS_TOKEN: user_input[CONF_ACCESS_TOKEN],
                    CONF_BASE_URL: base_url,
                }
                if len(self._energy_sites) == 1:
                    return await self._create_tou_entry(self._energy_sites[0])
                return await self.async_step_tou_sync_site()
        schema: dict[Any, Any] = {
            probatio.Required(CONF_TARIFF_ENTRY): SelectSelector(
                SelectSelectorConfig(options=tariffs)
            ),
            probatio.Required(CONF_ACCESS_TOKEN): _PASSWORD,
            **_advanced(DEFAULT_TESLA_BASE_URL),
        }
        return self.async_show_form(
            step_id="tou_sync", data_schema=probatio.Schema(schema), errors=errors
        )

    async def async_step_tou_sync_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick one of the token's energy sites."""
        if user_input is not None:
            chosen = int(user_input[CONF_ENERGY_SITE_ID])
            site = next(s for s in self._energy_sites if s.energy_site_id == chosen)
            return await self._create_tou_entry(site)
        options = [
            SelectOptionDict(
                value=str(site.energy_site_id), label=site.site_name or str(site.energy_site_id)
            )
            for site in self._energy_sites
        ]
        return self.async_show_form(
            step_id="tou_sync_site", data_schema=_picker(CONF_ENERGY_SITE_ID, options)
        )

    async def _create_tou_entry(self, site: EnergySite) -> ConfigFlowResult:
        await self.async_set_unique_id(str(site.energy_site_id))
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=f"TOU sync {site.site_name or site.energy_site_id}",
            data={**self._tou, CONF_ENERGY_SITE_ID: site.energy_site_id},
        )

    async def async_step_tou_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new Tesla energy API token."""
        return await self._tou_update_step("tou_reauth", user_input, with_url=False)

    async def _tou_update_step(
        self, step_id: str, user_input: dict[str, Any] | None, *, with_url: bool
    ) -> ConfigFlowResult:
        """Shared by reauth and reconfigure: a new token (and URL) that still sees the site."""
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        current_url = entry.data.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL)
        errors: dict[str, str] = {}
        if user_input is not None:
            base_url = _base_url(user_input, current_url)
            sites, error = await _fetch_energy_sites(
                self.hass, user_input[CONF_ACCESS_TOKEN], base_url
            )
            if error:
                errors["base"] = error
            elif entry.data[CONF_ENERGY_SITE_ID] not in {s.energy_site_id for s in sites}:
                errors["base"] = "site_not_found"
            else:
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_ACCESS_TOKEN: user_input[CONF_ACCESS_TOKEN],
                        CONF_BASE_URL: base_url,
                    },
                )
        schema: dict[Any, Any] = {probatio.Required(CONF_ACCESS_TOKEN): _PASSWORD}
        if with_url:
            schema |= _advanced(current_url)
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema(schema),
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    # Powerwall gateway (pypowerwall)

    async def _powerwall_read(
        self, data: Mapping[str, Any]
    ) -> tuple[PowerwallSnapshot | None, str]:
        """Log in and read the gateway once, or say why not (wrong password vs unreachable)."""
        from .sources import powerwall_gateway, powerwall_storage

        storage = powerwall_storage(self.hass, f"flow_{self.flow_id}")
        gateway = powerwall_gateway(self.hass, data, storage, DEFAULT_POWERWALL_POLL_S)
        try:
            return await gateway.read(), ""
        except AuthenticationError:
            return None, "invalid_auth"
        except RateLimitError:
            return None, "rate_limited"
        except ClientConnectionError, ClientTimeoutError:
            return None, "cannot_connect"
        except ClientError:
            LOGGER.exception("Unexpected answer from the Powerwall gateway at %s", data[CONF_HOST])
            return None, "unknown"
        finally:
            await gateway.close()
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
            data = {
                CONF_KIND: EntryKind.POWERWALL,
                CONF_HOST: user_input[CONF_HOST].strip(),
                CONF_POWERWALL_MODE: user_input[CONF_POWERWALL_MODE],
                CONF_EMAIL: user_input.get(CONF_EMAIL, "").strip(),
                CONF_PASSWORD: user_input[CONF_PASSWORD],
            }
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
            current = data
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
            probatio.Required(CONF_PASSWORD): _PASSWORD,
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
            data = {
                **entry.data,
                CONF_EMAIL: user_input.get(CONF_EMAIL, "").strip(),
                CONF_PASSWORD: user_input[CONF_PASSWORD],
            }
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
            probatio.Required(CONF_PASSWORD): _PASSWORD,
        }
        return self.async_show_form(
            step_id="powerwall_reauth",
            data_schema=probatio.Schema(schema),
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    # Fleet Telemetry (Kafka)

    async def async_step_fleet_telemetry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how to reach the Kafka cluster the Fleet Telemetry server writes to."""
        return await self._fleet_telemetry_step("fleet_telemetry", user_input, None)

    async def async_step_fleet_telemetry_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how the cluster is reached; certificates not uploaded again are kept."""
        return await self._fleet_telemetry_step(
            "fleet_telemetry_reconfigure", user_input, self._get_reconfigure_entry()
        )

    async def _fleet_telemetry_step(
        self, step_id: str, user_input: dict[str, Any] | None, entry: ConfigEntry | None
    ) -> ConfigFlowResult:
        """Shared by setup and reconfigure (`entry`): check the settings by connecting."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_KIND: EntryKind.FLEET_TELEMETRY,
                **{
                    key: value
                    for key, value in user_input.items()
                    if key not in {*SSL_PEMS, CONF_SSL_CLEAR}
                },
                CONF_VINS: parse_vins(user_input.get(CONF_VINS, "")),
            }
            if entry is not None and not data.get(CONF_PASSWORD):  # empty: keep the password
                data[CONF_PASSWORD] = entry.data.get(CONF_PASSWORD, "")
            unique_id = f"{data[CONF_BOOTSTRAP_SERVERS]}|{data[CONF_TOPIC_PREFIX]}"
            if entry is None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured()
            elif any(
                other.unique_id == unique_id and other.entry_id != entry.entry_id
                for other in self._async_current_entries(include_ignore=False)
            ):
                return self.async_abort(reason="already_configured")
            tls, errors = await self._tls_material(data, user_input, entry)
            if not errors:
                try:
                    await check_connection(consumer_config(data, tls))
                except ClientConnectionError:
                    errors["base"] = "cannot_connect"
            if not errors:
                if entry is not None:
                    return self.async_update_reload_and_abort(entry, unique_id=unique_id, data=data)
                return self.async_create_entry(
                    title=f"Fleet Telemetry {data[CONF_TOPIC_PREFIX]}", data=data
                )
        suggested: Mapping[str, Any] = user_input or {}
        placeholders: dict[str, str] | None = None
        if entry is not None:
            placeholders = {"title": entry.title}
            if user_input is None:
                hidden = {CONF_KIND, CONF_PASSWORD, *SSL_PEMS, *LEGACY_SSL_FILES.values()}
                suggested = {
                    **{key: value for key, value in entry.data.items() if key not in hidden},
                    CONF_VINS: ", ".join(entry.data.get(CONF_VINS, ())),
                }
        text = TextSelector()
        schema = {
            probatio.Required(CONF_BOOTSTRAP_SERVERS): text,
            probatio.Required(CONF_TOPIC_PREFIX, default=DEFAULT_TOPIC_PREFIX): text,
            probatio.Required(CONF_GROUP_ID, default=DEFAULT_GROUP_ID): text,
            probatio.Required(CONF_OFFSET_RESET, default=OffsetReset.LATEST): _choice(OffsetReset),
            probatio.Optional(CONF_VINS, default=""): text,
            probatio.Required(CONF_SECURITY_PROTOCOL, default=SecurityProtocol.PLAINTEXT): _choice(
                SecurityProtocol
            ),
            probatio.Optional(CONF_SASL_MECHANISM, default=SaslMechanism.PLAIN): _choice(
                SaslMechanism
            ),
            probatio.Optional(CONF_USERNAME, default=""): text,
            probatio.Optional(CONF_PASSWORD, default=""): _PASSWORD,
            probatio.Optional(CONF_SSL_CA): _CERT_UPLOAD,
            probatio.Optional(CONF_SSL_CERT): _CERT_UPLOAD,
            probatio.Optional(CONF_SSL_KEY): _KEY_UPLOAD,
        }
        if entry is not None:
            schema[probatio.Optional(CONF_SSL_CLEAR, default=False)] = BooleanSelector()
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(probatio.Schema(schema), suggested),
            description_placeholders=placeholders,
            errors=errors,
        )

    async def _tls_material(
        self, data: dict[str, Any], user_input: dict[str, Any], entry: ConfigEntry | None
    ) -> tuple[ssl.SSLContext | None, dict[str, str]]:
        """Add the uploaded (or, reconfiguring, the kept) PEM text to `data` and check it.

        Return the TLS context it makes, or the form errors saying what is unusable. Without
        SSL or SASL_SSL nothing is stored, so certificates do not linger unused.
        """
        if not uses_tls(data):
            return None, {}
        kept: Mapping[str, Any] = (
            {} if entry is None or user_input.get(CONF_SSL_CLEAR) else entry.data
        )
        for key in SSL_PEMS:
            if file_id := user_input.get(key):
                if (pem := await self._read_upload(file_id)) is None:
                    return None, {key: _UPLOAD_ERROR[key]}
                data[key] = pem
            elif kept.get(key):
                data[key] = kept[key]
            elif kept.get(legacy := LEGACY_SSL_FILES[key]):
                data[legacy] = kept[legacy]
        try:
            return await self.hass.async_add_executor_job(ssl_context, data), {}
        except TlsMaterialError as err:
            return None, {_TLS_ERROR_FIELD.get(err.reason, "base"): err.reason}
        except OSError:
            return None, {"base": "tls_file"}

    async def _read_upload(self, file_id: str) -> str | None:
        """Return an uploaded PEM file's text; None if it is gone, not text or too large.

        Reading consumes the upload, so its text is kept for the flow: a form shown again
        (another field wrong, the broker unreachable) submits the same file id.
        """
        if file_id not in self._uploads:
            try:
                self._uploads[file_id] = await self.hass.async_add_executor_job(
                    _read_pem_upload, self.hass, file_id
                )
            except ValueError:  # unknown or consumed id, too large, not UTF-8
                return None
        return self._uploads[file_id]


def _read_pem_upload(hass: HomeAssistant, file_id: str) -> str:
    """Read (and so remove) an uploaded file. Blocking: run it in the executor."""
    with process_uploaded_file(hass, file_id) as path:
        if path.stat().st_size > _MAX_PEM_BYTES:
            raise ValueError(f"{path.name} is larger than {_MAX_PEM_BYTES} bytes")
        return path.read_text(encoding="utf-8")


def _choice(values: type[StrEnum]) -> SelectSelector:
    return SelectSelector(SelectSelectorConfig(options=[str(value) for value in values]))


def _interval(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
        )
    )


class TesOptionsFlow(OptionsFlowWithReload):
    """Wall Connector options: poll intervals and the tariff that prices its sessions."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options; saving them reloads the entry."""
        if self.config_entry.data[CONF_KIND] == EntryKind.POWERWALL:
            return await self.async_step_powerwall(user_input)
        if user_input is not None:
            if not user_input.get(CONF_TARIFF_ENTRY):
                user_input.pop(CONF_TARIFF_ENTRY, None)
            return self.async_create_entry(data=user_input)
        options = self.config_entry.options
        tariffs = [
            SelectOptionDict(value=entry.entry_id, label=entry.title)
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_KIND) in CURRENCY_BY_KIND
        ]
        schema: dict[Any, Any] = {
            probatio.Required(
                CONF_VITALS_CONNECTED_S,
                default=options.get(CONF_VITALS_CONNECTED_S, DEFAULT_VITALS_CONNECTED_S),
            ): _interval(1, 60),
            probatio.Required(
                CONF_VITALS_IDLE_S,
                default=options.get(CONF_VITALS_IDLE_S, DEFAULT_VITALS_IDLE_S),
            ): _interval(5, 600),
        }
        linked = options.get(CONF_TARIFF_ENTRY)
        schema[probatio.Optional(CONF_TARIFF_ENTRY, description={"suggested_value": linked})] = (
            SelectSelector(SelectSelectorConfig(options=tariffs))
        )
        return self.async_show_form(step_id="init", data_schema=probatio.Schema(schema))

    async def async_step_powerwall(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Powerwall options: poll interval, control, and the cloud account that carries it."""
        errors: dict[str, str] = {}
        options = self.config_entry.options
        if user_input is not None:
            cloud = user_input.get(CONF_CLOUD, {})
            data = {
                CONF_POLL_INTERVAL: user_input[CONF_POLL_INTERVAL],
                CONF_CONTROL: user_input[CONF_CONTROL],
            }
            if token := cloud.get(CONF_ACCESS_TOKEN):
                base_url = cloud.get(CONF_BASE_URL) or DEFAULT_TESLA_BASE_URL
                site_id, error = await self._gateway_site(token, base_url)
                if error:
                    errors["base"] = error
                else:
                    data |= {
                        CONF_ACCESS_TOKEN: token,
                        CONF_BASE_URL: base_url,
                        CONF_ENERGY_SITE_ID: site_id,
                    }
            if not errors:
                return self.async_create_entry(data=data)
        schema = {
            probatio.Required(
                CONF_POLL_INTERVAL,
                default=options.get(CONF_POLL_INTERVAL, DEFAULT_POWERWALL_POLL_S),
            ): _interval(MIN_POWERWALL_POLL_S, MAX_POWERWALL_POLL_S),
            probatio.Required(CONF_CONTROL, default=options.get(CONF_CONTROL, False)): bool,
            probatio.Required(CONF_CLOUD): section(
                probatio.Schema(
                    {
                        probatio.Optional(
                            CONF_ACCESS_TOKEN,
                            description={"suggested_value": options.get(CONF_ACCESS_TOKEN)},
                        ): _PASSWORD,
                        probatio.Optional(
                            CONF_BASE_URL,
                            default=options.get(CONF_BASE_URL, DEFAULT_TESLA_BASE_URL),
                        ): _URL,
                    }
                ),
                {"collapsed": not options.get(CONF_ACCESS_TOKEN)},
            ),
        }
        return self.async_show_form(
            step_id="powerwall", data_schema=probatio.Schema(schema), errors=errors
        )

    async def _gateway_site(self, token: str, base_url: str) -> tuple[int | None, str]:
        """Return the energy site that holds this gateway, or the form error."""
        sites, error = await _fetch_energy_sites(self.hass, token, base_url)
        din = str(self.config_entry.unique_id).casefold()
        for site in sites:
            if site.gateway_id is not None and site.gateway_id.casefold() == din:
                return site.energy_site_id, ""
        return None, error or "gateway_not_on_account"
