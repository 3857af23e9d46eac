"""The warm LibreOffice pool against real LibreOffice, with faults injected by a fake worker.

The fake worker is the real ``uno_worker`` with its ``convert`` wrapped: it
freezes the whole process group (SIGSTOP), kills LibreOffice or itself
(SIGKILL) or writes garbage, chosen by the DOCX file name, and each one-off
fault fires only once, so the retry on a fresh worker does real work.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from docx import Document
from pypdf import PdfReader

from docgen.errors import ConversionFailed, DependencyMissing, ExitCode
from docgen.settings import Settings
from docgen.stages.convert.pool import SYSTEM_PYTHON, WORKER_SCRIPT, LibreOfficePool
from docgen.stages.convert.worker import group_exists

HAVE_LIBREOFFICE = shutil.which("soffice") is not None and Path(SYSTEM_PYTHON).is_file() and (
    subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0
)


def libreoffice(test: F) -> F:
    """Mark a test that runs real LibreOffice: slow, skipped where it is not installed."""
    skip = pytest.mark.skipif(not HAVE_LIBREOFFICE, reason="LibreOffice or python3-uno missing")
    marked: F = pytest.mark.slow(skip(test))
    return marked

F = TypeVar("F", bound=Callable[..., Any])

FAKE_WORKER = r'''
import os, signal, sys, time
from pathlib import Path

sys.path.insert(0, sys.argv[1])
import uno_worker

faults = Path(sys.argv[2])
real_convert = uno_worker.convert


def once(name):
    """True the first time only, across worker restarts (a marker file remembers)."""
    try:
        os.close(os.open(faults / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def office_pids():
    me = os.getpgrp()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if "(soffice.bin)" in stat and int(fields[2]) == me:
                yield int(entry.name)


def convert(desktop, docx, pdf, filter_data):
    name = Path(docx).name
    if name.startswith("warmup") and (faults / "langsamer-start").exists():
        time.sleep(4)  # a new LibreOffice's first conversion, as slow as on a busy machine
    if name.startswith("haengt") and once(name):
        os.killpg(0, signal.SIGSTOP)  # worker and LibreOffice freeze mid-job
    if name.startswith("immer-haengt"):
        os.killpg(0, signal.SIGSTOP)
    if name.startswith("lo-absturz") and once(name):
        for pid in office_pids():
            os.kill(pid, signal.SIGKILL)  # LibreOffice dies; the worker lives on
    if name.startswith("worker-absturz") and once(name):
        os.killpg(0, signal.SIGKILL)  # the whole group dies at once
    if name.startswith("kaputt"):
        Path(pdf).write_bytes(b"%PDF-1.7\nkein PDF\n")  # says ok, wrote garbage
        return 1
    return real_convert(desktop, docx, pdf, filter_data)


uno_worker.convert = convert
sys.exit(uno_worker.main(sys.argv[3:]))
'''


def make_docx(path: Path, marker: str) -> Path:
    document = Document()
    document.add_heading("Beschlussvorlage 2025/0412", level=1)
    document.add_paragraph(f"Kennung {marker}: Größenänderung für Übergänge.")
    document.add_paragraph("Punkt eins", style="List Bullet")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def pdf_text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def our_processes(root: Path) -> list[str]:
    """Command lines of live processes that mention ``root`` (our workers and LibreOffices)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(root) in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def group_alive(pgid: int) -> bool:
    """A process of the group still runs; a zombie waiting for the machine's init to reap it does not."""
    return group_exists(pgid)


def settings_for(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"state_dir": tmp / "state", "workers": 1, "convert_timeout": 10.0}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibreOfficePool]:
    """A real two-worker pool shared by the tests that need no faults."""
    tmp = tmp_path_factory.mktemp("pool")
    with LibreOfficePool(settings_for(tmp, workers=2)) as shared:
        yield shared
    assert our_processes(tmp) == []


