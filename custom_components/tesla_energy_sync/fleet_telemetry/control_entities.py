"""Vehicle control entities: locks, covers, switches, numbers, selects, buttons, climate, media, update.

Their state is read from telemetry fields through `ControlEntity.value` (an accepted command's
overlay first, until a record reports the field again); their actions send Fleet API commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.components.button import ButtonEntity
from homeassistant.components.climate import ClimateEntity
from homeassistant.components.climate.const import ClimateEntityFeature, HVACMode
from homeassistant.components.cover import CoverEntity, CoverEntityFeature
from homeassistant.components.lock import LockEntity
from homeassistant.components.media_player import MediaPlayerEntity
from homeassistant.components.media_player.const import (
    MediaPlayerDeviceClass,
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.components.number import NumberEntity
from homeassistant.components.select import SelectEntity
from homeassistant.components.switch import SwitchEntity
from homeassistant.components.update import UpdateEntity, UpdateEntityFeature
from homeassistant.const import (
    ATTR_TEMPERATURE,
    PRECISION_HALVES,
    PRECISION_WHOLE,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN
from ..runtime import PlatformSetup, TesConfigEntry
from .control import (
    Command,
    ControlEntity,
    VehicleControl,
    setup_control_platform,
    setup_stateless_platform,
)
from .control_descriptions import (
    CABIN_CLIMATE,
    CABIN_OVERHEAT_PROTECTION,
    CLIMATE_ON,
    LEVELS,
    MEDIA,
    SOFTWARE_UPDATE,
    VEHICLE_BUTTONS,
    VEHICLE_COVERS,
    VEHICLE_LOCKS,
    VEHICLE_NUMBERS,
    VEHICLE_SELECTS,
    VEHICLE_SWITCHES,
    VehicleButtonDescription,
    VehicleClimateDescription,
    VehicleCoverDescription,
    VehicleLockDescription,
    VehicleMediaDescription,
    VehicleNumberDescription,
    VehicleSelectDescription,
    VehicleSwitchDescription,
    VehicleUpdateDescription,
)
from .descriptions import TelemetryEntityDescription
from .hub import TelemetryHub

# Climate keeper modes: telemetry's label -> the preset core shows, in the command's order.
KEEPER_PRESETS: Final = {"off": "off", "on": "keep", "dog": "dog", "party": "camp"}
PRESETS: Final = list(KEEPER_PRESETS.values())
# Cabin overheat protection: telemetry's mode -> HVAC mode, and limit label -> °C.
COP_MODES: Final = {"off": HVACMode.OFF, "on": HVACMode.COOL, "fan_only": HVACMode.FAN_ONLY}
COP_LIMITS: Final = {"low": 30, "medium": 35, "high": 40}
MEDIA_STATES: Final = {
    "playing": MediaPlayerState.PLAYING,
    "paused": MediaPlayerState.PAUSED,
    "stopped": MediaPlayerState.IDLE,
}
# The car's volume runs 0 to 10.333 in 31 steps.
VOLUME_FACTOR: Final = 31 / 3


class VehicleLock(ControlEntity, LockEntity):
    """The doors, or the charge cable (which can only be released remotely)."""

    entity_description: VehicleLockDescription

    @property
    def is_locked(self) -> bool | None:
        """Return the lock's state from telemetry."""
        return self.entity_description.is_locked_fn(self.reading)

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock; the charge cable cannot be locked remotely."""
        if (command := self.entity_description.lock) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="vehicle_cable_lock"
            )
        await self.async_command(command, self.entity_description.overlay_fn(True))

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock (release the cable)."""
        description = self.entity_description
        await self.async_command(description.unlock, description.overlay_fn(False))


