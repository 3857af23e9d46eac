"""The worker's levers per document, each against its baseline, in LibreOffices side by side.

    .venv/bin/python bench/lo_window.py [--n 60]

One generated Beschlussvorlage and its Freigabevermerk (the DOCX files docgen converts, from
``lo_costs.write_inputs``) are converted N times each by four LibreOffice processes of their own,
interleaved:

1. ``new``: every document loaded into a new window and closed, its type detected by LibreOffice
   (docgen before the worker kept a window);
2. ``window``: every document loaded into the worker's one window, taken out and closed
   (``uno_worker.Window``), its type still detected;
3. ``filter``: as 2, with Word's import filter named (``uno_worker.import_filter``);
4. ``profile``: as 3, in a profile with the worker's settings (``uno_worker.PROFILE_SETTINGS``:
   word completion collects no words), as docgen's worker runs.

One process each, because a window left open in the same LibreOffice makes new windows cheaper and
would blur the baseline. Reported: each LibreOffice's CPU per Vorlage + Freigabevermerk (from /proc)
and its resident memory before and after — a document replaced in the window but not closed stays
in memory (1.5 MiB per conversion), which this figure shows. Parts under the system Python
(``uno``), started by this script. Results: ``results/lo_window.{json,md}``.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VARIANTS = {"new": "a new window per document, closed; type detected (docgen before)",
            "window": "the worker's one window, document taken out and closed; type detected",
            "filter": "the worker's one window; Word's import filter named",
            "profile": "the worker's one window, import filter named; no word collection (docgen)"}


# -- under the system Python: LibreOffice -----------------------------------------------------

def _proc(pid: int) -> tuple[float, float]:
    """CPU seconds and VmRSS (MiB) of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS")) / 1024
    return cpu, rss


def _soffice_bin(marker: str) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "soffice.bin" and \
                        marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError(f"soffice.bin mit {marker} nicht gefunden")


def measure_office(files: dict[str, str], n: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "docgen" / "stages" / "convert"))
    import uno_worker as worker  # type: ignore[import-not-found]

    out = Path(files["out"])
    offices: dict[str, tuple[Any, Any, int, Any]] = {}
    try:
        for name in VARIANTS:
            profile = Path(files["profile"] + f"-{name}")
            pipe = f"docgen-bench-window-{name}-{os.getpid()}"
            if name == "profile":
                worker.prepare_profile(profile)  # the others keep LibreOffice's defaults
            office = worker.start_office("soffice", profile, pipe)
            desktop = worker.connect(pipe, office, 60)
            offices[name] = (office, desktop, _soffice_bin(str(profile)),
                             None if name == "new" else worker.Window())

        def pair(name: str) -> None:
            _office, desktop, _pid, window = offices[name]
            for key in ("vorlage", "signoff"):
                worker.convert(desktop, files[key], str(out / f"{name}-{key}.pdf"), worker.DEFAULT_FILTER_DATA,
                               window=window, detect=name in ("new", "window"))

        for name in offices:
            for _ in range(3):  # untimed: hyphenation patterns, caches
                pair(name)
        before = {name: _proc(pid)[1] for name, (_o, _d, pid, _w) in offices.items()}
        cpu: dict[str, list[float]] = {name: [] for name in offices}
        for round_ in range(n):
            order = list(offices.items())
            for name, (_o, _d, pid, _w) in order[round_ % len(order):] + order[:round_ % len(order)]:
                start = _proc(pid)[0]
                pair(name)
                cpu[name].append(_proc(pid)[0] - start)
        return {name: {"cpu_ms_mean": 1000 * statistics.mean(values), "cpu_ms_median": 1000 * statistics.median(values),
                       "rss_before_mib": before[name], "rss_after_mib": _proc(offices[name][2])[1]}
                for name, values in cpu.items()}
    finally:
        for office, desktop, _pid, _window in offices.values():
            worker.quit_office(desktop, office)


# -- under the project's Python: inputs, report ----------------------------------------------

def markdown(data: dict[str, Any]) -> str:
    office = data["office"]
    lines = [f"# The worker's window and its named import filter, each against its baseline ({data['date']})", "",
             f"Command: `{data['command']}`; one generated Beschlussvorlage (4–5 pages) and its Freigabevermerk, "
             f"converted {data['n']} times each by {len(VARIANTS)} LibreOffice processes of their own, interleaved; "
             "LibreOffice CPU from /proc.", "",
             "| LibreOffice loads each document into | CPU per Vorlage + Freigabevermerk, mean / median | "
             f"VmRSS before → after {2 * data['n']} conversions |", "| --- | ---: | ---: |"]
    for name, label in VARIANTS.items():
        row = office[name]
        lines.append(f"| {label} | {row['cpu_ms_mean']:.1f} / {row['cpu_ms_median']:.0f} ms | "
                     f"{row['rss_before_mib']:.0f} → {row['rss_after_mib']:.0f} MiB |")
    lines.append("")
    for lever, before, after in (("The window", "new", "window"), ("Naming the import filter", "window", "filter"),
                                 ("No word collection", "filter", "profile")):
        saved = office[before]["cpu_ms_mean"] - office[after]["cpu_ms_mean"]
        lines.append(f"{lever} saves {saved:.1f} ms of LibreOffice CPU per bundle's two conversions in this run "
                     f"({100 * saved / office[before]['cpu_ms_mean']:.1f} %).")
    return "\n".join(lines) + "\n"


def main() -> None:
    from lo_costs import arguments, office_part, save, write_inputs

    args = arguments(__doc__, 60, measure_office)
    if args is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        office = office_part(__file__, args.n, write_inputs(Path(tmp)))
    data = {"date": dt.datetime.now().isoformat(timespec="minutes"), "n": args.n,
            "command": f".venv/bin/python bench/lo_window.py --n {args.n}", "office": office}
    save("lo_window", data, markdown(data))


if __name__ == "__main__":
    main()
