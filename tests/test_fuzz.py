"""Property and fuzz tests: inputs generated from the JSON Schemas, and mutated shipped examples.

:class:`SchemaStrategies` turns our schemas into Hypothesis strategies (the keywords the schemas
use: type, properties, required, additionalProperties false, enum, const, items, minItems, maxItems,
anyOf/oneOf, $ref into gemeinsam.schema.json and local $defs, format date, pattern, minLength,
minimum/maximum/exclusiveMinimum, multipleOf). A keyword it does not know is an error, so a schema
that grows a new keyword fails :func:`test_generator_knows_every_schema_keyword` instead of being
silently ignored. What the schemas cannot say comes in two documented places: ``OVERRIDES`` (an
Anlage's file must exist; the Sachbericht inside a Verwendungsnachweis is an open object in its
schema) and the ``*_rules`` functions, which bend a schema-valid input to the domain rules of its
type (one Entscheidung and it is last, dates in order, sums that add up …).

Properties: a generated input is valid (validate_file, with the JSON text written and read back)
and renders to DOCX; a few go through `docgen render` with real LibreOffice. Mutations of the
shipped examples (keys deleted, types changed, junk inserted, text cut, bytes flipped) end valid or
with exit 4 (7 for a missing attachment), never with another exception.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from docgen.errors import DocgenError, ExitCode
from docgen.resources import schemas_dir
from docgen.settings import Settings
from docgen.stages.render import render_document
from docgen.stages.validate import PRINTABLE as PRINTABLE_RANGES
from docgen.stages.validate import validate_file
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT, clean_env

SCHEMAS = schemas_dir()
ARTEN = ["beschlussvorlage", "sachbericht", "verwendungsnachweis", "integrationskonzept"]
ATTACHMENT = "anlagen/zielerreichung-2024-2025.pdf"  # exists beside every input these tests write
Strategy = st.SearchStrategy[Any]

# Keywords that only describe; everything else must be understood by the generator.
ANNOTATIONS = {"description", "title", "$schema", "$id", "$defs", "x-version"}
KEYWORDS = {"type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems", "maxItems",
            "anyOf", "oneOf", "$ref", "format", "pattern", "minLength", "minimum", "maximum", "exclusiveMinimum",
            "multipleOf"}

# Text as users type it: any character JSON can carry (control characters included: the
# renderer must drop them), but no lone surrogates, which are not text (validate refuses them).
# Characters docgen prints (the validate stage refuses the rest, naming them; tests/test_input_rules.py
# covers that), plus the C0 controls the renderer removes.
_PRINTED = st.one_of(*[st.characters(min_codepoint=low, max_codepoint=high) for low, high in PRINTABLE_RANGES])
TEXT = st.text(st.one_of(_PRINTED, st.characters(max_codepoint=0x1F)), max_size=40)
# For the LibreOffice runs, without control characters and non-characters: a signed-off bundle
# whose title holds one cannot be sealed (assemble.py writes it into the XMP unescaped; reported,
# see docs/reliability.md). The DOCX-level property above keeps them.
PRINTABLE = st.text(_PRINTED, max_size=40)
JSON_NUMBER_LIMIT = 10**12  # amounts of up to a thousand billion euros
MONEY_PATTERN = "[0-9]{1,15}(\\.[0-9]{1,2})?"  # the pattern of an amount written as text


# --- the generator ---------------------------------------------------------------------------


def to_json(value: Any) -> str:
    """JSON text for parsed input data (``Decimal`` as a JSON number, as the input had it)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class SchemaStrategies:
    """Hypothesis strategies for the documents our JSON Schemas describe."""

    def __init__(self, overrides: dict[str, Callable[[SchemaStrategies], Strategy]] | None = None,
                 text: Strategy = TEXT) -> None:
        self.text = text
        self.files: dict[str, dict[str, Any]] = {
            p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(SCHEMAS.glob("*.schema.json"))}
        self.overrides = overrides or {}
        self._cache: dict[str, Strategy] = {}

    def document(self, art: str) -> Strategy:
        return self.at(f"{art}.schema.json", "")

    def at(self, file: str, pointer: str) -> Strategy:
        """The strategy for the schema at ``file#pointer`` (memoised; recursion goes through st.deferred)."""
        key = f"{file}#{pointer}"
        if key not in self._cache:
            if key in self.overrides:
                self._cache[key] = self.overrides[key](self)
            else:
                self._cache[key] = st.deferred(lambda: self._build(self._lookup(file, pointer), file, pointer))
        return self._cache[key]

    def _lookup(self, file: str, pointer: str) -> dict[str, Any]:
        node: Any = self.files[file]
        for part in pointer.strip("/").split("/") if pointer else []:
            node = node[int(part)] if isinstance(node, list) else node[part.replace("~1", "/").replace("~0", "~")]
        return dict(node)

    def _ref(self, ref: str, file: str) -> Strategy:
        target, _, pointer = ref.partition("#")
        return self.at(target or file, pointer)

    def _build(self, schema: dict[str, Any], file: str, pointer: str) -> Strategy:
        unknown = set(schema) - KEYWORDS - ANNOTATIONS
        if unknown:
            raise NotImplementedError(f"{file}#{pointer}: keywords {sorted(unknown)} are not supported")
        if "$ref" in schema:
            return self._ref(schema["$ref"], file)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "oneOf" in schema and "properties" in schema:
            return self._object_variants(schema, file, pointer)
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                return st.one_of([self.at(file, f"{pointer}/{combinator}/{i}")
                                  for i in range(len(schema[combinator]))])
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of([self._build({**schema, "type": k}, file, pointer) for k in kind])
        builders: dict[str, Callable[[dict[str, Any], str, str], Strategy]] = {
            "object": self._object, "array": self._array, "string": self._string, "number": self._number,
            "integer": self._number,
        }
        if kind in builders:
            return builders[kind](schema, file, pointer)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        raise NotImplementedError(f"{file}#{pointer}: no type")

    def _object(self, schema: dict[str, Any], file: str, pointer: str, forbidden: frozenset[str] = frozenset(),
                required: tuple[str, ...] = ()) -> Strategy:
        if schema.get("additionalProperties", True) is not False and "properties" not in schema:
            return st.fixed_dictionaries({})  # an open object without properties: only {} is safe to invent
        props = {name: self.at(file, f"{pointer}/properties/{name.replace('~', '~0').replace('/', '~1')}")
                 for name in schema.get("properties", {}) if name not in forbidden}
        needed = set(schema.get("required", ())) | set(required)
        return st.fixed_dictionaries({k: v for k, v in props.items() if k in needed},
                                     optional={k: v for k, v in props.items() if k not in needed})

    def _object_variants(self, schema: dict[str, Any], file: str, pointer: str) -> Strategy:
        """``oneOf`` of ``required`` lists beside ``properties`` (an Anlage: datei or dokument)."""
        branches = [tuple(b["required"]) for b in schema["oneOf"]]
        if any(set(b) != {"required"} for b in schema["oneOf"]):
            raise NotImplementedError(f"{file}#{pointer}: oneOf with more than required lists")
        variants = []
        for chosen in branches:
            others = frozenset(k for b in branches if b != chosen for k in b) - set(chosen)
            variants.append(self._object(schema, file, pointer, forbidden=others, required=chosen))
        return st.one_of(variants)

    def _array(self, schema: dict[str, Any], file: str, pointer: str) -> Strategy:
        items = self.at(file, f"{pointer}/items") if "items" in schema else self.text
        low = int(schema.get("minItems", 0))
        return st.lists(items, min_size=low, max_size=min(low + 3, int(schema.get("maxItems", low + 3))))

    def _string(self, schema: dict[str, Any], file: str, pointer: str) -> Strategy:
        if schema.get("format") == "date":
            return st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat)
        low = int(schema.get("minLength", 0))
        pattern = schema.get("pattern")
        if pattern is None:
            return self.text.filter(lambda s: len(s) >= low) if low else self.text
        if pattern.startswith("^"):
            anchored = st.from_regex(pattern, fullmatch=True)
            if MONEY_PATTERN not in pattern:
                return anchored
            # At most 12 digits before the point: no grant is that large (the schema allows 15).
            return anchored.filter(lambda s: len(s.lstrip("-").split(".")[0]) <= 12)
        found = re.compile(pattern)
        return self.text.filter(lambda s: len(s) >= low and found.search(s) is not None)

    def _number(self, schema: dict[str, Any], file: str, pointer: str) -> Strategy:
        low = schema.get("minimum", schema.get("exclusiveMinimum", -JSON_NUMBER_LIMIT))
        high = schema.get("maximum", JSON_NUMBER_LIMIT)
        above = schema.get("exclusiveMinimum")
        # A JSON integer parses to int, any other number to Decimal (parse_json): produce both.
        integers = st.integers(math.ceil(low), math.floor(high)).filter(lambda n: above is None or n > above)
        if schema["type"] == "integer":
            return integers
        places = 2 if "multipleOf" in schema else 4
        decimals = st.decimals(Decimal(str(low)), Decimal(str(high)), places=places, allow_nan=False,
                               allow_infinity=False).filter(lambda n: above is None or n > above)
        return decimals | integers


