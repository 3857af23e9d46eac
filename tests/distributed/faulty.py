"""``docgen`` with faults injected for the tests (a fake only to inject faults, as tests/ does elsewhere).

An input whose name contains ``gift`` kills its job process every time it runs; one whose name
contains ``langsam`` takes ``DOCGEN_TEST_LANGSAM`` seconds longer. Everything else is the real
``docgen`` (the worker, LibreOffice, Redis, PostgreSQL).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from docgen.intake import remote

_real_run_job = remote.run_job  # type: ignore[attr-defined]
SLOW = float(os.environ.pop("DOCGEN_TEST_LANGSAM", "0") or 0)


def _run_job(path: Path, *args: Any, **kwargs: Any) -> Any:
    if "gift" in path.name:
        os._exit(1)
    if "langsam" in path.name:
        time.sleep(SLOW)
    return _real_run_job(path, *args, **kwargs)


remote.run_job = _run_job  # type: ignore[attr-defined]

if __name__ == "__main__":
    from docgen.cli import main

    main()
