"""Vehicle commands: the Tesla account that sends them, and the entities' shared behaviour.

Control is on when the Fleet Telemetry entry's options name a Tesla account. Commands go to
that account's base URL, which must sign them (a Tesla HTTP proxy or a Teslemetry-style
service): modern cars refuse unsigned commands.

The optimistic-state rule: an entity's STATE always comes from the telemetry fields, except
that a command accepted by the car overlays the fields it changes with their expected values.
The overlay stays only until the next record carrying one of those fields is applied; that
record's value then stands, confirming the command or reverting it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity

from ..clients.errors import AuthenticationError, ClientError, RateLimitError
from ..clients.tesla_vehicle import (
    WAKE_DELAYS,
    CommandRefusedError,
    SigningRequiredError,
    TeslaVehicleClient,
    VehicleAsleepError,
)
from ..const import CONF_ACCOUNT_ENTRY, DOMAIN
from ..runtime import TesConfigEntry
from ..tesla_account.account import loaded_account
from .descriptions import TelemetryEntityDescription
from .entity import TelemetryEntity, setup_telemetry_platform
from .hub import FleetTelemetryRuntime, TelemetryHub

# Read at each command so tests can shorten the waits for a car to wake.
WAKE_WAITS: Final = WAKE_DELAYS


@dataclass(frozen=True, slots=True)
class Command:
    """A Fleet API vehicle command: its name and its JSON body (None sends no body)."""

    name: str
    body: Mapping[str, Any] | None = None


class VehicleControl:
    """Sends commands through a Tesla account; looked up afresh so a reloaded one applies."""

    def __init__(self, hass: HomeAssistant, account_entry_id: str) -> None:
        """Keep the account's entry id; nothing is sent yet."""
        self.hass = hass
        self.account_entry_id = account_entry_id

    def _client(self) -> TeslaVehicleClient:
        account = loaded_account(self.hass, self.account_entry_id)
        if account is None:
            entry = self.hass.config_entries.async_get_entry(self.account_entry_id)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="account_not_loaded",
                translation_placeholders={"title": entry.title if entry else "?"},
            )
        return TeslaVehicleClient(
            async_get_clientsession(self.hass),
            account.async_get_token,
            base_url=account.base_url,
            wake_delays=WAKE_WAITS,
        )

    async def async_send(self, vin: str, command: Command) -> None:
        """Send a command (waking the car if it sleeps); failures raise translated errors."""
        client = self._client()
        await self._translated(command.name, client.command(vin, command.name, command.body))

    async def async_wake(self, vin: str) -> None:
        """Wake the car and wait, a bounded while, until it is online."""
        client = self._client()
        await self._translated("wake_up", client.wake_up(vin))

    async def _translated(self, name: str, call: Any) -> Any:
        """Await a client call; map its failure to a translated error (never logged here)."""
        placeholders = {"command": name}
        try:
            return await call
        except SigningRequiredError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="vehicle_signing_required",
                translation_placeholders=placeholders,
            ) from err
        except CommandRefusedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="vehicle_command_refused",
                translation_placeholders={**placeholders, "reason": err.reason},
            ) from err
        except VehicleAsleepError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="vehicle_asleep",
                translation_placeholders=placeholders,
            ) from err
        except AuthenticationError as err:
            if (
                entry := self.hass.config_entries.async_get_entry(self.account_entry_id)
            ) is not None:
                entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="vehicle_command_auth",
                translation_placeholders=placeholders,
            ) from err
        except RateLimitError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="vehicle_command_rate_limited",
                translation_placeholders={
                    **placeholders,
                    "retry_after": f"{err.retry_after:.0f}",
                },
            ) from err
        except ClientError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="vehicle_command_failed",
                translation_placeholders={**placeholders, "error": str(err)},
            ) from err


@dataclass(kw_only=True)
class ControlledRuntime(FleetTelemetryRuntime):
    """A Fleet Telemetry entry whose vehicles can also be commanded."""

    control: VehicleControl


def vehicle_control(hass: HomeAssistant, entry: TesConfigEntry) -> VehicleControl | None:
    """Return the entry's command sender, None while no Tesla account is picked."""
    account = entry.options.get(CONF_ACCOUNT_ENTRY)
    return VehicleControl(hass, account) if account else None


def control_of(entry: TesConfigEntry) -> tuple[TelemetryHub, VehicleControl] | None:
    """Return the entry's hub and command sender, None when control is off."""
    runtime = entry.runtime_data
    if isinstance(runtime, ControlledRuntime):
        return runtime.hub, runtime.control
    return None


@dataclass(frozen=True, kw_only=True)
class ControlDescription(TelemetryEntityDescription):
    """A control entity: the fields its state reads (the first one seen creates it)."""


def _restorable(value: Any) -> bool:
    """Return whether a field's value survives a JSON round trip unchanged."""
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and isinstance(v, bool) for k, v in value.items())
    return value is None or isinstance(value, bool | int | float | str)