class VehicleCover(ControlEntity, CoverEntity):
    """Windows, the charge port door, the frunk or the trunk."""

    entity_description: VehicleCoverDescription

    @property
    def is_closed(self) -> bool | None:
        """Return whether it is closed, from telemetry."""
        return self.entity_description.is_closed_fn(self.reading)

    @property
    def supported_features(self) -> CoverEntityFeature:
        """Offer what the car can do remotely."""
        features = CoverEntityFeature(0)
        if self.entity_description.open is not None:
            features |= CoverEntityFeature.OPEN
        if self.entity_description.close is not None:
            features |= CoverEntityFeature.CLOSE
        return features

    async def async_open_cover(self, **kwargs: Any) -> None:
        """Open (vent the windows)."""
        await self._move(self.entity_description.open, closed=False)

    async def async_close_cover(self, **kwargs: Any) -> None:
        """Close."""
        await self._move(self.entity_description.close, closed=True)

    async def _move(self, command: Command | None, *, closed: bool) -> None:
        # Home Assistant calls only what supported_features offers.
        assert command is not None  # noqa: S101
        description = self.entity_description
        # A toggling command already in the asked state would undo it.
        if description.toggles and self.is_closed is closed:
            return
        await self.async_command(command, description.overlay_fn(self.reading, closed))


class VehicleSwitch(ControlEntity, SwitchEntity):
    """A mode of the car: sentry, valet, guest, charging, defrost, seat and wheel auto heat."""

    entity_description: VehicleSwitchDescription

    @property
    def is_on(self) -> bool | None:
        """Return the mode's state from telemetry."""
        return self.entity_description.is_on_fn(self.reading)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the mode on."""
        await self._set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn the mode off."""
        await self._set(False)

    async def _set(self, on: bool) -> None:
        description = self.entity_description
        await self.async_command(description.command_fn(on), description.overlay_fn(on))


class VehicleNumber(ControlEntity, NumberEntity):
    """The charge current or the charge limit."""

    entity_description: VehicleNumberDescription

    @property
    def native_value(self) -> float | None:
        """Return the value from telemetry."""
        value = self.reading(self.entity_description.fields[0])
        return None if value is None else float(value)

    @property
    def native_max_value(self) -> float:
        """Return the car's own maximum when it reports one."""
        description = self.entity_description
        if description.max_field and (most := self.reading(description.max_field)):
            return float(most)
        return float(description.native_max_value or 100)

    async def async_set_native_value(self, value: float) -> None:
        """Send the whole number, as the car takes it."""
        whole = int(value)
        description = self.entity_description
        await self.async_command(description.command_fn(whole), {description.fields[0]: whole})


class VehicleSelect(ControlEntity, SelectEntity):
    """A seat heater or cooler, or the steering wheel heater."""

    entity_description: VehicleSelectDescription

    @property
    def options(self) -> list[str]:
        """Return the levels."""
        return self.entity_description.options

    @property
    def current_option(self) -> str | None:
        """Return the level from telemetry; an unmodelled one maps to the nearest."""
        level = self.reading(self.entity_description.fields[0])
        if isinstance(level, bool) or not isinstance(level, int | float):
            return None
        options = self.entity_description.options
        return options[max(0, min(int(level), len(options) - 1))]

    async def async_select_option(self, option: str) -> None:
        """Set the level; heaters work only with the climate on, so it is started first."""
        level = LEVELS[option]
        if level and self.reading("HvacPower") not in CLIMATE_ON:
            await self.control.async_send(self.vin, Command("auto_conditioning_start"))
        description = self.entity_description
        await self.async_command(description.command_fn(level), {description.fields[0]: level})


class VehicleButton(ControlEntity, ButtonEntity):
    """An action without state: wake, flash, honk, keyless driving, boombox, HomeLink."""

    entity_description: VehicleButtonDescription

    async def async_press(self) -> None:
        """Send the button's command (or wake the car)."""
        command_fn = self.entity_description.command_fn
        if command_fn is None:
            await self.control.async_wake(self.vin)
            return
        home = (self.hass.config.latitude, self.hass.config.longitude)
        await self.control.async_send(self.vin, command_fn(home))


