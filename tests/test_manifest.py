"""The manifest installs what the code imports, at the versions the tests ran with."""

from __future__ import annotations

import ast
from importlib import metadata
import json
from pathlib import Path
import re
import sys

PACKAGE = Path(__file__).parents[1] / "custom_components" / "tesla_energy_sync"
ROOT = Path(__file__).parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


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


def _imported_top_level() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"homeassistant", "custom_components"}


def test_manifest_requirements_are_the_tested_pins() -> None:
    """Each requirement is pinned exactly as requirements_test.txt installs it."""
    manifest = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    tested = {
        line.strip()
        for line in (ROOT / "requirements_test.txt").read_text(encoding="utf-8").splitlines()
    }
    assert manifest["requirements"]
    for requirement in manifest["requirements"]:
        assert "==" in requirement
        assert requirement in tested


def test_every_third_party_import_is_installed_by_the_manifest_or_home_assistant() -> None:
    """aiokafka, pypowerwall (and protobuf through it) reach a HACS user's installation."""
    manifest = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    declared = {_name(requirement) for requirement in manifest["requirements"]}
    provided = _closure(declared | {"homeassistant"})
    distributions = metadata.packages_distributions()
    for module in sorted(_imported_top_level()):
        owners = {_name(owner) for owner in distributions.get(module, [])}
        assert owners & provided, f"{module} ({owners}) is installed by neither"
