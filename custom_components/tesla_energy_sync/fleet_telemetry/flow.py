"""Fleet Telemetry: how to reach the Kafka cluster its server writes to, TLS PEMs uploaded."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
import logging
import ssl
from typing import Any

from aiokafka import errors as kafka_errors
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

from .. import validation
from ..clients.errors import AuthenticationError
from ..clients.fleet_telemetry.config import (
    ConsumerConfig,
    OffsetReset,
    SaslMechanism,
    SecurityProtocol,
    TlsMaterialError,
)
from ..clients.fleet_telemetry.consumer import check_connection
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
    LOGGER,
    EntryKind,
)
from ..flow_helpers import PASSWORD, check_service, check_timeout, validated
from .config import (
    CONF_SSL_CA,
    CONF_SSL_CERT,
    CONF_SSL_KEY,
    LEGACY_SSL_FILES,
    SSL_PEMS,
    consumer_config,
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
_SASL_PROTOCOLS = frozenset({SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL})
_CHECKS: dict[str, validation.Validator] = {
    CONF_BOOTSTRAP_SERVERS: validation.bootstrap_servers,
    CONF_TOPIC_PREFIX: validation.topic_prefix,
    CONF_GROUP_ID: validation.group_id,
    CONF_VINS: validation.vins,
}
# Typed values longer than this are not offered again when the form is shown with an error.
_MAX_SHOWN_AGAIN = 4096


@dataclass(frozen=True, slots=True)
class _Probe:
    """A form's broker check in progress: what aiokafka logged, and what it must not log."""

    seen: list[BaseException]
    hidden: tuple[str, ...]


# aiokafka logs every broker it cannot reach at error level and keeps why to itself (a refused
# SASL login becomes "unable to bootstrap"); at debug level it logs the SASL exchange, password
# included. While a form checks a broker, the records it logs are kept here, demoted to debug
# and stripped of the password: the form shows the error, the log stays quiet.
_PROBE: ContextVar[_Probe | None] = ContextVar("fleet_telemetry_probe", default=None)
_KAFKA_LOGGERS = ("aiokafka", "aiokafka.conn", "aiokafka.cluster", "aiokafka.consumer.consumer")
# What aiokafka raises when a broker refuses a login, and the frames of its SASL exchange: a
# SCRAM refusal surfaces as a KeyError from parsing the broker's error reply, a PLAIN one
# as the broker closing the connection mid-exchange.
_SASL_REFUSALS = (
    kafka_errors.SaslAuthenticationFailed,
    kafka_errors.AuthenticationFailedError,
    kafka_errors.AuthenticationMethodNotSupported,
    kafka_errors.UnsupportedSaslMechanismError,
    kafka_errors.IllegalSaslStateError,
)
_SASL_FRAMES = frozenset({"_do_sasl_handshake", "_send_sasl_token"})


class _ProbeLogFilter(logging.Filter):
    """Keep and demote what aiokafka logs during a form's broker check (other logs pass)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote the record to debug, without a traceback, if a check logged it."""
        probe = _PROBE.get()
        if probe is None:
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        probe.seen.extend(arg for arg in args if isinstance(arg, BaseException))
        if record.exc_info and record.exc_info[1] is not None:
            probe.seen.append(record.exc_info[1])
        message = record.getMessage()
        if any(secret in message for secret in probe.hidden):
            for secret in probe.hidden:
                message = message.replace(secret, "**REDACTED**")
            record.msg, record.args = message, None
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        record.exc_info = record.exc_text = None
        return True


_PROBE_FILTER = _ProbeLogFilter()
for _name in _KAFKA_LOGGERS:
    logging.getLogger(_name).addFilter(_PROBE_FILTER)


def _sasl_refused(err: BaseException) -> bool:
    """Return whether an error came from the broker refusing the SASL login."""
    if isinstance(err, _SASL_REFUSALS):
        return True
    frame = err.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_name in _SASL_FRAMES:
            return True
        frame = frame.tb_next
    return False


async def _probe(config: ConsumerConfig) -> set[str]:
    """Connect once as the entry would; a refused SASL login raises AuthenticationError."""
    password = config.sasl_password or ""
    # As typed, and as it shows inside the bytes of a SASL request.
    hidden = tuple(filter(None, {password, repr(password.encode())[2:-1]}))
    probe = _Probe(seen=[], hidden=hidden)
    token = _PROBE.set(probe)
    try:
        return await check_connection(config, wait=check_timeout())
    except Exception as err:
        if any(_sasl_refused(error) for error in (err, *probe.seen)):
            raise AuthenticationError("the broker refused the SASL login") from None
        raise
    finally:
        _PROBE.reset(token)


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
            data, errors = _entry_data(user_input, entry)
            if not errors:
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
                    _, error = await check_service(
                        _probe(consumer_config(data, tls)),
                        f"Kafka at {data[CONF_BOOTSTRAP_SERVERS]}",
                        secrets=(data[CONF_PASSWORD],),
                    )
                    if error:
                        errors["base"] = error
                    elif entry is not None:
                        return self.async_update_reload_and_abort(
                            entry, unique_id=unique_id, data=data
                        )
                    else:
                        return self.async_create_entry(
                            title=f"Fleet Telemetry {data[CONF_TOPIC_PREFIX]}", data=data
                        )
        # Shown again as typed, but never the password (nor a pasted novel).
        suggested: Mapping[str, Any] = {
            key: value
            for key, value in (user_input or {}).items()
            if key != CONF_PASSWORD
            and not (isinstance(value, str) and len(value) > _MAX_SHOWN_AGAIN)
        }
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
        except Exception as err:  # noqa: BLE001 - a form shows an error; it never fails the request
            LOGGER.warning("Unusable TLS material (unknown): %s", type(err).__name__)
            return None, {"base": "unknown"}

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
            except ValueError, OSError:  # unknown or consumed id, too large, not UTF-8
                return None
        return self._uploads[file_id]


