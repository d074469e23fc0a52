"""What every source's services share: finding the entry a call is for."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
import probatio

from .const import CONF_KIND, DOMAIN, EntryKind
from .runtime import TesConfigEntry

# Every service may name its entry; with one entry of the kind it may leave it out.
ENTRY_FIELD = {probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}


def target_entry(
    call: ServiceCall, kind: EntryKind, none_key: str, several_key: str
) -> TesConfigEntry:
    """Return the loaded entry of `kind` the call names (the only one when it names none)."""
    hass: HomeAssistant = call.hass
    if (entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID)) is not None:
        entry: TesConfigEntry = service.async_get_config_entry(hass, DOMAIN, entry_id)
        if entry.data.get(CONF_KIND) != kind:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key=none_key)
        return entry
    entries: list[TesConfigEntry] = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == kind
    ]
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key=none_key)
    if len(entries) > 1:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key=several_key)
    entry = entries[0]
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry
