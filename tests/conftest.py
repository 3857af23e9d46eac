"""Shared fixtures: the project's example, a clean environment for the real CLI, real LibreOffice."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import pytest

from docgen.settings import Koerperschaft

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


# The sample body the tests render for: docgen has no built-in body, a real one comes from docgen.toml.
SAMPLE_BODY = {
    "DOCGEN_KOERPERSCHAFT_NAME": "Kreis Musterland",
    "DOCGEN_KOERPERSCHAFT_VERWALTUNGSSPITZE": "Der Landrat",
    "DOCGEN_KOERPERSCHAFT_ANSCHRIFT": "Kreishaus, Am Markt 1, 12345 Musterstadt",
}


SAMPLE_KOERPERSCHAFT = Koerperschaft(name=SAMPLE_BODY["DOCGEN_KOERPERSCHAFT_NAME"],
                                     verwaltungsspitze=SAMPLE_BODY["DOCGEN_KOERPERSCHAFT_VERWALTUNGSSPITZE"],
                                     anschrift=SAMPLE_BODY["DOCGEN_KOERPERSCHAFT_ANSCHRIFT"])


NO_SAMPLE_BODY: dict[str, str | None] = dict.fromkeys(SAMPLE_BODY)


def clean_env(state_dir: Path) -> dict[str, str]:
    """The environment for the real CLI: none of the caller's DOCGEN_* settings, the sample body."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env.update(SAMPLE_BODY)
    env["DOCGEN_STATE_DIR"] = str(state_dir)
    return env


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path


@pytest.fixture
def docgen(tmp_path: Path, state_dir: Path) -> Callable[..., CliResult]:
    """Run the real ``docgen`` command (``python -m docgen``) in ``tmp_path``."""

    def run(*args: str | Path, env: Mapping[str, str | None] | None = None, cwd: Path | None = None,
            timeout: float = 180) -> CliResult:
        """``env`` adds variables; a value of None removes one (e.g. the sample body, to test docgen.toml)."""
        full_env = clean_env(state_dir)
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        proc = subprocess.run(
            [sys.executable, "-m", "docgen", *map(str, args)],
            cwd=cwd or tmp_path, env=full_env, capture_output=True, text=True, timeout=timeout,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


def load_example(name: str = "beschlussvorlage") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def example(tmp_path: Path) -> dict[str, Any]:
    """The bundled example; its attachment files are copied beside the test's JSON files."""
    shutil.copytree(EXAMPLES / "anlagen", tmp_path / "anlagen", dirs_exist_ok=True)
    return copy.deepcopy(load_example())


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[str, Any], Path]:
    def write(name: str, data: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=_default), encoding="utf-8")
        return path

    return write


def render_once(factory: pytest.TempPathFactory, name: str, data: dict[str, Any]) -> tuple[Path, CliResult]:
    """Write ``data`` as ``<name>.json`` and run ``docgen render`` once (for a module-scoped fixture)."""
    folder = factory.mktemp(name)
    source = folder / f"{name}.json"
    source.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    state = factory.mktemp(f"{name}-state")
    env = clean_env(state)
    env.update({"HOME": str(state),
                "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
    proc = subprocess.run([sys.executable, "-m", "docgen", "render", str(source), "--out", str(folder / "out")],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    return folder / "out", CliResult(proc.returncode, proc.stdout, proc.stderr)


def missing_part(reason: str) -> NoReturn:
    """A real part a test needs is not installed: skipped on a developer's machine, a failure in CI
    (CI=true), where tools/install-system.sh must have installed it — a skip there would hide a gap."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (in CI muss tools/install-system.sh es installieren)")
    pytest.skip(reason)


# What makes a test slow, so that `pytest -m "not slow"` runs the unit-level tests in under a minute:
# a real CLI run (a new Python process per call), a hot folder with a daemon, the corpus run through the
# CLI, and the Hypothesis fuzzers. Tests that start LibreOffice carry the marker themselves.
SLOW_FIXTURES = {"docgen", "hotfolder", "daemons", "holder", "bad_results", "wheel"}
SLOW_MODULES = {"test_fuzz", "test_publish_ready"}  # the latter renders with LibreOffice in its fixture
SLOW_NAMES = ("test_no_rule_crashes_on_data_the_schema_refuses", "test_cli_verify_exit_codes",
              "test_copy_of_an_earlier_job_clears_freigabe")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        module = item.path.stem
        if fixtures & SLOW_FIXTURES or module in SLOW_MODULES or item.name.startswith(SLOW_NAMES):
            item.add_marker(pytest.mark.slow)


def unprivileged_prefix() -> list[str]:
    """A command prefix that runs as root without the power to ignore file permissions (``setpriv``),
    so chmod 000 makes a file unreadable in a test; nothing when not root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        missing_part("setpriv fehlt (util-linux): als root ist chmod 000 sonst nicht prüfbar")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