def _entry_data(
    user_input: Mapping[str, Any], entry: ConfigEntry | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the entry data the form describes (PEM text aside), or the field errors.

    A SASL login needs a username and a password; reconfiguring, an empty password keeps
    the stored one. Without SASL both are optional but still checked.
    """
    values, errors = validated(user_input, _CHECKS)
    protocol = SecurityProtocol(user_input[CONF_SECURITY_PROTOCOL])
    sasl = protocol in _SASL_PROTOCOLS
    data: dict[str, Any] = {
        CONF_KIND: EntryKind.FLEET_TELEMETRY,
        **values,
        CONF_OFFSET_RESET: user_input[CONF_OFFSET_RESET],
        CONF_SECURITY_PROTOCOL: user_input[CONF_SECURITY_PROTOCOL],
        CONF_SASL_MECHANISM: user_input.get(CONF_SASL_MECHANISM, SaslMechanism.PLAIN),
        CONF_USERNAME: "",
        CONF_PASSWORD: "",
    }
    username = user_input.get(CONF_USERNAME)
    if sasl or username:
        _check(data, errors, CONF_USERNAME, validation.username, username)
    typed = user_input.get(CONF_PASSWORD)
    kept = entry.data.get(CONF_PASSWORD, "") if entry is not None else ""
    if typed or (sasl and not kept):
        _check(data, errors, CONF_PASSWORD, validation.password, typed)
    elif kept:
        data[CONF_PASSWORD] = kept
    return data, errors


def stored_data_problem(data: Mapping[str, Any]) -> str | None:
    """Return the first stored setting the consumer cannot run with, None if all can.

    Set-up refuses such an entry (it stays deletable) instead of starting a consumer that
    cannot subscribe or stop. Lenient where older flows were: a bare broker host, any VIN.
    """
    checks: dict[str, validation.Validator] = {
        CONF_BOOTSTRAP_SERVERS: lambda value: validation.bootstrap_servers(
            value, require_port=False
        ),
        CONF_TOPIC_PREFIX: validation.topic_prefix,
        CONF_GROUP_ID: validation.group_id,
        CONF_OFFSET_RESET: OffsetReset,
        CONF_SECURITY_PROTOCOL: SecurityProtocol,
        CONF_SASL_MECHANISM: SaslMechanism,
    }
    defaults = {
        CONF_GROUP_ID: DEFAULT_GROUP_ID,
        CONF_OFFSET_RESET: OffsetReset.LATEST,
        CONF_SECURITY_PROTOCOL: SecurityProtocol.PLAINTEXT,
        CONF_SASL_MECHANISM: SaslMechanism.PLAIN,
    }
    for key, check in checks.items():
        try:
            check(data.get(key, defaults.get(key)))
        except ValueError:  # InputError included
            return key
    vins = data.get(CONF_VINS, [])
    if not isinstance(vins, list) or not all(isinstance(vin, str) for vin in vins):
        return CONF_VINS
    if data.get(CONF_SECURITY_PROTOCOL) in _SASL_PROTOCOLS:
        for key in (CONF_USERNAME, CONF_PASSWORD):
            if not isinstance(data.get(key), str) or not data[key]:
                return key
    return None


def _check(
    data: dict[str, Any],
    errors: dict[str, str],
    key: str,
    check: validation.Validator,
    value: Any,
) -> None:
    """Store the checked value under `key`, or its error."""
    try:
        data[key] = check(value)
    except validation.InputError as err:
        errors[key] = err.error


def _read_pem_upload(hass: HomeAssistant, file_id: str) -> str:
    """Read (and so remove) an uploaded file. Blocking: run it in the executor."""
    with process_uploaded_file(hass, file_id) as path:
        if path.stat().st_size > _MAX_PEM_BYTES:
            raise ValueError(f"{path.name} is larger than {_MAX_PEM_BYTES} bytes")
        return path.read_text(encoding="utf-8")


def _choice(values: type[StrEnum]) -> SelectSelector:
    return SelectSelector(SelectSelectorConfig(options=[str(value) for value in values]))
