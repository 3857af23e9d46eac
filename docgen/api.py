"""The library API: what the CLI, the daemon, ``batch`` and benchmarks call.

Functions here raise :class:`docgen.errors.DocgenError` subclasses; they never
print or exit. No global state: settings and the converter are passed in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docgen import documents
from docgen.errors import DocgenError, InvalidInput, Problem
from docgen.model import Job
from docgen.pipeline import JobResult, run_job
from docgen.resources import examples_dir
from docgen.schemas import standalone_schema_text
from docgen.settings import Settings
from docgen.stages.convert import Converter
from docgen.stages.convert.oneshot import OneShotConverter
from docgen.stages.validate import validate_file

__all__ = [
    "JobResult",
    "example",
    "open_converter",
    "render_file",
    "render_many",
    "schema",
    "validate",
]


def validate(path: Path, settings: Settings) -> Job:
    """Validate one input file; raises InvalidInput with every problem found."""
    return validate_file(path, settings)


@contextmanager
def open_converter(settings: Settings, *, pooled: bool = False) -> Iterator[Converter]:
    """A converter for the duration of the block; every LibreOffice process ends with it."""
    converter: Converter
    if pooled and settings.converter == "pool":
        from docgen.stages.convert.pool import LibreOfficePool

        converter = LibreOfficePool(settings, python=settings.uno_python)
    else:
        converter = OneShotConverter(settings.soffice, settings.state_dir / "oneshot",
                                     settings.convert_timeout)
    try:
        yield converter
    finally:
        converter.close()


def render_file(
    path: Path,
    out_dir: Path,
    settings: Settings,
    converter: Converter | None = None,
    *,
    docx_only: bool = False,
    bundle: bool = True,
) -> JobResult:
    """Render one input file into ``out_dir``: the bundle (default), or with ``bundle=False``
    just ``<name>.docx`` and ``<name>.pdf``, or with ``docx_only`` just ``<name>.docx``."""
    if converter is None and not docx_only:
        with open_converter(settings) as own:
            return run_job(path, out_dir, settings, own, bundle=bundle)
    return run_job(path, out_dir, settings, converter, docx_only=docx_only, bundle=bundle)


def render_many(paths: list[Path], out_dir: Path, settings: Settings, *,
                bundle: bool = True) -> list[JobResult | DocgenError]:
    """Render many files in ``settings.worker_count`` job processes, each with its own warm
    LibreOffice (Python work in threads would take turns under the GIL). Results in input order;
    a failed file gives its error instead of a result."""
    from docgen.intake.procpool import JobProcesses

    if not paths:
        return []
    from concurrent.futures.process import BrokenProcessPool

    from docgen.intake.jobs import InternalJobError

    results: list[JobResult | DocgenError] = []
    with JobProcesses(settings, min(len(paths), settings.worker_count)) as pool:
        futures = [pool.render(path, out_dir, bundle=bundle) for path in paths]
        for path, future in zip(paths, futures, strict=True):
            try:
                results.append(future.result())
            except BrokenProcessPool:
                results.append(InternalJobError(f"{path.name}: der Auftragsprozess wurde unerwartet beendet. "
                                                "Bitte erneut versuchen; bleibt der Fehler, bitte melden."))
    return results


def _document(name: str) -> documents.DocumentType:
    doc = documents.get(name)
    if doc is None:
        known = ", ".join(documents.names())
        raise InvalidInput(name, [Problem("", f"unbekannte Dokumentart. Bekannt sind: {known}.",
                                          "dokumentart")])
    return doc


def example(dokumentart: str) -> str:
    """A valid example input for ``dokumentart`` as JSON text.

    Anlagen given as files are left out: the files cannot travel with the printed text,
    and the example must validate wherever it is saved.
    """
    doc = _document(dokumentart)
    data = json.loads((examples_dir() / doc.example_file).read_text(encoding="utf-8"))
    if "anlagen" in data:
        data["anlagen"] = [a for a in data["anlagen"] if "datei" not in a]
        if not data["anlagen"]:
            del data["anlagen"]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def schema(dokumentart: str) -> str:
    """The JSON Schema for ``dokumentart``, self-contained (shared parts inlined)."""
    return standalone_schema_text(_document(dokumentart).schema_file)
