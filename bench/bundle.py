"""Benchmark: assembling and sealing a bundle of 20 documents, against converting them.

Usage::

    .venv/bin/python bench/bundle.py [--n 20] [--runs 5]

The N synthetic Beschlussvorlagen are rendered and converted by a warm worker
(the conversion time is measured), then the same PDFs are merged into one
bundle — bookmarks, page labels, metadata, PDF/A identification — and sealed
with a PAdES signature, each step timed separately. The figure that counts:
(assemble + seal) / conversion of the same documents, target < 0.1.
Results: ``bench/results/bundle.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from generate import write_inputs

from docgen import __version__
from docgen.api import open_converter, render_file
from docgen.settings import Settings
from docgen.stages.assemble import BundleEntry, BundleMeta, assemble, page_count
from docgen.stages.seal import SEALED_PRODUCER, load_seal, seal

RESULTS = Path(__file__).resolve().parent / "results"


def convert_all(inputs: list[Path], work: Path, settings: Settings) -> tuple[list[Path], float]:
    """DOCX → PDF for every input with one warm worker; the summed conversion seconds."""
    pdfs, seconds = [], 0.0
    with open_converter(settings, pooled=True) as converter:
        for path in inputs:
            result = render_file(path, work / "single", settings, converter, bundle=False)
            assert result.pdf is not None
            pdfs.append(result.pdf)
            seconds += result.timings["convert"]
    return pdfs, seconds


def one_run(pdfs: list[Path], work: Path, settings: Settings, index: int) -> tuple[float, float, int]:
    entries = [BundleEntry("Hauptdokument" if i == 0 else f"Anlage {i}", p.stem, p, page_count(p))
               for i, p in enumerate(pdfs)]
    meta = BundleMeta(title="Benchmark-Paket", subject="Vorlage 2025/9999", author="Kreis Musterland",
                      created=dt.datetime.now(dt.UTC).replace(microsecond=0), creator=f"docgen {__version__}",
                      producer=SEALED_PRODUCER)
    key = load_seal(settings, settings.koerperschaft)
    start = time.perf_counter()
    bundle = assemble(entries, meta, work / f"bundle-{index}.pdf", None)
    assembled = time.perf_counter() - start
    start = time.perf_counter()
    seal(bundle, work / f"sealed-{index}.pdf", key, reason="Benchmark", location="Musterstadt")
    sealed = time.perf_counter() - start
    return assembled, sealed, sum(e.pages for e in entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="docgen-bench-bundle-") as tmp:
        work = Path(tmp)
        settings = Settings(state_dir=work / "state", workers=1)
        inputs = write_inputs(work / "inputs", args.n)
        pdfs, convert_seconds = convert_all(inputs, work, settings)
        load_seal(settings, settings.koerperschaft)  # the seal key is made once per installation
        runs = [one_run(pdfs, work, settings, i) for i in range(args.runs)]
    assemble_s = statistics.median(r[0] for r in runs)
    seal_s = statistics.median(r[1] for r in runs)
    result = {
        "documents": args.n, "pages": runs[0][2], "runs": args.runs,
        "convert_seconds_total": round(convert_seconds, 3),
        "assemble_seconds": round(assemble_s, 3), "seal_seconds": round(seal_s, 3),
        "ratio_to_conversion": round((assemble_s + seal_s) / convert_seconds, 3),
    }
    md = (f"# Bundle of {args.n} documents ({result['pages']} pages), median of {args.runs} runs\n\n"
          "| step | seconds |\n| --- | ---: |\n"
          f"| converting the {args.n} documents (warm worker, sum) | {convert_seconds:.2f} |\n"
          f"| assembling the bundle (merge, bookmarks, labels, metadata, PDF/A id) | {assemble_s:.3f} |\n"
          f"| sealing (PAdES B-B) | {seal_s:.3f} |\n\n"
          f"(assemble + seal) / conversion = {result['ratio_to_conversion']:.3f} (target < 0.1: "
          f"{'met' if result['ratio_to_conversion'] < 0.1 else 'NOT met'})\n")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bundle.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "bundle.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
