"""How render time grows with the size of rich text: table rows and list items.

    .venv/bin/python bench/render_size.py [--sizes 250 500 1000 2000] [--convert] [--runs 3]

For each size it writes a Beschlussvorlage (the shipped example) whose Sachlage holds one
table of that many rows (4 columns) or one list of that many items, validates it, renders
the DOCX (the render stage alone, in this process) and prints the best of ``--runs`` as
seconds and seconds per 1,000 rows. Linear rendering shows a flat "s per 1,000" column.
``--convert`` also times the whole CLI (`docgen render --no-bundle`: validate, render,
LibreOffice to PDF/A), which is what the render and convert timeouts have to allow for.
Finally it times an input over the limits (100,000 list items), which must be refused
quickly with exit 4.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docgen.api import validate  # noqa: E402
from docgen.errors import DocgenError  # noqa: E402
from docgen.settings import load_settings  # noqa: E402
from docgen.stages.render import render_docx  # noqa: E402


def document(kind: str, size: int, short: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "beschlussvorlage.json").read_text(encoding="utf-8"))
    data.pop("freigabe", None)
    data.pop("anlagen", None)
    if kind == "tabelle":
        rows = [[f"{i + 1}", f"Maßnahme {i + 1} im Quartier", f"{(i * 37) % 9000 + 100}.000,00 €", "laufend"]
                for i in range(size)]
        block: dict[str, Any] = {"tabelle": {"spalten": ["Nr.", "Maßnahme", "Betrag", "Stand"], "zeilen": rows}}
    else:
        text = "Punkt {}" if short else "Punkt {}: Sprachkurs für Eltern im Familienzentrum"
        block = {"liste": [text.format(i + 1) for i in range(size)]}
    data["sachlage"] = ["Übersicht:", block]
    return data


def time_render(path: Path, runs: int) -> float:
    settings = load_settings(None, {})
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        job = validate(path, settings)
        render_docx(job, path.with_suffix(".docx"), settings)
        best = min(best, time.perf_counter() - start)
    return best


def time_cli(path: Path, out: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "docgen", "-q", "render", str(path), "--no-bundle",
                           "--out", str(out)], capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--convert", action="store_true", help="also time the CLI with LibreOffice")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
        folder = Path(tmp)
        header = f"{'Art':<8} {'Zeilen':>7} {'Render s':>9} {'s/1.000':>8}"
        print(header + (f" {'CLI+PDF s':>10} {'s/1.000':>8}" if args.convert else ""))
        for kind in ("tabelle", "liste"):
            for size in args.sizes:
                path = folder / f"{kind}-{size}.json"
                path.write_text(json.dumps(document(kind, size), ensure_ascii=False), encoding="utf-8")
                try:
                    seconds = time_render(path, args.runs)
                except DocgenError as exc:
                    print(f"{kind:<8} {size:>7} abgelehnt, exit {int(exc.exit_code)}: {exc.lines()[0][:100]}")
                    continue
                line = f"{kind:<8} {size:>7} {seconds:>9.3f} {seconds / size * 1000:>8.3f}"
                if args.convert:
                    total, code = time_cli(path, folder / f"out-{kind}-{size}")
                    line += f" {total:>10.2f} {total / size * 1000:>8.3f}" + ("" if code == 0 else f" exit {code}")
                print(line, flush=True)
        path = folder / "zu-gross.json"
        path.write_text(json.dumps(document("liste", 100_000, short=True), ensure_ascii=False), encoding="utf-8")
        start = time.perf_counter()
        try:
            time_render(path, 1)
            outcome = "angenommen (Grenze fehlt!)"
        except DocgenError as exc:
            outcome = f"exit {int(exc.exit_code)}: {exc.lines()[0][:110]}"
        print(f"100.000 Listenpunkte ({path.stat().st_size / 1e6:.1f} MB): {time.perf_counter() - start:.2f} s, "
              f"{outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