# --- what the schemas cannot say -------------------------------------------------------------


def _anlage(gen: SchemaStrategies) -> Strategy:
    """An Anlage that exists: the example PDF, which every test copies beside its inputs."""
    return st.fixed_dictionaries({"titel": gen.at("gemeinsam.schema.json", "/$defs/text"),
                                  "datei": st.just(ATTACHMENT)}, optional={"oeffentlich": st.booleans()})


def _embedded_sachbericht(gen: SchemaStrategies) -> Strategy:
    """The Sachbericht inside a Verwendungsnachweis: a Sachbericht whose dokumentart may be left out."""
    return st.tuples(valid_document("sachbericht", gen), st.booleans()).map(
        lambda pair: {k: v for k, v in pair[0].items() if k != "dokumentart" or pair[1]})


OVERRIDES: dict[str, Callable[[SchemaStrategies], Strategy]] = {
    "gemeinsam.schema.json#/$defs/anlagen/items": _anlage,
    "verwendungsnachweis.schema.json#/properties/sachbericht": _embedded_sachbericht,
}


def beschlussvorlage_rules(data: dict[str, Any]) -> dict[str, Any]:
    """One Entscheidung, last, for Beschluss- and Dringlichkeitsvorlagen (none for the others); dates in order."""
    vorlage, folge = data["vorlage"], data["beratungsfolge"]
    vorlage["nummer"] = " ".join(vorlage["nummer"].split()) or "2025/0001"  # default pattern: ^\S(.*\S)?$
    if not vorlage["oeffentlich"] and "begruendung_nichtoeffentlichkeit" not in vorlage:
        vorlage["begruendung_nichtoeffentlichkeit"] = "Personalangelegenheit"
    for beratung in folge:
        if beratung["zustaendigkeit"] == "Entscheidung":
            beratung["zustaendigkeit"] = "Vorberatung"
    if vorlage["art"] in {"Beschlussvorlage", "Dringlichkeitsvorlage"}:
        folge[-1]["zustaendigkeit"] = "Entscheidung"
    dates = iter(sorted(b["datum"] for b in folge if b["datum"] is not None))
    for beratung in folge:
        if beratung["datum"] is not None:
            beratung["datum"] = next(dates)
    return data


