"""The shipped templates are clean: every Jinja tag sits in one Word run, and they are A4."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").glob("*.docx"))
PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")


def runs_of_paragraphs(xml: str) -> list[list[str]]:
    paragraphs = []
    for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
        runs = ["".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", run))
                for run in re.findall(r"<w:r[ >].*?</w:r>", para, flags=re.S)]
        paragraphs.append(runs)
    return paragraphs


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_no_tag_split_across_runs(template: Path) -> None:
    with zipfile.ZipFile(template) as archive:
        for name in archive.namelist():
            if not PARTS.fullmatch(name):
                continue
            for runs in runs_of_paragraphs(archive.read(name).decode("utf-8")):
                for run in runs:
                    opened = len(re.findall(r"\{[{%]", run))
                    closed = len(re.findall(r"[}%]\}", run))
                    assert opened == closed, f"{template.name}/{name}: tag split across runs: {run!r} in {runs}"


def test_templates_exist() -> None:
    assert [t.name for t in TEMPLATES][:1] == ["beschlussvorlage.docx"]


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_a4_with_din_margins(template: Path) -> None:
    from docx import Document
    from docx.shared import Cm

    section = Document(str(template)).sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 1) == round(Cm(2.5).cm, 1)
