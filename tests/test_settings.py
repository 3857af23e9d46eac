"""Settings precedence (flag > DOCGEN_* > docgen.toml > defaults) and configuration errors (exit 9)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from docgen.errors import ConfigError, ExitCode
from docgen.settings import Settings, load_settings
from tests.conftest import EXAMPLES, CliResult


def test_defaults_without_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings == Settings(state_dir=settings.state_dir)
    assert settings.koerperschaft.name == "Kreis Musterland"
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
    result = docgen("render", path, "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "profil.docx") as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    assert "Stadt Musterstadt" in xml and "Der Bürgermeister" in xml
