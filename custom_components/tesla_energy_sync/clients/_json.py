"""Typed reads of the JSON objects services answer with; every wrong shape is a ResponseError."""

from __future__ import annotations

from collections.abc import Mapping
import datetime as dt
from enum import Enum
import json
import math
from typing import Any

from .errors import ResponseError

# Long enough to recognise a value in an error message, short enough to keep logs tidy.
_SHOWN_CHARS = 40
_NUMBER_TYPES = (int, float)
_TYPE_NOUNS: dict[type, str] = {int: "integers", str: "strings", float: "numbers", bool: "booleans"}


def finite(value: Any) -> float | None:
    """Return value as a float when it is a finite JSON number (booleans excluded), else None."""
    if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def finite_text(text: str) -> float | None:
    """Return a decimal string as a finite float; unparsable text, nan and inf are None."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def enum_or_none[E: Enum](enum: type[E], value: Any) -> E | None:
    """Return the member with this value, or None for a value the enum does not know."""
    try:
        return enum(value)
    except ValueError:
        return None


def loads(text: str | bytes, *, what: str) -> Any:
    """Decode JSON; invalid or absurdly nested text is a ResponseError naming `what`."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        # ValueError covers JSONDecodeError and undecodable bytes; nesting deeper than the
        # interpreter's stack raises RecursionError, which is a malformed body too.
        raise ResponseError(f"{what} answered with invalid JSON: {err}") from err