def fault_injecting_worker(tmp_path: Path) -> tuple[list[str], Path]:
    """The command of a worker that injects faults, and its folder of fault markers."""
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER, encoding="utf-8")
    faults = tmp_path / "faults"
    faults.mkdir()
    return [SYSTEM_PYTHON, str(script), str(WORKER_SCRIPT.parent), str(faults)], faults


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[tuple[LibreOfficePool, Path]]:
    """A one-worker pool whose worker injects faults; yields it and the input folder."""
    argv, _faults = fault_injecting_worker(tmp_path)
    # A generous start: the faults are injected into conversions, and a slow start is not one of them.
    settings = settings_for(tmp_path, convert_timeout=4.0, start_timeout=60.0)
    with LibreOfficePool(settings, worker_argv=argv) as faulty_pool:
        yield faulty_pool, tmp_path / "in"
    assert our_processes(tmp_path) == [], "LibreOffice left running after close()"


@libreoffice
def test_converts_to_tagged_pdfa_2b(pool: LibreOfficePool, tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "Vorlage Größe.docx", "A1")
    pdf = tmp_path / "out" / "Vorlage Größe.pdf"
    pool.convert(docx, pdf)
    catalog: Any = PdfReader(pdf).trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")2", xmp), xmp
    assert "/StructTreeRoot" in catalog  # tagged PDF
    assert "Kennung A1: Größenänderung für Übergänge." in pdf_text(pdf)
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["Vorlage Größe.pdf"]  # no temp file


@libreoffice
def test_overwrites_existing_pdf(pool: LibreOfficePool, tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"alt")
    pool.convert(make_docx(tmp_path / "a.docx", "B2"), pdf)
    assert "Kennung B2" in pdf_text(pdf)


@libreoffice
def test_concurrent_conversions_two_threads(pool: LibreOfficePool, tmp_path: Path) -> None:
    jobs = [(make_docx(tmp_path / f"d{i}.docx", f"N{i:02d}"), tmp_path / f"d{i}.pdf")
            for i in range(10)]
    with ThreadPoolExecutor(2) as executor:
        list(executor.map(lambda job: pool.convert(*job), jobs))
    for i, (_docx, pdf) in enumerate(jobs):
        assert f"Kennung N{i:02d}:" in pdf_text(pdf)  # each PDF from its own DOCX


@libreoffice
def test_two_pools_never_share_a_profile(pool: LibreOfficePool, tmp_path: Path) -> None:
    state = pool.profile_dirs()[0].parent.parent
    with LibreOfficePool(Settings(state_dir=state, workers=1)) as second:
        assert second.profile_dirs()[0].name == "worker-2"  # 0 and 1 are held by `pool`
        second.convert(make_docx(tmp_path / "z.docx", "Z"), tmp_path / "z.pdf")
    assert [p.name for p in pool.profile_dirs()] == ["worker-0", "worker-1"]


@libreoffice
def test_hung_conversion_is_killed_and_retried(faulty: tuple[LibreOfficePool, Path]) -> None:
    pool, inbox = faulty
    frozen = pool.worker_pids()[0]
    assert frozen is not None
    began = time.monotonic()
    pool.convert(make_docx(inbox / "haengt.docx", "H"), inbox / "haengt.pdf")
    assert time.monotonic() - began >= 4.0  # waited for the timeout, then retried
    assert "Kennung H" in pdf_text(inbox / "haengt.pdf")
    assert pool.worker_pids()[0] != frozen
    assert not group_alive(frozen), "the stopped process group survived the kill"


@libreoffice
@pytest.mark.parametrize("name", ["lo-absturz", "worker-absturz"])
def test_crash_mid_job_is_replaced_and_retried(
    faulty: tuple[LibreOfficePool, Path], name: str, caplog: pytest.LogCaptureFixture
) -> None:
    pool, inbox = faulty
    crashed = pool.worker_pids()[0]
    assert crashed is not None
    with caplog.at_level(logging.INFO, logger="docgen.convert.pool"):
        pool.convert(make_docx(inbox / f"{name}.docx", "C"), inbox / f"{name}.pdf")
    assert "Kennung C" in pdf_text(inbox / f"{name}.pdf")
    assert pool.worker_pids()[0] != crashed
    assert not group_alive(crashed)
    assert f"LibreOffice-Prozess 0 (PID {crashed}) beendet" in caplog.text
    assert f"LibreOffice-Prozess 0 gestartet: PID {pool.worker_pids()[0]}" in caplog.text


