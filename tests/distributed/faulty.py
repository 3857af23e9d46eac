"""``docgen`` with faults injected for the tests (a fake only to inject faults, as tests/ does elsewhere).

An input whose name contains ``gift`` kills its job process every time it runs; one whose name
contains ``langsam`` takes ``DOCGEN_TEST_LANGSAM`` seconds longer. With ``DOCGEN_TEST_SCHLAF``
set (seconds), the job itself is replaced by a sleep that stages a small stand-in bundle and
receipt (bench/distributed.py measures dispatch with it): the lease, the heartbeat, the fence and
the publish into the outbox stay the real ones. Everything else is the real ``docgen`` (the
worker, LibreOffice, Redis, PostgreSQL).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from docgen.intake import remote

_real_run_job = remote.run_job  # type: ignore[attr-defined]
SLOW = float(os.environ.pop("DOCGEN_TEST_LANGSAM", "0") or 0)
SLEEP = float(os.environ.pop("DOCGEN_TEST_SCHLAF", "0") or 0)


def _sleep_job(path: Path, staging: Path, *args: Any, job_id: str = "", **kwargs: Any) -> Any:
    """A job that only sleeps, then leaves what the pipeline leaves in ``staging``: folder, receipt, bundle."""
    time.sleep(SLEEP)
    stem = path.stem
    (staging / stem).mkdir(parents=True, exist_ok=True)
    (staging / stem / f"{stem}.txt").write_text("nur Schlaf, kein Dokument\n", encoding="utf-8")
    receipt = {"auftrag": job_id, "eingabe": path.name, "status": "gesiegelt", "nur_schlaf": SLEEP}
    (staging / f"{stem}.receipt.json").write_text(json.dumps(receipt), encoding="utf-8")
    pdf = staging / f"{stem}.pdf"
    pdf.write_bytes(b"%PDF-1.7\n% stand-in: the job was a sleep\n%%EOF\n")
    return SimpleNamespace(pdf=pdf)


def _run_job(path: Path, *args: Any, **kwargs: Any) -> Any:
    if "gift" in path.name:
        os._exit(1)
    if "langsam" in path.name:
        time.sleep(SLOW)
    if SLEEP > 0:
        return _sleep_job(path, *args, **kwargs)
    return _real_run_job(path, *args, **kwargs)


remote.run_job = _run_job  # type: ignore[attr-defined]

if __name__ == "__main__":
    from docgen.cli import main

    main()
