"""Benchmark: the hot folder under a burst, and one file into an idle daemon.

Usage::

    .venv/bin/python bench/hotfolder.py [--n 100] [--naive 100]

1. N Beschlussvorlagen dropped at once into the inbox of a real ``docgen watch``
   (2 workers): wall time from the drop until the last bundle appears, and the
   per-file latency (drop → bundle), median and p95;
2. the same documents converted one by one with plain ``soffice --convert-to``
   (what a script would do; ``--naive`` of them, extrapolated to N if fewer);
3. one file dropped into the idle daemon (drop → bundle), against one warm
   conversion of the same document;
0. before all that, the first file after the start (its workers up, nothing done yet), drop → bundle:
   what the first file of the day waits.
Results: ``bench/results/hotfolder.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import write_inputs

from docgen.api import open_converter, render_file
from docgen.settings import Settings
from docgen.stages.convert.oneshot import soffice_argv

RESULTS = Path(__file__).resolve().parent / "results"


def start_daemon(root: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env.update(DOCGEN_INBOX=str(root / "in"), DOCGEN_OUTBOX=str(root / "out"), DOCGEN_STATE_DIR=str(root / "st"),
               DOCGEN_WORKERS="2", DOCGEN_STABLE_SECONDS="1", DOCGEN_POLL="0.2", DOCGEN_RESCAN_SECONDS="5",
               DOCGEN_KOERPERSCHAFT_NAME="Kreis Musterland")  # docgen names no body of its own
    for name in ("in", "out", "st"):
        (root / name).mkdir(parents=True, exist_ok=True)
    log = (root / "watch.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "docgen", "watch"], env=env, stdout=log, stderr=log,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    # Started: the start message and both LibreOffice workers up (they start after the message).
    while (text := (root / "watch.log").read_text(encoding="utf-8")).count("LibreOffice worker ") < 2 \
            or "docgen watch:" not in text:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("docgen watch did not start; see " + str(root / "watch.log"))
        time.sleep(0.2)
    time.sleep(2)  # the job processes' own start (imports, seal, templates) ends meanwhile
    return proc


def drop(files: list[Path], inbox: Path) -> dict[str, float]:
    """Rename staged files into the inbox at once; their drop times."""
    dropped = {}
    for path in files:
        os.rename(path, inbox / path.name)
        dropped[path.stem] = time.time()
    return dropped


def wait_for_bundles(outbox: Path, dropped: dict[str, float], timeout: float) -> dict[str, float]:
    """Poll the outbox; the latency of every bundle (drop → file appears)."""
    seen: dict[str, float] = {}
    end = time.monotonic() + timeout
    while len(seen) < len(dropped) and time.monotonic() < end:
        now = time.time()
        for stem in dropped:
            if stem not in seen and (outbox / f"{stem}.pdf").exists():
                seen[stem] = now - dropped[stem]
        time.sleep(0.05)
    if len(seen) < len(dropped):
        raise RuntimeError(f"only {len(seen)} of {len(dropped)} bundles appeared")
    return seen


def naive(inputs: list[Path], work: Path, count: int) -> float:
    """Seconds for plain soffice --convert-to, one by one, over ``count`` documents."""
    settings = Settings(state_dir=work / "prep")
    docx = [render_file(p, work / "docx", settings, None, docx_only=True).docx for p in inputs[:count]]
    start = time.perf_counter()
    for path in docx:
        profile = Path(tempfile.mkdtemp(dir=work))
        subprocess.run(soffice_argv("soffice", profile, path, work / "naive"), check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def warm_single(source: Path, work: Path) -> float:
    settings = Settings(state_dir=work / "warm", workers=1)
    docx = render_file(source, work / "warm-docx", settings, None, docx_only=True).docx
    with open_converter(settings, pooled=True) as converter:
        converter.convert(docx, work / "warm-1.pdf")  # warm-up
        start = time.perf_counter()
        converter.convert(docx, work / "warm-2.pdf")
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--naive", type=int, default=100, help="documents for the soffice baseline")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="docgen-bench-hot-") as tmp:
        work = Path(tmp)
        inputs = write_inputs(work / "staged", args.n + 2)
        burst, single, opening = inputs[:args.n], inputs[args.n], inputs[args.n + 1]
        keep = work / "copies"
        keep.mkdir()
        for path in inputs:
            (keep / path.name).write_bytes(path.read_bytes())
        proc = start_daemon(work / "hot")
        try:
            first_file = wait_for_bundles(work / "hot" / "out", drop([opening], work / "hot" / "in"), 300)
            time.sleep(2)
            dropped = drop(burst, work / "hot" / "in")
            latencies = wait_for_bundles(work / "hot" / "out", dropped, 3600)
            first = min(dropped.values())
            wall = max(dropped[s] - first + latencies[s] for s in latencies)  # first drop → last bundle
            time.sleep(2)
            idle = wait_for_bundles(work / "hot" / "out", drop([single], work / "hot" / "in"), 300)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        copies = sorted(keep.glob("*.json"))
        naive_count = min(args.naive, args.n)
        naive_s = naive(copies, work, naive_count) * args.n / naive_count
        warm_s = warm_single(copies[-1], work)
    values = sorted(latencies.values())
    result = {
        "files": args.n, "wall_seconds": round(wall, 2), "files_per_second": round(args.n / wall, 2),
        "latency_median_s": round(statistics.median(values), 2),
        "latency_p95_s": round(values[int(0.95 * (len(values) - 1))], 2),
        "naive_one_by_one_seconds": round(naive_s, 2), "naive_measured_on": naive_count,
        "speedup_vs_naive": round(naive_s / wall, 2),
        "idle_drop_to_bundle_s": round(next(iter(idle.values())), 2), "one_warm_conversion_s": round(warm_s, 3),
        "first_file_after_start_s": round(next(iter(first_file.values())), 2),
    }
    md = (f"# Hot folder: {args.n} Beschlussvorlagen dropped at once (2 workers, full bundle with seal)\n\n"
          f"Command: `.venv/bin/python bench/hotfolder.py --n {args.n} --naive {args.naive}`.\n\n"
          "| figure | value |\n| --- | ---: |\n"
          f"| wall time until the last bundle | {wall:.1f} s ({result['files_per_second']} files/s) |\n"
          f"| latency drop → bundle, median / p95 | {result['latency_median_s']} s / {result['latency_p95_s']} s |\n"
          f"| plain soffice --convert-to one by one (same documents"
          f"{'' if naive_count == args.n else f', {naive_count} measured, extrapolated'}) | {naive_s:.1f} s |\n"
          f"| speed-up of the daemon over the plain loop | {result['speedup_vs_naive']}× |\n"
          f"| the first file after the start, drop → bundle | {result['first_file_after_start_s']} s |\n"
          f"| one file into the idle daemon, drop → bundle | {result['idle_drop_to_bundle_s']} s |\n"
          f"| one warm conversion of the same document | {warm_s:.3f} s |\n\n"
          "The idle latency includes the stability delay (1 s here; default 3 s) and the poll interval "
          "(0.2 s), two conversions (document and Freigabevermerk), assembling and sealing. The first file "
          "after the start meets job processes that have not run a job yet.\n")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hotfolder.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "hotfolder.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
