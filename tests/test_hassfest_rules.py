"""Home Assistant's hassfest and HACS rules for the manifest, translations and repository.

The rules mirror hassfest's script/hassfest/manifest.py and translations.py (Home Assistant
core), which the hassfest action applies to this repository, so a break shows up here first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
import string
from typing import Any
from urllib.parse import urlparse

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.helpers import config_validation as cv
from homeassistant.util.yaml import load_yaml_dict
import probatio
import pytest

ROOT = Path(__file__).parents[1]
INTEGRATION = ROOT / "custom_components" / "tesla_energy_sync"
TRANSLATION_FILES = ("strings.json", "translations/en.json")

# manifest.py: the schema's keys (a custom integration adds version and import_executor).
MANIFEST_KEYS = {
    *("domain", "name", "integration_type", "config_flow", "mqtt", "zeroconf", "ssdp"),
    *("bluetooth", "homekit", "dhcp", "usb", "documentation", "issue_tracker", "quality_scale"),
    *("requirements", "dependencies", "after_dependencies", "codeowners", "loggers"),
    *("disabled", "iot_class", "single_config_entry", "version", "import_executor"),
}
# hassfest requires domain, name, documentation, codeowners, iot_class and (custom) version;
# HACS adds issue_tracker, and every entry kind here is set up by the config flow.
REQUIRED_MANIFEST_KEYS = (
    *("domain", "name", "version", "iot_class", "documentation", "codeowners"),
    *("issue_tracker", "config_flow"),
)
IOT_CLASSES = {
    *("assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling"),
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
HACS_KEYS = {
    *("name", "content_in_root", "country", "filename", "hacs", "hide_default_branch"),
    *("homeassistant", "persistent_directory", "render_readme", "zip_release"),
}

# translations.py: what a translated string and a translation key may be.
HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def _manifest() -> dict[str, Any]:
    return json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _strings(name: str = "strings.json") -> dict[str, Any]:
    return json.loads((INTEGRATION / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _text(value: Any, *, placeholders: bool = True) -> str:
    """Validate one translated string the way hassfest does."""
    if not isinstance(value, str) or not value:
        raise probatio.Invalid("expected a non-empty string")
    if HTML.search(value):
        raise probatio.Invalid("the string should not contain HTML")
    if QUOTED_PLACEHOLDER.search(value):
        raise probatio.Invalid("placeholders should not be inside single quotes")
    try:
        fields = _placeholders(value)
    except ValueError as err:
        raise probatio.Invalid(f"unbalanced braces: {err}") from err
    if fields and not placeholders:
        raise probatio.Invalid("placeholders are not supported in this value")
    if not all(field.isidentifier() for field in fields):
        raise probatio.Invalid("placeholders must be valid identifiers")
    if COMBINED_REFERENCE.search(value):
        raise probatio.Invalid("the string should not contain combined translations")
    if value != value.strip():
        raise probatio.Invalid("the string should not have leading or trailing spaces")
    if URL.search(value):
        raise probatio.Invalid("the string should not contain URLs; use a placeholder")
    return value


def _plain(value: Any) -> str:
    return _text(value, placeholders=False)


def _key(value: Any) -> str:
    if not isinstance(value, str) or TRANSLATION_KEY.match(value) is None:
        raise probatio.Invalid(f"invalid translation key {value!r}")
    return value


def _slug_keys(schema: Any, key: Any = _key) -> Any:
    return cv.schema_with_slug_keys(schema, slug_validator=key)


def _descriptions_name_fields(step: dict[str, Any]) -> None:
    """Each data_description key describes a field of the same step's (or section's) data."""
    for part in (step, *step.get("sections", {}).values()):
        for field in part.get("data_description", {}):
            if field not in part.get("data", {}):
                raise probatio.Invalid(f"data_description key {field} is not in data")


def _flow(value: dict[str, Any]) -> dict[str, Any]:
    """Validate a config, options or repair flow's strings."""
    fields = {str: _text}
    section = {
        probatio.Optional("name"): _text,
        probatio.Optional("description"): _text,
        probatio.Optional("data"): fields,
        probatio.Optional("data_description"): fields,
    }
    step = {
        probatio.Optional("title"): _text,
        probatio.Optional("description"): _text,
        probatio.Optional("data"): fields,
        probatio.Optional("data_description"): fields,
        probatio.Optional("menu_options"): fields,
        probatio.Optional("menu_option_descriptions"): fields,
        probatio.Optional("submit"): _text,
        probatio.Optional("sections"): {str: section},
    }
    checked: dict[str, Any] = probatio.Schema(
        {
            probatio.Optional("flow_title"): _text,
            probatio.Required("step"): {str: step},
            probatio.Optional("error"): fields,
            probatio.Optional("abort"): fields,
            probatio.Optional("progress"): fields,
            probatio.Optional("create_entry"): fields,
            probatio.Optional("initiate_flow"): {probatio.Required("user"): _text},
        }
    )(value)
    for step_strings in checked["step"].values():
        _descriptions_name_fields(step_strings)
    return checked


