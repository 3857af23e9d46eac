"""Carbone (3.x, Node) as a peer stage of ``run.py``: the same inputs, its own LibreOffice workers.

``ensure_installed`` runs ``npm install`` in ``bench/carbone`` once (``node_modules`` is ignored
by git; ``make test`` never needs it). ``run_carbone`` writes Carbone's translation of docgen's
Beschlussvorlage template (``carbone/make_template.py``), starts ``carbone/carbone_bench.js`` with
N factories and reads its timings. Carbone's factories start untimed and render 2 × N documents
first, as docgen's warm stages do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from lo import PeakSampler

HERE = Path(__file__).resolve().parent / "carbone"
sys.path.insert(0, str(HERE))

from make_template import write as write_template  # noqa: E402  (after the path is set)


class CarboneMissing(RuntimeError):
    """Node/npm or the package could not be found or installed: the stage is skipped."""


def ensure_installed() -> str:
    """Install ``carbone`` into ``bench/carbone/node_modules`` (once); return its version."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise CarboneMissing("node and npm are needed for the Carbone stage")
    package = HERE / "node_modules" / "carbone" / "package.json"
    if not package.is_file():
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=HERE,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not package.is_file():
            raise CarboneMissing(f"npm install carbone failed: {done.stderr.strip()[-400:]}")
    return str(json.loads(package.read_text(encoding="utf-8"))["version"])


def node_env(soffice: str = "soffice", uno_python: str = "/usr/bin/python3") -> dict[str, str]:
    """PATH for Carbone: on Linux it looks for ``soffice.bin`` and a ``python3`` that imports uno."""
    found = shutil.which(soffice)
    program = str(Path(os.path.realpath(found)).parent) if found else ""
    path = [p for p in (program, str(Path(uno_python).parent)) if p]
    return {**os.environ, "PATH": os.pathsep.join([*path, os.environ.get("PATH", "")])}


def run_carbone(inputs: list[Path], work: Path, factories: int, *, fill_only: bool = False
                ) -> tuple[float, list[float], float]:
    """(wall seconds, per-document seconds, peak MiB per soffice.bin) of Carbone on ``inputs``."""
    template = work / "carbone" / "beschlussvorlage-carbone.docx"
    if not template.is_file():
        write_template(template)
    listing = work / "carbone" / "inputs.json"
    listing.write_text(json.dumps([str(p) for p in inputs]), encoding="utf-8")
    out = work / "carbone" / f"{'fill' if fill_only else 'pdf'}-{factories}"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    argv = ["node", str(HERE / "carbone_bench.js"), "--template", str(template), "--inputs",
            str(listing), "--out", str(out), "--factories", str(factories)]
    with PeakSampler(str(out)) as sampler:
        done = subprocess.run(argv + (["--fill-only"] if fill_only else []), env=node_env(),
                              capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"carbone failed: {done.stderr.strip()[-800:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    missing = [p.name for p in inputs
               if not (out / f"{p.stem}{'.docx' if fill_only else '.pdf'}").is_file()]
    if missing:
        raise RuntimeError(f"carbone: no output for {missing}")
    return float(result["seconds"]), [float(x) for x in result["per_doc"]], sampler.max_mib()
