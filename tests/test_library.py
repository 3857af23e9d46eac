"""docgen as a library and a package: installed from the wheel, refusing to start broken, leaving no process.

These run the real CLI with real LibreOffice (slow).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, ROOT, CliResult, clean_env
from tests.pki import make_pki

pytestmark = pytest.mark.slow
Run = Callable[..., CliResult]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], check=True,
                   capture_output=True, timeout=600)
    return next(out.glob("docgen-*.whl"))


def test_the_wheel_carries_templates_schemas_and_examples(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("docgen/_data/templates/beschlussvorlage.docx", "docgen/_data/schemas/gemeinsam.schema.json",
                     "docgen/_data/examples/beschlussvorlage.json", "docgen/_data/examples/anlagen/"
                     "zielerreichung-2024-2025.pdf", "docgen/stages/convert/uno_worker.py", "docgen/py.typed"):
        assert required in names, required


def test_a_fresh_venv_with_only_the_wheel_renders_the_example_from_an_empty_folder(
        wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], check=True, timeout=900,
                   capture_output=True)
    empty = tmp_path / "leer"
    empty.mkdir()
    env = clean_env(tmp_path / "state")
    env["PATH"] = f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"

    def docgen(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(venv / "bin" / "docgen"), *args], cwd=empty, env=env, capture_output=True,
                              text=True, timeout=300)

    example = docgen("example", "beschlussvorlage")
    assert example.returncode == 0, example.stderr
    (empty / "antrag.json").write_text(example.stdout, encoding="utf-8")
    assert "freigabe" not in json.loads(example.stdout)  # examples are drafts
    rendered = docgen("render", "antrag.json", "--out", "aus")
    assert rendered.returncode == 0, rendered.stderr
    assert (empty / "aus" / "antrag-ENTWURF.pdf").is_file()
    lint = docgen("lint-template")
    assert lint.returncode == 0 and "beschlussvorlage.docx: sauber." in lint.stdout
    assert docgen("schema", "sachbericht").returncode == 0


def _write_inputs(inbox: Path, count: int) -> list[Path]:
    data = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    data.pop("anlagen")
    paths = []
    for i in range(count):
        path = inbox / f"vorlage-{i}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    old = time.time() - 60  # older than the stability delay: batch takes them at once
    for path in paths:
        os.utime(path, (old, old))
    return paths


def test_watch_with_a_wrong_passphrase_refuses_to_start_before_taking_any_file(tmp_path: Path, docgen: Run) -> None:
    pki = make_pki(tmp_path / "pki")
    inbox = tmp_path / "ein"
    inbox.mkdir()
    [waiting] = _write_inputs(inbox, 1)
    env = {"DOCGEN_SEAL_CERT": str(pki.seal_p12), "DOCGEN_SEAL_PASSPHRASE": "falsch",
           "DOCGEN_INBOX": str(inbox), "DOCGEN_OUTBOX": str(tmp_path / "aus")}
    for command in ("watch", "batch"):
        result = docgen(command, env=env, timeout=60)
        assert result.returncode == 9, result.stderr
        assert result.stderr == (f"{pki.seal_p12}: das Siegelzertifikat (PKCS#12) lässt sich nicht öffnen. Das "
                                 "Passwort fehlt oder ist falsch: bitte in der Umgebungsvariable "
                                 "DOCGEN_SEAL_PASSPHRASE oder in der Datei seal_passphrase_file angeben.\n")
        assert waiting.is_file()  # not taken
        assert not (inbox / ".in-arbeit").exists() or not any((inbox / ".in-arbeit").iterdir())


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _wait_for(condition: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize(("command", "sig"), [("batch", signal.SIGTERM), ("batch", signal.SIGKILL),
                                              ("render", signal.SIGTERM), ("render", signal.SIGKILL)])
def test_no_process_of_ours_outlives_a_signal(tmp_path: Path, state_dir: Path, command: str, sig: int) -> None:
    inbox = tmp_path / "ein"
    inbox.mkdir()
    paths = _write_inputs(inbox, 6)
    env = clean_env(state_dir)
    env.update({"DOCGEN_INBOX": str(inbox), "DOCGEN_OUTBOX": str(tmp_path / "aus"), "DOCGEN_WORKERS": "2"})
    args = ["batch"] if command == "batch" else ["render", *map(str, paths), "--out", str(tmp_path / "aus")]
    proc = subprocess.Popen([sys.executable, "-m", "docgen", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait until LibreOffice runs (a soffice.bin among the descendants), then signal
    assert _wait_for(lambda: any("soffice" in _cmdline(p) for p in _descendants(proc.pid)), 60)
    ours = _descendants(proc.pid)
    os.kill(proc.pid, sig)
    _, stderr = proc.communicate(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 130, stderr
        assert stderr.rstrip().endswith("Abgebrochen.")
    left = _wait_for(lambda: not _alive(ours), 30)
    assert left, f"left running: {[_cmdline(p) for p in _alive(ours)]}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_non_public_anlage_is_named_on_both_freigabevermerke(tmp_path: Path, docgen: Run,
                                                             example: dict[str, Any],
                                                             write_json: Callable[[str, Any], Path]) -> None:
    example["anlagen"][0]["oeffentlich"] = False
    result = docgen("render", write_json("personen.json", example), "--out", tmp_path / "aus")
    assert result.returncode == 0, result.stderr
    public = tmp_path / "aus" / "personen.pdf"
    internal = tmp_path / "aus" / "personen" / "personen-intern.pdf"
    assert f"internes Paket mit allen Anlagen {internal} (nicht zur Veröffentlichung)" in result.stdout

    def text(pdf: Path) -> str:
        return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split())

    public_text, internal_text = text(public), text(internal)
    assert "öffentliches Paket ohne die nicht öffentlichen Anlagen" in public_text
    assert "(nicht öffentlich: nur im internen Paket)" in public_text
    assert "INTERNES PAKET mit nicht öffentlichen Anlagen, nicht zur Veröffentlichung" in internal_text
    for bundle in (public, internal):
        assert docgen("verify", bundle).returncode == 0
