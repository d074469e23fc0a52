"""The manifest installs what the code imports, at the versions the tests ran with."""

from __future__ import annotations

import ast
from functools import cache
from importlib import metadata
import json
from pathlib import Path, PurePosixPath
import re
import sys

import homeassistant
from packaging.requirements import Requirement

PACKAGE = Path(__file__).parents[1] / "custom_components" / "tesla_energy_sync"
ROOT = Path(__file__).parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _manifest_requirements() -> list[str]:
    manifest = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    return list(manifest["requirements"])


def _requires(distribution: str) -> set[str]:
    return {_name(r) for r in metadata.requires(distribution) or [] if "extra ==" not in r}


def _closure(roots: set[str]) -> set[str]:
    """Return the distributions `roots` install, themselves included."""
    seen: set[str] = set()
    pending = set(roots)
    while pending:
        name = pending.pop()
        seen.add(name)
        try:
            pending |= _requires(name) - seen
        except metadata.PackageNotFoundError:
            continue  # a marker-excluded requirement (another platform or Python)
    return seen


def _imported_modules() -> set[str]:
    """Return the dotted third-party modules the integration imports."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    local = {*sys.stdlib_module_names, "homeassistant", "custom_components"}
    return {name for name in names if name.split(".")[0] not in local}


@cache
def _package_owners() -> dict[str, frozenset[str]]:
    """Map each installed package or module (dotted) to the distributions shipping it."""
    owners: dict[str, set[str]] = {}
    for distribution in metadata.distributions():
        for file in distribution.files or ():
            parts = PurePosixPath(str(file)).parts
            if not parts[-1].endswith(".py") or ".." in parts or parts[0].endswith(".data"):
                continue
            # Every package directory on the path and the module itself; namespace packages
            # (google) are shared, so the deepest one found decides.
            names = [*parts[:-1], parts[-1].removesuffix(".py")]
            for depth in range(1, len(names) + 1):
                dotted = ".".join(name for name in names[:depth] if name != "__init__")
                owners.setdefault(dotted, set()).add(_name(distribution.metadata["Name"]))
    return {module: frozenset(names) for module, names in owners.items()}


def _owners(module: str) -> frozenset[str]:
    """Return the distributions that ship `module`, by its deepest installed package."""
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        if found := _package_owners().get(".".join(parts[:depth])):
            return found
    return frozenset()


def _not_installed(requirements: list[str]) -> dict[str, frozenset[str]]:
    """Return the imported modules that neither `requirements` nor Home Assistant install.

    A requirement's own dependencies do not count: they are its choice and may change or go,
    so a module the integration imports directly must be named in the manifest itself.
    """
    provided = {_name(requirement) for requirement in requirements} | _closure({"homeassistant"})
    return {
        module: owners
        for module in sorted(_imported_modules())
        if not (owners := _owners(module)) & provided
    }


def test_manifest_requirements_are_the_tested_pins() -> None:
    """Each requirement is pinned exactly as requirements_test.txt installs it."""
    tested = {
        line.strip()
        for line in (ROOT / "requirements_test.txt").read_text(encoding="utf-8").splitlines()
    }
    requirements = _manifest_requirements()
    assert requirements
    for requirement in requirements:
        assert "==" in requirement
        assert requirement in tested


def test_every_third_party_import_is_a_direct_requirement_or_home_assistants() -> None:
    """aiokafka, protobuf and pypowerwall are named in the manifest; the rest come with HA."""
    assert _not_installed(_manifest_requirements()) == {}


def test_a_module_reached_only_through_another_requirement_is_caught() -> None:
    """Without protobuf in the manifest, google.protobuf (a pypowerwall dependency) fails."""
    without = [r for r in _manifest_requirements() if _name(r) != "protobuf"]
    assert "protobuf" in _closure({_name(r) for r in without})
    missing = _not_installed(without)
    assert missing
    assert all(module.startswith("google.protobuf") for module in missing)
    assert set(missing.values()) == {frozenset({"protobuf"})}


def test_pins_satisfy_home_assistants_constraints_and_each_other() -> None:
    """A pin outside Home Assistant's constraints (or a sibling's range) cannot install."""
    constraints_file = Path(homeassistant.__file__).parent / "package_constraints.txt"
    constraints = [
        Requirement(line)
        for raw in constraints_file.read_text(encoding="utf-8").splitlines()
        if (line := raw.split("#", 1)[0].strip())
    ]
    pins = {_name(r): Requirement(r) for r in _manifest_requirements()}
    versions = {name: next(iter(pin.specifier)).version for name, pin in pins.items()}
    declared_ranges = [
        Requirement(dependency)
        for name in pins
        for dependency in metadata.requires(name) or []
        if "extra ==" not in dependency
    ]
    for rule in (*constraints, *declared_ranges):
        if (name := _name(rule.name)) in versions and (
            rule.marker is None or rule.marker.evaluate()
        ):
            assert rule.specifier.contains(versions[name], prereleases=True), (rule, versions)