def _forwards(zeitraum: dict[str, Any], von: str = "von", bis: str = "bis") -> None:
    if von in zeitraum and bis in zeitraum and zeitraum[von] > zeitraum[bis]:
        zeitraum[von], zeitraum[bis] = zeitraum[bis], zeitraum[von]


def sachbericht_rules(data: dict[str, Any]) -> dict[str, Any]:
    """Periods forwards; a missed goal says why."""
    _forwards(data["berichtszeitraum"])
    for ziel in data["ziele"]:
        if ziel["bewertung"] != "erreicht":
            ziel.setdefault("abweichungsgrund", "Stelle länger unbesetzt")
    for stelle in data.get("personal", []):
        _forwards(stelle, "besetzt_von", "besetzt_bis")
    return data


def _money(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def verwendungsnachweis_rules(data: dict[str, Any]) -> dict[str, Any]:
    """Sums that add up: the Bescheide give the Höchstbetrag, one Zuwendung line holds what was paid."""
    for bescheid in data["bescheide"]:
        bescheid["betrag"] = str(abs(_money(bescheid["betrag"])))
    data["finanzierung"]["hoechstbetrag"] = str(sum(_money(b["betrag"]) for b in data["bescheide"]))
    if data["finanzierung"]["art"] == "Anteilfinanzierung":
        data["finanzierung"].setdefault("foerdersatz", Decimal(60))
    paid = sum((_money(a["betrag"]) for a in data["auszahlungen"]), Decimal("0.00"))
    lines = [e for e in data["einnahmen"] if e["art"] != "Zuwendung"]
    data["einnahmen"] = [*lines, {"art": "Zuwendung", "soll": data["finanzierung"]["hoechstbetrag"], "ist": str(paid)}]
    _forwards(data["bewilligungszeitraum"])
    if isinstance(data.get("sachbericht"), dict):
        # What the Sachbericht repeats is inherited from the Nachweis (and refused when it differs);
        # its staff months must match the Nachweis's Personalausgaben, so it leaves them out here.
        for key in ("zuwendungsempfaenger", "bewilligungsbehoerde", "aktenzeichen", "berichtszeitraum", "personal"):
            data["sachbericht"].pop(key, None)
    for line in data["ausgaben"]:  # a line more than 20 % off its Ansatz needs an explanation
        line.setdefault("begruendung", "Abweichung vom Finanzierungsplan erläutert")
    if "zinsen" in data:
        zinsen = data["zinsen"]
        _forwards(zinsen, "ab", "bis")
        if isinstance(zinsen["basiszinssatz"], list):  # a rate must be in force when interest starts
            first = min(zinsen["basiszinssatz"], key=lambda satz: satz["ab"])
            first["ab"] = min(first["ab"], zinsen["ab"])
    if "freigabe" in data:
        data.setdefault("bestaetigung", {"ort": "Musterstadt", "datum": "2026-03-20", "name": "A. Beispiel",
                                         "funktion": "Leitung"})
    if data["nachweisart"] == "Zwischennachweis":
        data.setdefault("berichtsjahr", 2025)
    return data


RULES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "beschlussvorlage": beschlussvorlage_rules, "sachbericht": sachbericht_rules,
    "verwendungsnachweis": verwendungsnachweis_rules, "integrationskonzept": lambda data: data,
}
GENERATOR = SchemaStrategies(OVERRIDES)
GENERATOR_PRINTABLE = SchemaStrategies(OVERRIDES, text=PRINTABLE)


