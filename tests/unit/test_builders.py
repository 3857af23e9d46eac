"""The template builders in tools/ still make the committed templates (normalised XML compared)."""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
BUILDERS = sorted(p.stem.removeprefix("build_") for p in TOOLS.glob("build_*.py") if p.stem != "build_templates")
SKIPPED_PARTS = ("docProps/",)  # creation time and the like change on every build


def _parts(docx: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(docx) as archive:
        out = {}
        for name in sorted(archive.namelist()):
            if name.startswith(SKIPPED_PARTS):
                continue
            data = archive.read(name)
            if name.endswith((".xml", ".rels")):
                parser = etree.XMLParser(remove_blank_text=True)
                data = etree.tostring(etree.fromstring(data, parser), method="c14n")
            out[name] = data
        return out


@pytest.mark.parametrize("name", BUILDERS)
def test_builder_reproduces_the_committed_template(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(TOOLS))
    module = importlib.import_module(f"build_{name}")
    built = tmp_path / f"{name}.docx"
    module.build().save(str(built))
    committed = _parts(ROOT / "templates" / f"{name}.docx")
    fresh = _parts(built)
    assert sorted(fresh) == sorted(committed), f"templates/{name}.docx: other parts; run `make templates`"
    changed = [part for part in committed if committed[part] != fresh[part]]
    assert changed == [], f"templates/{name}.docx differs from tools/build_{name}.py in {changed}; run `make templates`"


def test_every_template_has_a_builder() -> None:
    assert sorted(p.stem for p in (ROOT / "templates").glob("*.docx")) == BUILDERS
