"""The bad-input corpus: every case through `docgen validate`, `docgen render` and the daemon.

``tests/corpus/cases.json`` lists each case: the input file in ``tests/corpus/`` (or, with
``erzeugt``, the generator below that makes it at test time: huge files, encodings, binary data,
FIFOs), the expected exit code, the JSON path and a message fragment. A case passes when the real
CLI exits with exactly that code and prints ``<datei>: <pfad>: <meldung…>``, and when the daemon
moves the input to ``inbox/failed/`` with ``<stem>.fehler.txt`` holding the same line and
``<stem>.fehler.json`` holding the exit code. Cases with exit 0 are the positive controls: values
that look like template code or XML are printed literally, escaped control characters vanish,
a byte-order mark is accepted.

Attachments (symlinks, a FIFO, a folder, encrypted and scripted PDFs) are made at test time in
``anlagen/`` beside the inputs; the daemon looks them up relative to the inbox, the CLI relative to
the JSON file, so one folder layout serves both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from lxml import etree
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from tests.conftest import EXAMPLES, CliResult, clean_env
from tests.test_intake import DaemonProcess, wait_until

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
BAD = [c for c in CASES if c["exit"] != 0]
GOOD = [c for c in CASES if c["exit"] == 0]
ANLAGE = EXAMPLES / "anlagen" / "zielerreichung-2024-2025.pdf"
ONE_SHOT = {"DOCGEN_CONVERTER": "einzeln"}  # an invalid input never reaches a converter: start none


def basis(art: str) -> str:
    return (CORPUS / f"basis-{art}.json").read_text(encoding="utf-8")


def expected_line(case: dict[str, Any]) -> str:
    """``<datei>: <pfad>: <meldung>`` as the CLI prints it (the fragment may stop mid-sentence)."""
    where = f"{case['pfad']}: " if case["pfad"] else ""
    return f"{case['datei']}: {where}{case['meldung']}"


# --- inputs made at test time ----------------------------------------------------------------


def _size_padded(art: str, field: str, size: int) -> bytes:
    """A valid input of exactly ``size`` bytes: ``field`` holds the padding."""
    data = json.loads(basis(art))
    data[field] = ""
    empty = json.dumps(data, ensure_ascii=False).encode("utf-8")
    data[field] = "x" * (size - len(empty))
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _deep(art: str, depth: int) -> bytes:
    return basis(art).replace('"zentrum": {}', '"zentrum": ' + "[" * depth + "]" * depth).encode("utf-8")


GENERATORS: dict[str, Callable[[Path], object]] = {
    "steuerzeichen_roh": lambda p: p.write_bytes(
        basis("verwendungsnachweis").replace("im Jahr 2025", "im Jahr\x072025").encode("utf-8")),
    "windows_1252": lambda p: p.write_bytes(basis("sachbericht").encode("cp1252")),
    "utf_16": lambda p: p.write_bytes(basis("verwendungsnachweis").encode("utf-16")),
    "utf_16_ohne_bom": lambda p: p.write_bytes(basis("integrationskonzept").encode("utf-16-le")),
    "binaer": lambda p: shutil.copy(ANLAGE, p),
    "nur_bom": lambda p: p.write_bytes(b"\xef\xbb\xbf"),
    "null_bytes": lambda p: p.write_bytes(b""),
    "gross_50mb": lambda p: p.write_bytes(_size_padded("beschlussvorlage", "sachlage", 50_000_000)),
    "text_10mb": lambda p: p.write_bytes(_size_padded("sachbericht", "ausgangslage", 10_000_000)),
    "tief_10000": lambda p: p.write_bytes(_deep("integrationskonzept", 10_000)),
    "fifo": lambda p: os.mkfifo(p),
    "bom": lambda p: p.write_bytes(b"\xef\xbb\xbf" + basis("beschlussvorlage").encode("utf-8")),
}


def _write_pdf(writer: PdfWriter, path: Path) -> None:
    with path.open("wb") as fh:
        writer.write(fh)


def _action(kind: str, **entries: Any) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def make_attachments(folder: Path) -> None:
    """Every attachment the corpus refers to, good and bad, in ``folder/anlagen``."""
    anlagen = folder / "anlagen"
    anlagen.mkdir()
    outside = folder.parent / f"aussen-{folder.name}.pdf"
    shutil.copy(ANLAGE, outside)
    shutil.copy(ANLAGE, anlagen / "plan.pdf")
    (anlagen / "verweis-aussen.pdf").symlink_to(outside)
    (anlagen / "dev-zero.pdf").symlink_to("/dev/zero")
    os.mkfifo(anlagen / "pipe.pdf")
    (anlagen / "ordner.pdf").mkdir()
    (anlagen / "schleife.pdf").symlink_to(anlagen / "schleife-2.pdf")
    (anlagen / "schleife-2.pdf").symlink_to(anlagen / "schleife.pdf")
    (anlagen / "text.pdf").write_text("nur Text, kein PDF", encoding="utf-8")
    Document().save(str(anlagen / "bericht.docx"))
    (anlagen / "kaputt.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00" * 200)
    writer = PdfWriter(clone_from=ANLAGE)
    writer.encrypt("kennwort")
    _write_pdf(writer, anlagen / "geschuetzt.pdf")
    writer = PdfWriter(clone_from=ANLAGE)
    writer._root_object[NameObject("/OpenAction")] = _action(
        "/JavaScript", JS=TextStringObject("app.alert('hallo');"))
    _write_pdf(writer, anlagen / "skript.pdf")
    writer = PdfWriter(clone_from=ANLAGE)
    script = writer._add_object(_action("/JavaScript", JS=TextStringObject("this.print();")))
    writer._root_object[NameObject("/Names")] = DictionaryObject({  # document-level JavaScript
        NameObject("/JavaScript"): DictionaryObject({
            NameObject("/Names"): ArrayObject([TextStringObject("beim-oeffnen"), script])})})
    _write_pdf(writer, anlagen / "skript-names.pdf")
    writer = PdfWriter(clone_from=ANLAGE)
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(100), NumberObject(100)]),
        NameObject("/A"): _action("/Launch", F=TextStringObject("C:\\Windows\\System32\\calc.exe")),
    })
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    _write_pdf(writer, anlagen / "start.pdf")
    _write_hidden_actions(anlagen)


def _write_hidden_actions(anlagen: Path) -> None:
    """Active content off the usual paths: behind /Next of a harmless action, on a bookmark."""
    writer = PdfWriter(clone_from=ANLAGE)
    script = writer._add_object(_action("/JavaScript", JS=TextStringObject("app.alert('weiter');")))
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(100), NumberObject(100)]),
        NameObject("/A"): _action("/URI", URI=TextStringObject("https://example.org"), Next=script),
    })
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    _write_pdf(writer, anlagen / "link-next.pdf")
    writer = PdfWriter(clone_from=ANLAGE)
    item: Any = writer.add_outline_item(title="Klick", page_number=0).get_object()
    item[NameObject("/A")] = _action("/JavaScript", JS=TextStringObject("app.alert('Lesezeichen');"))
    _write_pdf(writer, anlagen / "lesezeichen.pdf")
    writer = PdfWriter(clone_from=ANLAGE)
    writer._root_object[NameObject("/OpenAction")] = _action(
        "/GoTo", D=ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")]),
        Next=ArrayObject([_action("/Launch", F=TextStringObject("calc.exe"))]))
    _write_pdf(writer, anlagen / "oeffnen-next.pdf")


def build_folder(folder: Path, cases: list[dict[str, Any]]) -> None:
    """The inputs of ``cases`` (copied or generated) and the attachments, side by side in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    make_attachments(folder)
    for case in cases:
        target = folder / case["datei"]
        if "erzeugt" in case:
            GENERATORS[case["erzeugt"]](target)
        else:
            shutil.copy(CORPUS / case["datei"], target)


