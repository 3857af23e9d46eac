"""Issue 12 C1–C4 through the real ``docgen watch`` and ``docgen batch``: nothing lost, nothing twice.

One owner per inbox; a name too long never blocks the hot folder; a stray file in the
outbox or a malformed Beratungsfolge never stops a run; nothing is written through a
symlink and a sealed bundle is never replaced. The fast tests use the one-shot converter
setting and only invalid inputs, so no LibreOffice starts; the ``slow`` ones render.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from docgen.intake import batch
from docgen.intake.hotfolder import Folders, prepare_folders
from docgen.intake.jobs import Outcome
from docgen.settings import Settings
from tests.conftest import ROOT
from tests.test_intake import DaemonProcess, bundles, drop, env_for, example_data, jsons, wait_until

BODY = {"DOCGEN_KOERPERSCHAFT_NAME": "Kreis Musterland"}  # the body the seal is made for
ONE_SHOT = {"DOCGEN_CONVERTER": "einzeln", **BODY}  # invalid inputs never reach a converter: start none
HOLDER = """
import sys, time
from pathlib import Path
from docgen.intake.hotfolder import InboxLock
InboxLock(Path(sys.argv[1]), "docgen watch").acquire()
print("gesperrt", flush=True)
time.sleep(300)
"""
FREIGABE = {"mitzeichnungen": [{"rolle": "Amtsleitung", "name": "K. Beispiel", "datum": "2025-10-14"}],
            "unterzeichnung": {"zusatz": "Im Auftrag", "name": "Dr. B. Musterfrau", "funktion": "Dezernentin",
                               "datum": "2025-10-20"}}


@pytest.fixture
def hotfolder(tmp_path: Path) -> dict[str, Path]:
    folders = {"inbox": tmp_path / "eingang", "outbox": tmp_path / "ausgang", "state": tmp_path / "zustand"}
    for folder in folders.values():
        folder.mkdir()
    return folders


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.kill_hard()


def docgen(folders: dict[str, Path], *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docgen", *args], env=env_for(folders, **{**ONE_SHOT, **env}),
                          capture_output=True, text=True, timeout=timeout)


def aged(path: Path) -> Path:
    """Older than the stability delay, so ``batch`` takes it at once."""
    old = time.time() - 60
    os.utime(path, (old, old))
    return path


def write_aged(folder: Path, name: str | bytes, text: str) -> Path:
    path = Path(os.fsdecode(bytes(folder) + b"/" + name)) if isinstance(name, bytes) else folder / name
    path.write_text(text, encoding="utf-8")
    return aged(path)


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def longest_name(*folders: Path) -> int:
    return max((len(os.fsencode(p.name)) for f in folders for p in f.rglob("*")), default=0)


@pytest.fixture
def holder(hotfolder: dict[str, Path]) -> Iterator[subprocess.Popen[str]]:
    """Another docgen process that owns the inbox."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(hotfolder["inbox"])], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "gesperrt"
    yield proc
    proc.kill()
    proc.wait(timeout=30)


# C1: one owner per inbox

@pytest.mark.parametrize("command", ["watch", "batch"])
def test_second_instance_refuses_an_owned_inbox(hotfolder: dict[str, Path], holder: subprocess.Popen[str],
                                                command: str) -> None:
    inbox = hotfolder["inbox"]
    write_aged(inbox, "wartet.json", "{")
    left = inbox / ".in-arbeit" / "20250101T000000-0000abcd"
    left.mkdir(parents=True)
    (left / "laeuft.json").write_text("{", encoding="utf-8")  # a job the owner has in hand
    result = docgen(hotfolder, command, timeout=60)
    assert result.returncode == 9, result.stderr
    assert result.stderr.startswith(
        f"Eingangsordner {inbox}: wird schon von einem anderen docgen-Prozess bearbeitet "
        f"({socket.gethostname()}:{holder.pid}, docgen watch, seit ")
    assert "Je Eingangsordner darf nur ein „docgen watch“ oder „docgen batch“ laufen; bitte warten, bis er " \
           "fertig ist, oder ihn beenden." in result.stderr
    assert "Traceback" not in result.stderr
    assert jsons(inbox) == ["wartet.json"] and (left / "laeuft.json").is_file()  # nothing taken or recovered
    assert names_in(inbox / "failed") == [] and names_in(hotfolder["outbox"]) == []


