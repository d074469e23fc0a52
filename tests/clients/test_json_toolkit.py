"""The JSON-validation toolkit every client model reads its answers with."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import pytest

from custom_components.tesla_energy_sync.clients._json import (
    Fields,
    enum_or_none,
    finite,
    finite_text,
    loads,
)
from custom_components.tesla_energy_sync.clients.errors import ResponseError
from custom_components.tesla_energy_sync.clients.powerwall import GridExportRule, OperatingMode
from custom_components.tesla_energy_sync.clients.tesla_energy_models import (
    ExportRule,
    OperationMode,
)


class Colour(StrEnum):
    """A small enum to read."""

    RED = "red"
    BLUE = "blue"


def strict(data: Any) -> Fields:
    """Return a reader with the defaults (absent is None, nan is an error)."""
    return Fields(data, "thing", source="Svc")


def device(data: Any) -> Fields:
    """Return a reader like the Wall Connector's: keys required, nan null, 12.0 whole."""
    return Fields(data, "thing", keys_required=True, nan_is_null=True, whole_floats=True)


def test_finite_helpers() -> None:
    assert [finite(v) for v in (1, 2.5, True, "3", float("inf"), None)] == [
        1.0,
        2.5,
        None,
        None,
        None,
        None,
    ]
    assert [finite_text(t) for t in (" 3.5 ", "-1e3", "nan", "inf", "n/a")] == [
        3.5,
        -1000.0,
        None,
        None,
        None,
    ]
    assert enum_or_none(Colour, "red") is Colour.RED
    assert enum_or_none(Colour, "green") is None


def test_loads_maps_every_failure() -> None:
    assert loads(b'{"a": [1]}', what="Svc") == {"a": [1]}
    for text in ("<html>", b"\xff\xfe\xfa", "[" * 200_000, "1" * 5000):
        with pytest.raises(ResponseError, match="Svc answered with invalid JSON"):
            loads(text, what="Svc")


def test_not_an_object() -> None:
    with pytest.raises(ResponseError, match=r"^Svc thing: expected an object, got list$"):
        strict([])
    with pytest.raises(ResponseError, match=r"^thing: expected an object, got NoneType$"):
        Fields(None, "thing")


def test_required_reads() -> None:
    obj = strict(
        {
            "s": "x",
            "b": False,
            "n": 2,
            "i": 7,
            "d": "3.25",
            "e": "blue",
            "day": "2026-01-15",
            "at": "2026-01-15T12:00:00+10:00",
            "l": [1, "a"],
        }
    )
    assert obj.text("s") == "x"
    assert obj.flag("b") is False
    assert obj.number("n") == 2.0
    assert isinstance(obj.number("n"), float)
    assert obj.integer("i") == 7
    assert obj.decimal("d") == 3.25
    assert obj.enum("e", Colour) is Colour.BLUE
    assert obj.date("day") == dt.date(2026, 1, 15)
    assert obj.timestamp("at") == dt.datetime(
        2026, 1, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=10))
    )
    assert obj.timestamp("at", utc=True) == dt.datetime(2026, 1, 15, 2, tzinfo=dt.UTC)
    assert obj.array("l", of=(int, str)) == [1, "a"]
    assert "s" in obj
    assert "z" not in obj


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda o: o.text("absent"), "Svc thing: missing field 'absent'"),
        (lambda o: o.text("null"), "field 'null': expected a string, got null"),
        (lambda o: o.text("num"), "expected a string, got 1.5"),
        (lambda o: o.flag("num"), "expected a boolean, got 1.5"),
        (lambda o: o.number("yes"), "expected a number, got true"),
        (lambda o: o.number("inf"), "expected a finite number, got Infinity"),
        (lambda o: o.number("null"), "expected a number, got null"),
        (lambda o: o.integer("num"), "expected an integer, got 1.5"),
        (lambda o: o.integer("whole"), "expected an integer, got 12.0"),
        (lambda o: o.integer("yes"), "expected an integer, got true"),
        (lambda o: o.decimal("word"), 'expected a finite number, got "n/a"'),
        (lambda o: o.decimal("yes"), "expected a numeric string, got true"),
        (lambda o: o.decimal("list"), "expected a numeric string, got a list"),
        (lambda o: o.decimal("null"), "expected a numeric string, got null"),
        (lambda o: o.enum("word", Colour), "field 'word': unknown value \"n/a\""),
        (lambda o: o.date("word"), "bad date"),
        (lambda o: o.timestamp("word"), "bad timestamp"),
        (lambda o: o.timestamp("naive"), "timestamp without offset"),
        (lambda o: o.array("word"), 'expected a list, got "n/a"'),
        (lambda o: o.array("list", of=(int,)), "expected a list of integers$"),
        (lambda o: o.array("bools", of=(int, str)), "expected a list of integers or strings$"),
        (lambda o: o.array("null", noun="codes"), "expected a list of codes, got null"),
        (lambda o: o.opt_object("list"), "expected an object, got a list"),
        (lambda o: o.integer("long"), r"got \"x{36}\.\.\.$"),
    ],
)
def test_wrong_shapes(read: Any, message: str) -> None:
    obj = strict(
        {
            "null": None,
            "num": 1.5,
            "whole": 12.0,
            "yes": True,
            "inf": float("inf"),
            "word": "n/a",
            "naive": "2026-01-15T12:00:00",
            "list": [1, {"a": 1}],
            "bools": [1, True],
            "long": "x" * 80,
        }
    )
    with pytest.raises(ResponseError, match=message):
        read(obj)


