"""Fleet Telemetry: how to reach the Kafka cluster its server writes to, TLS PEMs uploaded."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
import ssl
from typing import Any

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    FileSelector,
    FileSelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
)
import probatio

from ..clients.errors import ClientConnectionError
from ..clients.fleet_telemetry.config import (
    OffsetReset,
    SaslMechanism,
    SecurityProtocol,
    TlsMaterialError,
)
from ..clients.fleet_telemetry.consumer import check_connection
from ..clients.fleet_telemetry.models import valid_vin
from ..const import (
    CONF_BOOTSTRAP_SERVERS,
    CONF_GROUP_ID,
    CONF_KIND,
    CONF_OFFSET_RESET,
    CONF_SASL_MECHANISM,
    CONF_SECURITY_PROTOCOL,
    CONF_TOPIC_PREFIX,
    CONF_VINS,
    DEFAULT_GROUP_ID,
    DEFAULT_TOPIC_PREFIX,
    EntryKind,
)
from ..flow_helpers import PASSWORD
from .config import (
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


class FleetTelemetrySteps(ConfigFlow):
    """Add a Kafka cluster to read Fleet Telemetry from, or change how it is reached."""

    def __init__(self) -> None:
        """Keep the text of uploaded PEM files for the whole flow (reading consumes them)."""
        super().__init__()
        self._uploads: dict[str, str] = {}

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
            if not all(valid_vin(vin) for vin in data[CONF_VINS]):
                # The consumer drops records of malformed VINs, so such a list matches nothing.
                errors[CONF_VINS] = "invalid_vin"
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
            probatio.Optional(CONF_PASSWORD, default=""): PASSWORD,
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
