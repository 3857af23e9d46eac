"""The light part of the library API: check inputs, name the document types, their schemas and examples.

What a front end needs before any document is made, without loading the services that make
them (rendering, LibreOffice, assembling, sealing, the job machinery). ``docgen validate``
starts in a third of a second because it imports only this; :mod:`docgen.api` offers the same
functions under the same names, so a caller never has to know the split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docgen import documents
from docgen.errors import DocgenError, Problem
from docgen.model import Job
from docgen.resources import examples_dir
from docgen.schemas import standalone_schema_text
from docgen.settings import Settings
from docgen.stages.validate import read_json as _read_json
from docgen.stages.validate import too_large, validate_file

__all__ = ["dokumentarten", "example", "read_json", "schema", "validate", "validate_files"]


def validate(path: Path, settings: Settings) -> Job:
    """Validate one input file; raises InvalidInput with every problem found."""
    return validate_file(path, settings)


def read_json(raw: bytes, filename: str, settings: Settings) -> tuple[Any, list[Problem]]:
    """JSON text read as ``docgen validate`` reads a file: what it cannot read at all (too large for
    max_input_bytes, no UTF-8, empty, a syntax error, nested too deeply) raises InvalidInput with
    its German problems; otherwise the data and the values it refuses (numbers, characters, keys
    given twice), each a problem at its field."""
    if len(raw) > settings.max_input_bytes:
        raise too_large(filename, len(raw), settings.max_input_bytes)
    return _read_json(raw, filename)


def validate_files(paths: Iterable[Path], settings: Settings) -> list[Job | DocgenError]:
    """Validate several files; each gives its job or its error, in input order."""
    results: list[Job | DocgenError] = []
    for path in paths:
        try:
            results.append(validate_file(path, settings))
        except DocgenError as exc:
            results.append(exc)
    return results



def dokumentarten() -> list[str]:
    return documents.names()



def example(dokumentart: str) -> str:
    """A valid example input for ``dokumentart`` as JSON text: a draft, without ``freigabe`` or a body.

    Anlagen given as files are left out: the files cannot travel with the printed text,
    and the example must validate wherever it is saved. A signed-off example would come out
    sealed and could never be overwritten, so examples are drafts (docs/contracts.md shows
    what ``freigabe`` looks like).
    """
    doc = documents.require(dokumentart)
    data = json.loads((examples_dir() / doc.example_file).read_text(encoding="utf-8"))
    data.pop("freigabe", None)
    data.pop("koerperschaft", None)  # the body comes from the settings; an example must not name one
    if "anlagen" in data:
        data["anlagen"] = [a for a in data["anlagen"] if "datei" not in a]
        for anlage in data["anlagen"]:
            if isinstance(anlage.get("dokument"), dict):
                anlage["dokument"].pop("freigabe", None)
        if not data["anlagen"]:
            del data["anlagen"]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def schema(dokumentart: str) -> str:
    """The JSON Schema for ``dokumentart``, self-contained (shared parts inlined)."""
    return standalone_schema_text(documents.require(dokumentart).schema_file)
