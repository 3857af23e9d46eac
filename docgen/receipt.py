"""The receipt (``<bundle>.receipt.json``): what went in, what came out, what was checked.

It records the input's hash, schema and template versions, the bundle's
contents with page ranges, timings, warnings, every output with its hash, the
PDF/A check and the seal. ``docgen verify`` compares a bundle against it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docgen import __version__
from docgen.errors import Problem
from docgen.model import Job
from docgen.resources import schemas_dir
from docgen.schemas import load_schema
from docgen.settings import Settings


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_entry(path: Path, name: str) -> dict[str, Any]:
    data = path.read_bytes()
    return {"datei": name, "sha256": sha256_bytes(data), "bytes": len(data)}


def versions(job: Job, settings: Settings, extra_templates: Iterable[str]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    templates: dict[str, Any] = {}
    for part in job.parts:
        if part.document is None:
            continue
        schema_file = part.document.schema_file
        schema_path = schemas_dir() / schema_file
        schemas[schema_file] = {"version": str(load_schema(schema_file).get("x-version", "")),
                                "sha256": sha256_bytes(schema_path.read_bytes())}
        names = [part.document.template_file]
        for name in names:
            path = settings.template_path(name)
            templates[name] = {"sha256": sha256_bytes(path.read_bytes()), "eigene_vorlage": _own(path, settings)}
    for name in extra_templates:
        path = settings.template_path(name)
        templates[name] = {"sha256": sha256_bytes(path.read_bytes()), "eigene_vorlage": _own(path, settings)}
    return {"schemas": schemas, "vorlagen": templates}


def _own(path: Path, settings: Settings) -> bool:
    return settings.templates_dir is not None and path.is_relative_to(settings.templates_dir)


def build_receipt(
    *, job: Job, settings: Settings, created: str, status: str, contents: list[dict[str, Any]],
    outputs: dict[str, Any], checks: dict[str, Any], seal: dict[str, Any] | None,
    warnings: list[Problem], timings: dict[str, float], extra_templates: Iterable[str],
    figures: dict[str, Any] | None,
) -> dict[str, Any]:
    receipt: dict[str, Any] = {
        "docgen_version": __version__,
        "erzeugt_am": created,
        "status": status,
        "eingabe": {"datei": job.source.name, "sha256": sha256_bytes(job.raw), "bytes": len(job.raw)},
        "dokumentart": job.document.name,
        "bezug": job.document.reference(job.data),
        **versions(job, settings, extra_templates),
        "inhalt": contents,
        "erzeugnisse": outputs,
        "pruefungen": checks,
        "siegel": seal,
        "warnungen": [w.as_dict() for w in warnings],
        "zeiten_s": {k: round(v, 3) for k, v in timings.items()},
    }
    if figures:
        receipt["berechnung"] = figures
    return receipt


def write_receipt(receipt: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(receipt, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path
