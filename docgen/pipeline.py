"""The pipeline: the only module that orders the stages.

validate → render → convert → publish (assemble and seal join in later). Each
stage writes only into the job's private work directory; publish moves the
results into the output folder atomically at the end, so a failed job leaves
nothing behind there.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from docgen.errors import FileAccessError, Problem
from docgen.settings import Settings
from docgen.stages.convert import Converter
from docgen.stages.publish import publish_file
from docgen.stages.render import render_docx
from docgen.stages.validate import Job, validate_file

log = logging.getLogger("docgen.pipeline")


@dataclass
class JobResult:
    source: Path
    dokumentart: str
    docx: Path
    pdf: Path | None
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _work_dir(settings: Settings) -> Path:
    root = settings.state_dir / "work"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileAccessError(
            f"{root}: Arbeitsordner nicht anlegbar ({exc.strerror}). Einstellung state_dir prüfen."
        ) from exc
    return Path(tempfile.mkdtemp(prefix="job-", dir=root))


def run_job(
    path: Path,
    out_dir: Path,
    settings: Settings,
    converter: Converter | None,
    *,
    docx_only: bool = False,
) -> JobResult:
    """Run one input file through the pipeline and publish ``<name>.docx``/``.pdf`` to ``out_dir``."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    job: Job = validate_file(path, settings)
    timings["validate"] = time.perf_counter() - start
    name = path.stem
    work = _work_dir(settings)
    try:
        t = time.perf_counter()
        docx = render_docx(job, work / f"{name}.docx", settings)
        timings["render"] = time.perf_counter() - t
        pdf: Path | None = None
        if not docx_only:
            if converter is None:
                raise ValueError("a converter is required unless docx_only is set")
            t = time.perf_counter()
            pdf = work / f"{name}.pdf"
            converter.convert(docx, pdf)
            timings["convert"] = time.perf_counter() - t
        t = time.perf_counter()
        published_docx = publish_file(docx, out_dir / f"{name}.docx")
        published_pdf = publish_file(pdf, out_dir / f"{name}.pdf") if pdf else None
        timings["publish"] = time.perf_counter() - t
    finally:
        shutil.rmtree(work, ignore_errors=True)
    timings["total"] = time.perf_counter() - start
    log.info("%s: fertig in %.2f s", path.name, timings["total"])
    return JobResult(path, job.document.name, published_docx, published_pdf, job.warnings, timings)