STATES = _slug_keys(_plain)
STRINGS_SCHEMA = probatio.Schema(
    {
        probatio.Optional("title"): _text,
        probatio.Optional("application_credentials"): {probatio.Optional("description"): _text},
        probatio.Optional("config"): _flow,
        probatio.Optional("options"): _flow,
        probatio.Optional("entity"): _slug_keys(
            _slug_keys(
                {
                    probatio.Optional("name"): _text,
                    probatio.Optional("state"): STATES,
                    probatio.Optional("state_attributes"): _slug_keys(
                        {probatio.Optional("name"): _plain, probatio.Optional("state"): STATES}
                    ),
                    probatio.Optional("unit_of_measurement"): _plain,
                }
            ),
            cv.slug,
        ),
        probatio.Optional("device"): _slug_keys({probatio.Optional("name"): _text}),
        probatio.Optional("exceptions"): _slug_keys({probatio.Optional("message"): _text}, cv.slug),
        probatio.Optional("issues"): {
            str: probatio.All(
                cv.has_at_least_one_key("description", "fix_flow"),
                probatio.Schema(
                    {
                        probatio.Required("title"): _text,
                        probatio.Exclusive("description", "fixable"): _text,
                        probatio.Exclusive("fix_flow", "fixable"): _flow,
                    }
                ),
            )
        },
        probatio.Optional("services"): _slug_keys(
            {
                probatio.Required("name"): _text,
                probatio.Required("description"): _text,
                probatio.Optional("fields"): _slug_keys(
                    {
                        probatio.Required("name"): _text,
                        probatio.Required("description"): _text,
                        probatio.Optional("example"): _text,
                    }
                ),
                probatio.Optional("sections"): _slug_keys(
                    {probatio.Required("name"): _text, probatio.Optional("description"): _text}
                ),
            }
        ),
        probatio.Optional("selector"): _slug_keys(
            {
                probatio.Optional("options"): _slug_keys(_text),
                probatio.Optional("unit_of_measurement"): _slug_keys(_text),
            },
            probatio.Any("_", cv.slug),
        ),
        probatio.Optional("system_health"): {probatio.Optional("info"): _slug_keys(_text)},
    }
)


def _leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path, node


def _all_keys(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key), key
            yield from _all_keys(value, (*path, key))


# ---------------------------------------------------------------------------------------------
# manifest.json


def test_manifest_keys_are_in_hassfest_order() -> None:
    """Domain, name, then the other keys alphabetically (hassfest's sort_manifest)."""
    keys = list(_manifest())
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_has_the_required_keys_and_no_others() -> None:
    """The keys hassfest and HACS require are there, and hassfest's schema knows every key."""
    manifest = _manifest()
    assert [key for key in REQUIRED_MANIFEST_KEYS if not manifest.get(key)] == []
    assert set(manifest) <= MANIFEST_KEYS
    assert manifest["domain"] == INTEGRATION.name
    assert manifest["config_flow"] is True


def test_manifest_values_are_valid() -> None:
    """iot_class, integration_type, version, URLs and DHCP matchers pass hassfest's checks."""
    manifest = _manifest()
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest.get("integration_type", "hub") in INTEGRATION_TYPES
    AwesomeVersion(
        manifest["version"],
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )
    for key in ("documentation", "issue_tracker"):
        url = urlparse(manifest[key])
        assert url.scheme == "https"
        assert url.netloc
    assert all(isinstance(owner, str) and owner.startswith("@") for owner in manifest["codeowners"])
    for key in ("requirements", "dependencies", "after_dependencies", "loggers"):
        assert all(isinstance(item, str) for item in manifest.get(key, []))
    for matcher in manifest.get("dhcp", []):
        assert set(matcher) <= {"hostname", "macaddress", "registered_devices"}
        if "macaddress" in matcher:
            assert matcher["macaddress"] == matcher["macaddress"].upper()
            assert "*" in matcher["macaddress"]
        if "hostname" in matcher:
            assert matcher["hostname"] == matcher["hostname"].lower()


# ---------------------------------------------------------------------------------------------
# strings.json and translations/en.json


@pytest.mark.parametrize("name", TRANSLATION_FILES)
def test_translations_pass_hassfest_schema(name: str) -> None:
    """Known sections only; no HTML, URLs, padding or bad placeholders; slug keys."""
    STRINGS_SCHEMA(_strings(name))


