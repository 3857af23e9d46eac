"""Memory of one warm LibreOffice worker over many conversions (target: flat, ≤ 260 MiB).

Usage::

    .venv/bin/python bench/memory.py [--n 500] [--every 50] [--docs 40]

Converts ``--n`` documents on a one-worker :class:`LibreOfficePool` whose
``max_jobs_per_worker`` is above ``--n`` (so it is never recycled), cycling
through ``--docs`` distinct rendered Beschlussvorlagen, and reads VmRSS and
VmHWM of its ``soffice.bin`` every ``--every`` conversions. Results go to
``bench/results/memory.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from generate import write_inputs
from lo import memory_kib, soffice_bin_pids

from docgen.api import render_file
from docgen.settings import Settings
from docgen.stages.convert.pool import LibreOfficePool

RESULTS = Path(__file__).resolve().parent / "results"
LIMIT_MIB = 260


def measure(work: Path, n: int, every: int, docs: int) -> list[dict[str, float]]:
    inputs = write_inputs(work / "inputs", docs)
    prepare = Settings(state_dir=work / "prepare-state")
    docx = [render_file(p, work / "docx", prepare, None, docx_only=True).docx for p in inputs]
    settings = Settings(state_dir=work / "state", workers=1, max_jobs_per_worker=n + 1)
    samples = []
    with LibreOfficePool(settings) as pool:
        pid = pool.worker_pids()[0]
        began = time.perf_counter()
        for done in range(n + 1):
            if done % every == 0:
                office = soffice_bin_pids(str(work / "state"))
                if len(office) != 1 or pool.worker_pids()[0] != pid:
                    raise RuntimeError(f"worker was replaced during the run ({office})")
                mem = memory_kib(office[0])
                samples.append({"conversions": done, "vmrss_mib": mem["VmRSS"] / 1024,
                                "vmhwm_mib": mem["VmHWM"] / 1024,
                                "seconds": time.perf_counter() - began})
                print(f"{done:5d} conversions: VmRSS {mem['VmRSS'] / 1024:6.1f} MiB, "
                      f"VmHWM {mem['VmHWM'] / 1024:6.1f} MiB", flush=True)
            if done < n:
                source = docx[done % len(docx)]
                pool.convert(source, work / "out" / f"{done % len(docx)}.pdf")
    return samples


def markdown(samples: list[dict[str, float]], n: int) -> str:
    rss = [s["vmrss_mib"] for s in samples]
    after_warmup = [s["vmrss_mib"] for s in samples if s["conversions"] >= 50] or rss
    peak = max(s["vmhwm_mib"] for s in samples)
    lines = [
        f"# LibreOffice worker memory over {n} conversions ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        "| conversions | VmRSS (MiB) | VmHWM (MiB) | elapsed (s) |",
        "| ---: | ---: | ---: | ---: |",
        *(f"| {s['conversions']:.0f} | {s['vmrss_mib']:.1f} | {s['vmhwm_mib']:.1f} | "
          f"{s['seconds']:.0f} |" for s in samples),
        "",
        f"Peak (VmHWM) {peak:.1f} MiB — target ≤ {LIMIT_MIB} MiB: "
        f"{'met' if peak <= LIMIT_MIB else 'NOT met'}. VmRSS from conversion 50 on: "
        f"{min(after_warmup):.1f}–{max(after_warmup):.1f} MiB "
        f"(drift {after_warmup[-1] - after_warmup[0]:+.1f} MiB).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="conversions")
    parser.add_argument("--every", type=int, default=50, help="read memory every N conversions")
    parser.add_argument("--docs", type=int, default=40, help="distinct documents to cycle")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="docgen-memory-"))
    try:
        samples = measure(work, args.n, args.every, args.docs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    table = markdown(samples, args.n)
    (RESULTS / "memory.json").write_text(json.dumps(samples, indent=1) + "\n", encoding="utf-8")
    (RESULTS / "memory.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
