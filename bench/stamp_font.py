"""The font subset for the Anlagenvermerk: docgen's subsetting beside fontTools' own, same run.

    .venv/bin/python bench/stamp_font.py [--n 40] [--runs 3]

Every bundle with Anlagen embeds a subset of LiberationSans holding the characters of its
marks ("Anlage 2 zur Vorlage 2025/0412"). A process keeps 16 subsets; a new set of
characters (most new Vorlage numbers) makes a new one. For ``--n`` different Vorlage
numbers the script times, cache cleared, (a) docgen's ``_subset_of_characters`` and
(b) the baseline: fontTools' subsetter with the same options, the layout tables dropped
only by ``drop_tables`` (as docgen did before). Both must yield the same tables, glyphs
and cmap, which is checked for every text. Results: ``results/stamp_font.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from fontTools import subset  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402

from docgen.stages import assemble  # noqa: E402


def baseline(data: bytes, characters: str) -> bytes:
    """fontTools with docgen's options, as docgen called it before: layout tables dropped by the options only."""
    font = TTFont(io.BytesIO(data))
    subsetter = subset.Subsetter(assemble.subset_options())
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def same_font(a: bytes, b: bytes) -> bool:
    fa, fb = TTFont(io.BytesIO(a)), TTFont(io.BytesIO(b))
    tags = sorted(fa.keys())
    tables = tags == sorted(fb.keys())
    glyphs = fa.getGlyphOrder() == fb.getGlyphOrder() and fa.getBestCmap() == fb.getBestCmap()
    return tables and glyphs and all(fa.getTableData(t) == fb.getTableData(t)
                                      for t in tags if t not in ("GlyphOrder", "head"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    font_file = assemble._stamp_font_file()
    if font_file is None:
        sys.exit(f"{assemble.STAMP_FONT_FILE} nicht gefunden (Paket fonts-liberation2).")
    data = font_file.read_bytes()
    baseline(data, "x")  # imports and first-use costs out of the timings
    texts = ["".join(sorted(set(assemble.stamp_text("Anlage 1", f"Vorlage 2025/{100 + 37 * i:04d}"))))
             for i in range(args.n)]
    texts = list(dict.fromkeys(texts))  # distinct character sets only: each one a cache miss
    times: dict[str, list[float]] = {"docgen": [], "fontTools (baseline)": []}
    for _ in range(args.runs):
        for characters in texts:  # interleaved, so a change of machine speed hits both alike
            start = time.perf_counter()
            base = baseline(data, characters)
            times["fontTools (baseline)"].append(time.perf_counter() - start)
            assemble._subset_of_characters.cache_clear()
            start = time.perf_counter()
            ours = assemble._subset_of_characters(data, characters)
            times["docgen"].append(time.perf_counter() - start)
            if not same_font(ours, base):
                sys.exit(f"Teilschrift für {characters!r} weicht ab")
    rows = {name: {"median_s": statistics.median(t), "p95_s": sorted(t)[int(0.95 * (len(t) - 1))]}
            for name, t in times.items()}
    ratio = rows["fontTools (baseline)"]["median_s"] / rows["docgen"]["median_s"]
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [f"# Anlagenvermerk font subset ({stamp})", "",
             f"{len(texts)} distinct character sets × {args.runs} runs, interleaved; every subset checked "
             "equal (tables, glyph order, cmap, table data).",
             f"Command: `.venv/bin/python bench/stamp_font.py --n {args.n} --runs {args.runs}`.", "",
             "| subsetter | median s | p95 s |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {r['median_s']:.4f} | {r['p95_s']:.4f} |" for name, r in rows.items()]
    lines += ["", f"docgen is {ratio:.1f}× faster per new character set."]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "stamp_font.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / "stamp_font.json").write_text(json.dumps({"when": stamp, "sets": len(texts), "runs": args.runs,
                                                         "rows": rows, "ratio": ratio}, indent=1) + "\n",
                                             encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