class VehicleCabinClimate(ControlEntity, ClimateEntity):
    """The cabin's climate: on or off, the driver's temperature, and the keeper modes."""

    entity_description: VehicleClimateDescription

    _attr_precision = PRECISION_HALVES
    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_min_temp = 15
    _attr_max_temp = 28
    _attr_supported_features = (
        ClimateEntityFeature.TURN_ON
        | ClimateEntityFeature.TURN_OFF
        | ClimateEntityFeature.TARGET_TEMPERATURE
        | ClimateEntityFeature.PRESET_MODE
    )

    @property
    def hvac_modes(self) -> list[HVACMode]:
        """Return on (heat and cool together) and off."""
        return [HVACMode.HEAT_COOL, HVACMode.OFF]

    @property
    def preset_modes(self) -> list[str]:
        """Return the climate keeper modes."""
        return PRESETS

    @property
    def _driver_field(self) -> str:
        """Return the request field of the driver's side (the right in a right-hand drive)."""
        if self.reading("RightHandDrive"):
            return "HvacRightTemperatureRequest"
        return "HvacLeftTemperatureRequest"

    @property
    def hvac_mode(self) -> HVACMode | None:
        """Return on (heat/cool) or off, from HvacPower."""
        power = self.reading("HvacPower")
        if power is None:
            return None
        return HVACMode.HEAT_COOL if power in CLIMATE_ON else HVACMode.OFF

    @property
    def current_temperature(self) -> float | None:
        """Return the cabin's temperature."""
        return self.reading("InsideTemp")  # type: ignore[no-any-return]

    @property
    def target_temperature(self) -> float | None:
        """Return the driver's requested temperature."""
        return self.reading(self._driver_field)  # type: ignore[no-any-return]

    @property
    def preset_mode(self) -> str | None:
        """Return the climate keeper mode."""
        return KEEPER_PRESETS.get(self.reading("ClimateKeeperMode"))

    async def async_turn_on(self) -> None:
        """Start the climate."""
        await self.async_command(Command("auto_conditioning_start"), {"HvacPower": "on"})

    async def async_turn_off(self) -> None:
        """Stop the climate (which ends a keeper mode too)."""
        await self.async_command(
            Command("auto_conditioning_stop"), {"HvacPower": "off", "ClimateKeeperMode": "off"}
        )

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Set both sides to the temperature, then the mode if one was given."""
        if (temperature := kwargs.get(ATTR_TEMPERATURE)) is not None:
            await self.async_command(
                Command("set_temps", {"driver_temp": temperature, "passenger_temp": temperature}),
                {
                    "HvacLeftTemperatureRequest": temperature,
                    "HvacRightTemperatureRequest": temperature,
                },
            )
        if (mode := kwargs.get("hvac_mode")) is not None:
            await self.async_set_hvac_mode(mode)

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Turn the climate on or off."""
        if hvac_mode == HVACMode.OFF:
            await self.async_turn_off()
        else:
            await self.async_turn_on()

    async def async_set_preset_mode(self, preset_mode: str) -> None:
        """Set the climate keeper mode (off, keep, dog, camp)."""
        label = next(key for key, preset in KEEPER_PRESETS.items() if preset == preset_mode)
        await self.async_command(
            Command("set_climate_keeper_mode", {"climate_keeper_mode": PRESETS.index(preset_mode)}),
            {"ClimateKeeperMode": label, "HvacPower": "off" if label == "off" else "on"},
        )


