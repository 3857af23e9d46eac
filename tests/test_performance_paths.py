"""The faster paths keep their promises: pyHanko only when sealing or verifying, the pool may
start in the background, and the sealed producer string is pyHanko's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from docgen.stages.seal import SEALED_PRODUCER
from tests.conftest import EXAMPLES


def test_sealed_producer_is_pyhanko_s_vendor_string() -> None:
    from pyhanko.pdf_utils.metadata.model import VENDOR

    assert SEALED_PRODUCER == VENDOR


def test_importing_the_library_does_not_load_pyhanko() -> None:
    code = ("import sys, docgen.api, docgen.verify, docgen.stages.seal; "
            "print(sorted(m for m in sys.modules if m.startswith('pyhanko.sign')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_validate_loads_none_of_the_services_that_make_documents(tmp_path: Path) -> None:
    """``docgen validate`` (and ``beispiel``/``schema``) import docgen.inputs, not docgen.api: no
    rendering, LibreOffice glue, assembling, sealing or job machinery (start-up time)."""
    config = tmp_path / "docgen.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
    code = ("import sys, runpy\n"
            "sys.argv = ['docgen', '--config', sys.argv[1], 'validate', sys.argv[2]]\n"
            "try:\n    runpy.run_module('docgen', run_name='__main__')\n"
            "except SystemExit as exc:\n    print('exit', exc.code)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docgen', 'docxtpl', 'pyhanko')))\n")
    done = subprocess.run([sys.executable, "-c", code, str(config), str(EXAMPLES / "beschlussvorlage.json")],
                          capture_output=True, text=True, check=True)
    assert "beschlussvorlage.json: gültig (Beschlussvorlage)." in done.stdout
    assert "exit 0" in done.stdout
    loaded = done.stdout.strip().splitlines()[-1]
    assert "'docgen.inputs'" in loaded
    for heavy in ("docgen.api", "docgen.pipeline", "docgen.stages.render", "docgen.stages.convert.pool",
                  "docgen.stages.assemble", "docgen.stages.seal", "docgen.intake.jobs", "docgen.check",
                  "docxtpl", "pyhanko",
                  # only the plug-in of the input's Dokumentart
                  "docgen.documents.sachbericht", "docgen.documents.integrationskonzept"):
        assert f"'{heavy}'" not in loaded, heavy
    assert "'docgen.documents.beschlussvorlage'" in loaded
