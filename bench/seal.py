"""The PAdES seal of one bundle: docgen's signer beside pyHanko's own signed attributes, same run.

    .venv/bin/python bench/seal.py [--n 30]

docgen's signer builds the signing-certificate attribute once per certificate (see
``stages/seal.py``); the baseline is the same signer (same key, same cached private key)
with pyHanko's own attribute providers, which build it afresh for every seal. The script assembles one bundle of a
generated Beschlussvorlage (converted by a warm LibreOffice worker, untimed), then seals it
``--n`` times with each, interleaved. Every seal must verify (intact, valid). Results: ``results/seal.{json,md}``.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from generate import write_inputs  # noqa: E402
from run import BODY  # noqa: E402

from docgen.api import open_converter, render_file  # noqa: E402
from docgen.settings import Settings  # noqa: E402
from docgen.stages.seal import SealKey, load_seal, seal  # noqa: E402


def baseline_key(key: SealKey) -> SealKey:
    """The same key and certificate, with pyHanko's own handling of the signed attributes."""
    from pyhanko.sign import signers

    class Baseline(type(key.signer)):  # type: ignore[misc]
        _signed_attr_providers = signers.SimpleSigner._signed_attr_providers

    signer = copy.copy(key.signer)
    signer.__class__ = Baseline
    return SealKey(signer, key.path, key.local)


def intact(pdf: Path) -> bool:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    with pdf.open("rb") as fh:
        signature = PdfFileReader(fh).embedded_signatures[0]
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[signature.signer_cert]))
    return bool(status.intact and status.valid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = Settings(state_dir=work / "state", workers=1, koerperschaft=BODY)
        source = write_inputs(work / "in", 1)[0]
        data = json.loads(source.read_text(encoding="utf-8"))
        data.pop("freigabe", None)  # a draft: assembled, not sealed, so the bench seals it itself
        source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        with open_converter(settings, pooled=True) as converter:
            result = render_file(source, work / "out", settings, converter, bundle=True)
        assert result.pdf is not None
        bundle = result.pdf
        ours = load_seal(settings)
        keys = {"docgen": ours, "pyHanko's signed attributes (baseline)": baseline_key(ours)}
        times: dict[str, list[float]] = {name: [] for name in keys}
        for key in keys.values():  # imports and first-use costs out of the timings
            seal(bundle, work / "warm.pdf", key, reason="Benchmark", location="Musterstadt")
        for i in range(args.n):
            for name, key in keys.items():  # interleaved: a change of machine speed hits both alike
                out = work / f"sealed-{i}-{len(times[name]) % 2}.pdf"
                start = time.perf_counter()
                seal(bundle, out, key, reason="Benchmark", location="Musterstadt")
                times[name].append(time.perf_counter() - start)
                if i == 0 and not intact(out):
                    sys.exit(f"{name}: Siegel nicht gültig")
    rows = {name: {"median_s": statistics.median(t), "p95_s": sorted(t)[int(0.95 * (len(t) - 1))]}
            for name, t in times.items()}
    result_data = {"date": dt.datetime.now().isoformat(timespec="minutes"), "n": args.n, "stages": rows,
                   "command": f".venv/bin/python bench/seal.py --n {args.n}"}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "seal.json").write_text(json.dumps(result_data, indent=2) + "\n", encoding="utf-8")
    lines = [f"# Seal of one bundle (PAdES B-B), {args.n} times each, interleaved ({result_data['date']})", "",
             f"Command: `{result_data['command']}`", "", "| signer | median s | p95 s |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {row['median_s']:.4f} | {row['p95_s']:.4f} |" for name, row in rows.items()]
    (RESULTS / "seal.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
