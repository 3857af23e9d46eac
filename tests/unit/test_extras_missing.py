"""Commands of an extra that is not installed: exit 3 and how to install it from the wheel, no traceback.

The missing package is simulated by a ``None`` entry in ``sys.modules`` (Python's own way of making an
import fail), in a fresh interpreter that then runs docgen's command line.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from docgen import __version__

RUN = "import sys; sys.modules[{module!r}] = None; from docgen.cli import main; sys.argv = {argv!r}; main()"


@pytest.mark.parametrize(("module", "argv", "extra", "package"), [
    ("uvicorn", ["docgen", "web"], "web", "uvicorn"),
    ("starlette", ["docgen", "web"], "web", "starlette"),
    ("celery", ["docgen", "worker"], "verteilt", "celery"),
])
def test_a_command_without_its_extra_says_how_to_install_it(module: str, argv: list[str], extra: str,
                                                             package: str) -> None:
    result = subprocess.run([sys.executable, "-c", RUN.format(module=module, argv=argv)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert result.stderr == (
        f"docgen {argv[1]}: es fehlt ein Paket ({package}). Bitte docgen mit dem Zusatz [{extra}] installieren: "
        f"pip install '/pfad/zu/docgen-{__version__}-py3-none-any.whl[{extra}]' (aus dem Quellordner: "
        f"pip install '.[{extra}]').\n")