@pytest.mark.parametrize("name", TRANSLATION_FILES)
def test_every_key_is_a_translation_key(name: str) -> None:
    """Every key, whatever its level, is lowercase [a-z0-9_-] without edge or double - and _."""
    bad = [path for path, key in _all_keys(_strings(name)) if not TRANSLATION_KEY.match(key)]
    assert bad == []


@pytest.mark.parametrize("name", TRANSLATION_FILES)
def test_no_references_in_shipped_text(name: str) -> None:
    """Only core's build resolves [%key:...] references; a custom integration shows them raw."""
    referencing = [path for path, text in _leaves(_strings(name)) if "[%key:" in str(text)]
    assert referencing == []


def test_every_service_and_field_is_translated() -> None:
    """Each service and field of services.yaml has a name and a description (hassfest)."""
    services: dict[str, Any] = load_yaml_dict(INTEGRATION / "services.yaml")
    strings = _strings()["services"]
    assert set(services) == set(strings)
    for service, spec in services.items():
        assert set((spec or {}).get("fields", {})) == set(strings[service].get("fields", {}))


# ---------------------------------------------------------------------------------------------
# Placeholders: every string shown by a call gets each placeholder it names from that call.


def _constants(node: ast.expr | None) -> set[str] | None:
    """Return the strings an expression can be, if it is a literal (or a choice of two)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _constants(node.body), _constants(node.orelse)
        if body is not None and orelse is not None:
            return body | orelse
    return None


def _dict_keys(node: ast.expr | None) -> set[str] | None:
    """Return a placeholders argument's keys; None when they are not literal."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return set()
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return {str(k.value) for k in node.keys if isinstance(k, ast.Constant)}
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _shown() -> Iterator[tuple[tuple[str, ...], set[str], str]]:
    """Yield (strings path, placeholders passed, call site) for calls resolvable statically.

    Calls that pass a variable step id or placeholders built elsewhere are skipped: the
    strings they show are checked wherever a literal call shows them too.
    """
    for path in INTEGRATION.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = f"{path.relative_to(INTEGRATION)}"
        for cls in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
            flow = (
                "options" if any("OptionsFlow" in ast.unparse(b) for b in cls.bases) else "config"
            )
            for call in (node for node in ast.walk(cls) if isinstance(node, ast.Call)):
                method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
                section, id_kw = {
                    "async_show_form": ("step", "step_id"),
                    "async_show_menu": ("step", "step_id"),
                    "async_abort": ("abort", "reason"),
                }.get(method, ("", ""))
                ids = _constants(_keyword(call, id_kw)) if section else None
                passed = _dict_keys(_keyword(call, "description_placeholders"))
                if ids is not None and passed is not None:
                    for step_id in ids:
                        yield (flow, section, step_id), passed, f"{where}:{call.lineno}"
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            keys = _constants(_keyword(call, "translation_key"))
            passed = _dict_keys(_keyword(call, "translation_placeholders"))
            callee = ast.unparse(call.func)
            if _keyword(call, "translation_domain") is not None:
                section = "exceptions"
            elif callee.endswith("async_create_issue"):
                section = "issues"
            else:
                continue
            if keys is not None and passed is not None:
                for key in keys:
                    yield (section, key), passed, f"{where}:{call.lineno}"


def test_placeholders_are_passed_by_every_call_that_shows_them() -> None:
    """A step, abort, exception or issue names only placeholders each of its callers passes.

    A step shared by several sources (reconfigure) must not name one that some source omits,
    or the form shows the literal {name}.
    """
    strings = _strings()
    checked: set[tuple[str, ...]] = set()
    missing: list[str] = []
    for path, passed, where in _shown():
        node: Any = strings
        for part in path:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        used = set().union(*(_placeholders(str(text)) for _, text in _leaves(node)))
        checked.add(path)
        if used - passed:
            missing.append(f"{where} shows {'.'.join(path)} without {sorted(used - passed)}")
    assert missing == []
    assert {("config", "step", "reconfigure"), ("issues", "tou_sync_failed")} <= checked


# ---------------------------------------------------------------------------------------------
# HACS


def test_hacs_json_has_only_known_keys() -> None:
    """HACS rejects a hacs.json with keys it does not know; name is required."""
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert hacs["name"]
    assert set(hacs) <= HACS_KEYS


def test_repository_has_a_licence() -> None:
    """HACS requires a licence file at the repository root."""
    licence = ROOT / "LICENSE"
    assert licence.is_file()
    assert "Permission is hereby granted" in licence.read_text(encoding="utf-8")
