"""Issue 16, the document side: logo, hyphenation, inline markup, Bezug and TOP, the tagged bundle, the Anlage mark.

One real render of the example (with a logo from the settings) is checked with pdftotext, pdfinfo,
pdffonts and pdfimages; the logo's errors are checked on the render stage without LibreOffice.
"""

from __future__ import annotations

import copy
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from docgen import documents
from docgen.errors import ConfigError, ExitCode, FileAccessError, InvalidInput
from docgen.settings import Settings
from docgen.stages.render import RenderTools, koerperschaft_for, load_template, render_document, render_template
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT, clean_env, load_example

ROOT = Path(__file__).resolve().parent.parent


def png(path: Path, width: int = 60, height: int = 70) -> Path:
    """A small RGBA PNG (a blue block), written without an imaging library."""
    row = b"\x00" + bytes([0, 90, 160, 255]) * width
    data = zlib.compress(row * height)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def tool(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fertig")
    (folder / "anlagen").mkdir()
    for anlage in (EXAMPLES / "anlagen").iterdir():
        (folder / "anlagen" / anlage.name).write_bytes(anlage.read_bytes())
    source = folder / "beschlussvorlage.json"
    source.write_text(json.dumps(load_example(), ensure_ascii=False), encoding="utf-8")
    state = tmp_path_factory.mktemp("fertig-state")
    env = clean_env(state)
    env.update({"HOME": str(state), "DOCGEN_KOERPERSCHAFT_LOGO": str(png(folder / "wappen.png")),
                "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
    proc = subprocess.run([sys.executable, "-m", "docgen", "render", str(source), "--out", str(folder / "out")],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return folder / "out"


def test_bundle_is_tagged_german_pdfa_and_marks_its_anlage(rendered: Path) -> None:
    bundle = rendered / "beschlussvorlage.pdf"
    info = tool("pdfinfo", bundle)
    assert "Tagged:          yes" in info
    receipt = json.loads((rendered / "beschlussvorlage.receipt.json").read_text(encoding="utf-8"))
    assert receipt["pruefungen"]["pdfa"]["ergebnis"] == "bestanden"
    reader = PdfReader(bundle)
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "de-DE" and "/StructTreeRoot" in root
    texts = [page.extract_text() for page in reader.pages]
    labels = [i for i, t in enumerate(texts) if "Anlage 1 zur Vorlage 2025/0412" in t]
    assert len(labels) == 1 and "Zielerreichung" in texts[labels[0]]


def test_logo_in_every_header_of_the_vorlage(rendered: Path) -> None:
    single = rendered / "beschlussvorlage" / "beschlussvorlage.pdf"
    pages = int(next(line.split()[-1] for line in tool("pdfinfo", single).splitlines() if line.startswith("Pages:")))
    images = [line.split() for line in tool("pdfimages", "-list", single).splitlines()[2:]]
    assert sorted({int(i[0]) for i in images}) == list(range(1, pages + 1))
    assert {(i[3], i[4]) for i in images} == {("60", "70")}


def test_inline_markup_bezug_and_top(rendered: Path) -> None:
    single = rendered / "beschlussvorlage" / "beschlussvorlage.pdf"
    fonts = tool("pdffonts", single)
    assert "LiberationSans-Bold" in fonts and "LiberationSans-Italic" in fonts
    text = tool("pdftotext", "-layout", single, "-")
    assert "Bezug: Vorlage 2023/0388 – Schwerpunkte des Kommunalen" in text
    assert "Kreisausschuss (TOP 7)" in text
    assert "Teilhabe- und Integrationsstrategie 2030" in text and "[" not in text and "**" not in text
    with zipfile.ZipFile(rendered / "beschlussvorlage" / "beschlussvorlage.docx") as docx:
        rels = docx.read("word/_rels/document.xml.rels").decode()
        body = docx.read("word/document.xml").decode()
        settings = docx.read("word/settings.xml").decode()
    assert 'Target="https://www.land.nrw/" TargetMode="External"' in rels
    assert "<w:hyperlink " in body and "<w:b/></w:rPr><w:t>mindestens die Hälfte</w:t>" in body
    assert '<w:autoHyphenation w:val="true"/>' in settings
    # LibreOffice 7.4 (Debian's writer-nogui) writes no link annotation from DOCX or ODT; if a later
    # version does, it must be the plain web link.
    for page in PdfReader(rendered / "beschlussvorlage" / "beschlussvorlage.pdf").pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None:
                assert action.get_object()["/URI"] == "https://www.land.nrw/"


def test_hyphenation_in_a_narrow_cell(rendered: Path) -> None:
    text = tool("pdftotext", "-layout", rendered / "beschlussvorlage" / "beschlussvorlage.pdf", "-")
    assert "Migrationsgesell-" in text  # hyphen-de at work; before, the word broke without a hyphen


# -- the logo's errors, on the render stage ----------------------------------------------------

def _render(tmp_path: Path, data: dict[str, Any], settings: Settings) -> Path:
    doc = documents.get("beschlussvorlage")
    assert doc is not None
    return render_document(doc, data, tmp_path / "out.docx", settings, "vorlage.json")


def _settings(logo: str | None, config: Path | None = None) -> Settings:
    body = SAMPLE_KOERPERSCHAFT.__class__(**{**SAMPLE_KOERPERSCHAFT.__dict__, "logo": logo})
    return Settings(koerperschaft=body, config_file=config)


def test_missing_settings_logo_is_exit_9(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _render(tmp_path, load_example(), _settings("wappen.png", tmp_path / "docgen.toml"))
    assert caught.value.exit_code == ExitCode.CONFIG
    assert "[koerperschaft] logo = „wappen.png“" in str(caught.value) and "nicht gefunden" in str(caught.value)


def test_settings_logo_relative_to_the_settings_file(tmp_path: Path) -> None:
    png(tmp_path / "wappen.png")
    out = _render(tmp_path, load_example(), _settings("wappen.png", tmp_path / "docgen.toml"))
    with zipfile.ZipFile(out) as docx:
        assert any(name.startswith("word/media/") for name in docx.namelist())


def test_missing_or_outside_input_logo_is_exit_4_with_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for logo in ("fehlt.png", "../wappen.png", "/etc/wappen.png"):
        data = copy.deepcopy(load_example())
        data["koerperschaft"]["logo"] = logo
        with pytest.raises(InvalidInput) as caught:
            _render(tmp_path, data, Settings(koerperschaft=SAMPLE_KOERPERSCHAFT))
        assert caught.value.exit_code == ExitCode.INVALID_INPUT
        assert [p.path for p in caught.value.problems] == ["/koerperschaft/logo"]


def test_svg_and_unreadable_logos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wappen.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    (tmp_path / "kaputt.png").write_bytes(b"kein Bild")
    data = copy.deepcopy(load_example())
    data["koerperschaft"]["logo"] = "wappen.svg"
    with pytest.raises(InvalidInput) as svg:
        _render(tmp_path, data, Settings(koerperschaft=SAMPLE_KOERPERSCHAFT))
    assert "PNG oder JPEG" in svg.value.problems[0].message
    data["koerperschaft"]["logo"] = "kaputt.png"
    with pytest.raises(FileAccessError) as broken:
        _render(tmp_path, data, Settings(koerperschaft=SAMPLE_KOERPERSCHAFT))
    assert broken.value.exit_code == ExitCode.FILE_ACCESS and "kein PNG- oder JPEG-Bild" in str(broken.value)


def test_no_logo_keeps_the_header(tmp_path: Path) -> None:
    out = _render(tmp_path, load_example(), Settings(koerperschaft=SAMPLE_KOERPERSCHAFT))
    with zipfile.ZipFile(out) as docx:
        assert not any(name.startswith("word/media/") for name in docx.namelist())


def test_freigabevermerk_logo_through_render_template(tmp_path: Path) -> None:
    settings = Settings(koerperschaft=SAMPLE_KOERPERSCHAFT)
    data = load_example()
    context = {"koerperschaft": koerperschaft_for(data, settings), "bezug": "Vorlage 2025/0412", "titel": "T",
               "freigegeben": False, "inhalt": [], "mitzeichnungen": [], "unterzeichnung": None, "eingabe": "x.json",
               "sha256": "0", "erzeugt": "01.01.2026, 10:00 Uhr", "version": "0"}
    template = settings.template_path("freigabevermerk.docx")
    with_logo = render_template(template, context, tmp_path / "mit.docx", "x.json", logo=png(tmp_path / "w.png"))
    without = render_template(template, context, tmp_path / "ohne.docx", "x.json")
    with zipfile.ZipFile(with_logo) as docx:
        assert any(name.startswith("word/media/") for name in docx.namelist())
    with zipfile.ZipFile(without) as docx:
        assert not any(name.startswith("word/media/") for name in docx.namelist())
    assert load_template(template) is not None
    assert RenderTools.logo_file(data, settings) is None
