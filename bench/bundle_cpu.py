"""Where the CPU time of a sealed bundle goes, step by step, beside a plain DOCX + PDF/A job.

    .venv/bin/python bench/bundle_cpu.py [--n 30]

With two job processes on two cores a sealed bundle is bound by CPU, so the budget that counts is
CPU seconds per bundle: docgen's own (this process's, per step) and LibreOffice's (its processes'
in ``/proc``). One warm LibreOffice worker, N generated Beschlussvorlagen, three rounds side by
side in this one run:

1. ``bundle=False`` — validate, render, convert: the end-to-end job;
2. the sealed bundle — also the Freigabevermerk, assembling (PDF/A findings, sanitize, copying
   the pages, structure tree, write), the seal, the receipt and publishing.

Steps nest (the Freigabevermerk and assembling are inside the bundle); each row is the CPU time
spent inside that function, its callees included. Results: ``results/bundle_cpu.{json,md}``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pikepdf
from generate import write_inputs
from lo_costs import lo_cpu_seconds
from pypdf import PdfReader
from run import BODY

import docgen.pipeline as pipeline
import docgen.stages.assemble as assemble
from docgen import __version__
from docgen.api import open_converter, render_file
from docgen.settings import Settings
from docgen.stages.seal import load_seal

RESULTS = Path(__file__).resolve().parent / "results"

# (owner, attribute, row label, depth in the table)
STEPS: list[tuple[Any, str, str, int]] = [
    (pipeline, "_render_parts", "render the document", 0),
    (pipeline, "_convert_parts", "convert the document (waiting for LibreOffice)", 0),
    (pipeline, "_bundle", "bundle", 0),
    (pipeline, "_signoff", "Freigabevermerk: render + convert", 1),
    (pipeline, "assemble_bundle", "assemble", 1),
    (assemble, "part_findings", "PDF/A findings (fonts embedded?)", 2),
    (assemble, "sanitize", "sanitize (every object of a part)", 2),
    (pikepdf.Pdf, "add_pages_from", "copy the pages", 2),
    (assemble._StructureMerge, "add", "structure tree", 2),
    (pikepdf.Pdf, "save", "write the bundle", 2),
    (pipeline, "seal", "seal (PAdES)", 1),
    (pipeline, "_receipt", "receipt (with its PDF/A check)", 0),
    (pipeline, "_publish", "publish (fsync, rename)", 0),
]


@contextmanager
def timed_steps(totals: dict[str, float]) -> Iterator[None]:
    """Add each step's CPU seconds to ``totals`` while the block runs."""
    originals = []
    for owner, name, label, _depth in STEPS:
        original = getattr(owner, name)
        originals.append((owner, name, original))

        def timed(*args: Any, _original: Callable[..., Any] = original, _label: str = label,
                  **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                totals[_label] += time.process_time() - start

        setattr(owner, name, functools.wraps(original)(timed))
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def one_round(inputs: list[Path], out: Path, settings: Settings, converter: Any, *, bundle: bool) -> dict[str, Any]:
    totals: collections.defaultdict[str, float] = collections.defaultdict(float)
    with timed_steps(totals):
        cpu, lo = time.process_time(), lo_cpu_seconds()
        for path in inputs:
            render_file(path, out, settings, converter, bundle=bundle)
        cpu, lo = time.process_time() - cpu, lo_cpu_seconds() - lo
    n = len(inputs)
    return {"python_ms": 1000 * cpu / n, "libreoffice_ms": 1000 * lo / n,
            "steps_ms": {label: 1000 * totals[label] / n for _o, _n, label, _d in STEPS if label in totals}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="docgen-bench-bundle-cpu-") as tmp:
        work = Path(tmp)
        settings = Settings(state_dir=work / "state", workers=1, koerperschaft=BODY)
        inputs = write_inputs(work / "inputs", args.n)
        load_seal(settings)  # made once per installation, not per bundle
        with open_converter(settings, pooled=True) as converter:
            for bundle in (False, True):  # untimed: LibreOffice's first documents, the first templates
                for path in inputs[:3]:
                    render_file(path, work / "warm", settings, converter, bundle=bundle)
            rounds = {
                "end to end (DOCX + PDF/A)": one_round(inputs, work / "plain", settings, converter, bundle=False),
                "sealed bundle": one_round(inputs, work / "bundle", settings, converter, bundle=True),
            }
        sample = work / "bundle" / inputs[0].stem
        parts = {pdf.name: _parse_ms(pdf) for pdf in sorted(sample.glob("*.pdf"))}
    result = {"when": dt.datetime.now().isoformat(timespec="minutes"), "version": __version__, "n": args.n,
              "cpus": os.cpu_count(), "load": os.getloadavg()[0], "rounds": rounds, "parse_ms": parts,
              "command": f".venv/bin/python bench/bundle_cpu.py --n {args.n}"}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bundle_cpu.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (RESULTS / "bundle_cpu.md").write_text(report(result), encoding="utf-8")
    print(report(result))
    return 0


def _parse_ms(pdf: Path, repeat: int = 10) -> dict[str, float]:
    """Opening ``pdf`` and resolving every object in it with pypdf (what assembling cost before it used
    pikepdf), beside opening it with pikepdf and sanitizing it (which reads every object)."""
    start = time.process_time()
    for _ in range(repeat):
        reader = PdfReader(pdf)
        for number in list(reader.xref.get(0, {})):
            reader.get_object(number)
    pypdf_ms = 1000 * (time.process_time() - start) / repeat
    start = time.process_time()
    for _ in range(repeat):
        with pikepdf.open(pdf) as opened:
            assemble.sanitize(opened, "bench")
    pikepdf_ms = 1000 * (time.process_time() - start) / repeat
    objects = len(PdfReader(pdf).xref.get(0, {}))
    return {"objects": objects, "kib": pdf.stat().st_size / 1024, "ms": pypdf_ms, "pikepdf_ms": pikepdf_ms}


def report(data: dict[str, Any]) -> str:
    rounds = data["rounds"]
    names = list(rounds)
    lines = [f"# Where a sealed bundle's CPU goes ({data['when']})", "",
             f"Command: `{data['command']}`; {data['n']} generated Beschlussvorlagen, one warm LibreOffice "
             f"worker, {data['cpus']} CPUs, 1-minute load {data['load']:.2f} at the end. CPU milliseconds per "
             "document; a step's row includes the steps indented below it.", "",
             "| | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    lines.append("| **all CPU (docgen + LibreOffice)** | " + " | ".join(
        f"**{r['python_ms'] + r['libreoffice_ms']:.0f}**" for r in rounds.values()) + " |")
    lines.append("| LibreOffice | " + " | ".join(f"{r['libreoffice_ms']:.0f}" for r in rounds.values()) + " |")
    lines.append("| docgen (this process) | " + " | ".join(f"{r['python_ms']:.0f}" for r in rounds.values()) + " |")
    for _owner, _name, label, depth in STEPS:
        cells = [f"{r['steps_ms'][label]:.1f}" if label in r["steps_ms"] else "–" for r in rounds.values()]
        lines.append(f"| {'&nbsp;' * 4 * (depth + 1)}{label} | " + " | ".join(cells) + " |")
    lines += ["", "Reading every object of a part: pypdf (open and resolve each, what assembling cost at least "
              "before) and pikepdf (open and sanitize, what it costs now), CPU ms:", "",
              "| part | objects | KiB | pypdf | pikepdf |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {name} | {p['objects']} | {p['kib']:.0f} | {p['ms']:.1f} | {p.get('pikepdf_ms', 0):.1f} |"
              for name, p in data["parse_ms"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
