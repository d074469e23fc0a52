"""Fleet Telemetry push hub: applies decoded Kafka records to per-vehicle state.

Per VIN and field only the newest `created_at` counts (Kafka redelivers after a restart and
may interleave partitions). Entities are told of changes once per event-loop turn, however
many records a burst carried, and platforms are told when a VIN sends a field for the first
time so they can create its entity.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from ..clients.fleet_telemetry.models import (
    Alerts,
    Connectivity,
    ConnectivityStatus,
    Decoded,
    Errors,
    TelemetryValue,
    VehicleData,
)
from ..const import DOMAIN, EVENT_TELEMETRY_ERROR, EVENT_VEHICLE_ALERT
from ..runtime import SourceRuntime

if TYPE_CHECKING:
    from ..clients.fleet_telemetry.consumer import TelemetryConsumer

_LOGGER = logging.getLogger(__name__)

# The field connectivity records set (True while the car's socket is open); no schema field is
# lower case, so it cannot clash with one the car sends.
ONLINE: Final = "online"
# The network the car's stream last opened over (`wifi`, `cellular`), from the same records.
NETWORK: Final = "network"

# How far a record's created_at may run ahead of when the server produced it (its Kafka
# timestamp) before the car's clock is not trusted for ordering: clocks drift by seconds, and
# a car's record reaches Kafka well within this, so only a clock gone wrong exceeds it.
CLOCK_AHEAD_MARGIN: Final = timedelta(minutes=5)

# Longest network name kept: the server's are short words; anything longer is not one.
MAX_NETWORK: Final = 32

# The field holding the name the owner gave the car; it names the vehicle's device.
VEHICLE_NAME: Final = "VehicleName"

# Event-loop time one flush may spend writing states before it lets other work run and goes
# on in the next loop turn: a burst of 200 cars (a restart's backlog, a broker that thawed)
# is about 2,600 state writes, which in one go would hold the loop for 100-200 ms.
FLUSH_BUDGET: Final = 0.005

# How often the health entities (records per minute, last record) are refreshed: once a
# minute, not once per record, so a busy fleet costs no extra state writes.
HEALTH_INTERVAL: Final = timedelta(minutes=1)


# The field sets listeners follow, by field list (one per entity description).
_FOLLOWED: dict[tuple[str, ...], frozenset[str]] = {}


@dataclass
class VehicleState:
    """What is known of one vehicle: each field's newest value and the time that orders it."""

    vin: str
    fields: dict[str, TelemetryValue] = field(default_factory=dict)
    created: dict[str, datetime] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe view (diagnostics redact VINs and locations)."""
        return {
            "vin": self.vin,
            "fields": {name: repr(value) for name, value in sorted(self.fields.items())},
        }


class TelemetryHub:
    """Owns the consumer of one entry and the state of every vehicle it has heard of."""

    def __init__(self, hass: HomeAssistant, consumer: TelemetryConsumer, entry_id: str) -> None:
        """Start with no vehicles; `consumer.run(self.apply)` feeds the hub."""
        self.hass = hass
        self.entry_id = entry_id
        self.consumer = consumer
        self.vehicles: dict[str, VehicleState] = {}
        self.errors = 0
        self.stale = 0
        self.clock_ahead = 0
        self.write_errors = 0
        self._failed_updates: set[CALLBACK_TYPE] = set()
        # Per VIN: the fields each listener reads (None: any) and the listener.
        self._listeners: dict[str, list[tuple[frozenset[str] | None, CALLBACK_TYPE]]] = {}
        self._new_field_listeners: list[Callable[[str, set[str]], None]] = []
        self._forget_listeners: list[Callable[[str], None]] = []
        # VINs whose entities await a write, in arrival order, with the fields that changed
        # (None: all of the car's entities, as when the broker comes or goes); the flush works
        # through them a slice per loop turn and writes only entities reading those fields.
        self._changed: dict[str, set[str] | None] = {}
        self._new: dict[str, set[str]] = {}
        self._flush_scheduled = False
        self.flush_budget = FLUSH_BUDGET
        """Seconds of entity work one loop turn may take (at least one car's is done)."""
        self._named: set[str] = set()
        self._health_listeners: list[CALLBACK_TYPE] = []
        self.last_record: datetime | None = None
        """When the newest vehicle record was created (by the car's clock, kept believable)."""
        self.records_per_minute: int | None = None
        self._records_at_tick = 0
        consumer.on_state_change = self._connection_changed

    @property
    def connected(self) -> bool:
        """Return whether the consumer is connected to the broker."""
        return self.consumer.connected

    @property
    def available(self) -> bool:
        """Return False only once the broker was found unreachable, not while first connecting.

        Restored entities then keep their last state through a restart instead of passing
        through unavailable (which a zone trigger reads as leaving and re-entering home).
        """
        return not self.consumer.down

    @callback
    def async_add_listener(
        self, vin: str, update: CALLBACK_TYPE, fields: Iterable[str] | None = None
    ) -> CALLBACK_TYPE:
        """Call `update` when one of `fields` (None: any field) or the connection changes.

        A car's record carries the fields that changed, a handful of the dozens its entities
        read: writing only the entities that read one of them spares most writes.
        """
        followed = None
        if fields is not None:
            # One set per distinct field list, shared by every car's entities of a description.
            key = tuple(fields)
            followed = _FOLLOWED.setdefault(key, frozenset(key))
        item = (followed, update)
        self._listeners.setdefault(vin, []).append(item)
        return lambda: self._listeners[vin].remove(item)

    @callback
    def async_add_health_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` when the connection changes and at every health tick."""
        self._health_listeners.append(update)
        return lambda: self._health_listeners.remove(update)

    @callback
    def async_health_tick(self, now: datetime | None = None) -> None:
        """Work out the records of the past interval and refresh the health entities."""
        records = self.consumer.records
        self.records_per_minute = max(records - self._records_at_tick, 0)
        self._records_at_tick = records
        for update in list(self._health_listeners):
            self._update(update)

    def vehicle_name(self, vin: str) -> str | None:
        """Return the name the owner gave the car, when it sent one."""
        vehicle = self.vehicles.get(vin)
        name = None if vehicle is None else vehicle.fields.get(VEHICLE_NAME)
        return (name.strip() or None) if isinstance(name, str) else None

    @callback
    def async_add_new_field_listener(
        self, new_fields: Callable[[str, set[str]], None]
    ) -> CALLBACK_TYPE:
        """Call `new_fields(vin, names)` when a vehicle sends fields never seen from it before."""
        self._new_field_listeners.append(new_fields)
        return lambda: self._new_field_listeners.remove(new_fields)

    @callback
    def async_add_forget_listener(self, forget: Callable[[str], None]) -> CALLBACK_TYPE:
        """Call `forget(vin)` when a vehicle is forgotten, so its entities can come back."""
        self._forget_listeners.append(forget)
        return lambda: self._forget_listeners.remove(forget)

    @callback
    def async_forget(self, vin: str) -> None:
        """Drop a vehicle (its device was removed); a later record brings it back as new."""
        self.vehicles.pop(vin, None)
        self._changed.pop(vin, None)
        self._new.pop(vin, None)
        for forget in list(self._forget_listeners):
            forget(vin)

    @callback
    def apply(self, batch: list[Decoded]) -> None:
        """Apply a batch of records (called by the consumer before it commits them)."""
        for record in batch:
            if isinstance(record, VehicleData):
                self._apply_data(record)
            elif isinstance(record, Connectivity):
                self._apply_connectivity(record)
            elif isinstance(record, Alerts):
                self._apply_alerts(record)
            elif isinstance(record, Errors):
                self._apply_errors(record)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if (self._changed or self._new) and not self._flush_scheduled:
            # One write per entity per loop turn, however many records the burst held.
            self._flush_scheduled = True
            self.hass.loop.call_soon(self._flush)

    def _vehicle(self, vin: str) -> VehicleState:
        if vin not in self.vehicles:
            self.vehicles[vin] = VehicleState(vin=vin)
        return self.vehicles[vin]

    def _ordered_at(self, record: VehicleData | Connectivity) -> datetime | None:
        """Return the time that orders a record's values: its created_at, if believable.

        A created_at further than CLOCK_AHEAD_MARGIN past the record's Kafka timestamp (else
        the server's receive time, else now) would make every later record of its fields look
        stale until that moment came; such a record is ordered by the Kafka timestamp instead.
        """
        created = record.created_at
        if created is None:
            return None
        produced = record.timestamp or record.received_at or dt_util.utcnow()
        if created - produced <= CLOCK_AHEAD_MARGIN:
            return created
        self.clock_ahead += 1
        return produced

    def _apply_fields(
        self, vin: str, created: datetime | None, fields: Mapping[str, TelemetryValue]
    ) -> None:
        """Keep each field's value unless the vehicle already holds a newer one."""
        vehicle = self._vehicle(vin)
        if created is not None and (self.last_record is None or created > self.last_record):
            self.last_record = created
        changed = self._changed.setdefault(vin, set())
        for name, value in fields.items():
            known = vehicle.created.get(name)
            if known is not None and created is not None and created < known:
                self.stale += 1  # an older record redelivered or out of order: ignore
                continue
            if name not in vehicle.fields:
                self._new.setdefault(vin, set()).add(name)
            if name == VEHICLE_NAME and value != vehicle.fields.get(name):
                self._named.add(vin)
            vehicle.fields[name] = value
            if created is not None:
                vehicle.created[name] = created
            if changed is not None:
                changed.add(name)

    def _apply_data(self, record: VehicleData) -> None:
        self._apply_fields(record.vin, self._ordered_at(record), record.fields)

    def _apply_connectivity(self, record: Connectivity) -> None:
        # docs/fleet-telemetry.md#connectivity: online from the newest record, never silence.
        online = record.status is ConnectivityStatus.CONNECTED
        network = record.network_interface.strip().lower()[:MAX_NETWORK] or None
        self._apply_fields(record.vin, self._ordered_at(record), {ONLINE: online, NETWORK: network})

    def _apply_alerts(self, record: Alerts) -> None:
        for alert in record.alerts:
            self.hass.bus.async_fire(
                EVENT_VEHICLE_ALERT,
                {
                    "vin": record.vin,
                    "name": alert.name,
                    "audiences": list(alert.audiences),
                    "started_at": alert.started_at.isoformat() if alert.started_at else None,
                    "ended_at": alert.ended_at.isoformat() if alert.ended_at else None,
                    "active": alert.active,
                },
            )

    def _apply_errors(self, record: Errors) -> None:
        self.errors += len(record.errors)
        for error in record.errors:
            self.hass.bus.async_fire(
                EVENT_TELEMETRY_ERROR,
                {
                    "vin": record.vin,
                    "name": error.name,
                    "tags": dict(error.tags),
                    "body": error.body,
                    "created_at": error.created_at.isoformat() if error.created_at else None,
                },
            )

    def _rename_devices(self, vins: set[str]) -> None:
        """Name existing vehicle devices after the car, unless the user renamed them."""
        registry = dr.async_get(self.hass)
        for vin in vins:
            device = registry.async_get_device_by_identifier((DOMAIN, vin), self.entry_id)
            name = self.vehicle_name(vin)
            if device is None or name is None or device.name_by_user or device.name == name:
                continue
            registry.async_update_device(device.id, name=name)

    @callback
    def _flush(self) -> None:
        self._flush_scheduled = False
        deadline = time.perf_counter() + self.flush_budget
        while self._flush_one() and time.perf_counter() < deadline:
            pass
        self._schedule_flush()

    def _flush_one(self) -> bool:
        """Do one car's next pending work; return False when nothing was pending.

        New entities come first (Home Assistant adds them within this call, a dozen a car),
        then writes. Records arriving between two turns join the same queues, so a car still
        gets one write however many of its records came in between, and an entity added in a
        later turn reads the hub's newest values as it is added.
        """
        if self._new:
            vin = next(iter(self._new))
            names = self._new.pop(vin)
            for listener in list(self._new_field_listeners):
                listener(vin, names)
            return True
        if self._named:
            # Devices made by the listeners above take the name when their entities are added.
            named, self._named = self._named, set()
            self._rename_devices(named)
        if self._changed:
            vin = next(iter(self._changed))
            changed = self._changed.pop(vin)
            for fields, update in list(self._listeners.get(vin, ())):
                if changed is None or fields is None or not fields.isdisjoint(changed):
                    self._update(update)
            return True
        return False

    def _update(self, update: CALLBACK_TYPE) -> None:
        """Run one entity's update; its failure must not cost the others theirs."""
        try:
            update()
        except Exception:
            self.write_errors += 1
            if update not in self._failed_updates:
                self._failed_updates.add(update)
                _LOGGER.exception("Error writing a Fleet Telemetry entity's state")

    @callback
    def _connection_changed(self, connected: bool) -> None:
        for update in list(self._health_listeners):
            self._update(update)
        # Every vehicle's entities change availability: written by the flush, a slice a turn.
        self._changed.update(dict.fromkeys(self._listeners))  # None: every entity of the car
        self._schedule_flush()

    def diagnostics(self) -> dict[str, Any]:
        """Return counters and per-vehicle state (VINs and locations are redacted later)."""
        consumer = self.consumer
        return {
            "connected": consumer.connected,
            "down": consumer.down,
            "records": consumer.records,
            "malformed": consumer.malformed,
            "unknown_fields": consumer.unknown_fields,
            "rejected_values": consumer.rejected_values,
            "invalid_vin": consumer.invalid_vin,
            "skipped_vin": consumer.skipped_vin,
            "reconnects": consumer.reconnects,
            "last_error": consumer.last_error,
            "stale_records": self.stale,
            "clock_ahead_records": self.clock_ahead,
            "write_errors": self.write_errors,
            "vehicle_errors": self.errors,
            "vehicles": [vehicle.as_dict() for vehicle in self.vehicles.values()],
        }


@dataclass(kw_only=True)
class FleetTelemetryRuntime(SourceRuntime):
    """A push source: no coordinator; the hub runs the Kafka consumer until the entry unloads."""

    hub: TelemetryHub
    task: asyncio.Task[None]

    async def async_stop(self) -> None:
        """Stop the consumer cleanly, committing what it applied."""
        await self.hub.consumer.stop()
        # Home Assistant cancels background tasks as it stops, so the consumer may have ended
        # cancelled already: an unload after that must not take the cancellation for its own.
        await asyncio.wait([self.task])
        if not self.task.cancelled():
            self.task.result()  # the error the consumer ended with, if any

    def diagnostics(self) -> dict[str, Any]:
        """Return the hub's state."""
        return {"coordinators": {}, "telemetry": self.hub.diagnostics()}


type FleetTelemetryConfigEntry = ConfigEntry[FleetTelemetryRuntime]