class VehicleCabinOverheatProtection(ControlEntity, ClimateEntity):
    """Cabin overheat protection: off, cooling or fan only, above 30, 35 or 40 °C."""

    entity_description: VehicleClimateDescription

    _attr_precision = PRECISION_WHOLE
    _attr_target_temperature_step = 5
    _attr_min_temp = 30
    _attr_max_temp = 40
    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_supported_features = (
        ClimateEntityFeature.TURN_ON
        | ClimateEntityFeature.TURN_OFF
        | ClimateEntityFeature.TARGET_TEMPERATURE
    )

    @property
    def hvac_modes(self) -> list[HVACMode]:
        """Return off, cooling and fan only."""
        return list(COP_MODES.values())

    @property
    def hvac_mode(self) -> HVACMode | None:
        """Return the protection's mode."""
        return COP_MODES.get(self.reading("CabinOverheatProtectionMode"))

    @property
    def current_temperature(self) -> float | None:
        """Return the cabin's temperature."""
        return self.reading("InsideTemp")  # type: ignore[no-any-return]

    @property
    def target_temperature(self) -> float | None:
        """Return the temperature above which the protection acts."""
        return COP_LIMITS.get(self.reading("CabinOverheatProtectionTemperatureLimit"))

    async def async_turn_on(self) -> None:
        """Protect by cooling."""
        await self.async_set_hvac_mode(HVACMode.COOL)

    async def async_turn_off(self) -> None:
        """Stop protecting."""
        await self.async_set_hvac_mode(HVACMode.OFF)

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Set the nearest of the car's three limits, then the mode if one was given."""
        if (temperature := kwargs.get(ATTR_TEMPERATURE)) is not None:
            limits = list(COP_LIMITS.items())
            index = min(range(len(limits)), key=lambda i: abs(limits[i][1] - temperature))
            await self.async_command(
                Command("set_cop_temp", {"cop_temp": index}),
                {"CabinOverheatProtectionTemperatureLimit": limits[index][0]},
            )
        if (mode := kwargs.get("hvac_mode")) is not None:
            await self.async_set_hvac_mode(mode)

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Turn the protection off, to cooling, or to fan only."""
        label = next(key for key, mode in COP_MODES.items() if mode == hvac_mode)
        await self.async_command(
            Command(
                "set_cabin_overheat_protection",
                {"on": hvac_mode != HVACMode.OFF, "fan_only": hvac_mode == HVACMode.FAN_ONLY},
            ),
            {"CabinOverheatProtectionMode": label},
        )


class VehicleMediaPlayer(ControlEntity, MediaPlayerEntity):
    """The car's media: what plays, the volume, play and pause, next and previous."""

    entity_description: VehicleMediaDescription

    _attr_device_class = MediaPlayerDeviceClass.SPEAKER
    _attr_volume_step = 1 / 31
    _attr_supported_features = (
        MediaPlayerEntityFeature.NEXT_TRACK
        | MediaPlayerEntityFeature.PAUSE
        | MediaPlayerEntityFeature.PLAY
        | MediaPlayerEntityFeature.PREVIOUS_TRACK
        | MediaPlayerEntityFeature.VOLUME_SET
    )

    @property
    def state(self) -> MediaPlayerState | None:
        """Return the playback state (off when the car reports none)."""
        return MEDIA_STATES.get(self.reading("MediaPlaybackStatus"), MediaPlayerState.OFF)

    @property
    def volume_level(self) -> float | None:
        """Return the volume, 0 to 1."""
        volume = self.reading("MediaAudioVolume")
        return None if volume is None else min(1.0, max(0.0, float(volume) / VOLUME_FACTOR))

    @property
    def media_title(self) -> str | None:
        """Return the title playing."""
        return self.reading("MediaNowPlayingTitle")  # type: ignore[no-any-return]

    @property
    def media_artist(self) -> str | None:
        """Return the artist playing."""
        return self.reading("MediaNowPlayingArtist")  # type: ignore[no-any-return]

    @property
    def media_album_name(self) -> str | None:
        """Return the album playing."""
        return self.reading("MediaNowPlayingAlbum")  # type: ignore[no-any-return]

    @property
    def media_channel(self) -> str | None:
        """Return the station playing."""
        return self.reading("MediaNowPlayingStation")  # type: ignore[no-any-return]

    @property
    def source(self) -> str | None:
        """Return the source playing."""
        return self.reading("MediaPlaybackSource")  # type: ignore[no-any-return]

    @property
    def media_duration(self) -> int | None:
        """Return the track's length in seconds (the car sends milliseconds)."""
        duration = self.reading("MediaNowPlayingDuration")
        return None if duration is None else int(duration / 1000)

    @property
    def media_position(self) -> int | None:
        """Return how far the track has played, in seconds."""
        elapsed = self.reading("MediaNowPlayingElapsed")
        return None if elapsed is None else int(elapsed / 1000)

    async def async_set_volume_level(self, volume: float) -> None:
        """Set the volume, 0 to 1."""
        level = volume * VOLUME_FACTOR
        await self.async_command(
            Command("adjust_volume", {"volume": level}), {"MediaAudioVolume": level}
        )

    async def async_media_play(self) -> None:
        """Play (the car only toggles, so only when not playing)."""
        if self.state != MediaPlayerState.PLAYING:
            await self.async_command(
                Command("media_toggle_playback"), {"MediaPlaybackStatus": "playing"}
            )

    async def async_media_pause(self) -> None:
        """Pause (only when playing)."""
        if self.state == MediaPlayerState.PLAYING:
            await self.async_command(
                Command("media_toggle_playback"), {"MediaPlaybackStatus": "paused"}
            )

    async def async_media_next_track(self) -> None:
        """Skip to the next track."""
        await self.async_command(Command("media_next_track"))

    async def async_media_previous_track(self) -> None:
        """Go back to the previous track."""
        await self.async_command(Command("media_prev_track"))