def test_owner_lock_is_free_again_after_a_crash(hotfolder: dict[str, Path], holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    result = docgen(hotfolder, "batch", timeout=120)
    assert result.returncode == 0, result.stderr


# C4 (folders): a symlink as a folder docgen writes into

@pytest.mark.parametrize("command", ["watch", "batch"])
@pytest.mark.parametrize("which", ["failed", "processed", ".in-arbeit", "ausgang"])
def test_symlinked_folder_is_refused_at_start(hotfolder: dict[str, Path], tmp_path: Path, which: str,
                                              command: str) -> None:
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    if which == "ausgang":
        hotfolder["outbox"].rmdir()
        link = hotfolder["outbox"]
    else:
        link = hotfolder["inbox"] / which
    link.symlink_to(elsewhere, target_is_directory=True)
    write_aged(hotfolder["inbox"], "kaputt.json", "{")
    result = docgen(hotfolder, command, timeout=60)
    assert result.returncode == 9, result.stderr
    assert result.stderr.startswith(f"{link}: ist ein Verweis (Symlink) auf {elsewhere}. docgen schreibt nie durch "
                                    "Verweise; bitte einen echten Ordner anlegen oder den Zielordner direkt "
                                    "einstellen.")
    assert names_in(elsewhere) == [] and jsons(hotfolder["inbox"]) == ["kaputt.json"]


# C2: names too long

LATIN1_LONG = b"Sitzungsvorlage \xc4nderung " + b"\xe4\xf6\xfc" * 70 + b".json"  # 240 bytes, 660 as UTF-8
ASCII_245 = "v" * 240 + ".json"


def _assert_refused_names(inbox: Path) -> None:
    failed = inbox / "failed"
    reports = sorted(failed.glob("*~*.fehler.json"))  # shortened: start of the name, ~, a hash
    assert len(reports) == 2, names_in(failed)
    shown = set()
    for report in reports:
        data = json.loads(report.read_text(encoding="utf-8"))
        assert data["exit_code"] == 4 and data["fehler"][0]["code"] == "datei.name_zu_lang"
        assert data["fehler"][0]["meldung"].startswith("der Dateiname ist zu lang (")
        text = report.with_name(report.name.replace(".fehler.json", ".fehler.txt")).read_text(encoding="utf-8")
        assert "Bitte die Datei mit einem kürzeren Namen erneut in den Eingangsordner legen." in text
        assert (failed / report.name.replace(".fehler.json", ".json")).is_file()  # the input beside it
        shown.add(data["datei"])
    assert shown == {LATIN1_LONG.decode("utf-8", "replace"), ASCII_245}
    assert longest_name(failed) <= 255
    assert names_in(inbox / ".in-arbeit") == []  # no job folders left behind


def test_batch_refuses_overlong_names_and_goes_on(hotfolder: dict[str, Path]) -> None:
    inbox = hotfolder["inbox"]
    write_aged(inbox, LATIN1_LONG, "{}")
    write_aged(inbox, ASCII_245, "{}")
    write_aged(inbox, "kaputt.json", "{")
    result = docgen(hotfolder, "batch", "--json")
    assert result.returncode == 10, result.stderr
    summary = json.loads(result.stdout)
    assert summary["erfolgreich"] == 0 and summary["fehlgeschlagen"] == 3
    assert sorted(a["exit_code"] for a in summary["auftraege"]) == [4, 4, 4]
    _assert_refused_names(inbox)
    assert (inbox / "failed" / "kaputt.fehler.txt").is_file()
    assert names_in(inbox) == [".docgen.lock", ".in-arbeit", "failed", "processed"]


def test_daemon_refuses_overlong_names_and_goes_on(hotfolder: dict[str, Path], daemons: list[DaemonProcess]) -> None:
    inbox = hotfolder["inbox"]
    write_aged(inbox, LATIN1_LONG, "{}")
    write_aged(inbox, ASCII_245, "{}")
    daemon = DaemonProcess(hotfolder, "--poll", "0.5", **ONE_SHOT)
    daemons.append(daemon)
    wait_until(lambda: len(list((inbox / "failed").glob("*~*.fehler.json"))) == 2, 60, "both refused")
    drop(inbox, "danach.json", "{")  # the files after them are taken
    wait_until(lambda: (inbox / "failed" / "danach.fehler.json").is_file(), 120, "the next file taken")
    time.sleep(1.5)  # several polls: no empty job folders pile up
    _assert_refused_names(inbox)
    assert daemon.stop() == 0, daemon.output()
    assert "Traceback" not in daemon.output()


# C3: stray files in the outbox, a job left by a crash, malformed Beratungsfolge

JOB_DONE = "20250101T000000-0000d0e0"
JOB_PARTIAL = "20250101T000001-0000ba1f"


def _crash_leftovers(hotfolder: dict[str, Path]) -> None:
    """Stray receipts of every kind, one job whose bundle was published, one that published only its receipt."""
    outbox, work = hotfolder["outbox"], hotfolder["inbox"] / ".in-arbeit"
    (outbox / "liste.receipt.json").write_text("[1, 2, 3]", encoding="utf-8")
    (outbox / "zahl.receipt.json").write_text("42", encoding="utf-8")
    (outbox / "binaer.receipt.json").write_bytes(b"\xff\xfe\x00\x01")
    (outbox / "tief.receipt.json").write_text("[" * 100_000, encoding="utf-8")
    (outbox / "auftrag-zahl.receipt.json").write_text('{"auftrag": 7}', encoding="utf-8")
    os.mkfifo(outbox / "pipe.receipt.json")  # reading it would block for ever
    (outbox / "null.receipt.json").symlink_to("/dev/zero")  # reading it would never end
    (outbox / "ordner.receipt.json").mkdir()
    for job, name in ((JOB_DONE, "alt.json"), (JOB_PARTIAL, "halb.json")):
        (work / job).mkdir(parents=True)
        (work / job / name).write_text("{", encoding="utf-8")
    (outbox / "alt-ENTWURF.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    (outbox / "alt-ENTWURF.receipt.json").write_text(json.dumps({"auftrag": JOB_DONE, "status": "entwurf"}),
                                                     encoding="utf-8")
    (outbox / "halb-ENTWURF").mkdir()
    (outbox / "halb-ENTWURF.receipt.json").write_text(json.dumps({"auftrag": JOB_PARTIAL}), encoding="utf-8")


STRAY = ["alt-ENTWURF.pdf", "alt-ENTWURF.receipt.json", "auftrag-zahl.receipt.json", "binaer.receipt.json",
         "liste.receipt.json", "null.receipt.json", "ordner.receipt.json", "pipe.receipt.json", "tief.receipt.json",
         "zahl.receipt.json"]


def _assert_recovered(hotfolder: dict[str, Path]) -> None:
    inbox = hotfolder["inbox"]
    assert jsons(inbox / "processed") == ["alt.json"]  # published before the crash: archived, not re-run
    assert (inbox / "failed" / "halb.fehler.json").is_file()  # re-run (and invalid)
    assert names_in(hotfolder["outbox"]) == STRAY  # the partial output is gone, the strays untouched
    assert names_in(inbox / ".in-arbeit") == []


def test_daemon_starts_despite_stray_receipts_and_a_crashed_job(hotfolder: dict[str, Path],
                                                                 daemons: list[DaemonProcess]) -> None:
    _crash_leftovers(hotfolder)
    daemon = DaemonProcess(hotfolder, "--poll", "0.5", **ONE_SHOT)
    daemons.append(daemon)
    wait_until(lambda: (hotfolder["inbox"] / "failed" / "halb.fehler.json").is_file(), 120, "recovered")
    drop(hotfolder["inbox"], "danach.json", "{")
    wait_until(lambda: (hotfolder["inbox"] / "failed" / "danach.fehler.json").is_file(), 120, "next file")
    assert daemon.proc.poll() is None, daemon.output()
    assert daemon.stop() == 0, daemon.output()
    _assert_recovered(hotfolder)
    assert "Traceback" not in daemon.output()


def test_batch_runs_despite_stray_receipts_and_a_crashed_job(hotfolder: dict[str, Path]) -> None:
    _crash_leftovers(hotfolder)
    result = docgen(hotfolder, "batch")
    assert result.returncode == 10, result.stderr  # the re-run job is invalid
    assert "0 erfolgreich, 1 fehlgeschlagen" in result.stdout
    _assert_recovered(hotfolder)


def _vorlage(**change: Any) -> str:
    data = example_data()
    data["beratungsfolge"] = [{"datum": "2020-01-01", "gremium": "Ausschuss", "zustaendigkeit": "Vorberatung"},
                              {"datum": "2099-03-03", "gremium": "Kreistag", "zustaendigkeit": "Entscheidung"}]
    data.update(change)
    return json.dumps(data, ensure_ascii=False)


MALFORMED: dict[str, dict[str, Any]] = {
    "folge-objekt.json": {"beratungsfolge": {"datum": "2099-01-01", "gremium": "Rat"}},
    "folge-text.json": {"beratungsfolge": "morgen"},
    "folge-zahl.json": {"beratungsfolge": 5},
    "eintrag-text.json": {"beratungsfolge": ["2099-01-01"]},
    "datum-zahl.json": {"beratungsfolge": [{"datum": 20990101, "gremium": "Rat", "zustaendigkeit": "Entscheidung"}]},
    "datum-liste.json": {"beratungsfolge": [{"datum": ["2099-01-01"], "gremium": "Rat",
                                             "zustaendigkeit": "Entscheidung"}]},
    "datum-objekt.json": {"beratungsfolge": [{"datum": {"tag": 1}, "gremium": "Rat",
                                              "zustaendigkeit": "Entscheidung"}]},
}


def test_due_before_with_malformed_beratungsfolge(hotfolder: dict[str, Path]) -> None:
    inbox = hotfolder["inbox"]
    for name, change in MALFORMED.items():
        write_aged(inbox, name, _vorlage(**change))
    write_aged(inbox, "spaeter.json", _vorlage())
    result = docgen(hotfolder, "batch", "--due-before", "2099-03-02", "--json")
    assert result.returncode == 10, result.stderr
    summary = json.loads(result.stdout)
    assert sorted(a["datei"] for a in summary["auftraege"]) == sorted(MALFORMED)  # treated as due …
    assert {a["exit_code"] for a in summary["auftraege"]} == {4}  # … and failed with a report
    assert [e["datei"] for e in summary["im_eingang"]] == ["spaeter.json"]
    assert jsons(inbox) == ["spaeter.json"]
    for name in MALFORMED:
        report = json.loads((inbox / "failed" / name.replace(".json", ".fehler.json")).read_text(encoding="utf-8"))
        assert report["exit_code"] == 4 and any(f["pfad"].startswith("/beratungsfolge") for f in report["fehler"])


class _DyingPool:
    """Job processes of which one dies mid-job (injected fault): its future fails, the other job is done."""

    def __init__(self, *args: object) -> None:
        self.submitted = 0

    def __enter__(self) -> _DyingPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def submit(self, work_file: Path, job_id: str, folders: Folders) -> Future[Outcome]:
        future: Future[Outcome] = Future()
        self.submitted += 1
        if work_file.name == "stirbt.json":
            future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        else:
            future.set_result(Outcome(job_id, work_file.name, "beschlussvorlage", True, 0, "", 0.1, "x.pdf"))
        return future


def test_a_dying_job_process_fails_only_its_job(hotfolder: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = hotfolder["inbox"]
    for name in ("stirbt.json", "lebt.json"):
        write_aged(inbox, name, "{}")
    monkeypatch.setattr(batch, "JobProcesses", _DyingPool)
    settings = Settings(inbox=inbox, outbox=hotfolder["outbox"], state_dir=hotfolder["state"], workers=1)
    folders = prepare_folders(inbox, hotfolder["outbox"], hotfolder["state"])
    report = batch.run_batch(settings, folders, None)
    assert sorted((o.name, o.ok, o.exit_code) for o in report.outcomes) == [("lebt.json", True, 0),
                                                                            ("stirbt.json", False, 1)]
    died = next(o for o in report.outcomes if not o.ok)
    assert died.message == ("stirbt.json: Auftrag abgebrochen (BrokenProcessPool); die Eingabe bleibt im "
                            "Arbeitsordner und wird beim nächsten Lauf erneut bearbeitet.")
    assert any(p.name == "stirbt.json" for p in (inbox / ".in-arbeit").glob("*/*.json"))  # kept for the next run


# Real LibreOffice from here on

@pytest.mark.slow
def test_watch_and_batch_on_one_inbox_ten_inputs_ten_bundles(hotfolder: dict[str, Path],
                                                             daemons: list[DaemonProcess]) -> None:
    inbox, outbox = hotfolder["inbox"], hotfolder["outbox"]
    names = [f"akte-{i}.json" for i in range(10)]
    for i, name in enumerate(names):
        data = example_data()
        data["vorlage"]["nummer"] = f"2025/{3000 + i}"
        drop(inbox, name, data)
    first = DaemonProcess(hotfolder, DOCGEN_WORKERS="1", **BODY)
    daemons.append(first)
    wait_until(lambda: len(bundles(outbox)) >= 1, 300, "the first bundle")
    second = DaemonProcess(hotfolder, **BODY)
    daemons.append(second)
    assert second.proc.wait(timeout=60) == 9
    assert f"Eingangsordner {inbox}: wird schon von einem anderen docgen-Prozess bearbeitet" in second.output()
    batch = subprocess.run([sys.executable, "-m", "docgen", "batch"], env=env_for(hotfolder, **BODY),
                           capture_output=True, text=True, timeout=120)
    assert batch.returncode == 9, batch.stderr
    wait_until(lambda: len(jsons(inbox / "processed")) == len(names), 600, "all ten processed")
    assert first.stop() == 0
    made = bundles(outbox)
    assert len(made) == 10 and {b.removesuffix(".pdf").removesuffix("-ENTWURF") for b in made} == {
        n.removesuffix(".json") for n in names}, made  # ten, none twice


def draft_data() -> dict[str, Any]:
    data = example_data()
    data.pop("freigabe", None)
    return data


@pytest.mark.slow
def test_a_draft_never_replaces_a_sealed_entwurf_bundle(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env.update(DOCGEN_STATE_DIR=str(tmp_path / "zustand"), **BODY)
    sealed_input = {**draft_data(), "freigabe": FREIGABE}
    (tmp_path / "x-ENTWURF.json").write_text(json.dumps(sealed_input, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "x.json").write_text(json.dumps(draft_data(), ensure_ascii=False), encoding="utf-8")
    run = [sys.executable, "-m", "docgen", "render", "--out", str(out)]
    first = subprocess.run([*run[:4], str(tmp_path / "x-ENTWURF.json"), *run[4:]], env=env, capture_output=True,
                           text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    sealed = hashlib.sha256((out / "x-ENTWURF.pdf").read_bytes()).hexdigest()
    for _ in range(2):  # the second draft replaces the first draft, never the sealed bundle
        draft = subprocess.run([*run[:4], str(tmp_path / "x.json"), *run[4:]], env=env, capture_output=True,
                               text=True, timeout=300)
        assert draft.returncode == 0, draft.stderr
    assert hashlib.sha256((out / "x-ENTWURF.pdf").read_bytes()).hexdigest() == sealed
    assert json.loads((out / "x-ENTWURF.receipt.json").read_text(encoding="utf-8"))["status"] == "freigegeben"
    assert json.loads((out / "x-ENTWURF-v2.receipt.json").read_text(encoding="utf-8"))["status"] == "entwurf"
    assert sorted(p.name for p in out.glob("*.pdf")) == ["x-ENTWURF-v2.pdf", "x-ENTWURF.pdf"]


@pytest.mark.slow
def test_symlinks_planted_in_the_outbox_fail_the_job(hotfolder: dict[str, Path], daemons: list[DaemonProcess],
                                                     tmp_path: Path) -> None:
    inbox, outbox = hotfolder["inbox"], hotfolder["outbox"]
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    (elsewhere / "wichtig.pdf").write_bytes(b"bleibt")
    (outbox / "ordner-ENTWURF").symlink_to(elsewhere, target_is_directory=True)
    (outbox / "datei-ENTWURF.pdf").symlink_to(elsewhere / "wichtig.pdf")
    for name in ("ordner.json", "datei.json", "gut.json"):
        drop(inbox, name, draft_data())
    daemon = DaemonProcess(hotfolder, **BODY)
    daemons.append(daemon)
    wait_until(lambda: len(jsons(inbox / "processed")) + len(jsons(inbox / "failed")) == 3, 300, "all three")
    assert daemon.stop() == 0
    assert jsons(inbox / "processed") == ["gut.json"] and bundles(outbox) == ["datei-ENTWURF.pdf", "gut-ENTWURF.pdf"]
    assert names_in(elsewhere) == ["wichtig.pdf"] and (elsewhere / "wichtig.pdf").read_bytes() == b"bleibt"
    for stem, planted in (("ordner", "ordner-ENTWURF"), ("datei", "datei-ENTWURF.pdf")):
        report = json.loads((inbox / "failed" / f"{stem}.fehler.json").read_text(encoding="utf-8"))
        assert report["exit_code"] == 7
        assert report["fehler"][0]["meldung"].startswith(f"{outbox / planted}: ist ein Verweis (Symlink). docgen "
                                                         "schreibt nie durch Verweise")


def test_inbox_refuses_sign_offs_when_set_to(hotfolder: dict[str, Path]) -> None:
    """Bodies that seal only through docgen web: an input with "freigabe" fails with a report, nothing sealed."""
    data = example_data()
    data.pop("anlagen", None)
    assert "freigabe" in data
    write_aged(hotfolder["inbox"], "freigegeben.json", json.dumps(data, ensure_ascii=False))
    result = docgen(hotfolder, "batch", DOCGEN_EINGANG_OHNE_FREIGABE="true")
    assert result.returncode == 10, result.stderr
    report = (hotfolder["inbox"] / "failed" / "freigegeben.fehler.txt").read_text(encoding="utf-8")
    assert ("freigegeben.json: /freigabe: über den Eingangsordner werden keine freigegebenen Dokumente angenommen "
            "(Einstellung eingang_ohne_freigabe)") in report
    assert not [p for p in hotfolder["outbox"].iterdir() if p.suffix == ".pdf"]
    # the log line of the failure carries the job id and the reason, not just the exit code
    assert re.search(r"\[[0-9A-Za-z-]+\] freigegeben\.json: fehlgeschlagen \(Exit 4\): "
                     r"freigegeben\.json: /freigabe: über den Eingangsordner", result.stderr), result.stderr


@pytest.mark.slow
def test_a_publish_cut_short_by_a_crash_keeps_its_name(hotfolder: dict[str, Path]) -> None:
    # What a daemon killed while publishing leaves: the input in the work area, and in the outbox the
    # folder it reserved (naming the job, half the files in it) — or, killed a moment earlier, an empty one.
    inbox, outbox = hotfolder["inbox"], hotfolder["outbox"]
    for job, name, half in (("20250101T000000-0000beef", "akte", True),
                            ("20250101T000000-0000cafe", "leer", False)):
        left = inbox / ".in-arbeit" / job
        left.mkdir(parents=True)
        (left / f"{name}.json").write_text(json.dumps(example_data(), ensure_ascii=False), encoding="utf-8")
        (outbox / name).mkdir()
        if half:
            (outbox / name / f".docgen-auftrag-{job}").touch()
            (outbox / name / f"{name}.docx").write_bytes(b"halb geschrieben")
    result = docgen(hotfolder, "batch", DOCGEN_CONVERTER="pool")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert bundles(outbox) == ["akte.pdf", "leer.pdf"]  # the names they had, not akte-v2.pdf
    for name in ("akte", "leer"):
        assert sorted(p.name for p in (outbox / name).iterdir()) == sorted(
            ["freigabevermerk.pdf", f"{name}.docx", f"{name}.pdf"])  # no mark, no half file
    assert jsons(inbox / "processed") == ["akte.json", "leer.json"]
