"""Cleaning a signed Anlage: how its object references are found, beside the way it was done before.

    .venv/bin/python bench/sanitize.py [--n 5]

Before an Anlage is merged, ``stages/sanitize.py`` reads every object's text for references to
other objects. A signed PDF's signature value (``/Contents``) is a hex string padded with zeros up to
the size its signer reserved: tens of thousands of digits in a row. The reference pattern used
before (``(\\d+) (\\d+) R``) tried a match from every digit of such a run and gave the digits back one
by one, so its cost grew with the square of the run; the pattern now starts only at the first digit
of a number and never gives digits back. Both find the same references (checked here on every file).

The example Anlage is signed with the seal of this installation (made in a temporary folder) and
several reserved sizes: pyHanko's default, docgen's own seal (``SIGNATURE_BYTES``), and larger ones
as signers that embed revocation data reserve them. Each file is opened and cleaned ``--n`` times
with each pattern, alternating; CPU milliseconds per clean, median. Results: ``results/sanitize.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pikepdf  # noqa: E402
from results_io import save  # noqa: E402

import docgen.stages.sanitize as sanitize_module  # noqa: E402
from docgen import __version__  # noqa: E402
from docgen.settings import Koerperschaft, Settings  # noqa: E402
from docgen.stages.seal import SIGNATURE_BYTES, load_seal  # noqa: E402

ANLAGE = ROOT / "examples" / "anlagen" / "zielerreichung-2024-2025.pdf"
BEFORE = re.compile(rb"(\d+) (\d+) R(?![^\s()<>\[\]{}/%])")  # the pattern up to this benchmark
NOW = sanitize_module._REFERENCE
RESERVED = [None, SIGNATURE_BYTES, 32768, 65536]  # None: pyHanko's default


def signed_copy(out: Path, settings: Settings, reserved: int | None) -> Path:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key = load_seal(settings)
    extra = {} if reserved is None else {"bytes_reserved": reserved}
    with ANLAGE.open("rb") as fh, out.open("wb") as target:
        signers.sign_pdf(IncrementalPdfFileWriter(fh, strict=False), signers.PdfSignatureMetadata(
            field_name="Bescheid", subfilter=fields.SigSeedSubFilter.PADES), signer=key.signer, output=target,
            **extra)
    return out


def longest_zero_run(pdf: Path) -> int:
    return max((len(m) for m in re.findall(rb"0+", pdf.read_bytes())), default=0)


def clean_ms(pdf: Path, pattern: re.Pattern[bytes]) -> tuple[float, list[str]]:
    sanitize_module._REFERENCE = pattern
    try:
        with pikepdf.open(pdf) as opened:
            start = time.process_time()
            removed = sanitize_module.sanitize(opened, "Anlage")
            return 1000 * (time.process_time() - start), sorted(r.message for r in removed)
    finally:
        sanitize_module._REFERENCE = NOW


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="docgen-bench-sanitize-") as tmp:
        work = Path(tmp)
        settings = Settings(state_dir=work / "state", koerperschaft=Koerperschaft(name="Kreis Musterland"))
        files = [("unsigniert", None, ANLAGE)]
        for reserved in RESERVED:
            label = "pyHanko-Vorgabe" if reserved is None else f"{reserved // 1024} KiB reserviert"
            files.append((label, reserved, signed_copy(work / f"signiert-{reserved}.pdf", settings, reserved)))
        for label, reserved, pdf in files:
            times: dict[str, list[float]] = {"before": [], "now": []}
            found: dict[str, list[str]] = {}
            for _ in range(args.n):
                for name, pattern in (("before", BEFORE), ("now", NOW)):
                    ms, found[name] = clean_ms(pdf, pattern)
                    times[name].append(ms)
            if found["before"] != found["now"]:
                raise SystemExit(f"{label}: the two patterns found different things: {found}")
            row = {"file": label, "reserved": reserved, "kib": pdf.stat().st_size / 1024,
                   "zero_run": longest_zero_run(pdf), "removed": found["now"],
                   "before_ms": statistics.median(times["before"]), "now_ms": statistics.median(times["now"])}
            rows.append(row)
            print(f"{label:22} {row['zero_run']:7} zeros  before {row['before_ms']:9.1f} ms  "
                  f"now {row['now_ms']:6.1f} ms", flush=True)
    result = {"when": dt.datetime.now().isoformat(timespec="minutes"), "version": __version__, "n": args.n,
              "rows": rows, "command": f".venv/bin/python bench/sanitize.py --n {args.n}"}
    save("sanitize", result, report(result))
    return 0


def report(data: dict) -> str:
    lines = [f"# Cleaning a signed Anlage ({data['when']})", "",
             f"Command: `{data['command']}`. The example Anlage, unsigned and signed with several reserved "
             "signature sizes; open it, then clean it (`sanitize`), CPU ms per clean, median of "
             f"{data['n']}, the reference pattern before and now alternating. Both removed the same: "
             "the part's own signature value (the unsigned file: nothing).", "",
             "| Anlage | KiB | longest run of zeros | before (ms) | now (ms) |",
             "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['file']} | {r['kib']:.0f} | {r['zero_run']:,} | {r['before_ms']:.1f} | {r['now_ms']:.1f} |"
              for r in data["rows"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
