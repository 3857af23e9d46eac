"""Hostile arguments and environments: every one gets a German message and its documented exit code.

Never a traceback, never exit 1 ("Interner Fehler") for something the user or the set-up caused.
The real CLI runs as a subprocess; faults are made with real files (a folder, a FIFO, chmod 000, a
closed or full standard output). As root, chmod 000 does not stop reading, so those tests drop the
capabilities that bypass file permissions (``setpriv``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, CliResult, clean_env, unprivileged_prefix

ENGLISH = ("Traceback", "Interner Fehler", "Error", "Invalid", "denied", "No such file", "Is a directory")


@pytest.fixture
def run(tmp_path: Path, state_dir: Path) -> Callable[..., CliResult]:
    """The real ``docgen`` in ``tmp_path``; ``unprivileged`` honours chmod even for root; ``stdout`` as given."""

    def call(*args: str | Path, env: Mapping[str, str] | None = None, unprivileged: bool = False,
             stdout: Any = subprocess.PIPE, close_stdout: bool = False) -> CliResult:
        full_env = clean_env(state_dir)
        full_env.update(env or {})
        prefix = unprivileged_prefix() if unprivileged else []
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "docgen", *map(str, args)], cwd=tmp_path, env=full_env,
            stdout=stdout, stderr=subprocess.PIPE, timeout=120,
            preexec_fn=(lambda: os.close(1)) if close_stdout else None,
        )
        out = proc.stdout.decode("utf-8", "replace") if isinstance(proc.stdout, bytes) else ""
        return CliResult(proc.returncode, out, proc.stderr.decode("utf-8", "replace"))

    return call


def _german_only(result: CliResult) -> None:
    text = result.stdout + result.stderr
    assert [word for word in ENGLISH if word in text] == [], text


# --- the settings file ------------------------------------------------------------------------------------

def test_config_that_is_a_folder_says_so(run: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    result = run("--config", "conf", "validate", EXAMPLES / "beschlussvorlage.json")
    assert result.returncode == 9
    assert result.stderr == "conf: Konfigurationsdatei ist ein Ordner. Bitte den Pfad einer TOML-Datei angeben.\n"


def test_config_that_is_a_fifo_is_not_read(run: Callable[..., CliResult], tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "docgen.fifo")
    result = run("validate", EXAMPLES / "beschlussvorlage.json", env={"DOCGEN_CONFIG": "docgen.fifo"})
    assert result.returncode == 9
    assert result.stderr == ("docgen.fifo: Konfigurationsdatei ist keine gewöhnliche Datei (z. B. ein Gerät oder "
                             "eine Pipe). Bitte den Pfad einer TOML-Datei angeben.\n")


def test_unreadable_config_is_exit_9_not_a_usage_error(run: Callable[..., CliResult], tmp_path: Path) -> None:
    config = tmp_path / "geheim.toml"
    config.write_text('outbox = "aus"\n', encoding="utf-8")
    config.chmod(0)
    result = run("--config", "geheim.toml", "validate", EXAMPLES / "beschlussvorlage.json", unprivileged=True)
    assert result.returncode == 9
    assert result.stderr == ("geheim.toml: Konfiguration nicht lesbar (keine Berechtigung). Bitte Pfad und "
                             "Leserechte prüfen.\n")


@pytest.mark.parametrize(("toml", "message"), [
    ("outbox = \n", "Zeile 1, Spalte 10: ungültiger Wert (Texte und Pfade gehören in Anführungszeichen)"),
    ('inbox = "a"\ninbox = "b"\n', "Zeile 2, Spalte 12: der Schlüssel steht doppelt"),
    ("[koerperschaft\n", "Zeile 1, Spalte 15: „]“ fehlt am Ende der Tabellenüberschrift"),
    ("outbox", "am Dateiende: nach dem Schlüssel fehlt „=“"),
])
def test_toml_syntax_errors_are_german(run: Callable[..., CliResult], tmp_path: Path, toml: str,
                                       message: str) -> None:
    (tmp_path / "docgen.toml").write_text(toml, encoding="utf-8")
    result = run("validate", EXAMPLES / "beschlussvorlage.json")
    assert result.returncode == 9
    assert result.stderr == f"docgen.toml: keine gültige TOML-Datei ({message}).\n"


def test_utf16_config_is_named_utf16(run: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / "docgen.toml").write_text('outbox = "aus"\n', encoding="utf-16")
    result = run("validate", EXAMPLES / "beschlussvorlage.json")
    assert result.returncode == 9
    assert result.stderr == ("docgen.toml: die Datei ist UTF-16-kodiert; erwartet wird UTF-8. Bitte im Editor als "
                             "„UTF-8“ speichern.\n")


@pytest.mark.parametrize(("toml", "env", "message"), [
    ('koerperschaft = "Stadt X"\n', {},
     "docgen.toml: koerperschaft = 'Stadt X' ist ungültig (erwartet eine Tabelle: eine Zeile [koerperschaft], "
     'darunter name = "…" usw.).'),
    ("[koerperschaft]\nnamen = 'x'\n", {},
     "docgen.toml: unbekannter Schlüssel in [koerperschaft]: namen. Erlaubt sind: anschrift, logo, name, "
     "verwaltungsspitze."),
    ("", {"DOCGEN_KOERPERSCHAFT_WAPPEN": "x"},
     "Umgebungsvariable DOCGEN_KOERPERSCHAFT_WAPPEN: unbekannter Schlüssel in [koerperschaft]: wappen. Erlaubt "
     "sind: anschrift, logo, name, verwaltungsspitze."),
    ('outbox = "aus\\u0000x"\n', {},
     'docgen.toml: outbox = "aus\\u0000x" enthält ein Nullzeichen (\\u0000); ein Pfad darf keines enthalten.'),
    ('inbox = "~gibt-es-nicht-4711/ein"\n', {},
     "docgen.toml: inbox = '~gibt-es-nicht-4711/ein': das Benutzerverzeichnis „~gibt-es-nicht-4711“ ist auf "
     "diesem Rechner unbekannt. Bitte einen vollständigen Pfad angeben."),
    ("workers = 100000000000000000000\n", {},
     "docgen.toml: workers = 100000000000000000000 ist ungültig (erwartet eine ganze Zahl von 0 bis 256)."),
    ("web_port = 99999\n", {},
     "docgen.toml: web_port = 99999 ist ungültig (erwartet eine ganze Zahl von 1 bis 65535)."),
    ("max_attempts = 0\n", {},
     "docgen.toml: max_attempts = 0 ist ungültig (erwartet eine ganze Zahl von 1 bis 1000)."),
    ("max_input_bytes = 100000000000000000000000\n", {},
     "docgen.toml: max_input_bytes = 100000000000000000000000 ist ungültig (erwartet eine ganze Zahl von 0 bis "
     "4611686018427387904)."),
    ("", {"DOCGEN_WORKERS": "100000000000000000000"},
     "Umgebungsvariable DOCGEN_WORKERS: workers = '100000000000000000000' ist ungültig (erwartet eine ganze Zahl "
     "von 0 bis 256)."),
    ("", {"DOCGEN_KOERPERSCHAFT_NAME": "Stadt M\udcfcnster"},  # "ü" in Latin-1: not UTF-8
     "Umgebungsvariable DOCGEN_KOERPERSCHAFT_NAME: [koerperschaft] name enthält Bytes, die kein UTF-8 sind. Bitte "
     "den Wert als UTF-8 angeben."),
    ("", {"DOCGEN_ZEITZONE": "Europe/Berl\udcefn"},
     "Umgebungsvariable DOCGEN_ZEITZONE: zeitzone enthält Bytes, die kein UTF-8 sind. Bitte den Wert als UTF-8 "
     "angeben."),
])
def test_bad_settings_are_exit_9_with_their_source(run: Callable[..., CliResult], tmp_path: Path, toml: str,
                                                   env: dict[str, str], message: str) -> None:
    (tmp_path / "docgen.toml").write_text(toml, encoding="utf-8")
    result = run("validate", EXAMPLES / "beschlussvorlage.json", env=env)
    assert result.returncode == 9, result.stderr
    assert result.stderr == message + "\n"


# --- arguments --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["status", "-n", "100000000000000000000"],
     "Fehler: Ungültiger Wert für '-n' / '--last': 100000000000000000000 liegt nicht im Bereich 1<=x<=100000."),
    (["render", "--workers", "100000", "x.json"],
     "Fehler: Ungültiger Wert für '--workers': 100000 liegt nicht im Bereich 1<=x<=256."),
    (["render", "--out", "", "x.json"],
     "Fehler: Ungültiger Wert für '--out': der Pfad ist leer. Bitte einen Pfad angeben."),
    (["batch", "--inbox", ""],
     "Fehler: Ungültiger Wert für '--inbox': der Pfad ist leer. Bitte einen Pfad angeben."),
    (["batch", "--due-before", "12.03.2026"],  # click showed its format '%Y-%m-%d'
     "Fehler: Ungültiger Wert für '--due-before': „12.03.2026“ ist kein Datum in der Form JJJJ-MM-TT "
     "(z. B. 2026-03-12)."),
    (["batch", "--due-before", "2026-02-30"],
     "Fehler: Ungültiger Wert für '--due-before': „2026-02-30“ ist kein Datum in der Form JJJJ-MM-TT "
     "(z. B. 2026-03-12)."),
    (["batch", "--due-before", "20260312"],  # Python's date parser would take it; docgen's dates have dashes
     "Fehler: Ungültiger Wert für '--due-before': „20260312“ ist kein Datum in der Form JJJJ-MM-TT "
     "(z. B. 2026-03-12)."),
    (["batch", "--due-before", "2026-W11-4"],  # ten characters, an ISO week date: not docgen's form either
     "Fehler: Ungültiger Wert für '--due-before': „2026-W11-4“ ist kein Datum in der Form JJJJ-MM-TT "
     "(z. B. 2026-03-12)."),
])
def test_absurd_arguments_are_usage_errors(run: Callable[..., CliResult], args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == message


def test_unreadable_input_is_exit_7(run: Callable[..., CliResult], tmp_path: Path) -> None:
    source = tmp_path / "antrag.json"
    shutil.copy(EXAMPLES / "beschlussvorlage.json", source)
    source.chmod(0)
    result = run("validate", "antrag.json", unprivileged=True)
    assert result.returncode == 7
    assert result.stderr == "antrag.json: keine Leseberechtigung. Bitte die Dateirechte prüfen.\n"


def test_verify_refuses_folders_and_pipes_with_exit_7(run: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / "paket.pdf").mkdir()
    os.mkfifo(tmp_path / "pipe.pdf")
    folder = run("verify", "paket.pdf")
    assert (folder.returncode, folder.stderr) == (
        7, "paket.pdf: ist ein Ordner; erwartet wird ein Dokumentenpaket (PDF).\n")
    pipe = run("verify", "pipe.pdf")
    assert (pipe.returncode, pipe.stderr) == (
        7, "pipe.pdf: ist keine gewöhnliche Datei; erwartet wird ein Dokumentenpaket (PDF).\n")


def test_verify_names_an_unusable_receipt_in_german(run: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / "paket.pdf").write_bytes(b"kein PDF")
    (tmp_path / "paket.receipt.json").mkdir()
    result = run("verify", "paket.pdf")
    assert result.returncode == 8
    assert result.stdout.splitlines() == ["paket.pdf: UNGÜLTIG",
                                          "  Die Datei lässt sich nicht als PDF lesen (beschädigt, abgeschnitten oder "
                                          "kein PDF).",
                                          "  Der Beleg paket.receipt.json ist nicht lesbar (ist ein Ordner)."]
    _german_only(result)


def test_lint_template_missing_or_folder_is_exit_7(run: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / "ordner.docx").mkdir()
    result = run("lint-template", "fehlt.docx", "ordner.docx", "--dokumentart", "beschlussvorlage")
    assert result.returncode == 7
    assert result.stderr.splitlines() == ["fehlt.docx: Vorlage nicht gefunden.",
                                          "ordner.docx: ist ein Ordner; erwartet wird eine Word-Vorlage (.docx)."]


# --- the set-up -------------------------------------------------------------------------------------------

def test_status_with_an_unreadable_state_dir_is_exit_9(run: Callable[..., CliResult], state_dir: Path) -> None:
    (state_dir / "ledger.sqlite").write_bytes(b"")
    state_dir.chmod(0)
    try:
        result = run("status", unprivileged=True)
    finally:
        state_dir.chmod(0o755)
    assert result.returncode == 9  # an unusable configured folder (docs/contracts.md, exit codes)
    assert result.stderr == (f"{state_dir}: Ordner nicht lesbar (keine Berechtigung); eingestellt als state_dir. "
                             "Bitte dem Benutzer, unter dem docgen läuft, Lese- und Schreibrechte geben oder "
                             "state_dir ändern.\n")


CHECK_FAST = {"DOCGEN_SOFFICE": "soffice-gibt-es-nicht", "DOCGEN_UNO_PYTHON": "/gibt/es/nicht"}


def test_check_reports_a_broken_template_instead_of_crashing(run: Callable[..., CliResult],
                                                             tmp_path: Path) -> None:
    own = tmp_path / "vorlagen"
    own.mkdir()
    (own / "beschlussvorlage.docx").write_bytes(b"kein zip")
    (own / "sachbericht.docx").write_bytes(b"PK\x03\x04kaputt")
    result = run("check", env={**CHECK_FAST, "DOCGEN_TEMPLATES_DIR": str(own)})
    assert result.returncode == 3, result.stderr
    lines = result.stdout.splitlines()
    assert f"[FEHLT  ] Vorlage beschlussvorlage.docx: {own / 'beschlussvorlage.docx'} ist keine Word-Datei" in lines
    assert f"[FEHLT  ] Vorlage sachbericht.docx: {own / 'sachbericht.docx'} ist keine Word-Datei" in lines
    assert "Interner Fehler" not in result.stderr


def test_check_reports_an_unreadable_state_dir(run: Callable[..., CliResult], state_dir: Path) -> None:
    (state_dir / "siegel").mkdir()
    state_dir.chmod(0)
    try:
        result = run("check", env=CHECK_FAST, unprivileged=True)
    finally:
        state_dir.chmod(0o755)
    assert result.returncode == 3, result.stderr
    assert (f"[FEHLT  ] Siegelzertifikat: {state_dir / 'siegel' / 'siegel.p12'}: nicht lesbar (keine "
            "Berechtigung)") in result.stdout.splitlines()
    assert "Interner Fehler" not in result.stderr


# --- standard output closed or full -----------------------------------------------------------------------

def test_closed_stdout_loses_only_notes_for_validate(run: Callable[..., CliResult]) -> None:
    result = run("validate", EXAMPLES / "beschlussvorlage.json", stdout=None, close_stdout=True)
    assert result.returncode == 0
    assert result.stderr == ("Hinweis: die Standardausgabe ist geschlossen; die Meldungen dieses Aufrufs fehlen dort "
                             "(der Exit-Code gilt).\n")


def test_closed_stdout_is_exit_7_when_the_output_is_the_result(run: Callable[..., CliResult]) -> None:
    result = run("schema", "beschlussvorlage", stdout=None, close_stdout=True)
    assert result.returncode == 7
    assert result.stderr == ("Die Standardausgabe ist geschlossen; das Ergebnis ginge verloren. Bitte die Ausgabe "
                             "umleiten (z. B. > ergebnis.txt oder > /dev/null) statt sie zu schließen (>&-).\n")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full fehlt")
def test_full_stdout_is_exit_7_for_a_result_and_a_note_for_validate(run: Callable[..., CliResult]) -> None:
    with open("/dev/full", "wb") as full:
        schema = run("schema", "beschlussvorlage", stdout=full)
        validate = run("validate", EXAMPLES / "beschlussvorlage.json", stdout=full)
    assert schema.returncode == 7
    assert schema.stderr == ("Die Standardausgabe lässt sich nicht schreiben (Datenträger voll); das Ergebnis ist "
                             "unvollständig. Bitte das Ziel der Umleitung prüfen (Speicherplatz, Rechte).\n")
    assert validate.returncode == 0
    assert validate.stderr == ("Hinweis: die Standardausgabe ist nicht schreibbar (Datenträger voll); die Meldungen "
                               "dieses Aufrufs fehlen dort (der Exit-Code gilt).\n")


def test_an_unenterable_working_folder_falls_back_to_the_system_settings(tmp_path: Path, state_dir: Path) -> None:
    """sudo -u docgen docgen … from a folder docgen may not enter: ./docgen.toml is simply not there."""
    locked = tmp_path / "gesperrt"
    locked.mkdir()
    locked.chmod(0o000)
    try:
        proc = subprocess.run([*unprivileged_prefix(), sys.executable, "-m", "docgen", "validate",
                               str(EXAMPLES / "beschlussvorlage.json")], cwd=locked, env=clean_env(state_dir),
                              capture_output=True, text=True, timeout=120)
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "beschlussvorlage.json: gültig (Beschlussvorlage).\n"
