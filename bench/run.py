"""Benchmark: naive ``soffice --convert-to`` vs. warm LibreOffice vs. docgen end to end.

Usage::

    .venv/bin/python bench/run.py [--n 40] [--runs 3]
    .venv/bin/python bench/run.py --memory 500     # memory of one worker, see memory.py

All stages work on the same N synthetic Beschlussvorlagen (``generate.py``),
measured side by side in one run:

1. naive: one ``soffice --headless --convert-to pdf`` per document, each with a
   fresh profile (what a shell script would do), 1 and 2 at a time;
2. raw warm: the already rendered DOCX files loaded and exported by warm
   ``uno_worker`` processes fed directly (no docgen), 1 and 2 processes;
3. docgen pool: the same DOCX files through ``LibreOfficePool.convert`` (queue,
   timeout, verification, atomic move: the pool's own overhead over stage 2);
4. docgen end to end: validate + render + convert (DOCX and PDF/A) in docgen's
   job processes (one warm LibreOffice each, as ``watch`` and ``batch`` run), 1
   and 2 processes;
5. docgen bundle+seal: the whole job — also the Freigabevermerk, assembling and
   the PAdES seal — 1 and 2 processes;
6. Carbone (3.x, Node, installed by npm into ``bench/carbone/node_modules`` on
   first use): docgen's Beschlussvorlage translated into Carbone's tags
   (``carbone/make_template.py``), filled with the same inputs and converted to
   PDF by Carbone's own LibreOffice workers ("factories"), 1 and 2; and filled
   only (no conversion, 1 process) beside docgen's validate + render in one
   process. ``--no-carbone`` skips it. Carbone's conversion runs before and after
   each of docgen's stages 4 and 5 (per number of processes), and docgen is
   compared with those two neighbours: the machine's speed drifts between
   stages, and a ratio of stages minutes apart carries that drift.

Start-up of warm processes is not timed (they start once per daemon); each warm
stage converts one untimed document first. Every figure is the median over
``--runs`` runs. Results go to ``bench/results/latest.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from carbone_stage import CarboneMissing, ensure_installed, run_carbone
from generate import write_inputs
from lo import PeakSampler, RawWorker

from docgen.api import render_file
from docgen.errors import DocgenError
from docgen.intake.procpool import JobProcesses
from docgen.settings import Koerperschaft, Settings
from docgen.stages.convert.oneshot import soffice_argv
from docgen.stages.convert.pool import LibreOfficePool

RESULTS = Path(__file__).resolve().parent / "results"
# The seal is the configured body's: the benchmark configures one, as every installation must.
BODY = Koerperschaft(name="Kreis Musterland", verwaltungsspitze="Der Landrat")


@dataclass
class Stage:
    """One measured stage of one run."""

    name: str
    processes: int
    seconds: float
    per_doc: list[float]
    peak_rss_mib: float
    breakdown: dict[str, float] = field(default_factory=dict)  # docgen: median s/doc by stage
    cpu_s: float | None = None  # busy CPU time of the whole machine during the stage (None: not comparable)

    @property
    def docs_per_s(self) -> float:
        return len(self.per_doc) / self.seconds


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def in_parallel(items: Sequence[Path], threads: int, work: Callable[[Path], float]) -> tuple[
        float, list[float]]:
    """Run ``work`` over ``items`` on ``threads`` threads; return wall time and per-item times."""
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as executor:
        per_doc = list(executor.map(work, items))
    return time.perf_counter() - began, per_doc


def prepare(work: Path, n: int) -> tuple[list[Path], list[Path]]:
    """Generate the inputs and render their DOCX files once (for the LibreOffice-only stages)."""
    inputs = write_inputs(work / "inputs", n)
    settings = Settings(state_dir=work / "prepare-state")
    docx = [render_file(path, work / "docx", settings, None, docx_only=True).docx
            for path in inputs]
    return inputs, docx


def run_naive(docx: list[Path], work: Path, processes: int) -> Stage:
    out = work / f"naive-{processes}"
    out.mkdir(parents=True, exist_ok=True)
    profiles = work / "naive-profiles"

    def convert(path: Path) -> float:
        profile = Path(tempfile.mkdtemp(prefix="p-", dir=profiles))  # fresh every time
        began = time.perf_counter()
        subprocess.run(soffice_argv("soffice", profile, path, out), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        elapsed = time.perf_counter() - began
        shutil.rmtree(profile, ignore_errors=True)
        return elapsed

    profiles.mkdir(parents=True, exist_ok=True)
    with PeakSampler(str(profiles)) as sampler:
        seconds, per_doc = in_parallel(docx, processes, convert)
    missing = [p.name for p in docx if not (out / f"{p.stem}.pdf").is_file()]
    if missing:
        raise RuntimeError(f"naive: no PDF for {missing}")
    return Stage("naive soffice --convert-to", processes, seconds, per_doc, sampler.max_mib(),
                 cpu_s=sampler.cpu_seconds)


def run_raw(docx: list[Path], work: Path, processes: int) -> Stage:
    profiles = work / "raw-profiles"
    out = work / f"raw-{processes}"
    out.mkdir(parents=True, exist_ok=True)
    workers = [RawWorker(profiles / f"p{i}") for i in range(processes)]
    try:
        for worker in workers:
            worker.convert(docx[0], out / "warmup.pdf")  # untimed, like the pool's warm-up
        free: list[RawWorker] = list(workers)

        def convert(path: Path) -> float:
            worker = free.pop()  # list.pop/append are atomic; one worker per thread at a time
            try:
                return worker.convert(path, out / f"{path.stem}.pdf")
            finally:
                free.append(worker)

        with PeakSampler(str(profiles)) as sampler:
            seconds, per_doc = in_parallel(docx, processes, convert)
    finally:
        for worker in workers:
            worker.close()
    return Stage("raw warm LibreOffice", processes, seconds, per_doc, sampler.max_mib(), cpu_s=sampler.cpu_seconds)


def run_pool(docx: list[Path], work: Path, workers: int) -> Stage:
    state = work / f"pool-state-{workers}"
    out = work / f"pool-{workers}"
    with LibreOfficePool(Settings(state_dir=state, workers=workers)) as pool:
        pool.convert(docx[0], out / "warmup.pdf")  # untimed

        def convert(path: Path) -> float:
            began = time.perf_counter()
            pool.convert(path, out / f"{path.stem}.pdf")
            return time.perf_counter() - began

        with PeakSampler(str(state)) as sampler:
            seconds, per_doc = in_parallel(docx, workers, convert)
    return Stage("docgen pool, convert only", workers, seconds, per_doc, sampler.max_mib(),
                 cpu_s=sampler.cpu_seconds)


def run_docgen(inputs: list[Path], work: Path, workers: int, bundle: bool) -> Stage:
    """docgen through its job processes (one warm LibreOffice each), as the daemon and batch run it.

    ``bundle=False``: validate + render + convert (DOCX and PDF/A); ``bundle=True``: the
    whole job with Freigabevermerk, assembling and the seal.
    """
    name = "docgen bundle+seal" if bundle else "docgen end to end"
    state = work / f"docgen-state-{workers}-{bundle}"
    out = work / f"docgen-{workers}-{bundle}"
    settings = Settings(state_dir=state, workers=workers, koerperschaft=BODY)
    timings: list[dict[str, float]] = []
    with JobProcesses(settings, prepare=True) as pool:  # as the daemon runs them
        warm = [pool.render(inputs[i % len(inputs)], out / "warmup", bundle=bundle) for i in range(2 * workers)]
        for future in warm:  # untimed: every process has started LibreOffice and the seal key
            future.result()
        with PeakSampler(str(state)) as sampler:
            began = time.perf_counter()
            results = [f.result() for f in [pool.render(p, out, bundle=bundle) for p in inputs]]
            seconds = time.perf_counter() - began
    per_doc = []
    for result in results:
        if isinstance(result, DocgenError):
            raise RuntimeError(f"docgen failed: {result.message}")
        timings.append(dict(result.timings))
        per_doc.append(sum(v for k, v in result.timings.items() if k != "total"))
    breakdown = {key: statistics.median(t.get(key, 0.0) for t in timings)
                 for key in dict.fromkeys(k for t in timings for k in t)}
    return Stage(name, workers, seconds, per_doc, sampler.max_mib(), breakdown, cpu_s=sampler.cpu_seconds)


def run_docgen_fill(inputs: list[Path], work: Path) -> Stage:
    """validate + render (DOCX only) in this process, one input after the other."""
    settings = Settings(state_dir=work / "fill-state", koerperschaft=BODY)
    out = work / "fill"
    render_file(inputs[0], out / "warmup", settings, None, docx_only=True)  # untimed
    per_doc = []
    began, cpu = time.perf_counter(), time.process_time()
    for path in inputs:
        start = time.perf_counter()
        render_file(path, out, settings, None, docx_only=True)
        per_doc.append(time.perf_counter() - start)
    return Stage("docgen validate+render", 1, time.perf_counter() - began, per_doc, 0.0,
                 cpu_s=time.process_time() - cpu)


def run_carbone_stage(inputs: list[Path], work: Path, factories: int, fill_only: bool) -> Stage:
    seconds, per_doc, peak = run_carbone(inputs, work, factories, fill_only=fill_only)
    name = "Carbone fill-only" if fill_only else "Carbone fill+convert"
    return Stage(name, factories, seconds, per_doc, peak)


def merged(parts: list[Stage]) -> Stage:
    """Several runs of one stage as one: all their documents over all their time."""
    first = parts[0]
    return Stage(first.name, first.processes, sum(p.seconds for p in parts), [x for p in parts for x in p.per_doc],
                 max(p.peak_rss_mib for p in parts))


def one_run(inputs: list[Path], docx: list[Path], work: Path, naive_procs: list[int],
            carbone: bool) -> tuple[list[Stage], dict[str, float]]:
    """Every stage once; and, with Carbone, docgen's two whole-job stages each between two Carbone runs.

    This machine's speed drifts by up to a third within minutes, so docgen's stages are each compared
    with the Carbone runs right before and after them (Carbone, docgen end to end, Carbone, docgen
    bundle+seal, Carbone, per number of processes): the *paired* ratios, docgen's docs/s over the
    mean of its two neighbours'. The Carbone row of the table is all its runs together.
    """
    stages = [run_naive(docx, work, procs) for procs in naive_procs]
    stages += [run_raw(docx, work, procs) for procs in (1, 2)]
    stages += [run_pool(docx, work, procs) for procs in (1, 2)]
    whole: dict[tuple[bool, int], Stage] = {}
    rivals: dict[int, list[Stage]] = {}
    paired: dict[str, float] = {}
    for procs in (1, 2):
        if carbone:
            rivals[procs] = [run_carbone_stage(inputs, work, procs, fill_only=False)]
        for bundle in (False, True):
            whole[bundle, procs] = run_docgen(inputs, work, procs, bundle=bundle)
            if carbone:
                rivals[procs].append(run_carbone_stage(inputs, work, procs, fill_only=False))
                around = statistics.mean(stage.docs_per_s for stage in rivals[procs][-2:])
                paired[paired_label(bundle, procs)] = whole[bundle, procs].docs_per_s / around
    stages += [whole[False, procs] for procs in (1, 2)] + [whole[True, procs] for procs in (1, 2)]
    stages.append(run_docgen_fill(inputs, work))
    if carbone:
        stages.append(run_carbone_stage(inputs, work, 1, fill_only=True))
        stages += [merged(rivals[procs]) for procs in (1, 2)]
    for label, value in paired.items():
        print(f"  paired: {label} {value:.2f}", flush=True)
    for stage in stages:
        print(f"  {stage.name:28} x{stage.processes}: {stage.docs_per_s:6.2f} docs/s, "
              f"median {statistics.median(stage.per_doc):.3f} s, "
              f"peak {stage.peak_rss_mib:.0f} MiB", flush=True)
    return stages, paired


def paired_label(bundle: bool, procs: int) -> str:
    """The ratio row a paired comparison stands for (its label in :func:`ratios`)."""
    return (f"docgen {'bundle+seal' if bundle else 'end to end'} / Carbone fill+convert, "
            f"{procs} process{'es' if procs > 1 else ''}")


def summarize(runs: list[list[Stage]]) -> list[dict[str, object]]:
    """Median of each figure over the runs, per stage."""
    rows = []
    for index, first in enumerate(runs[0]):
        same = [run[index] for run in runs]
        rows.append({
            "stage": first.name,
            "processes": first.processes,
            "docs_per_s": statistics.median(s.docs_per_s for s in same),
            "median_s": statistics.median(statistics.median(s.per_doc) for s in same),
            "p95_s": statistics.median(p95(s.per_doc) for s in same),
            "peak_rss_mib": statistics.median(s.peak_rss_mib for s in same),
            "runs_docs_per_s": [round(s.docs_per_s, 3) for s in same],
            "cpu_ms_per_doc": (statistics.median(1000 * s.cpu_s / len(s.per_doc) for s in same if s.cpu_s is not None)
                               if first.cpu_s is not None else None),
            "breakdown_s": {key: statistics.median(s.breakdown.get(key, 0.0) for s in same)
                            for key in first.breakdown},
        })
    return rows


def ratios(rows: list[dict[str, object]], paired: list[dict[str, float]] | None = None) -> list[dict[str, object]]:
    """Throughput ratios of the stages' medians; where a run paired docgen with Carbone runs right
    before and after it (:func:`one_run`), the median of those paired ratios instead."""
    rate = {(" ".join(str(r["stage"]).split()[:2]), r["processes"]): float(str(r["docs_per_s"]))
            for r in rows}
    wanted = [
        ("docgen 2 workers / naive 1 process", ("docgen end", 2), ("naive soffice", 1), 8.0),
        ("docgen 2 workers / naive 2 processes", ("docgen end", 2), ("naive soffice", 2), None),
        ("docgen 2 workers / raw warm 2 processes", ("docgen end", 2), ("raw warm", 2), 0.85),
        ("docgen 1 worker / raw warm 1 process", ("docgen end", 1), ("raw warm", 1), 0.85),
        ("docgen 2 workers / docgen 1 worker", ("docgen end", 2), ("docgen end", 1), 1.7),
        ("pool only 2 workers / raw warm 2 processes", ("docgen pool,", 2), ("raw warm", 2),
         0.85),
        ("pool only 1 worker / raw warm 1 process", ("docgen pool,", 1), ("raw warm", 1), 0.85),
        ("pool only 2 workers / pool only 1 worker", ("docgen pool,", 2), ("docgen pool,", 1),
         1.7),
        ("raw warm 2 processes / raw warm 1 process", ("raw warm", 2), ("raw warm", 1), 1.7),
        ("bundle+seal 2 workers / naive 1 process", ("docgen bundle+seal", 2), ("naive soffice", 1), None),
        ("bundle+seal 2 workers / bundle+seal 1 worker", ("docgen bundle+seal", 2), ("docgen bundle+seal", 1),
         1.7),
        ("docgen end to end / Carbone fill+convert, 1 process", ("docgen end", 1), ("Carbone fill+convert", 1),
         1.0),
        ("docgen end to end / Carbone fill+convert, 2 processes", ("docgen end", 2),
         ("Carbone fill+convert", 2), 1.0),
        ("docgen bundle+seal / Carbone fill+convert, 1 process", ("docgen bundle+seal", 1),
         ("Carbone fill+convert", 1), 0.8),
        ("docgen bundle+seal / Carbone fill+convert, 2 processes", ("docgen bundle+seal", 2),
         ("Carbone fill+convert", 2), 0.8),
        ("docgen validate+render / Carbone fill-only, 1 process", ("docgen validate+render", 1),
         ("Carbone fill-only", 1), None),
        ("raw warm / Carbone fill+convert, 1 process", ("raw warm", 1), ("Carbone fill+convert", 1), None),
        ("raw warm / Carbone fill+convert, 2 processes", ("raw warm", 2), ("Carbone fill+convert", 2), None),
    ]
    rows_out: list[dict[str, object]] = []
    for label, a, b, target in wanted:
        if a not in rate or b not in rate:
            continue
        per_run = [run[label] for run in paired or [] if label in run]
        value = statistics.median(per_run) if per_run else rate[a] / rate[b]
        rows_out.append({"ratio": label, "value": value, "target": target,
                         "met": None if target is None else value >= target,
                         **({"paired_runs": [round(v, 3) for v in per_run]} if per_run else {})})
    return rows_out


def cpu_text(value: object) -> str:
    return "—" if value is None else f"{float(str(value)):.0f}"


def markdown(result: dict[str, Any]) -> str:
    meta = result["meta"]
    assert isinstance(meta, dict)
    lines = [
        f"# docgen benchmark ({meta['date']})",
        "",
        f"{meta['n']} Beschlussvorlagen ({meta['pages']}), median of {meta['runs']} runs; "
        f"{meta['cpus']} CPUs, {meta['libreoffice']}, Python {meta['python']}; "
        f"1-minute load average at the start of each run: {meta['load_average_at_run_start']}.",
        f"Command: `.venv/bin/python {meta.get('command', 'bench/run.py')}`.",
        "",
        *([f"Carbone {meta['carbone']} (npm), its factories = processes; its template is docgen's "
           "Beschlussvorlage translated by `bench/carbone/make_template.py`. Carbone 3 passes no PDF "
           "filter options to LibreOffice, so it exports plain PDF (not PDF/A-2b, not tagged), "
           "which docgen does; its fill-only stage writes DOCX like docgen's validate+render.", ""]
          if meta.get("carbone") else []),
        "| stage | processes | docs/s | median s/doc | p95 s/doc | CPU ms/doc | peak RSS per soffice.bin |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["stages"]:
        lines.append(
            f"| {row['stage']} | {row['processes']} | {row['docs_per_s']:.2f} | "
            f"{row['median_s']:.3f} | {row['p95_s']:.3f} | {cpu_text(row.get('cpu_ms_per_doc'))} | "
            f"{row['peak_rss_mib']:.0f} MiB |"
        )
    lines += ["", "CPU ms/doc: the busy CPU time of the whole (otherwise idle) machine while the stage ran — docgen, "
              "LibreOffice, everything — per document; validate+render: that process's own. Less noisy than "
              "docs/s, and what two processes on two cores are bound by. — for Carbone, whose script starts its "
              "LibreOffice inside the timed call.",
              "", "Ratios of docs/s. Those against Carbone's conversion are *paired*: each run measures Carbone "
              "right before and after each docgen stage (Carbone, end to end, Carbone, bundle+seal, Carbone) and "
              "divides docgen's docs/s by the mean of those two, so that the machine's drift between stages "
              "cancels; the value is the median over the runs, each run's in brackets. The others: ratios of the "
              "stages' medians.",
              "", "| ratio (throughput) | value | target |", "| --- | ---: | --- |"]
    for row in result["ratios"]:
        target = "—" if row["target"] is None else (
            f"≥ {row['target']:g} {'met' if row['met'] else 'NOT met'}")
        runs = row.get("paired_runs")
        value = f"{row['value']:.2f}" + (f" (runs: {', '.join(f'{v:.2f}' for v in runs)})" if runs else "")
        lines.append(f"| {row['ratio']} | {value} | {target} |")
    for row in result["stages"]:
        if row["breakdown_s"]:
            parts = ", ".join(f"{key} {value:.3f}" for key, value in row["breakdown_s"].items())
            lines += ["", f"docgen with {row['processes']} worker(s), median s/doc by pipeline "
                      f"stage: {parts}"]
    return "\n".join(lines) + "\n"


def page_summary(pdf_dir: Path) -> str:
    from pypdf import PdfReader

    pages = sorted(len(PdfReader(p).pages) for p in pdf_dir.glob("vorlage-*.pdf"))
    return f"{pages[0]}–{pages[-1]} pages, median {statistics.median(pages):g}" if pages else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="documents per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-procs", default="1,2", help="parallel naive conversions")
    parser.add_argument("--memory", type=int, metavar="N", help="run memory.py with N jobs")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--no-carbone", action="store_true", help="skip the Carbone stages")
    args = parser.parse_args(argv)
    if args.memory:
        from memory import main as memory_main

        return memory_main(["--n", str(args.memory)])
    work = Path(tempfile.mkdtemp(prefix="docgen-bench-"))
    try:
        inputs, docx = prepare(work, args.n)
        carbone_version = None
        if not args.no_carbone:
            try:
                carbone_version = ensure_installed()
            except CarboneMissing as exc:
                print(f"Carbone skipped: {exc}", flush=True)
        naive_procs = [int(x) for x in args.naive_procs.split(",") if x]
        runs, paired, loads = [], [], []
        for number in range(args.runs):
            load = os.getloadavg()[0]
            loads.append(round(load, 2))
            note = "  (machine not idle: figures will be noisy)" if load > 0.7 else ""
            print(f"run {number + 1}/{args.runs}, load average {load:.2f}{note}", flush=True)
            stages, pairs = one_run(inputs, docx, work, naive_procs, carbone_version is not None)
            runs.append(stages)
            paired.append(pairs)
        rows = summarize(runs)
        result: dict[str, Any] = {
            "meta": {
                "date": time.strftime("%Y-%m-%d %H:%M"), "n": args.n, "runs": args.runs,
                "cpus": os.cpu_count(), "python": platform.python_version(),
                "libreoffice": subprocess.run(["soffice", "--version"], capture_output=True,
                                              text=True).stdout.strip(),
                "pages": page_summary(work / "pool-2"),
                "load_average_at_run_start": loads,
                "carbone": carbone_version,
                "command": "bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
            },
            "stages": rows,
            "ratios": ratios(rows, paired),
            "raw": [[asdict(stage) for stage in run] for run in runs],
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    table = markdown(result)
    (RESULTS / "latest.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
