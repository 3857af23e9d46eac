"""Settings precedence (flag > DOCGEN_* > docgen.toml > defaults) and configuration errors (exit 9)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from docgen.errors import ConfigError, ExitCode
from docgen.settings import Settings, load_settings
from tests.conftest import EXAMPLES, NO_SAMPLE_BODY, CliResult


def test_defaults_without_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings == Settings(state_dir=settings.state_dir)
    assert settings.koerperschaft.name == ""  # no built-in body: it must be configured
    assert settings.config_file is None
    assert settings.convert_timeout == 30.0


def test_precedence(tmp_path: Path) -> None:
    config = tmp_path / "docgen.toml"
    config.write_text(
        'outbox = "aus-toml"\ninbox = "ein-toml"\nconvert_timeout = 12\nworkers = 3\n'
        '[koerperschaft]\nname = "Stadt Musterstadt"\nverwaltungsspitze = "Die Oberbürgermeisterin"\n',
        encoding="utf-8")
    env = {"DOCGEN_OUTBOX": "aus-env", "DOCGEN_WORKERS": "2", "DOCGEN_KOERPERSCHAFT_NAME": "Stadt Beispielstadt"}
    settings = load_settings(config, {"workers": 1}, env)
    assert settings.outbox == Path("aus-env")  # env beats toml
    assert settings.inbox == Path("ein-toml")  # toml beats default
    assert settings.workers == 1  # flag beats env
    assert settings.convert_timeout == 12.0
    assert settings.koerperschaft.name == "Stadt Beispielstadt"
    assert settings.koerperschaft.verwaltungsspitze == "Die Oberbürgermeisterin"


@pytest.mark.parametrize(
    ("toml", "env", "fragment"),
    [
        ('outbx = "x"\n', {}, "unbekannter Schlüssel 'outbx'"),
        ("convert_timeout = -1\n", {}, "convert_timeout = -1 ist ungültig"),
        ("convert_timeout = inf\n", {}, "convert_timeout = inf ist ungültig"),
        ("convert_timeout = nan\n", {}, "convert_timeout = nan ist ungültig"),
        ("", {"DOCGEN_CONVERT_TIMEOUT": "inf"}, "convert_timeout = 'inf' ist ungültig"),
        ("workers = true\n", {}, "workers = true ist ungültig (erwartet eine ganze Zahl ≥ 0)"),
        ('workers = "2"\n', {}, "workers = '2' ist ungültig (erwartet eine ganze Zahl ≥ 0)"),
        ("poll = false\n", {}, "poll = false ist ungültig"),
        ('outbox = ""\n', {}, "outbox ist leer. Bitte einen Pfad angeben oder die Zeile entfernen."),
        ('seal_cert = ""\n', {}, "seal_cert ist leer."),
        ("outbox = 3\n", {}, "outbox = 3 ist ungültig (erwartet einen Pfad als Text in Anführungszeichen)"),
        ('vorlage_nummer_pattern = "^(2024"\n', {}, "vorlage_nummer_pattern = '^(2024' ist kein gültiger "
                                                     "regulärer Ausdruck"),
        ('converter = "schnell"\n', {}, "converter = 'schnell' ist ungültig (erwartet \"pool\" oder \"einzeln\")"),
        ("[koerperschaft]\nname = 5\n", {}, "[koerperschaft] name = 5 ist ungültig"),
        ('outbox = "aus"\nstate_dir = "aus/zustand"\n', {}, "state_dir (aus/zustand) liegt im Ordner outbox (aus)"),
        ('outbox = "aus"\nstate_dir = "aus"\n', {}, "oder ist derselbe Ordner"),
        ('inbox = "ein"\nstate_dir = "ein/x"\n', {}, "state_dir (ein/x) liegt im Ordner inbox (ein)"),
        ("[koerperschaft]\nnamen = 'x'\n", {}, "unbekannter Schlüssel in [koerperschaft]: namen"),
        ("outbox = \n", {}, "keine gültige TOML-Datei"),
        ("", {"DOCGEN_OUTBX": "x"}, "Umgebungsvariable DOCGEN_OUTBX: unbekannte Einstellung 'outbx'"),
    ],
)
def test_configuration_errors(tmp_path: Path, toml: str, env: dict[str, str], fragment: str) -> None:
    config = tmp_path / "docgen.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ=env)
    assert fragment in info.value.message
    assert info.value.exit_code == ExitCode.CONFIG


def test_cli_reports_bad_config_with_exit_9(docgen: Callable[..., CliResult], tmp_path: Path) -> None:
    (tmp_path / "docgen.toml").write_text("outbx = 'x'\n", encoding="utf-8")
    result = docgen("validate", EXAMPLES / "beschlussvorlage.json")
    assert result.returncode == 9
    assert "docgen.toml: unbekannter Schlüssel 'outbx'." in result.stderr


def test_body_profile_from_settings_and_input_override(docgen: Callable[..., CliResult], tmp_path: Path) -> None:
    import json
    import zipfile

    data = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    del data["koerperschaft"]
    del data["anlagen"]
    path = tmp_path / "profil.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "docgen.toml").write_text(
        '[koerperschaft]\nname = "Stadt Musterstadt"\nverwaltungsspitze = "Der Bürgermeister"\n', encoding="utf-8")
    result = docgen("render", path, "--docx-only", "--out", tmp_path / "out", env=NO_SAMPLE_BODY)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "profil.docx") as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    assert "Stadt Musterstadt" in xml and "Der Bürgermeister" in xml


@pytest.mark.parametrize(("spitze", "expected"), [
    ("Der Bürgermeister", "Stadt Musterstadt – Der Bürgermeister"),
    (None, "Stadt Musterstadt"),  # no dangling dash when the body names no Verwaltungsspitze
])
@pytest.mark.parametrize("art", ["beschlussvorlage", "integrationskonzept"])
def test_header_names_the_body_and_its_head_only_when_set(docgen: Callable[..., CliResult], tmp_path: Path, art: str,
                                                          spitze: str | None, expected: str) -> None:
    data = json.loads((EXAMPLES / f"{art}.json").read_text(encoding="utf-8"))
    data.pop("koerperschaft", None)
    data.pop("anlagen", None)
    path = tmp_path / "kopf.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    body = '[koerperschaft]\nname = "Stadt Musterstadt"\n' + (f'verwaltungsspitze = "{spitze}"\n' if spitze else "")
    (tmp_path / "docgen.toml").write_text(body, encoding="utf-8")
    result = docgen("render", path, "--docx-only", "--out", tmp_path / "out", env=NO_SAMPLE_BODY)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "kopf.docx") as archive:
        root = etree.fromstring(archive.read("word/header1.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    header = "".join("\t" if node.tag == f"{w}tab" else node.text or "" for node in root.iter(f"{w}t", f"{w}tab")
                     if node.getparent().tag == f"{w}r")  # a run's text and tabs, not the paragraph's tab stops
    assert header.split("\t")[0] == expected  # left of the tab: the body; right: the document


def test_windows_1252_settings_file_is_exit_9(tmp_path: Path) -> None:
    config = tmp_path / "docgen.toml"
    config.write_bytes('[koerperschaft]\nname = "Stadt Müllheim"\n'.encode("cp1252"))
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ={})
    assert info.value.message == (f"{config}: Zeile 2: die Datei ist nicht UTF-8-kodiert (vermutlich Windows-1252). "
                                  "Bitte im Editor als „UTF-8“ speichern.")


def test_settings_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--config/DOCGEN_CONFIG › ./docgen.toml › /etc/docgen/docgen.toml › defaults; the file read is named."""
    system = tmp_path / "etc" / "docgen.toml"
    system.parent.mkdir()
    system.write_text('[koerperschaft]\nname = "Kreis System"\n', encoding="utf-8")
    work = tmp_path / "arbeit"
    work.mkdir()
    monkeypatch.chdir(work)
    assert load_settings(environ={}, system_config=system).koerperschaft.name == "Kreis System"
    assert load_settings(environ={}, system_config=system).config_file == system
    (work / "docgen.toml").write_text('[koerperschaft]\nname = "Stadt Hier"\n', encoding="utf-8")
    assert load_settings(environ={}, system_config=system).koerperschaft.name == "Stadt Hier"
    explicit = tmp_path / "explizit.toml"
    explicit.write_text('[koerperschaft]\nname = "Gemeinde Explizit"\n', encoding="utf-8")
    via_env = load_settings(environ={"DOCGEN_CONFIG": str(explicit)}, system_config=system)
    assert via_env.koerperschaft.name == "Gemeinde Explizit" and via_env.config_file == explicit
    assert load_settings(explicit, environ={}, system_config=system).config_file == explicit
    with pytest.raises(ConfigError, match="Konfigurationsdatei nicht gefunden"):
        load_settings(tmp_path / "fehlt.toml", environ={}, system_config=system)