def remove_big_files(folder: Path) -> None:
    """pytest keeps the last temporary folders; do not keep 60 MB of test input in them."""
    for path in folder.rglob("*.json"):
        if not path.is_symlink() and path.is_file() and path.stat().st_size > 1_000_000:
            path.unlink()


# --- running the real CLI --------------------------------------------------------------------


def _env(state: Path, **extra: str) -> dict[str, str]:
    env = clean_env(state)
    env.update(extra)
    return env


def run_cli(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 300) -> CliResult:
    proc = subprocess.run([sys.executable, "-m", "docgen", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("korpus") / "eingang"
    build_folder(folder, CASES)
    yield folder
    remove_big_files(folder)


@pytest.fixture(scope="module")
def bad_results(corpus_dir: Path) -> dict[tuple[str, str], CliResult]:
    """``docgen validate`` and ``docgen render`` for every bad case, run concurrently (one process each)."""
    state = corpus_dir.parent / "zustand"

    def run(command: str, case: dict[str, Any]) -> tuple[tuple[str, str], CliResult]:
        args: list[str | Path] = [command, corpus_dir / case["datei"]]
        if command == "render":
            args += ["--out", corpus_dir.parent / "ausgang" / case["datei"]]
        return (command, case["datei"]), run_cli(args, corpus_dir, _env(state, **ONE_SHOT))

    jobs = [(command, case) for case in BAD for command in ("validate", "render")]
    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        return dict(pool.map(lambda job: run(*job), jobs))


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["datei"].removesuffix(".json") for c in cases]


def test_corpus_is_complete() -> None:
    """At least 40 bad inputs, every document type, every case described and its input present."""
    assert len(BAD) >= 40
    arten = {"beschlussvorlage", "sachbericht", "verwendungsnachweis", "integrationskonzept"}
    for art in arten:
        assert sum(c["dokumentart"] == art for c in BAD) >= 10, art
    assert len({c["datei"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert case["dokumentart"] in arten and case["beschreibung"] and case["meldung"], case
        assert case["exit"] in (0, 4, 7), case
        assert case["pfad"] == "" or case["pfad"].startswith("/"), case
        if "erzeugt" in case:
            assert case["erzeugt"] in GENERATORS and not (CORPUS / case["datei"]).exists(), case
        else:
            assert (CORPUS / case["datei"]).is_file(), case
    listed = {c["datei"] for c in CASES if "erzeugt" not in c} | {f"basis-{a}.json" for a in arten} | {"cases.json"}
    assert {p.name for p in CORPUS.iterdir()} == listed  # no stray, unlisted inputs


def test_reliability_doc_lists_every_case() -> None:
    """docs/reliability.md names every corpus case, so the table cannot silently fall behind."""
    doc = (CORPUS.parent.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    missing = [c["datei"] for c in CASES if f"`{c['datei']}`" not in doc]
    assert missing == []


@pytest.mark.parametrize("art", ["beschlussvorlage", "sachbericht", "verwendungsnachweis", "integrationskonzept"])
def test_bases_are_valid(art: str, tmp_path: Path) -> None:
    """The bases the generated cases start from are valid, so each case fails for its own reason."""
    from docgen.settings import Settings
    from docgen.stages.validate import validate_file

    job = validate_file(CORPUS / f"basis-{art}.json", Settings(state_dir=tmp_path))
    assert job.document.name == art


@pytest.mark.parametrize("case", BAD, ids=_ids(BAD))
def test_validate_bad_input(case: dict[str, Any], bad_results: dict[tuple[str, str], CliResult]) -> None:
    result = bad_results["validate", case["datei"]]
    assert result.returncode == case["exit"], result.stderr
    assert expected_line(case) in result.stderr, result.stderr
    for line in case.get("weitere", []):
        assert line in result.stderr
    assert "Traceback" not in result.stderr and "gültig (" not in result.stdout


@pytest.mark.parametrize("case", BAD, ids=_ids(BAD))
def test_render_bad_input(case: dict[str, Any], bad_results: dict[tuple[str, str], CliResult],
                          corpus_dir: Path) -> None:
    result = bad_results["render", case["datei"]]
    assert result.returncode == case["exit"], result.stderr
    assert expected_line(case) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    out = corpus_dir.parent / "ausgang" / case["datei"]
    assert not out.exists() or not any(out.iterdir()), "a failed job left output behind"


# --- the positive controls: literal text in DOCX and PDF -------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(path: Path) -> str:
    """The document's text, paragraph by paragraph, runs joined (Word splits text into runs freely)."""
    with zipfile.ZipFile(path) as archive:
        parts = [n for n in archive.namelist() if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
        roots = [etree.fromstring(archive.read(n)) for n in parts]
    paragraphs = ["".join(t.text or "" for t in p.iter(f"{W}t")) for root in roots for p in root.iter(f"{W}p")]
    return normalise("\n".join(paragraphs))


def pdf_text(path: Path) -> str:
    return normalise(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                    check=True).stdout)


def normalise(text: str) -> str:
    return " ".join(text.split())


def assert_literal(case: dict[str, Any], text: str, where: str) -> None:
    for literal in case["im_text"]:
        assert normalise(literal) in text, f"{case['datei']}: {literal!r} missing in the {where}"
    for evaluated in case.get("nicht_im_text", []):
        assert evaluated not in text, f"{case['datei']}: {evaluated!r} in the {where}: markup was evaluated"
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text), f"{case['datei']}: control character in the {where}"


@pytest.mark.parametrize("case", GOOD, ids=_ids(GOOD))
def test_validate_positive_control(case: dict[str, Any], corpus_dir: Path) -> None:
    result = run_cli(["validate", corpus_dir / case["datei"]], corpus_dir, _env(corpus_dir.parent / "zustand"))
    assert result.returncode == 0, result.stderr
    assert expected_line(case) in result.stdout


@pytest.mark.slow
def test_render_positive_controls(corpus_dir: Path) -> None:
    """All positive controls in one `docgen render` run (one LibreOffice pool): exit 0 means each was 0."""
    out = corpus_dir.parent / "ausgang-gut"
    result = run_cli(["render", *(corpus_dir / c["datei"] for c in GOOD), "--out", out], corpus_dir,
                     _env(corpus_dir.parent / "zustand-gut"), timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for case in GOOD:
        stem = case["datei"].removesuffix(".json")
        assert f"{case['datei']}: Paket {out / stem}-ENTWURF.pdf" in result.stdout
        assert_literal(case, docx_text(out / f"{stem}-ENTWURF" / f"{stem}.docx"), "DOCX")
        assert_literal(case, pdf_text(out / f"{stem}-ENTWURF.pdf"), "PDF")


# --- the daemon: one inbox, every case at once -----------------------------------------------


def _names(folder: Path, suffix: str = ".json") -> set[str]:
    return {p.name for p in folder.iterdir() if p.name.endswith(suffix) and not p.name.endswith(
        (".fehler.json", ".receipt.json"))} if folder.is_dir() else set()


@pytest.mark.slow
def test_daemon_takes_every_case(tmp_path: Path) -> None:
    folders = {"inbox": tmp_path / "eingang", "outbox": tmp_path / "ausgang", "state": tmp_path / "zustand"}
    build_folder(folders["inbox"], CASES)
    folders["outbox"].mkdir()
    folders["state"].mkdir()
    outside = tmp_path / "fremd.json"  # a symlink in the inbox is never taken, whatever it points to
    outside.write_text(basis("beschlussvorlage"), encoding="utf-8")
    (folders["inbox"] / "verweis.json").symlink_to(outside)
    inbox, failed, processed = folders["inbox"], folders["inbox"] / "failed", folders["inbox"] / "processed"
    stays = {c["datei"] for c in CASES if c.get("daemon") == "bleibt"} | {"verweis.json"}
    to_fail = {c["datei"] for c in BAD} - stays
    to_process = {c["datei"] for c in GOOD}
    daemon = DaemonProcess(folders)
    try:
        wait_until(lambda: _names(failed) == to_fail and _names(processed) == to_process, 300,
                   "every case failed or processed")
        time.sleep(3)  # three times the stability delay: long enough for the daemon to take them, if it would
        waiting = {p.name for p in inbox.iterdir() if p.name.endswith(".json")}
        assert waiting == stays, daemon.output()
        # The 0-byte file is taken once it has content (here: still nothing but blanks).
        (inbox / "ik-null-bytes.json").write_text("  \n", encoding="utf-8")
        wait_until(lambda: "ik-null-bytes.json" in _names(failed), 60, "the filled file taken")
        assert daemon.stop() == 0
    finally:
        if daemon.proc.poll() is None:
            daemon.kill_hard()
        remove_big_files(tmp_path)
    assert "docgen watch beendet" in daemon.output()
    assert {p.name for p in inbox.iterdir() if p.name.endswith(".json")} == stays - {"ik-null-bytes.json"}
    for case in BAD:
        if case["datei"] in stays:
            continue
        stem = case["datei"].removesuffix(".json")
        report = (failed / f"{stem}.fehler.txt").read_text(encoding="utf-8")
        assert expected_line(case) in report, report
        machine = json.loads((failed / f"{stem}.fehler.json").read_text(encoding="utf-8"))
        assert machine["exit_code"] == case["exit"] and machine["datei"] == case["datei"]
        if case["exit"] == 4:
            assert case["pfad"] in [f["pfad"] for f in machine["fehler"]], machine
    assert "die Datei ist leer" in (failed / "ik-null-bytes.fehler.txt").read_text(encoding="utf-8")
    expected_out = set()
    for case in GOOD:
        stem = case["datei"].removesuffix(".json") + "-ENTWURF"
        expected_out |= {f"{stem}.pdf", f"{stem}.receipt.json", stem}
        assert_literal(case, pdf_text(folders["outbox"] / f"{stem}.pdf"), "PDF from the daemon")
    assert {p.name for p in folders["outbox"].iterdir()} == expected_out  # nothing from a failed job
