"""The faster paths keep their promises: pyHanko only when sealing or verifying, the pool may
start in the background, and the sealed producer string is pyHanko's own."""

from __future__ import annotations

import subprocess
import sys

from docgen.stages.seal import SEALED_PRODUCER


def test_sealed_producer_is_pyhanko_s_vendor_string() -> None:
    from pyhanko.pdf_utils.metadata.model import VENDOR

    assert SEALED_PRODUCER == VENDOR


def test_importing_the_library_does_not_load_pyhanko() -> None:
    code = ("import sys, docgen.api, docgen.verify, docgen.stages.seal; "
            "print(sorted(m for m in sys.modules if m.startswith('pyhanko.sign')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