def test_check_and_status_name_the_settings_file_state_dir_and_body(
        docgen: Callable[..., CliResult], tmp_path: Path, state_dir: Path) -> None:
    (tmp_path / "docgen.toml").write_text('[koerperschaft]\nname = "Stadt Musterstadt"\n', encoding="utf-8")
    status = docgen("status", env=NO_SAMPLE_BODY)
    assert status.returncode == 0, status.stderr
    assert "Konfiguration: docgen.toml" in status.stdout
    assert "Körperschaft: Stadt Musterstadt" in status.stdout
    assert f"Zustandsordner: {state_dir}; Auftragsbuch: {state_dir / 'ledger.sqlite'}" in status.stdout
    check = docgen("check", env=NO_SAMPLE_BODY)
    assert "[OK     ] Konfiguration: docgen.toml" in check.stdout
    assert "[OK     ] Körperschaft: Stadt Musterstadt" in check.stdout


def test_missing_body_is_an_error_not_a_made_up_herausgeber(docgen: Callable[..., CliResult], tmp_path: Path) -> None:
    import json

    data = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    del data["koerperschaft"], data["anlagen"], data["freigabe"]
    path = tmp_path / "ohne.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = docgen("render", path, "--docx-only", "--out", tmp_path / "out", env=NO_SAMPLE_BODY)
    assert result.returncode == 9
    assert result.stderr.strip() == (
        "ohne.json: keine Körperschaft angegeben. Bitte in den Einstellungen [koerperschaft] name = \"…\" "
        "eintragen (oder DOCGEN_KOERPERSCHAFT_NAME) oder in der Eingabe „koerperschaft“: {\"name\": …} angeben.")
    assert not (tmp_path / "out").exists()


def test_folder_flags_override_the_settings(tmp_path: Path) -> None:
    """--inbox/--outbox arrive from click as paths; they override like every flag."""
    settings = load_settings(None, {"inbox": tmp_path / "ein", "outbox": tmp_path / "aus", "poll": 2.5},
                             environ={})
    assert (settings.inbox, settings.outbox, settings.poll) == (tmp_path / "ein", tmp_path / "aus", 2.5)