def _no_logo(data: dict[str, Any]) -> dict[str, Any]:
    """A logo names a file, and a table's ``breiten`` must count its columns: generated values do neither
    (tests/test_publish_ready.py and tests/test_richtext.py cover both)."""
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("koerperschaft"), dict):
                node["koerperschaft"].pop("logo", None)
            if isinstance(node.get("tabelle"), dict):
                node["tabelle"].pop("breiten", None)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return data


def valid_document(art: str, generator: SchemaStrategies = GENERATOR) -> Strategy:
    return generator.document(art).map(RULES[art]).map(_no_logo)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the example attachment, for inputs that name it."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(EXAMPLES / "anlagen", folder / "anlagen")
    return folder


@pytest.fixture(scope="module")
def lib_settings(workdir: Path) -> Settings:
    return Settings(state_dir=workdir / "state", koerperschaft=SAMPLE_KOERPERSCHAFT)


@contextmanager
def input_folder(workdir: Path) -> Iterator[Path]:
    """A fresh folder with the attachment hard-linked into ``anlagen/`` (a symlink would be refused, rightly)."""
    folder = Path(tempfile.mkdtemp(dir=workdir))
    (folder / "anlagen").mkdir()
    os.link(workdir / ATTACHMENT, folder / ATTACHMENT)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def check_and_render(path: Path, settings: Settings) -> list[Path]:
    """validate_file, then every document part to DOCX; the DOCX files written."""
    job = validate_file(path, settings)
    written = []
    for part in job.parts:
        if part.document is not None and part.data is not None:
            out = path.with_name(f"{path.stem}-{abs(part.number)}.docx")
            written.append(render_document(part.document, part.data, out, settings, path.name))
    return written


