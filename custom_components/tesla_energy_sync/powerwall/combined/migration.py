"""Adopting the combined device of earlier versions, whose entities lived on a gateway entry.

Earlier versions registered the combined entities (unique ids `powerwall_combined_<key>`)
and their device (identifier `powerwall_combined`) under whichever gateway entry hosted
them. Moving those registry entries to the combined entry keeps their entity ids, their
history and their last states (which the energy counters continue from).
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er

from ...const import DOMAIN
from ...runtime import TesConfigEntry
from .coordinator import COMBINED_ID
from .descriptions import POWERWALL_COMBINED_SENSORS


def _unique_ids() -> list[str]:
    return [f"{COMBINED_ID}_{description.key}" for description in POWERWALL_COMBINED_SENSORS]


@callback
def legacy_combined_exists(hass: HomeAssistant, combined_entry_ids: set[str]) -> bool:
    """Return whether a combined device or entity is registered outside a combined entry."""
    devices = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, COMBINED_ID)})
    if any(device.config_entry_id not in combined_entry_ids for device in devices):
        return True
    entities = er.async_get(hass)
    for unique_id in _unique_ids():
        entity_id = entities.async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id)
        entity = entities.async_get(entity_id) if entity_id else None
        if entity is not None and entity.config_entry_id not in combined_entry_ids:
            return True
    return False


@callback
def async_adopt_legacy_combined(hass: HomeAssistant, entry: TesConfigEntry) -> None:
    """Move the earlier versions' combined device and entities to the combined entry."""
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier((DOMAIN, COMBINED_ID), entry.entry_id)
    legacy = [
        found
        for found in devices.async_get_devices(identifiers={(DOMAIN, COMBINED_ID)})
        if found.config_entry_id != entry.entry_id
    ]
    if device is None and legacy:
        device = devices.async_update_device(legacy.pop(0).id, new_config_entry_id=entry.entry_id)
    entities = er.async_get(hass)
    for unique_id in _unique_ids():
        entity_id = entities.async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id)
        registered = entities.async_get(entity_id) if entity_id else None
        if registered is None or registered.config_entry_id == entry.entry_id:
            continue
        entities.async_update_entity(
            registered.entity_id,
            config_entry_id=entry.entry_id,
            device_id=device.id if device is not None else None,
        )
    # A device that moved between gateway entries was split into one per entry; the
    # entities now point at the kept one, so the others go (removing a device removes
    # the entities still attached to it).
    for duplicate in legacy:
        devices.async_remove_device(duplicate.id)
