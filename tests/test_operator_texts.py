"""What operators and clerks read: times in the setting ``zeitzone``, German words instead of internal names
and English library texts, one log line per stop (``docgen status``, ``watch``, ``verify``, ``check``, the
settings, docgen web).

Each test pins the exact text (and exit code) the review asked for; the CLI runs as a subprocess where a
command's output is the point.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from docgen.errors import ConfigError, ExitCode, FileAccessError
from docgen.formatting import zeit_iso, zeitpunkt
from docgen.intake.daemon import Daemon
from docgen.intake.hotfolder import LOCK_FILE, Folders, InboxLock, claim, ensure_folders, prepare_folders
from docgen.intake.ledger import Ledger
from docgen.intake.remote import state_dir_fit, zustand_text
from docgen.settings import Koerperschaft, Settings, load_settings
from docgen.stages.seal import load_seal, seal_summary
from docgen.verify import receipt_path, trust_roots, verify_bundle
from docgen.web import store
from tests.conftest import CliResult, clean_env, unprivileged_prefix
from tests.pki import Pki, make_pki
from tests.test_seal_verify import attacker_signer, plain_pdf, sealed_bundle, settings_for, sign_again
from tests.web.conftest import app_client, basic, login, make_settings

WINTER = "2024-12-02T13:05:00+00:00"  # 14:05 in Berlin (CET, +01:00)
SUMMER = "2024-07-01T10:00:00+00:00"  # 12:00 in Berlin (CEST, +02:00)


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "web")


@pytest.fixture
def client(web_settings: Settings) -> Iterator[TestClient]:
    """docgen web without LibreOffice (no job runs here: the jobs are written into its store)."""
    with app_client(web_settings) as test_client:
        yield test_client


def _ledger_with_jobs(state_dir: Path) -> None:
    """A ledger with a finished job taken in winter and a running one taken in summer (times in UTC)."""
    ledger = Ledger(state_dir / "ledger.sqlite")
    ledger.taken("20241202T130500-aaaaaaaa", "winter.json", "0" * 64)
    ledger.done("20241202T130500-aaaaaaaa", {"paket": "winter.pdf"})
    ledger.taken("20240701T100000-bbbbbbbb", "sommer.json", "1" * 64)
    ledger.running("20240701T100000-bbbbbbbb")
    ledger.close()
    with sqlite3.connect(state_dir / "ledger.sqlite") as db:
        db.execute("UPDATE jobs SET taken_at=?, finished_at=? WHERE id='20241202T130500-aaaaaaaa'",
                   (WINTER, "2024-12-02T13:06:00+00:00"))
        db.execute("UPDATE jobs SET taken_at=? WHERE id='20240701T100000-bbbbbbbb'", (SUMMER,))


def _run(state_dir: Path, *args: str, env: dict[str, str] | None = None,
         prefix: list[str] | None = None) -> CliResult:
    proc = subprocess.run([*(prefix or []), sys.executable, "-m", "docgen", *args], cwd=state_dir.parent,
                          env={**clean_env(state_dir), **(env or {})}, capture_output=True, text=True, timeout=180)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


# --- 1. times in the setting zeitzone ----------------------------------------------------------------------------

def test_the_display_helpers() -> None:
    assert zeit_iso(WINTER, "Europe/Berlin") == "2024-12-02T14:05:00+01:00"
    assert zeit_iso(SUMMER, "Europe/Berlin") == "2024-07-01T12:00:00+02:00"
    assert zeit_iso("2024-12-02T13:05:00", "Europe/Berlin") == "2024-12-02T14:05:00+01:00"  # no offset = UTC
    assert zeit_iso(None, "Europe/Berlin") is None and zeit_iso("kaputt", "UTC") == "kaputt"
    assert zeitpunkt(WINTER, "Europe/Berlin") == "02.12.2024, 14:05 Uhr"
    assert zeitpunkt(SUMMER, "Europe/Berlin", sekunden=True) == "01.07.2024, 12:00:00 Uhr"
    assert zeitpunkt(WINTER, "UTC") == "02.12.2024, 13:05 Uhr"


def test_status_shows_the_ledger_times_in_the_time_zone(state_dir: Path) -> None:
    _ledger_with_jobs(state_dir)
    text = _run(state_dir, "status")
    assert text.returncode == 0, text.stderr
    rows = [line.split() for line in text.stdout.splitlines() if "json" in line and "Wartend" not in line]
    assert [(r[0], r[2], r[3]) for r in rows] == [("2024-12-02T14:05:00+01:00", "winter.json", "fertig"),
                                                  ("2024-07-01T12:00:00+02:00", "sommer.json", "läuft")]
    assert "Auftragsbuch: fertig 1, läuft 1" in text.stdout.splitlines()  # states in words, not "laeuft"
    as_json = _run(state_dir, "status", "--json")
    assert as_json.returncode == 0, as_json.stderr
    letzte = {row["input_name"]: row for row in json.loads(as_json.stdout)["letzte"]}
    assert letzte["winter.json"]["taken_at"] == "2024-12-02T14:05:00+01:00"
    assert letzte["winter.json"]["finished_at"] == "2024-12-02T14:06:00+01:00"
    assert letzte["sommer.json"]["taken_at"] == "2024-07-01T12:00:00+02:00"
    assert letzte["sommer.json"]["finished_at"] is None
    assert letzte["sommer.json"]["state"] == "laeuft"  # JSON keeps the stored names
    other = json.loads(_run(state_dir, "status", "--json", env={"DOCGEN_ZEITZONE": "America/New_York"}).stdout)
    assert other["letzte"][0]["taken_at"] == "2024-12-02T08:05:00-05:00"
    with sqlite3.connect(state_dir / "ledger.sqlite") as db:  # the ledger itself keeps UTC
        assert db.execute("SELECT taken_at FROM jobs WHERE input_name='winter.json'").fetchone() == (WINTER,)


def _hold_lock_since(inbox: Path, since: str) -> InboxLock:
    """Hold the inbox lock and make its file say it was taken at ``since`` (UTC), as a holder writes it."""
    holder = InboxLock(inbox, "docgen watch").acquire()
    (inbox / LOCK_FILE).write_text(f"rechner:4711\ndocgen watch\nseit {since}\n", encoding="utf-8")
    return holder


def test_the_inbox_lock_message_shows_the_time_in_the_zone(tmp_path: Path) -> None:
    folders = prepare_folders(tmp_path / "eingang", tmp_path / "ausgang", tmp_path / "zustand")
    holder = _hold_lock_since(folders.inbox, WINTER)
    try:
        with pytest.raises(ConfigError) as berlin:
            InboxLock(folders.inbox, "docgen batch").acquire()  # the setting's default zone
        assert berlin.value.exit_code == ExitCode.CONFIG
        assert berlin.value.message == (
            f"Eingangsordner {folders.inbox}: wird schon von einem anderen docgen-Prozess bearbeitet (rechner:4711, "
            "docgen watch, seit 02.12.2024, 14:05:00 Uhr). Je Eingangsordner darf nur ein „docgen watch“ oder "
            "„docgen batch“ laufen; bitte warten, bis er fertig ist, oder ihn beenden.")
        settings = Settings(inbox=folders.inbox, outbox=folders.outbox, state_dir=folders.state, zeitzone="UTC")
        with pytest.raises(ConfigError) as utc:  # docgen watch passes its setting zeitzone
            Daemon(settings, folders).run()
        assert "(rechner:4711, docgen watch, seit 02.12.2024, 13:05:00 Uhr)." in utc.value.message
    finally:
        holder.release()
    with InboxLock(folders.inbox, "docgen watch") as mine:  # the file keeps the time in UTC
        assert mine.held
        stored = (folders.inbox / LOCK_FILE).read_text(encoding="utf-8")
        assert stored.startswith(f"{socket.gethostname()}:{os.getpid()}\ndocgen watch\nseit ")
        assert stored.rstrip().endswith("+00:00")


def _job(settings: Settings, zustand: str, angelegt: str, beendet: str | None = None) -> store.Auftrag:
    auftrag = store.Auftrag(store.new_id(), "sb", zustand=zustand, angelegt=angelegt, beendet=beendet)
    auftraege = store.Auftraege(settings)
    auftraege.put(auftrag)
    (auftraege.folder(auftrag.id) / f"auftrag-{auftrag.id}.json").write_text(
        json.dumps({"dokumentart": "beschlussvorlage", "vorlage": {"betreff": "Radweg Nord"}}), encoding="utf-8")
    return auftrag


def test_web_api_and_pages_show_times_in_the_zone(client: TestClient, web_settings: Settings) -> None:
    winter = _job(web_settings, "fehlgeschlagen", WINTER, "2024-12-02T13:06:00+00:00")
    summer = _job(web_settings, "laeuft", SUMMER)
    answer = client.get(f"/api/auftraege/{winter.id}", headers=basic("sb")).json()
    assert (answer["angelegt"], answer["beendet"]) == ("2024-12-02T14:05:00+01:00", "2024-12-02T14:06:00+01:00")
    answer = client.get(f"/api/auftraege/{summer.id}", headers=basic("sb")).json()
    assert (answer["angelegt"], answer["beendet"]) == ("2024-07-01T12:00:00+02:00", None)
    stored = store.Auftraege(web_settings).folder(winter.id) / "auftrag.json"
    assert json.loads(stored.read_text(encoding="utf-8"))["angelegt"] == WINTER  # the store keeps UTC
    login(client, "sb")
    page = client.get("/").text
    assert "<td>02.12.2024, 14:05 Uhr</td>" in page and "<td>01.07.2024, 12:00 Uhr</td>" in page
    assert "(UTC)" not in page and "Angelegt</th>" in page


def test_web_admin_page_shows_ledger_times_in_the_zone(client: TestClient, web_settings: Settings) -> None:
    _ledger_with_jobs(web_settings.state_dir)
    login(client, "ad")
    page = client.get("/verwaltung").text
    assert "<td>02.12.2024, 14:05 Uhr</td><td>winter.json</td><td>fertig</td>" in page
    assert "<td>01.07.2024, 12:00 Uhr</td><td>sommer.json</td><td>läuft</td>" in page


def test_check_shows_the_seal_validity_in_the_zone(state_dir: Path) -> None:
    key = load_seal(Settings(state_dir=state_dir, koerperschaft=Koerperschaft(name="Kreis Musterland")))
    result = _run(state_dir, "check", env=CHECK_FAST)
    line = next(line for line in result.stdout.splitlines() if "Siegelzertifikat" in line)
    start = zeitpunkt(key.certificate.not_valid_before_utc, "Europe/Berlin")
    end = zeitpunkt(key.certificate.not_valid_after_utc, "Europe/Berlin")
    assert f", gültig {start} bis {end}, SHA-256 " in line, line
    assert "+00:00" not in line


# --- 2. status with an unreadable state directory ------------------------------------------------------------

def test_status_with_an_unreadable_state_dir_is_a_config_error(state_dir: Path) -> None:
    prefix = unprivileged_prefix()
    (state_dir / "ledger.sqlite").write_bytes(b"")
    state_dir.chmod(0)
    try:
        result = _run(state_dir, "status", prefix=prefix)
    finally:
        state_dir.chmod(0o755)
    assert result.returncode == ExitCode.CONFIG == 9, result.stderr
    assert result.stderr == (f"{state_dir}: Ordner nicht lesbar (keine Berechtigung); eingestellt als state_dir. "
                             "Bitte dem Benutzer, unter dem docgen läuft, Lese- und Schreibrechte geben oder "
                             "state_dir ändern.\n")


# --- 3. job states in sentences --------------------------------------------------------------------------------

@pytest.mark.parametrize(("zustand", "text"), [
    ("laeuft", "Der Auftrag läuft noch; ein Paket gibt es erst, wenn er fertig ist."),
    ("wartend", "Der Auftrag wartet noch; ein Paket gibt es erst, wenn er fertig ist."),
    ("fehlgeschlagen", "Der Auftrag ist fehlgeschlagen und hat kein Paket erzeugt; die Gründe stehen beim Auftrag."),
])
def test_no_bundle_yet_reads_as_german(client: TestClient, web_settings: Settings, zustand: str, text: str) -> None:
    auftrag = _job(web_settings, zustand, WINTER)
    response = client.get(f"/api/auftraege/{auftrag.id}/paket", headers=basic("sb"))
    assert response.status_code == 409
    assert response.json() == {"fehler": text, "zustand": zustand}
    login(client, "sb")
    page = client.get(f"/auftraege/{auftrag.id}/paket")
    assert page.status_code == 409 and text in page.text


def test_ledger_states_in_the_workers_log_read_as_german() -> None:
    assert zustand_text("laeuft") == "Zustand: läuft"
    assert zustand_text("fehlgeschlagen") == "Zustand: fehlgeschlagen"


# --- 4. docgen verify: German attribute names, appended bytes -------------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_verify_names_the_signer_in_german(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    verdict = verify_bundle(sealed_bundle(tmp_path, settings), trust_roots(settings))
    assert verdict.ok, verdict.lines
    assert ("Gesiegelt von: Name: Landeshauptstadt Düsseldorf, Organisationseinheit: docgen – lokales Siegel "
            "(nicht qualifiziert), Organisation: Landeshauptstadt Düsseldorf, Land: DE") in verdict.lines


def test_verify_names_a_strangers_seal_and_a_trusted_issuer_in_german(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    signer = attacker_signer(tmp_path)
    forged = sign_again(plain_pdf(tmp_path / "roh.pdf"), tmp_path / "fremd.pdf", signer)
    verdict = verify_bundle(forged, trust_roots(settings))
    assert verdict.reasons[0] == (
        "Signatur 1 stammt nicht von dieser Installation und nicht von einer hier hinterlegten vertrauenswürdigen "
        "Stelle: Name: Kreis Musterland – Siegel (Fingerabdruck SHA-256 "
        f"{signer.signing_cert.sha256.hex()}).")
    stranger = sealed_bundle(tmp_path, settings, "ca.pdf", receipt=False)
    trusting = settings_for(tmp_path / "andere")
    object.__setattr__(trusting, "seal_trust_roots", pki.root_pem)
    lines = verify_bundle(stranger, trust_roots(trusting)).lines
    assert ("Zertifikat: ausgestellt von einer hier hinterlegten vertrauenswürdigen Stelle (Name: Test-Wurzel, "
            "Organisation: Test-CA docgen, Land: DE).") in lines


def test_a_byte_appended_after_the_seal_is_not_called_validation_data(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    bundle = sealed_bundle(tmp_path, settings, receipt=False)
    bundle.write_bytes(bundle.read_bytes() + b"X")
    verdict = verify_bundle(bundle, trust_roots(settings))
    assert verdict.ok, verdict.lines  # pyHanko: the sealed revision is intact, nothing in it changed
    assert ("Das Siegel umfasst nicht die gesamte Datei: nach dem Siegeln wurden Daten angehängt, die keinen "
            "gesiegelten Inhalt verändern; der Inhalt ist unverändert.") in verdict.lines
    assert not any("Prüfdaten" in line for line in verdict.lines)
    env = {"DOCGEN_SEAL_CERT": str(pki.seal_p12), "DOCGEN_SEAL_PASSPHRASE": pki.passphrase}
    result = _run(settings.state_dir, "verify", str(bundle), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nach dem Siegeln wurden Daten angehängt, die keinen gesiegelten Inhalt verändern" in result.stdout
    assert "Common Name" not in result.stdout and "Organization" not in result.stdout
    assert not receipt_path(bundle).exists()


# --- 5. settings: German regular-expression errors, values as written in TOML ---------------------------------

@pytest.mark.parametrize(("toml", "message"), [
    ('vorlage_nummer_pattern = "a["\n',
     "vorlage_nummer_pattern = 'a[' ist kein gültiger regulärer Ausdruck (Zeichenklasse „[“ nicht mit „]“ "
     "geschlossen, bei Zeichen 2)."),
    ('vorlage_nummer_pattern = "^(2024"\n',
     "vorlage_nummer_pattern = '^(2024' ist kein gültiger regulärer Ausdruck (Klammer „(“ nicht geschlossen, bei "
     "Zeichen 2)."),
    ("vorlage_nummer_pattern = '\\q'\n",
     "vorlage_nummer_pattern = '\\q' ist kein gültiger regulärer Ausdruck (unbekannte Escape-Folge \\q, bei "
     "Zeichen 1)."),
    ('vorlage_nummer_pattern = "a{99999999999}"\n',
     "vorlage_nummer_pattern = 'a{99999999999}' ist kein gültiger regulärer Ausdruck (Wiederholungszahl zu groß)."),
    ("workers = true\n", "workers = true ist ungültig (erwartet eine ganze Zahl ≥ 0)."),
    ("poll = false\n", "poll = false ist ungültig (erwartet eine Zahl ≥ 0 in Sekunden)."),
    ('inbox = ["a", 1, true]\n',
     "inbox = ['a', 1, true] ist ungültig (erwartet einen Pfad als Text in Anführungszeichen)."),
    ("[koerperschaft]\nname = false\n",
     "[koerperschaft] name = false ist ungültig (erwartet einen Text in Anführungszeichen)."),
])
def test_settings_messages_are_german_and_quote_toml(tmp_path: Path, toml: str, message: str) -> None:
    config = tmp_path / "docgen.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert caught.value.exit_code == ExitCode.CONFIG
    assert caught.value.message == f"{config}: {message}"


def test_cli_echoes_a_toml_boolean_as_written(state_dir: Path) -> None:
    (state_dir.parent / "docgen.toml").write_text("workers = true\n", encoding="utf-8")
    result = _run(state_dir, "status")
    assert result.returncode == 9
    assert result.stderr == "docgen.toml: workers = true ist ungültig (erwartet eine ganze Zahl ≥ 0).\n"


# --- 6. docgen check without a Körperschaft --------------------------------------------------------------------

CHECK_FAST = {"DOCGEN_SOFFICE": "soffice-gibt-es-nicht", "DOCGEN_UNO_PYTHON": "/gibt/es/nicht"}


def test_check_says_no_koerperschaft_is_set_instead_of_a_name_mismatch(state_dir: Path) -> None:
    load_seal(Settings(state_dir=state_dir, koerperschaft=Koerperschaft(name="Kreis Musterland")))
    summary = seal_summary(Settings(state_dir=state_dir))
    assert summary["passt_zur_koerperschaft"] is None
    hint = ("lokales, selbst ausgestelltes Siegel von docgen – KEIN qualifiziertes elektronisches Siegel; es ist "
            "keine Körperschaft eingestellt ([koerperschaft] name), ohne sie wird nichts gesiegelt")
    assert summary["hinweis"] == hint
    other = seal_summary(Settings(state_dir=state_dir, koerperschaft=Koerperschaft(name="Stadt Anders")))
    assert other["passt_zur_koerperschaft"] is False
    assert "passt nicht zur eingestellten Körperschaft" in other["hinweis"]
    env = {**CHECK_FAST, "DOCGEN_KOERPERSCHAFT_NAME": "", "DOCGEN_KOERPERSCHAFT_VERWALTUNGSSPITZE": "",
           "DOCGEN_KOERPERSCHAFT_ANSCHRIFT": ""}
    result = _run(state_dir, "check", env=env)
    line = next(line for line in result.stdout.splitlines() if "Siegelzertifikat" in line)
    assert line.startswith(f"[WARNUNG] Siegelzertifikat: {hint}; Inhaber „CN=Kreis Musterland"), line
    assert "passt nicht" not in result.stdout


# --- 7. one log line per stop ----------------------------------------------------------------------------------

def test_the_stop_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folders = Folders(tmp_path / "eingang", tmp_path / "ausgang", tmp_path / "zustand")
    daemon = Daemon(Settings(inbox=folders.inbox, outbox=folders.outbox, state_dir=folders.state), folders)
    with caplog.at_level(logging.INFO, logger="docgen.watch"):
        daemon._signal(signal.SIGTERM, None)
        daemon._signal(signal.SIGTERM, None)  # handed on again (held while job processes started) or sent twice
    assert [r.getMessage() for r in caplog.records] == [
        "Signal 15: nehme keine neuen Dateien mehr an, laufende Aufträge werden beendet"]
    assert daemon.stop.is_set()


# --- 8. German system error texts in the intake ----------------------------------------------------------------

def test_hot_folder_and_worker_messages_use_german_system_texts(tmp_path: Path) -> None:
    blocker = tmp_path / "datei"
    blocker.write_text("kein Ordner", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        ensure_folders(Folders(blocker / "eingang", tmp_path / "ausgang", tmp_path / "zustand"))
    assert caught.value.message == f"{blocker / 'eingang'}: Ordner nicht lesbar (ein Teil des Pfads ist kein Ordner)."
    assert state_dir_fit(Settings(state_dir=blocker / "zustand")) == (
        f"Zustandsordner {blocker / 'zustand'} nicht nutzbar (ein Teil des Pfads ist kein Ordner)")
    folders = prepare_folders(tmp_path / "eingang", tmp_path / "ausgang", tmp_path / "zustand")
    (folders.work / "job-1").mkdir()
    dropped = folders.inbox / "a.json"
    dropped.write_text("{}", encoding="utf-8")
    with pytest.raises(FileAccessError) as taken:
        claim(dropped, folders, "job-1")
    assert taken.value.message == f"{folders.work}: Arbeitsordner nicht beschreibbar (existiert bereits)."


def test_a_time_beyond_the_last_hour_stays_as_written() -> None:
    """A certificate valid until 9999-12-31T23:59:59Z ("no expiry") cannot move into Europe/Berlin."""
    assert zeitpunkt("9999-12-31T23:59:59+00:00", "Europe/Berlin") == "9999-12-31T23:59:59+00:00"
    assert zeit_iso("9999-12-31T23:59:59+00:00", "Europe/Berlin") == "9999-12-31T23:59:59+00:00"


def test_system_errors_without_a_german_text_keep_their_words() -> None:
    from docgen.errors import is_file_error, oserror_text

    assert oserror_text(OSError(95, "Operation not supported")) == "Systemfehler 95: Operation not supported"
    assert oserror_text(PermissionError(13, "Permission denied")) == "keine Berechtigung"
    assert is_file_error(PermissionError(13, "Permission denied", "/x"))
    assert not is_file_error(ConnectionRefusedError(111, "Connection refused"))
    assert not is_file_error(TimeoutError(110, "timed out"))