def assert_docx(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert b"<w:body>" in archive.read("word/document.xml")


# --- schema-generated inputs -----------------------------------------------------------------


def _all_keywords(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            children = value.values() if key in {"properties", "$defs"} else [value]
            for child in children:
                yield from _all_keywords(child)
    elif isinstance(node, list):
        for item in node:
            yield from _all_keywords(item)


def test_generator_knows_every_schema_keyword() -> None:
    used = {k for schema in GENERATOR.files.values() for k in _all_keywords(schema)}
    assert used - KEYWORDS - ANNOTATIONS == set()
    assert {"oneOf", "anyOf", "$ref", "pattern", "format", "multipleOf", "const"} <= used


@pytest.mark.parametrize("art", ARTEN)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                                  HealthCheck.data_too_large])
@given(data=st.data())
def test_schema_valid_input_renders_to_docx(art: str, data: st.DataObject, workdir: Path,
                                            lib_settings: Settings) -> None:
    """Any schema-valid input (bent to its domain rules) is valid and renders to DOCX files that open."""
    document = data.draw(valid_document(art), label=art)
    with input_folder(workdir) as folder:
        path = folder / f"{art}.json"
        path.write_text(to_json(document), encoding="utf-8")
        written = check_and_render(path, lib_settings)
        assert len(written) == (2 if art == "verwendungsnachweis" and "sachbericht" in document else 1)
        for docx in written:
            assert_docx(docx)


