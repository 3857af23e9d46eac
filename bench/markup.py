"""Reading inline markup (bold, italic, links) in long texts: the reader now beside the one before.

    .venv/bin/python bench/markup.py [--sizes 10000 20000 40000 80000] [--before-up-to 80000]

Rich text may hold ``**fett**``, ``*kursiv*`` and ``[Text](https://…)``. Up to commit a3610b3 it was
read with one regular expression, recursively: an opening ``**`` or ``*`` looked for its closing
through the rest of the text, so a text with many openings and no closings cost the square of its
length (and nesting a few thousand deep overflowed Python's recursion: an internal error). The reader
now (``richtext.inline_spans``) finds every possible closing once and reads the text in one pass.

For each shape of text and each size: CPU seconds of one read, best of three, now and before
(before only up to ``--before-up-to`` characters, and only while its last time, grown with the
square of the size, stays under a minute), and microseconds per
1,000 characters (flat = linear). An everyday paragraph with some markup is timed too.
Results: ``results/markup.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results_io import save  # noqa: E402

from docgen import __version__  # noqa: E402
from docgen.richtext import Span, inline_spans  # noqa: E402

_BEFORE = re.compile(  # the expression the reader used up to a3610b3
    r"\\(?P<esc>[*\[\]\\])"
    r"|(?<![\w*\\])\*\*(?=\S)(?P<bold>.+?)(?<=\S)(?<!\\)\*\*(?![\w*])"
    r"|(?<![\w*\\])\*(?=[^\s*])(?P<italic>.+?)(?<=\S)(?<![\\*])\*(?![\w*])"
    r"|\[(?P<text>[^\]\n]+)\]\((?P<url>(?:https?://|mailto:)[^\s()<>]+)\)",
    re.S,
)


def before(text: str, bold: bool = False, italic: bool = False, url: str | None = None) -> list[Span]:
    """The reader up to a3610b3 (its structure, without merging adjacent spans)."""
    spans: list[Span] = []
    pos = 0
    for match in _BEFORE.finditer(text):
        spans.append(Span(text[pos:match.start()], bold, italic, url))
        pos = match.end()
        if match.group("bold") is not None:
            spans += before(match.group("bold"), True, italic, url)
        elif match.group("italic") is not None:
            spans += before(match.group("italic"), bold, True, url)
        elif match.group("text") is not None and url is None:
            spans += before(match.group("text"), bold, italic, match.group("url"))
        else:
            spans.append(Span(match.group(0), bold, italic, url))
    spans.append(Span(text[pos:], bold, italic, url))
    return spans


SHAPES: dict[str, Callable[[int], str]] = {
    "bold openings without a closing (`**a `)": lambda n: ("**a " * (n // 4 + 1))[:n],
    "italic openings without a closing (`*a `)": lambda n: ("*a " * (n // 3 + 1))[:n],
    "opening brackets (`[`)": lambda n: "[" * n,
    "links without their `)`": lambda n: ("[a](https://x.de " * (n // 17 + 1))[:n],
}
EVERYDAY = ("Das Kommunale Integrationszentrum hat **2025** insgesamt *128 Beratungen* durchgeführt; "
            "die Förderung beträgt 84.000,00 € (siehe [Förderrichtlinie](https://www.mkjfgfi.nrw/foerderung)). "
            "Mitarbeiter*innen der Verwaltung und \\*Ehrenamtliche\\* wirkten mit. ") * 4


def best_of(read: Callable[[str], object], text: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        read(text)
        times.append(time.process_time() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000, 80_000])
    parser.add_argument("--before-up-to", type=int, default=80_000)
    args = parser.parse_args(argv)
    rows = []
    for shape, make in SHAPES.items():
        last: tuple[int, float] | None = None
        for size in args.sizes:
            text = make(size)
            now = best_of(inline_spans, text)
            # before: only while even a cost growing with the square of the size stays under a minute
            cheap = last is None or last[1] * (size / last[0]) ** 2 < 60
            was = best_of(before, text, runs=1) if cheap and size <= args.before_up_to else None
            if was is not None:
                last = (size, was)
            rows.append({"shape": shape, "chars": size, "now_s": now, "before_s": was})
            print(f"{shape[:40]:40} {size:7}  now {now:.4f} s  before "
                  + (f"{was:.3f} s" if was is not None else "—"), flush=True)
    everyday = {"chars": len(EVERYDAY), "now_us": 1e6 * best_of(inline_spans, EVERYDAY, 200),
                "before_us": 1e6 * best_of(before, EVERYDAY, 200)}
    result = {"when": dt.datetime.now().isoformat(timespec="minutes"), "version": __version__, "rows": rows,
              "everyday": everyday, "command": ".venv/bin/python bench/markup.py --sizes "
              + " ".join(str(s) for s in args.sizes) + f" --before-up-to {args.before_up_to}"}
    save("markup", result, report(result))
    return 0


def report(data: dict) -> str:
    lines = [f"# Reading inline markup in long texts ({data['when']})", "",
             f"Command: `{data['command']}`. CPU seconds of one read (best of three; before: one read), "
             "and microseconds per 1,000 characters for the reader now.", "",
             "| text | characters | now (s) | now (µs per 1,000 characters) | before (s) |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for r in data["rows"]:
        was = f"{r['before_s']:.3f}" if r["before_s"] is not None else "— (skipped)"
        lines.append(f"| {r['shape']} | {r['chars']:,} | {r['now_s']:.4f} | {1e9 * r['now_s'] / r['chars']:.0f} "
                     f"| {was} |")
    e = data["everyday"]
    lines += ["", f"An everyday paragraph with bold, italic, a link, a gender star and escaped stars "
              f"({e['chars']:,} characters): now {e['now_us']:.0f} µs, before {e['before_us']:.0f} µs."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
