"""The registry of sources: every kind is complete (flow, strings, platforms, redaction)."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from pathlib import Path

from homeassistant.config_entries import ConfigFlow
import pytest

from custom_components.tesla_energy_sync import PLATFORMS
from custom_components.tesla_energy_sync.config_flow import TesConfigFlow
from custom_components.tesla_energy_sync.const import EntryKind
from custom_components.tesla_energy_sync.diagnostics import TO_REDACT
from custom_components.tesla_energy_sync.registry import SOURCES
from custom_components.tesla_energy_sync.runtime import SourceSpec

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "tesla_energy_sync"
STRINGS = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))


def test_every_kind_is_registered() -> None:
    """Each entry kind has exactly one spec, keyed by its own kind."""
    assert set(SOURCES) == set(EntryKind)
    assert all(kind is spec.kind for kind, spec in SOURCES.items())


@pytest.fixture(params=list(SOURCES.values()), ids=[str(kind) for kind in SOURCES])
def spec(request: pytest.FixtureRequest) -> SourceSpec:
    """Each registered source in turn."""
    source: SourceSpec = request.param
    return source


def test_menu_and_first_step(spec: SourceSpec) -> None:
    """The menu offers the source, in words, and the flow has the step the menu opens."""
    assert spec.kind in STRINGS["config"]["step"]["user"]["menu_options"]
    assert issubclass(spec.flow, ConfigFlow)
    assert issubclass(TesConfigFlow, spec.flow)
    step = f"async_step_{spec.kind}"
    assert callable(getattr(spec.flow, step, None)), f"{spec.flow.__name__} lacks {step}"


def test_reauth_and_reconfigure_belong_to_the_flow(spec: SourceSpec) -> None:
    """The entry points the spec names are steps of its own flow (the config flow calls them)."""
    for entry_point in (spec.reauth, spec.reconfigure):
        if entry_point is None:
            continue
        owner = entry_point.__qualname__.split(".")[0]
        assert owner in {cls.__name__ for cls in spec.flow.__mro__}
    assert spec.reconfigure is not None, "every source can be reconfigured"


def test_options_have_strings(spec: SourceSpec) -> None:
    """A source with options has their form in strings.json."""
    if spec.options_flow is None:
        return
    assert STRINGS["options"]["step"], "options steps are translated"
    assert callable(getattr(spec.options_flow, "async_step_init", None))


def test_platforms_are_forwarded_and_translated(spec: SourceSpec) -> None:
    """Each platform a source declares is forwarded, has a module, and names known strings."""
    for platform in {*spec.descriptions, *spec.platform_setup}:
        assert platform in PLATFORMS
        module = importlib.import_module(f"custom_components.tesla_energy_sync.{platform}")
        assert callable(module.async_setup_entry)
    for platform, descriptions in spec.descriptions.items():
        assert descriptions, f"{spec.kind} declares {platform} with no descriptions"
        for description in descriptions:
            assert description.translation_key in STRINGS["entity"][str(platform)], (
                f"{spec.kind}: {platform}.{description.translation_key} has no name"
            )
            assert callable(description.coordinator_fn)


def _secret_fields(module_name: str) -> set[str]:
    """Return the keys a flow module asks for with a password selector."""
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(value, ast.Name) and value.id == "PASSWORD"):
                continue
            assert isinstance(key, ast.Call), ast.unparse(node)
            assert key.args, ast.unparse(node)
            arg = key.args[0]
            name = arg.value if isinstance(arg, ast.Constant) else getattr(module, ast.unparse(arg))
            found.add(str(name))
    return found


def test_redaction_covers_the_source(spec: SourceSpec) -> None:
    """Diagnostics redact the source's own keys and every secret its forms ask for."""
    assert spec.redact <= TO_REDACT
    modules = {spec.flow.__module__}
    if spec.options_flow is not None:
        modules.add(spec.options_flow.__module__)
    for module in modules:
        assert _secret_fields(module) <= TO_REDACT, module