# Set by an accepted install until a record reports the installation's progress.
_INSTALL_REQUESTED: Final = "SoftwareUpdateInstallationPercentComplete"


class VehicleSoftwareUpdate(ControlEntity, UpdateEntity):
    """The car's software: installed and offered versions, progress, and install."""

    entity_description: VehicleUpdateDescription

    @property
    def installed_version(self) -> str | None:
        """Return the running version, without the build hash."""
        version = self.reading("Version")
        return version.split(" ")[0] if isinstance(version, str) and version.strip() else None

    @property
    def latest_version(self) -> str | None:
        """Return the offered version, or the installed one when none is offered."""
        offered = self.reading("SoftwareUpdateVersion")
        return offered if isinstance(offered, str) and offered.strip() else self.installed_version

    @property
    def supported_features(self) -> UpdateEntityFeature:
        """Offer install once the update is downloaded."""
        if self.reading("SoftwareUpdateDownloadPercentComplete") == 100:
            return UpdateEntityFeature.PROGRESS | UpdateEntityFeature.INSTALL
        return UpdateEntityFeature.PROGRESS

    @property
    def in_progress(self) -> bool | None:
        """Return whether the update downloads, installs, or was asked to install."""
        return self.update_percentage is not None or self.reading(_INSTALL_REQUESTED) == -1

    @property
    def update_percentage(self) -> int | None:
        """Return the download's or the installation's progress."""
        download = self.reading("SoftwareUpdateDownloadPercentComplete")
        install = self.reading(_INSTALL_REQUESTED)
        if isinstance(download, int | float) and 0 < download < 100:
            return round(download)
        if isinstance(install, int | float) and 0 < install < 100:
            return round(install)
        return None

    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """Install now."""
        # -1: installation asked for, not yet reported (no real percentage is negative).
        await self.async_command(
            Command("schedule_software_update", {"offset_sec": 0}), {_INSTALL_REQUESTED: -1}
        )


def _control_setup[DescriptionT: TelemetryEntityDescription](
    platform: str,
    descriptions: tuple[DescriptionT, ...],
    build: Callable[[TelemetryHub, str, DescriptionT, VehicleControl], ControlEntity],
) -> PlatformSetup:
    """Return a platform set-up adding each vehicle's controls as their fields appear."""

    def setup(
        hass: HomeAssistant,
        entry: TesConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        setup_control_platform(entry, platform, descriptions, build, async_add_entities)

    return setup


setup_locks = _control_setup("lock", VEHICLE_LOCKS, VehicleLock)
setup_covers = _control_setup("cover", VEHICLE_COVERS, VehicleCover)
setup_switches = _control_setup("switch", VEHICLE_SWITCHES, VehicleSwitch)
setup_numbers = _control_setup("number", VEHICLE_NUMBERS, VehicleNumber)
setup_selects = _control_setup("select", VEHICLE_SELECTS, VehicleSelect)
setup_media_players = _control_setup("media_player", (MEDIA,), VehicleMediaPlayer)
setup_updates = _control_setup("update", (SOFTWARE_UPDATE,), VehicleSoftwareUpdate)


def setup_buttons(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add each vehicle's buttons when it first appears (with control on)."""
    setup_stateless_platform(entry, "button", VEHICLE_BUTTONS, VehicleButton, async_add_entities)


def setup_climates(
    hass: HomeAssistant, entry: TesConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add each vehicle's cabin climate and overheat protection as their fields appear."""
    setup_control_platform(
        entry, "climate", (CABIN_CLIMATE,), VehicleCabinClimate, async_add_entities
    )
    setup_control_platform(
        entry,
        "climate",
        (CABIN_OVERHEAT_PROTECTION,),
        VehicleCabinOverheatProtection,
        async_add_entities,
    )
