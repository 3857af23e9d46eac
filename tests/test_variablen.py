"""``docgen variablen``: the list agrees with what the templates use and what lint-template accepts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen import api, documents
from docgen.cli import main
from docgen.errors import ExitCode, InvalidInput
from docgen.formatting import FILTERS
from docgen.lint import _context_paths, jinja_check, known_paths, read_paragraphs
from docgen.resources import templates_dir
from docgen.richtext import required_styles
from docgen.settings import Settings, load_settings
from docgen.stages.render import jinja_env, missing_styles
from docgen.variablen import BERECHNET, EINGABE, render_context
from tests.conftest import SAMPLE_BODY

ARTEN = documents.names()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("variablen")
    env = {**SAMPLE_BODY, "DOCGEN_STATE_DIR": str(folder / "state")}
    return load_settings(None, None, env, system_config=folder / "keine.toml")


def _covered(path: str, result: api.Variablen) -> bool:
    names = {v.pfad for v in result.variablen}
    if path in names or path.removesuffix("[]") in names:
        return True
    # below a field that is empty in the example (e.g. freigabe in a Sachbericht without one)
    return any(v.art == "kann leer sein" and path.startswith((v.pfad + ".", v.pfad + "[]")) for v in result.variablen)


@pytest.mark.parametrize("art", ARTEN)
def test_every_variable_the_shipped_template_uses_is_listed(art: str, settings: Settings) -> None:
    doc = documents.get(art)
    assert doc is not None
    template = templates_dir() / doc.template_file
    assert api.lint_templates([template], settings) == [(template, [])]  # lint-template accepts all of them
    findings, used = jinja_check(read_paragraphs(template), set())
    assert findings == []
    result = api.variablen(art, settings)
    missing = sorted({p for p, _line in used if not _covered(p, result)})
    assert missing == []


@pytest.mark.parametrize("art", ARTEN)
def test_same_paths_as_lint(art: str, settings: Settings) -> None:
    doc = documents.get(art)
    assert doc is not None
    result = api.variablen(art, settings)
    names = {v.pfad for v in result.variablen}
    context: set[str] = set()
    _context_paths(render_context(doc, settings), "", context)
    assert names == {p for p in context if not p.endswith("*")}
    known = known_paths(doc, settings)
    assert names <= known
    assert set(result.nur_eingabe) <= known
    assert not set(result.nur_eingabe) & names


@pytest.mark.parametrize("art", ARTEN)
def test_origin_and_computed_values(art: str, settings: Settings) -> None:
    result = api.variablen(art, settings)
    assert {v.herkunft for v in result.variablen} <= {EINGABE, BERECHNET}
    assert result.berechnet == [v for v in result.variablen if v.herkunft == BERECHNET]
    assert all(v.beschreibung == "" for v in result.berechnet)  # descriptions come from the schema only


def test_beschlussvorlage_details(settings: Settings) -> None:
    result = api.variablen("beschlussvorlage", settings)
    by_path = {v.pfad: v for v in result.variablen}
    assert by_path["vorlage.nummer"].herkunft == EINGABE
    assert by_path["vorlage.nummer"].beispiel == "2025/0412"
    assert by_path["vorlage.datum"].art == "Datum (JJJJ-MM-TT)"
    assert by_path["sachlage"].art == "Rich Text"
    assert by_path["anlagen[].nr"].herkunft == BERECHNET
    assert by_path["auswirkungen"].herkunft == BERECHNET  # four input fields become a list of sections
    assert "auswirkungen.personell" in result.nur_eingabe


def test_filters_exist_and_show_results(settings: Settings) -> None:
    result = api.variablen("beschlussvorlage", settings)
    assert [f.name for f in result.filter] == sorted(FILTERS)
    env_filters = jinja_env().filters
    for listed in result.filter:
        assert listed.name in env_filters
        assert listed.beschreibung
        assert listed.beispiele
        for expression, value, shown in listed.beispiele:
            wert = value.strip('"') if value.startswith('"') else Decimal(value)
            assert jinja_env().from_string(expression).render(wert=wert) == shown


def test_required_styles_exist_in_every_shipped_template(settings: Settings) -> None:
    result = api.variablen("beschlussvorlage", settings)
    assert result.formatvorlagen == required_styles()
    for art in ARTEN:
        doc = documents.get(art)
        assert doc is not None
        assert missing_styles(templates_dir() / doc.template_file) == []


def test_unknown_dokumentart(settings: Settings) -> None:
    with pytest.raises(InvalidInput):
        api.variablen("antrag", settings)


def test_cli_text_and_json(tmp_path: Path) -> None:
    env = {"DOCGEN_STATE_DIR": str(tmp_path / "state")}  # no body needed to list variables
    runner = CliRunner()
    text = runner.invoke(main, ["variablen", "beschlussvorlage"], env=env)
    assert text.exit_code == 0, text.output
    for needle in ("vorlage.nummer", "anlagen[].nr", "Heading 2", "1.234,50\u00a0€", "berechnet"):
        assert needle in text.stdout
    as_json = runner.invoke(main, ["variablen", "verwendungsnachweis", "--json"], env=env)
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["dokumentart"] == "verwendungsnachweis"
    assert set(data["berechnet"]) <= {v["pfad"] for v in data["variablen"]}
    unknown = runner.invoke(main, ["variablen", "antrag"], env=env)
    assert unknown.exit_code == ExitCode.INVALID_INPUT
    assert "unbekannte Dokumentart" in unknown.output


def test_betrieb_lists_every_setting() -> None:
    """docs/betrieb.md names every settings key with its default (the IT page must not drift either)."""
    from dataclasses import fields

    from docgen.settings import Koerperschaft

    text = (Path(__file__).resolve().parent.parent / "docs" / "betrieb.md").read_text(encoding="utf-8")
    keys = [f.name for f in fields(Settings) if f.name not in ("koerperschaft", "config_file")]
    assert [k for k in keys if f"| `{k}` |" not in text] == []
    assert [f.name for f in fields(Koerperschaft) if f"`[koerperschaft]` `{f.name}`" not in text] == []


def test_the_template_guide_shows_the_list_as_docgen_prints_it(tmp_path: Path) -> None:
    """docs/vorlagen-anpassen.md quotes the Beschlussvorlage's list "unverändert": it must stay so."""
    guide = (Path(__file__).resolve().parent.parent / "docs" / "vorlagen-anpassen.md").read_text(encoding="utf-8")
    marker = "Ausgabe von `docgen variablen beschlussvorlage` (docgen 0.1.0):\n\n```\n"
    start = guide.index(marker) + len(marker)
    quoted = guide[start:guide.index("```\n", start)]
    result = CliRunner().invoke(main, ["variablen", "beschlussvorlage"],
                                env={"DOCGEN_STATE_DIR": str(tmp_path / "state")})
    assert result.exit_code == 0, result.output
    printed = "".join(line.rstrip() + "\n" for line in result.stdout.splitlines())  # the guide drops trailing blanks
    assert quoted == printed
