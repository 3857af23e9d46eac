"""The architecture contract: imports point down the layers, and nothing dodges that inside a function."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"), "--no-cache"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_contract_is_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The experiment the contract exists for: a stage that reaches up into the API fails `make lint`."""
    shutil.copytree(ROOT / "docgen", tmp_path / "docgen", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assemble = tmp_path / "docgen" / "stages" / "assemble.py"
    assemble.write_text(assemble.read_text(encoding="utf-8") + "\nfrom docgen import api  # noqa: E402\n",
                        encoding="utf-8")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert "docgen.stages.assemble -> docgen.api" in result.stdout


def _function_level_docgen_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            names: list[str] = []
            if not isinstance(node, ast.ImportFrom | ast.Import):
                continue
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("docgen"):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("docgen")]
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names]
    return found


# The command line (and the commands the web and worker front ends add to it) imports the library inside
# each command so that `docgen --help` starts in a tenth of a second; that is a start-up choice at the
# very top, not a circle being dodged.
LAZY_FOR_START_UP = {"docgen/cli.py", "docgen/web/commands.py", "docgen/worker/commands.py"}


def test_no_docgen_import_hides_inside_a_function() -> None:
    """An import of our own code inside a function is how a circle gets dodged; move the shared type down."""
    found = [hit for path in sorted((ROOT / "docgen").rglob("*.py"))
             if str(path.relative_to(ROOT)) not in LAZY_FOR_START_UP
             for hit in _function_level_docgen_imports(path)]
    assert found == []


def test_no_comment_points_outside_the_repository() -> None:
    """Documentation the code cites lives in docs/; the team's shared notes beside the repository are not."""
    outside = re.compile(r"(?<!docs/)\b(design|domain|style)\.md\b|\.\./shared")
    found = [f"{path.relative_to(ROOT)}:{number}"
             for folder in ("docgen", "tests", "tools", "bench")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if outside.search(line)]
    assert found == []
    for cited in ("docs/domain.md", "docs/contracts.md", "docs/architecture.md", "docs/naming.md"):
        assert (ROOT / cited).is_file(), cited
