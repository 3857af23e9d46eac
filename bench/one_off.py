"""One-off commands, wall time: ``docgen render`` of the example alone and beside a running ``docgen watch``.

    .venv/bin/python bench/one_off.py [--runs 5]

In one run, alternating, each a new ``docgen`` process as a user starts it (the venv's
console script), on the bundled example (Beschlussvorlage with a PDF Anlage, sealed bundle):

1. ``docgen render`` with nothing else running: it starts its own LibreOffice (the baseline);
2. the same while a ``docgen watch`` of the same installation (same ``state_dir``, same user, one
   LibreOffice worker, idle) runs: the render converts in the daemon's warm LibreOffice;
3. ``docgen validate`` of the example and ``docgen --help``.

Wall seconds from process start to exit, and the CPU seconds of the command's process
(``os.wait4``). Results: ``results/one_off.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_io import save

ROOT = Path(__file__).resolve().parent.parent
DOCGEN = Path(sys.executable).parent / "docgen"
EXAMPLE = ROOT / "examples" / "beschlussvorlage.json"
READY = "LibreOffice-Prozess 0 gestartet"


def config(folder: Path) -> Path:
    for name in ("eingang", "ausgang"):
        (folder / name).mkdir(parents=True)
    path = folder / "docgen.toml"
    path.write_text(f'inbox = "{folder / "eingang"}"\noutbox = "{folder / "ausgang"}"\n'
                    f'state_dir = "{folder / "zustand"}"\nworkers = 1\n\n'
                    '[koerperschaft]\nname = "Kreis Musterland"\nverwaltungsspitze = "Der Landrat"\n',
                    encoding="utf-8")
    return path


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command (its process and its children)."""
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    assert proc.stderr is not None
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)}: {proc.stderr.read().decode()}")
    proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def render(cfg: Path, out: Path) -> tuple[float, float]:
    return timed([str(DOCGEN), "-q", "--config", str(cfg), "render", str(EXAMPLE), "--out", str(out)])


def start_watch(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    daemon = subprocess.Popen([str(DOCGEN), "--config", str(cfg), "watch"], stdout=log.open("wb"),
                              stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
    deadline = time.monotonic() + 120
    while READY not in log.read_text(encoding="utf-8", errors="replace"):
        if daemon.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"docgen watch did not start: {log.read_text(encoding='utf-8')}")
        time.sleep(0.2)
    time.sleep(3)  # its job processes prepare (seal, templates) once LibreOffice is up: let them finish
    return daemon


def summary(values: list[float]) -> dict[str, object]:
    return {"runs": [round(v, 3) for v in values], "median": round(statistics.median(values), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    rows: dict[str, tuple[list[float], list[float]]] = {
        "render, alone (own LibreOffice)": ([], []), "render beside docgen watch": ([], []),
        "validate": ([], []), "--help": ([], []),
    }
    with tempfile.TemporaryDirectory(prefix="docgen-one-off-") as tmp:
        work = Path(tmp)
        alone, beside = config(work / "allein"), config(work / "mit-dienst")
        # Each installation once before timing: the local seal is made, templates and subsets cached.
        render(alone, work / "vorab-1")
        daemon = start_watch(beside, work / "watch.log")
        try:
            render(beside, work / "vorab-2")
            for i in range(args.runs):
                for name, argv_cfg in (("render, alone (own LibreOffice)", alone),
                                       ("render beside docgen watch", beside)):
                    wall, cpu = render(argv_cfg, work / f"{i}-{argv_cfg.parent.name}")
                    rows[name][0].append(wall)
                    rows[name][1].append(cpu)
                for name, command in (("validate", ["--config", str(alone), "validate", str(EXAMPLE)]),
                                      ("--help", ["--help"])):
                    wall, cpu = timed([str(DOCGEN), *command])
                    rows[name][0].append(wall)
                    rows[name][1].append(cpu)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
    load = os.getloadavg()[0]
    result = {"when": dt.datetime.now().isoformat(timespec="minutes"), "cpus": os.cpu_count(),
              "load_1min_at_end": round(load, 2), "runs": args.runs,
              "commands": {name: {"wall": summary(w), "cpu": summary(c)} for name, (w, c) in rows.items()}}
    lines = [
        f"# One-off commands, wall time ({result['when']})", "",
        f"Command: `.venv/bin/python bench/one_off.py --runs {args.runs}`; each row {args.runs} runs, alternating, "
        f"a new `docgen` process each; {os.cpu_count()} CPUs, 1-minute load {load:.2f} at the end. The render is "
        "`docgen -q --config … render examples/beschlussvorlage.json --out …` (sealed bundle with its PDF Anlage).",
        "",
        "| command | wall s (runs) | median wall s | median CPU s |",
        "| --- | --- | ---: | ---: |",
    ]
    for name, (walls, cpus) in rows.items():
        lines.append(f"| {name} | {' '.join(f'{v:.2f}' for v in walls)} | {statistics.median(walls):.2f} "
                     f"| {statistics.median(cpus):.2f} |")
    lines += ["", "CPU: user + system seconds of the `docgen` process and the children it waited for. Neither "
              "LibreOffice counts: a render alone kills its own at the end (the system reaps it), and beside the "
              "daemon the conversions run in the daemon's. Alone, the wall time is LibreOffice's start and its "
              "first German paragraph (the hyphenation patterns, `bench/results/lo_costs.md`).", ""]
    save("one_off", result, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