@libreoffice
def test_garbage_twice_fails_with_exit_6_and_pool_goes_on(
    faulty: tuple[LibreOfficePool, Path],
) -> None:
    pool, inbox = faulty
    with pytest.raises(ConversionFailed) as caught:
        pool.convert(make_docx(inbox / "kaputt.docx", "K"), inbox / "kaputt.pdf")
    assert caught.value.exit_code == ExitCode.CONVERSION
    assert int(caught.value.exit_code) == 6
    assert caught.value.message.startswith(
        "kaputt.docx: das von LibreOffice erzeugte PDF ist beschädigt ("
    )
    assert caught.value.message.endswith(
        "Zwei Versuche sind fehlgeschlagen. Bitte prüfen, ob sich die DOCX-Datei in "
        "LibreOffice öffnen lässt."
    )
    assert not (inbox / "kaputt.pdf").exists()
    pool.convert(make_docx(inbox / "gut.docx", "G"), inbox / "gut.pdf")
    assert "Kennung G" in pdf_text(inbox / "gut.pdf")


@libreoffice
def test_hanging_twice_fails_with_timeout_message(faulty: tuple[LibreOfficePool, Path]) -> None:
    pool, inbox = faulty
    with pytest.raises(ConversionFailed) as caught:
        pool.convert(make_docx(inbox / "immer-haengt.docx", "T"), inbox / "immer-haengt.pdf")
    assert caught.value.exit_code == 6
    assert caught.value.message == (
        "immer-haengt.docx: LibreOffice hat die Umwandlung in PDF/A zweimal nicht innerhalb "
        "von 4 s abgeschlossen und wurde jeweils beendet. Bitte prüfen, ob sich die "
        "DOCX-Datei in LibreOffice öffnen lässt; bei sehr umfangreichen Dokumenten die "
        "Einstellung convert_timeout erhöhen (derzeit 4 s)."
    )
    assert [line for line in our_processes(inbox.parent) if " T " in line] == []
    pool.convert(make_docx(inbox / "danach.docx", "D"), inbox / "danach.pdf")


@libreoffice
def test_recycles_worker_after_max_jobs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = settings_for(tmp_path, max_jobs_per_worker=2)
    docx = make_docx(tmp_path / "r.docx", "R")
    with caplog.at_level(logging.INFO, logger="docgen.convert.pool"), \
            LibreOfficePool(settings) as pool:
        pids = []
        for i in range(5):
            pool.convert(docx, tmp_path / f"r{i}.pdf")
            pids.append(pool.worker_pids()[0])
        first, second, third = pids[0], pids[2], pids[4]
        assert pids == [first, first, second, second, third]
        assert len({first, second, third}) == 3
        assert first is not None
        assert not group_alive(first)
    assert f"LibreOffice-Prozess 0 (PID {first}) beendet: planmäßig erneuert nach 2 Umwandlungen" in caplog.text
    assert our_processes(tmp_path) == []