def test_optional_reads() -> None:
    obj = strict({"null": None, "word": "n/a", "e": "red", "naive": "2026-01-15T12:00:00"})
    for read in (
        obj.opt_text,
        obj.opt_flag,
        obj.opt_number,
        obj.opt_integer,
        obj.opt_decimal,
        obj.opt_date,
        obj.opt_timestamp,
        obj.opt_array,
        obj.opt_object,
    ):
        assert read("null") is None
        assert read("absent") is None
    assert obj.opt_enum("null", Colour) is None
    assert obj.opt_enum("word", Colour) is None  # a value added later is no error
    assert obj.opt_enum("e", Colour) is Colour.RED
    naive = obj.opt_timestamp("naive", aware=False)
    assert naive is not None
    assert (naive.tzinfo, naive.isoformat()) == (None, "2026-01-15T12:00:00")
    assert obj.opt_object("absent") is None
    with pytest.raises(ResponseError, match="missing field 'absent'"):
        obj.opt_text("absent", must_exist=True)


def test_device_policy() -> None:
    obj = device({"nan": None, "inf": float("-inf"), "whole": 12.0, "half": 0.5, "n": 3})
    assert obj.opt_number("nan") is None
    assert obj.opt_number("inf") is None
    assert obj.opt_integer("inf") is None
    assert obj.opt_integer("whole") == 12
    assert isinstance(obj.opt_integer("whole"), int)
    assert obj.integer("n") == 3
    with pytest.raises(ResponseError, match=r"expected an integer, got 0\.5"):
        obj.opt_integer("half")
    with pytest.raises(ResponseError, match="expected an integer, got -Infinity"):
        obj.integer("inf")
    with pytest.raises(ResponseError, match=r"^thing: missing field 'absent'$"):
        obj.opt_number("absent")
    assert obj.opt_number("absent", must_exist=False) is None
    whole_only = Fields({"inf": float("inf")}, "thing", whole_floats=True)
    with pytest.raises(ResponseError, match="expected an integer, got Infinity"):
        whole_only.opt_integer("inf")


def test_one_definition_of_the_shared_settings() -> None:
    assert OperationMode is OperatingMode
    assert ExportRule is GridExportRule
    assert [str(mode) for mode in OperatingMode] == ["self_consumption", "backup", "autonomous"]
    assert [str(rule) for rule in GridExportRule] == ["battery_ok", "pv_only", "never"]