@dataclass(frozen=True, slots=True)
class RestoredFields(ExtraStoredData):
    """The telemetry fields a control entity showed, kept for the next start."""

    fields: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as stored."""
        return {"fields": self.fields}


class ControlEntity(TelemetryEntity, RestoreEntity):
    """A vehicle entity whose actions send commands; its state is telemetry (plus overlay).

    After a restart the hub knows nothing until the car's next record, so the fields the
    entity showed are restored as an overlay that the first record of each field replaces,
    as an accepted command's overlay is: a lock reads locked again, not unknown.
    """

    def __init__(
        self,
        hub: TelemetryHub,
        vin: str,
        description: TelemetryEntityDescription,
        control: VehicleControl,
    ) -> None:
        """Start without an overlay."""
        super().__init__(hub, vin, description)
        self.control = control
        self._overlay: dict[str, Any] = {}
        self._marks: dict[str, tuple[Any, Any]] = {}

    @property
    def extra_restore_state_data(self) -> RestoredFields:
        """Keep the fields the entity shows (those a JSON round trip keeps as they are)."""
        shown = {name: self.reading(name) for name in self.entity_description.fields}
        return RestoredFields({name: v for name, v in shown.items() if _restorable(v)})

    async def async_added_to_hass(self) -> None:
        """Show the fields kept at the last stop until the car reports them again."""
        last = await self.async_get_last_extra_data()
        kept = last.as_dict().get("fields") if last is not None else None
        if isinstance(kept, dict):
            vehicle = self.vehicle
            restored = {
                name: value
                for name, value in kept.items()
                if name in self.entity_description.fields
                and _restorable(value)
                and (vehicle is None or name not in vehicle.fields)
            }
            for name, value in restored.items():
                self._overlay[name] = value
                self._marks[name] = self._mark(name)
        await super().async_added_to_hass()

    @property
    def listens_to(self) -> None:
        """Follow every field: controls also read limits and settings beyond their own."""
        return None

    def reading(self, name: str) -> Any:
        """Return a field as the entity shows it: the overlay's value, else telemetry's."""
        if name in self._overlay:
            return self._overlay[name]
        vehicle = self.vehicle
        return None if vehicle is None else vehicle.fields.get(name)

    def _mark(self, name: str) -> tuple[Any, Any]:
        """Return what a newly applied record of a field changes: its time and value."""
        vehicle = self.vehicle
        if vehicle is None:
            return None, None
        return vehicle.created.get(name), vehicle.fields.get(name)

    async def async_command(self, command: Command, overlay: Mapping[str, Any] = {}) -> None:
        """Send a command, then show `overlay` until telemetry reports those fields again."""
        await self.control.async_send(self.vin, command)
        self.async_overlay(overlay)

    @callback
    def async_overlay(self, overlay: Mapping[str, Any]) -> None:
        """Show expected field values until the next record carrying them (see module doc)."""
        for name, expected in overlay.items():
            self._overlay[name] = expected
            self._marks[name] = self._mark(name)
        self.async_write_ha_state()

    def _update_from_hub(self) -> None:
        """Drop the overlay of every field a record has reported since the command."""
        for name in [name for name, mark in self._marks.items() if self._mark(name) != mark]:
            self._overlay.pop(name, None)
            self._marks.pop(name)


def setup_control_platform[DescriptionT: TelemetryEntityDescription](
    entry: TesConfigEntry,
    platform: str,
    descriptions: tuple[DescriptionT, ...],
    build: Callable[[TelemetryHub, str, DescriptionT, VehicleControl], ControlEntity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the platform's control entities as their fields appear; none without control."""
    found = control_of(entry)
    if found is None:
        return
    _hub, control = found
    setup_telemetry_platform(
        entry,
        platform,
        descriptions,
        lambda hub, vin, description: build(hub, vin, description, control),
        async_add_entities,
    )


def setup_stateless_platform[DescriptionT: EntityDescription](
    entry: TesConfigEntry,
    platform: str,
    descriptions: Sequence[DescriptionT],
    build: Callable[[TelemetryHub, str, DescriptionT, VehicleControl], Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create entities without state (buttons) for each vehicle when it first appears."""
    found = control_of(entry)
    if found is None:
        return
    hub, control = found
    created: set[str] = set()

    def add(vin: str) -> None:
        if vin not in created:
            created.add(vin)
            async_add_entities(
                build(hub, vin, description, control) for description in descriptions
            )

    # Vehicles seen before a restart keep their buttons before their first record arrives.
    keys = {description.key for description in descriptions}
    for registered in er.async_entries_for_config_entry(er.async_get(hub.hass), entry.entry_id):
        vin, _, key = (registered.unique_id or "").partition("_")
        if registered.domain == platform and key in keys:
            add(vin)

    @callback
    def new_fields(vin: str, names: set[str]) -> None:
        add(vin)

    @callback
    def forget(vin: str) -> None:
        created.discard(vin)

    entry.async_on_unload(hub.async_add_new_field_listener(new_fields))
    entry.async_on_unload(hub.async_add_forget_listener(forget))
    for vin in hub.vehicles:
        add(vin)
