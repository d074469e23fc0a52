"""scripts/dev_config.py seed: a confirmed loopback-only HTTP config and a `dev` user."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).parents[1]
LOOPBACK = {"127.0.0.1", "::1"}


def _seed(config: Path) -> None:
    subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [
            sys.executable,
            "scripts/dev_config.py",
            "seed",
            "--config",
            str(config),
            "--amber-url",
            "http://127.0.0.1:1/v1",
            "--comed-url",
            "http://127.0.0.1:2/api",
            "--wall-connector-host",
            "127.0.0.1:3",
            "--tesla-url",
            "http://127.0.0.1:4",
            "--kafka",
            "127.0.0.1:5",
            "--powerwall-ports",
            "6,7",
        ],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        timeout=120,
    )


def _storage(config: Path, key: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((config / ".storage" / key).read_text())["data"]
    return data


def test_seed_repairs_what_an_earlier_run_left(tmp_path: Path) -> None:
    """The default (all interfaces) left as stable, a failed trial pending: both replaced."""
    storage = tmp_path / ".storage"
    storage.mkdir()
    everywhere = {
        "server_host": ["0.0.0.0", "::"],  # noqa: S104 - the state to repair
        "server_port": 8123,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": "2026-11-20T10:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    failed_trial = {**everywhere, "error": "not_confirmed", "error_message": "not confirmed"}
    (storage / "http").write_text(
        json.dumps(
            {
                "version": 2,
                "minor_version": 2,
                "key": "http",
                "data": {
                    "stable": everywhere,
                    "pending": failed_trial,
                    "yaml_migration_done": True,
                },
            }
        )
    )
    _seed(tmp_path)
    _seed(tmp_path)  # a second run changes nothing and adds no second user

    http = _storage(tmp_path, "http")
    assert http["pending"] is None
    assert http["yaml_migration_done"] is True
    stable = http["stable"]
    assert isinstance(stable, dict)
    assert set(stable["server_host"]) <= LOOPBACK
    assert "127.0.0.1" in stable["server_host"]
    assert stable["server_port"] == 8123

    users = _storage(tmp_path, "auth")["users"]
    assert isinstance(users, list)
    people = [user for user in users if not user["system_generated"]]
    assert [(user["name"], user["is_owner"], user["is_active"]) for user in people] == [
        ("dev", True, True)
    ]
    assert people[0]["group_ids"] == ["system-admin"]
    onboarding = _storage(tmp_path, "onboarding")
    assert onboarding["done"]

    # The repository's dashboard is linked where configuration.yaml's YAML dashboard reads it.
    configuration = (ROOT / "config" / "configuration.yaml").read_text()
    link = tmp_path / "tesla_energy_sync_dashboard.yaml"
    assert f"filename: {link.name}" in configuration
    assert link.is_symlink()
    assert link.resolve() == ROOT / "dashboards" / "tesla_energy_sync.yaml"