def run_cli(args: list[str | Path], cwd: Path, state: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = clean_env(state)
    return subprocess.run([sys.executable, "-m", "docgen", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(documents=st.tuples(*(valid_document(art, GENERATOR_PRINTABLE) for art in ARTEN)))
def test_schema_valid_inputs_through_libreoffice(documents: tuple[dict[str, Any], ...], workdir: Path) -> None:
    """One input of each type per example, all four in one `docgen render` (one LibreOffice pool)."""
    with input_folder(workdir) as folder:
        paths = []
        for art, document in zip(ARTEN, documents, strict=True):
            paths.append(folder / f"{art}.json")
            paths[-1].write_text(to_json(document), encoding="utf-8")
        result = run_cli(["render", *paths, "--out", folder / "out"], folder, workdir / "state-lo")
        assert result.returncode == 0, result.stderr
        for path in paths:
            bundle = next((folder / "out").glob(f"{path.stem}*.pdf"))
            text = subprocess.run(["pdftotext", str(bundle), "-"], capture_output=True, text=True,
                                  check=True).stdout
            assert "Freigabevermerk" in text, bundle


# --- mutations of the shipped examples -------------------------------------------------------

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.json"))
JUNK_STRINGS = ["", " ", "\u0007", "\u0000x", "{{ 7*7 }}", "{% for x in y %}", "</w:t></w:r>", "]]>", "2024-02-30",
                "2025-13-01", "1234.567", "-1", "NaN", "ä" * 300, "../../etc/passwd", "/dev/zero", ATTACHMENT,
                "anlagen/fehlt.pdf", "Entscheidung", "Zuwendung", "beschlussvorlage", "sachbericht",
                "Anteilfinanzierung", "Zwischennachweis", "Kreis", "erreicht", "nicht erreicht", "\u202eRTL", "😀"]
JUNK_NUMBERS = [0, -1, 1, 12, 2100, 1899, 10**15, -(10**15), Decimal("0.001"), Decimal("1E+14"), Decimal("-0.00"),
                Decimal("99999999999999.99"), Decimal("1E-20")]
JUNK_SNIPPETS = [b"NaN", b"1e999999999", b'"\\ud800"', b"{{", b"\x00", b"\xff\xfe", b",", b"]", b"}", b"[" * 50,
                 b'"', b"\\", b"\xc3", b"\xef\xbb\xbf", b"-", b"9" * 20]
JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.sampled_from(JUNK_NUMBERS), st.sampled_from(JUNK_STRINGS), TEXT,
              st.integers(-(10**6), 10**6)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(JUNK_STRINGS[:12]) | TEXT, inner,
                                                               max_size=3),
    max_leaves=8)


def _slots(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``node`` (the root excluded)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        yield (*path, key)
        yield from _slots(value, (*path, key))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@st.composite
def mutated_example(draw: st.DrawFn) -> tuple[str, bytes]:
    """A shipped example after 1–3 random mutations of its data and then, maybe, of its bytes."""
    name = draw(st.sampled_from(EXAMPLE_FILES))
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"), parse_float=Decimal)
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(data))
        path = slots[draw(st.integers(0, len(slots) - 1))]
        parent, key = _parent(data, path), path[-1]
        action = draw(st.sampled_from(["delete", "replace", "insert", "retype", "duplicate"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(JUNK)
        elif action == "insert" and isinstance(parent, dict):
            parent[draw(st.sampled_from(JUNK_STRINGS) | TEXT)] = draw(JUNK)
        elif action == "insert":
            parent.insert(key, draw(JUNK))
        elif action == "retype":
            value = parent[key]
            parent[key] = [value] if not isinstance(value, list) else {"wert": value}
        elif isinstance(parent, list):
            parent.insert(key, json.loads(to_json(parent[key]), parse_float=Decimal))
        else:
            parent[key] = [parent[key], parent[key]]
    raw = to_json(data).encode("utf-8")
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # most mutants stay JSON, to reach schema and rules
        cut = draw(st.integers(0, len(raw)))
        action = draw(st.sampled_from(["truncate", "flip", "insert", "drop"]))
        if action == "truncate":
            raw = raw[:cut]
        elif action == "flip" and cut < len(raw):
            raw = raw[:cut] + bytes([raw[cut] ^ draw(st.integers(1, 255))]) + raw[cut + 1:]
        elif action == "insert":
            raw = raw[:cut] + draw(st.sampled_from(JUNK_SNIPPETS)) + raw[cut:]
        else:
            raw = raw[:cut] + raw[cut + draw(st.integers(1, 20)):]
    return name, raw


def outcome(path: Path, settings: Settings) -> int:
    """0 when valid (and rendered), else the exit code of the DocgenError raised."""
    try:
        check_and_render(path, settings)
    except DocgenError as exc:
        return int(exc.exit_code)
    return 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=mutated_example())
def test_mutated_examples_are_valid_or_refused(case: tuple[str, bytes], workdir: Path, lib_settings: Settings) -> None:
    name, raw = case
    with input_folder(workdir) as folder:
        (folder / name).write_bytes(raw)
        code = outcome(folder / name, lib_settings)
    assert code in (ExitCode.OK, ExitCode.INVALID_INPUT, ExitCode.FILE_ACCESS)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=mutated_example())
def test_mutated_examples_through_the_cli(case: tuple[str, bytes], workdir: Path) -> None:
    """The real command: exit 0, 4 or 7 and a German message, never a traceback or an internal error."""
    name, raw = case
    with input_folder(workdir) as folder:
        (folder / name).write_bytes(raw)
        result = run_cli(["render", name, "--docx-only", "--out", folder / "out"], folder, workdir / "state-cli")
    assert result.returncode in (0, 4, 7), result.stderr
    assert "Traceback" not in result.stderr and "Interner Fehler" not in result.stderr
    if result.returncode:
        assert f"{name}:" in result.stderr, result.stderr  # the message names the file