@libreoffice
def test_worker_loads_each_document_into_its_one_window(tmp_path: Path) -> None:
    # The worker keeps one hidden window and loads document after document into it; a document
    # LibreOffice cannot load costs that window, and the next document gets a new one. A text file
    # named .docx is no DOCX either: Word's import filter is named, so it is not printed as plain text.
    docs = [make_docx(tmp_path / "eins.docx", "W1"), tmp_path / "kaputt.docx", make_docx(tmp_path / "zwei.docx", "W2"),
            make_docx(tmp_path / "drei.docx", "W3"), tmp_path / "eins.docx", tmp_path / "text.docx"]
    docs[1].write_bytes(b"PK\x03\x04 kein DOCX")
    docs[5].write_text("Kennung W5: nur Text, kein Word-Dokument\n", encoding="utf-8")
    worker = subprocess.Popen([SYSTEM_PYTHON, str(WORKER_SCRIPT), "--profile", str(tmp_path / "profil")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert worker.stdin is not None and worker.stdout is not None
    try:
        assert json.loads(worker.stdout.readline())["ready"] is True
        replies = []
        for number, docx in enumerate(docs):
            request = {"id": number, "docx": str(docx), "pdf": str(tmp_path / f"{number}.pdf")}
            worker.stdin.write(json.dumps(request) + "\n")
            worker.stdin.flush()
            replies.append(json.loads(worker.stdout.readline()))
        worker.stdin.close()
        assert worker.wait(60) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert [r["ok"] for r in replies] == [True, False, True, True, True, False]
    assert replies[0] == {"id": 0, "ok": True}  # the pool counts the pages of the PDF itself
    for number in (1, 5):
        assert replies[number] == {"id": number, "ok": False, "fatal": False,
                                   "error": "RuntimeError: LibreOffice konnte die Datei nicht laden"}
    assert not (tmp_path / "5.pdf").exists()
    for number, marker in [(0, "W1"), (2, "W2"), (3, "W3"), (4, "W1")]:
        text = pdf_text(tmp_path / f"{number}.pdf")
        assert f"Kennung {marker}:" in text and text.count("Kennung") == 1, (number, text)
    assert our_processes(tmp_path) == []
    # The worker's profile settings survive LibreOffice writing its settings back when it quits.
    xcu = (tmp_path / "profil" / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    assert re.findall(r'<prop oor:name="CollectWords"[^>]*><value>(\w+)</value>', xcu) == ["false"]


def test_profile_settings_replace_older_values_and_keep_the_rest(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("uno_worker_module", WORKER_SCRIPT)
    assert spec is not None and spec.loader is not None
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)  # stdlib only without uno: prepare_profile needs nothing else
    xcu = tmp_path / "profil" / "user" / "registrymodifications.xcu"
    xcu.parent.mkdir(parents=True)
    node = "/org.openoffice.Office.Writer/AutoFunction/Completion"
    xcu.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry">\n'
        '<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse">'
        "<value>false</value></prop></item>\n"
        f'<item oor:path="{node}"><prop oor:name="CollectWords" oor:op="fuse"><value>true</value></prop></item>\n'
        "</oor:items>\n", encoding="utf-8")
    worker.prepare_profile(tmp_path / "profil")
    text = xcu.read_text(encoding="utf-8")
    assert re.findall(r'<prop oor:name="CollectWords"[^>]*><value>(\w+)</value>', text) == ["false"]
    assert '<prop oor:name="FirstRun" oor:op="fuse"><value>false</value>' in text
    assert text.rstrip().endswith("</oor:items>")
    xcu.write_text("kein XML", encoding="utf-8")  # not LibreOffice's file any more: written anew
    worker.prepare_profile(tmp_path / "profil")
    text = xcu.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and text.count("CollectWords") == 1
    assert [p.name for p in xcu.parent.iterdir()] == ["registrymodifications.xcu"]  # no temporary file left


@libreoffice
def test_no_libreoffice_left_after_close(tmp_path: Path) -> None:
    pool = LibreOfficePool(settings_for(tmp_path, workers=2))
    pool.convert(make_docx(tmp_path / "x.docx", "X"), tmp_path / "x.pdf")
    assert any("soffice.bin" in line for line in our_processes(tmp_path))
    pool.close()
    assert our_processes(tmp_path) == []
    pool.close()  # idempotent
    with pytest.raises(ConversionFailed, match="LibreOffice-Pool beendet"):
        pool.convert(tmp_path / "x.docx", tmp_path / "y.pdf")


def test_python_without_uno_is_a_missing_dependency(tmp_path: Path) -> None:
    venv_python = sys.executable  # the venv does not see Debian's uno module
    settings = settings_for(tmp_path, soffice="/bin/true")  # never started: uno fails first
    with pytest.raises(DependencyMissing) as caught:
        LibreOfficePool(settings, python=venv_python)
    assert caught.value.exit_code == ExitCode.DEPENDENCY
    assert "kann das Python-Modul uno nicht laden" in caught.value.message
    assert "apt-get install python3-uno libreoffice-writer-nogui" in caught.value.message
    assert our_processes(tmp_path) == []


def test_missing_soffice_is_a_missing_dependency(tmp_path: Path) -> None:
    with pytest.raises(DependencyMissing, match="libreoffice-writer-nogui"):
        LibreOfficePool(settings_for(tmp_path, soffice=str(tmp_path / "kein-soffice")))


def test_waiting_for_a_failed_start_leaves_the_failure_to_the_conversion(tmp_path: Path) -> None:
    # ConversionService waits for the start (wait_started) so that watch's job processes warm up after
    # it; that wait must not swallow the start failure the first conversion reports.
    dying = [sys.executable, "-c", "import sys; sys.exit(3)"]
    pool = LibreOfficePool(settings_for(tmp_path, workers=1), worker_argv=dying, wait=False)
    try:
        assert pool.wait_started() is False
        with pytest.raises(ConversionFailed) as caught:
            pool.convert(make_docx(tmp_path / "x.docx", "X"), tmp_path / "x.pdf")
        assert caught.value.exit_code == ExitCode.CONVERSION
        assert caught.value.message == (
            "LibreOffice-Pool: LibreOffice ließ sich für die Umwandlung nicht starten (LibreOffice-Prozess "
            "unerwartet beendet (Exit-Code 3)). Bitte `docgen check` ausführen; auf langsamen Rechnern die "
            "Einstellung start_timeout erhöhen (derzeit 20 s).")
    finally:
        pool.close()
    assert our_processes(tmp_path) == []


@libreoffice
def test_a_profile_the_worker_cannot_write_is_a_start_failure(tmp_path: Path) -> None:
    # Fault: where the worker writes its settings into the profile, a folder is in the way.
    blocked = tmp_path / "state" / "lo-profiles" / "worker-0" / "user" / "registrymodifications.xcu"
    (blocked / "im-weg").mkdir(parents=True)
    pool = LibreOfficePool(settings_for(tmp_path, workers=1), wait=False)
    try:
        with pytest.raises(ConversionFailed) as caught:
            pool.convert(make_docx(tmp_path / "x.docx", "X"), tmp_path / "x.pdf")
        assert caught.value.exit_code == ExitCode.CONVERSION
        assert caught.value.message.startswith(
            "LibreOffice-Pool: LibreOffice ließ sich für die Umwandlung nicht starten (LibreOffice-Profil nicht "
            "beschreibbar: [Errno ")
        assert str(blocked) in caught.value.message
        assert caught.value.message.endswith(
            "). Bitte `docgen check` ausführen; auf langsamen Rechnern die Einstellung start_timeout erhöhen "
            "(derzeit 20 s).")
    finally:
        pool.close()
    assert our_processes(tmp_path) == []
    assert not (tmp_path / "x.pdf").exists()


@libreoffice
def test_wait_started_returns_once_the_workers_are_up(tmp_path: Path) -> None:
    pool = LibreOfficePool(settings_for(tmp_path, workers=1), wait=False)
    try:
        assert pool.wait_started() is True
        assert any("soffice.bin" in line for line in our_processes(tmp_path))
    finally:
        pool.close()


@libreoffice
def test_a_slow_first_conversion_is_part_of_the_start(tmp_path: Path) -> None:
    # A new LibreOffice's first conversion loads the German hyphenation patterns (seconds on a busy
    # machine). It belongs to the start and gets the longer of start_timeout and convert_timeout; with
    # convert_timeout alone a worker replaced mid-run failed to start on a slow moment in CI.
    argv, faults = fault_injecting_worker(tmp_path)
    (faults / "langsamer-start").touch()
    settings = settings_for(tmp_path, convert_timeout=2.0, start_timeout=30.0)
    with LibreOfficePool(settings, worker_argv=argv) as slow_start:
        slow_start.convert(make_docx(tmp_path / "x.docx", "X"), tmp_path / "x.pdf")
    assert "Kennung X" in pdf_text(tmp_path / "x.pdf")
    assert our_processes(tmp_path) == []
