"""Inputs that are large or odd in shape get their German answer (exit 4) in time and memory that grow
with their size, never exit 1: nesting between the schema's depth and the parser's limit, a long key
above a long list, a long run of spaces in an amount, thousands of unknown fields.

Each test runs the real ``docgen validate``. The `docgen` fixture's timeout (180 s) and, for memory, an
address-space limit on the process are what a regression would run into; the assertions are the
answers themselves.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, CliResult, clean_env, load_example

Run = Callable[..., CliResult]


@pytest.mark.parametrize("depth", [70, 975])
def test_nesting_deeper_than_any_document_is_refused_with_its_place(docgen: Run, tmp_path: Path,
                                                                    depth: int) -> None:
    """975 lists inside the Sachlage: the parser copes, but the schema check ran out of stack (exit 1)."""
    data: dict[str, Any] = load_example()
    data.pop("anlagen")
    path = tmp_path / "tief.json"
    text = json.dumps(data, ensure_ascii=False)
    path.write_text(text.replace('"sachlage": [', '"sachlage": [' + "[" * depth + "]" * depth + ", ", 1),
                    encoding="utf-8")
    result = docgen("validate", path)
    assert result.returncode == 4, result.stderr
    assert result.stderr.strip() == (
        "tief.json: /sachlage" + "/0" * 63 + ": die Datei ist zu tief verschachtelt (mehr als 64 Ebenen "
        "ineinander; so tief ist kein Dokument aufgebaut). Bitte die eckigen und geschweiften Klammern prüfen.")


def test_a_document_at_its_deepest_is_not_refused(docgen: Run, tmp_path: Path) -> None:
    """The control: a table inside the Sachlage of a document nested as an Anlage is checked as usual."""
    data: dict[str, Any] = load_example()
    inner = load_example("sachbericht")
    inner["ausgangslage"] = [{"tabelle": {"spalten": ["A", "B"], "zeilen": [["1", "2"]]}}]
    data["anlagen"] = [{"titel": "Sachbericht", "dokument": inner}]
    path = tmp_path / "tief.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = docgen("validate", path)
    assert result.returncode == 0, result.stderr


def _limited_address_space() -> None:
    limit = 1 << 30  # 1 GiB: the interpreter with every library needs about a third of it
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_a_long_key_above_a_long_list_fits_in_memory(tmp_path: Path, state_dir: Path) -> None:
    """Every item's place was written out in full with the key in it and all of them kept at once:
    100,000 items under a 100,000-character key needed 10 GB (MemoryError, exit 1)."""
    n = 100_000
    path = tmp_path / "lang.json"
    path.write_text('{"dokumentart": "beschlussvorlage", "' + "a" * n + '": [' + ", ".join(["0"] * n) + "]}",
                    encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "docgen", "validate", str(path)], cwd=tmp_path,
                          env=clean_env(state_dir), capture_output=True, text=True, timeout=180,
                          preexec_fn=_limited_address_space)
    assert proc.returncode == 4, proc.stderr[-2000:]
    assert "lang.json: /: unbekanntes Feld „" + "a" * 39 + "…“ (Tippfehler?). Erlaubt sind: " in proc.stderr


def test_thousands_of_unknown_fields_are_named_five_at_a_time(docgen: Run, tmp_path: Path) -> None:
    data: dict[str, Any] = load_example()
    data.pop("anlagen")
    data.update({f"feld{i:05d}": 1 for i in range(5000)})
    path = tmp_path / "felder.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = docgen("validate", path)
    assert result.returncode == 4, result.stderr
    assert ("felder.json: /: unbekanntes Feld „feld00000“, „feld00001“, „feld00002“, „feld00003“, „feld00004“ "
            "und 4995 weitere (Tippfehler?). Erlaubt sind: ") in result.stderr


def test_an_amount_with_a_long_run_of_spaces_is_no_amount(docgen: Run, tmp_path: Path) -> None:
    """The currency pattern read a run of spaces once from each of its positions: 20,000 spaces took 25 s."""
    data: dict[str, Any] = json.loads((EXAMPLES / "verwendungsnachweis.json").read_text(encoding="utf-8"))
    data["bescheide"][1]["betrag"] = "1" + " " * 200_000 + "1"
    path = tmp_path / "betrag.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    shown = '"1' + " " * 55 + "…"
    result = docgen("validate", path)
    assert result.returncode == 4, result.stderr
    assert (f"betrag.json: /bescheide/1/betrag: {shown} ist kein Geldbetrag (erwartet eine Zahl wie 1234.56 "
            'oder einen Text wie "1234.56", höchstens 15 Stellen vor dem Punkt und zwei danach).') in result.stderr