def _shown(value: Any) -> str:
    """Describe a JSON value briefly for an error message."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


class Fields:
    """Typed reads of one JSON object's fields: `X(key)` needs a value, `opt_X(key)` allows none."""

    # opt_X returns None for null, and for an absent key unless `must_exist` (by default
    # the reader's `keys_required`: some services always send every key, null when they
    # lack a value, so a missing key there means the shape changed).
    __slots__ = ("_keys_required", "_label", "_nan_is_null", "_whole_floats", "data")

    def __init__(
        self,
        data: Any,
        what: str,
        *,
        source: str = "",
        keys_required: bool = False,
        nan_is_null: bool = False,
        whole_floats: bool = False,
    ) -> None:
        """Check that data is a JSON object; `source` and `what` name it in errors."""
        # nan_is_null: devices that print nan for readings they lack; elsewhere a
        # non-finite number is a broken answer. whole_floats: 12.0 where an int belongs.
        self._label = f"{source} {what}".strip()
        if not isinstance(data, Mapping):
            raise ResponseError(f"{self._label}: expected an object, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self._keys_required = keys_required
        self._nan_is_null = nan_is_null
        self._whole_floats = whole_floats

    def __contains__(self, key: str) -> bool:
        """Return whether the key is present, even as null."""
        return key in self.data

    def error(self, message: str) -> ResponseError:
        """Return a ResponseError about this object."""
        return ResponseError(f"{self._label}: {message}")

    def _wrong(self, key: str, expected: str, value: Any) -> ResponseError:
        """Return the error for a value of the wrong type."""
        return self.error(f"field {key!r}: expected {expected}, got {_shown(value)}")

    def _value(self, key: str, *, must_exist: bool | None) -> Any:
        """Return the raw value; an absent key is None unless it must exist."""
        if key not in self.data:
            if self._keys_required if must_exist is None else must_exist:
                raise self.error(f"missing field {key!r}")
            return None
        return self.data[key]

    def _required[T](self, key: str, value: T | None, expected: str) -> T:
        """Return value, or raise when an optional read found nothing."""
        if value is None:
            raise self._wrong(key, expected, self.data.get(key))
        return value

    # --- strings and flags -------------------------------------------------------------

    def opt_text(self, key: str, *, must_exist: bool | None = None) -> str | None:
        """Return a string field."""
        value = self._value(key, must_exist=must_exist)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, "a string", value)
        return value

    def text(self, key: str) -> str:
        """Return a required string field."""
        return self._required(key, self.opt_text(key, must_exist=True), "a string")

    def opt_flag(self, key: str, *, must_exist: bool | None = None) -> bool | None:
        """Return a boolean field."""
        value = self._value(key, must_exist=must_exist)
        if value is not None and not isinstance(value, bool):
            raise self._wrong(key, "a boolean", value)
        return value

    def flag(self, key: str) -> bool:
        """Return a required boolean field."""
        return self._required(key, self.opt_flag(key, must_exist=True), "a boolean")

    # --- numbers -----------------------------------------------------------------------

    def opt_number(self, key: str, *, must_exist: bool | None = None) -> float | None:
        """Return a finite number field as a float."""
        value = self._value(key, must_exist=must_exist)
        if value is None:
            return None
        # bool is an int subclass; true/false here means the shape is wrong.
        if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
            raise self._wrong(key, "a number", value)
        number = finite(value)
        if number is None and not self._nan_is_null:
            raise self._wrong(key, "a finite number", value)
        return number

    def number(self, key: str) -> float:
        """Return a required finite number field as a float."""
        return self._required(key, self.opt_number(key, must_exist=True), "a number")

    def opt_integer(self, key: str, *, must_exist: bool | None = None) -> int | None:
        """Return an integer field."""
        value = self._value(key, must_exist=must_exist)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if not self._whole_floats or not isinstance(value, float):
            raise self._wrong(key, "an integer", value)
        if not math.isfinite(value):
            if self._nan_is_null:
                return None
            raise self._wrong(key, "an integer", value)
        if not value.is_integer():
            raise self._wrong(key, "an integer", value)
        return int(value)

    def integer(self, key: str) -> int:
        """Return a required integer field."""
        return self._required(key, self.opt_integer(key, must_exist=True), "an integer")

    def opt_decimal(self, key: str, *, must_exist: bool | None = None) -> float | None:
        """Return a finite number sent as a number or as a numeric string ("3.5")."""
        value = self._value(key, must_exist=must_exist)
        if value is None:
            return None
        if isinstance(value, str):
            number = finite_text(value)
        elif isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
            raise self._wrong(key, "a numeric string", value)
        else:
            number = finite(value)
        if number is None:
            raise self._wrong(key, "a finite number", value)
        return number

    def decimal(self, key: str) -> float:
        """Return a required finite number sent as a number or as a numeric string."""
        return self._required(key, self.opt_decimal(key, must_exist=True), "a numeric string")

    # --- enums -------------------------------------------------------------------------

    def enum[E: Enum](self, key: str, enum: type[E]) -> E:
        """Return a required enum field; a value the enum does not know is an error."""
        value = self.text(key)
        member = enum_or_none(enum, value)
        if member is None:
            raise self.error(f"field {key!r}: unknown value {_shown(value)}")
        return member

    def opt_enum[E: Enum](self, key: str, enum: type[E]) -> E | None:
        """Return an enum field; values the service added later read as None, not as errors."""
        value = self.opt_text(key)
        return None if value is None else enum_or_none(enum, value)

    # --- dates and times ---------------------------------------------------------------

    def opt_date(self, key: str) -> dt.date | None:
        """Return an ISO date field (2026-01-15)."""
        value = self.opt_text(key)
        return None if value is None else self._date(key, value)

    def date(self, key: str) -> dt.date:
        """Return a required ISO date field."""
        return self._date(key, self.text(key))

    def _date(self, key: str, value: str) -> dt.date:
        """Parse an ISO date."""
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.error(f"field {key!r}: bad date {_shown(value)}") from None

    def opt_timestamp(
        self, key: str, *, aware: bool = True, utc: bool = False
    ) -> dt.datetime | None:
        """Return an ISO timestamp; `aware` demands an offset, `utc` converts to UTC."""
        value = self.opt_text(key)
        return None if value is None else self._timestamp(key, value, aware=aware, utc=utc)

    def timestamp(self, key: str, *, utc: bool = False) -> dt.datetime:
        """Return a required ISO timestamp that carries an offset."""
        return self._timestamp(key, self.text(key), aware=True, utc=utc)

    def _timestamp(self, key: str, value: str, *, aware: bool, utc: bool) -> dt.datetime:
        """Parse an ISO timestamp."""
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise self.error(f"field {key!r}: bad timestamp {_shown(value)}") from None
        if moment.tzinfo is None:
            if aware:
                raise self.error(f"field {key!r}: timestamp without offset {_shown(value)}")
            return moment
        return moment.astimezone(dt.UTC) if utc else moment

    # --- containers --------------------------------------------------------------------

    def opt_array(
        self,
        key: str,
        *,
        of: tuple[type, ...] = (),
        noun: str = "",
        must_exist: bool | None = None,
    ) -> list[Any] | None:
        """Return a list field; with `of`, every item must be one of those types."""
        value = self._value(key, must_exist=must_exist)
        if value is None:
            return None
        wanted = noun or " or ".join(_TYPE_NOUNS.get(kind, kind.__name__) for kind in of)
        if not isinstance(value, list):
            raise self._wrong(key, f"a list of {wanted}" if of else "a list", value)
        if of and not all(_is_a(item, of) for item in value):
            raise self.error(f"field {key!r}: expected a list of {wanted}")
        return value

    def array(self, key: str, *, of: tuple[type, ...] = (), noun: str = "") -> list[Any]:
        """Return a required list field."""
        value = self.opt_array(key, of=of, noun=noun, must_exist=True)
        return self._required(key, value, f"a list of {noun}" if noun else "a list")

    def opt_object(self, key: str, *, must_exist: bool | None = None) -> Mapping[str, Any] | None:
        """Return a nested object field."""
        value = self._value(key, must_exist=must_exist)
        if value is not None and not isinstance(value, Mapping):
            raise self._wrong(key, "an object", value)
        return value


def _is_a(item: Any, kinds: tuple[type, ...]) -> bool:
    """Return whether item is of one of the JSON kinds; a boolean is no integer."""
    if isinstance(item, bool) and bool not in kinds:
        return False
    return isinstance(item, kinds)
