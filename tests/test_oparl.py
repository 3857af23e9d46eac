"""``docgen oparl``: a Beschlussvorlage as OParl 1.1 objects.

The output is checked against ``tests/oparl/docgen-oparl.schema.json``, our own schema that restates
the OParl 1.1 fields docgen writes, and every field name against the field lists of the OParl 1.1
objects (kept below as data, written from the spec's ``schema/*.json``, repository OParl/spec).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from docgen import api
from docgen.cli import main
from docgen.errors import DocgenError, ExitCode, FileAccessError, InvalidInput, SealError
from docgen.settings import Settings, load_settings
from tests.conftest import SAMPLE_BODY, render_once

SCHEMA = json.loads((Path(__file__).parent / "oparl" / "docgen-oparl.schema.json").read_text(encoding="utf-8"))
TYPE_URL = "https://schema.oparl.org/1.1/"

# The properties of the OParl 1.1 objects docgen writes (spec: schema/Paper.json, Consultation.json,
# File.json, Organization.json). docgen may write a subset, never a name outside these lists.
SPEC_FIELDS: dict[str, set[str]] = {
    "Paper": {"id", "type", "body", "name", "reference", "date", "paperType", "relatedPaper", "superordinatedPaper",
              "subordinatedPaper", "mainFile", "auxiliaryFile", "location", "originatorPerson", "underDirectionOf",
              "originatorOrganization", "consultation", "license", "keyword", "created", "modified", "web",
              "deleted"},
    "Consultation": {"id", "type", "paper", "agendaItem", "meeting", "organization", "authoritative", "role",
                     "license", "keyword", "created", "modified", "web", "deleted"},
    "File": {"id", "type", "name", "fileName", "mimeType", "date", "size", "sha1Checksum", "sha512Checksum", "text",
             "accessUrl", "downloadUrl", "externalServiceUrl", "masterFile", "derivativeFile", "fileLicense",
             "meeting", "agendaItem", "person", "paper", "license", "keyword", "created", "modified", "web",
             "deleted"},
    "Organization": {"id", "type", "body", "name", "membership", "meeting", "consultation", "shortName", "post",
                     "subOrganizationOf", "organizationType", "classification", "startDate", "endDate", "website",
                     "location", "externalBody", "memberCount", "votingMemberCount", "license", "keyword",
                     "created", "modified", "web", "deleted"},
}
# OParl 1.1 requires these on every object (created and modified also on embedded ones).
SPEC_REQUIRED = {"Paper": {"id", "type"}, "Consultation": {"id", "type"}, "File": {"id", "type", "accessUrl"},
                 "Organization": {"id", "type"}}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    env = {**SAMPLE_BODY, "DOCGEN_STATE_DIR": str(tmp_path / "state")}
    return load_settings(None, None, env, system_config=tmp_path / "keine.toml")


@pytest.fixture
def vorlage(example: dict[str, Any], write_json: Callable[[str, Any], Path]) -> Path:
    return write_json("vorlage.json", example)


def objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every OParl object (a dict with an OParl ``type``) inside ``value``."""
    if isinstance(value, dict):
        if str(value.get("type", "")).startswith(TYPE_URL):
            yield value
        for sub in value.values():
            yield from objects(sub)
    elif isinstance(value, list):
        for item in value:
            yield from objects(item)


def leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for sub in value.values():
            yield from leaves(sub)
    elif isinstance(value, list):
        if not value:
            yield value
        for item in value:
            yield from leaves(item)
    else:
        yield value


def check_output(output: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(output)
    for obj in objects(output):
        kind = obj["type"].removeprefix(TYPE_URL)
        assert set(obj) <= SPEC_FIELDS[kind], f"{kind}: nicht in OParl 1.1: {set(obj) - SPEC_FIELDS[kind]}"
        assert SPEC_REQUIRED[kind] | {"created", "modified"} <= set(obj)
    assert all(leaf is not None and leaf != "" and leaf != [] for leaf in leaves(output)), "null/leer ausgegeben"


def test_example_is_valid_oparl(vorlage: Path, settings: Settings, example: dict[str, Any]) -> None:
    result = api.oparl(vorlage, settings)
    output = json.loads(result.text())
    check_output(output)
    paper = output["paper"]
    assert paper["name"] == example["vorlage"]["betreff"]
    assert paper["reference"] == example["vorlage"]["nummer"]
    assert paper["date"] == example["vorlage"]["datum"]
    assert paper["paperType"] == example["vorlage"]["art"]
    assert paper["mainFile"]["mimeType"] == "application/pdf"
    assert paper["mainFile"]["fileName"] == "vorlage.pdf"
    assert "size" not in paper["mainFile"]  # only with the rendered bundle
    assert [f["name"] for f in paper["auxiliaryFile"]] == [
        f"Anlage 1: {example['anlagen'][0]['titel']}"]


def test_consultations_follow_the_beratungsfolge(vorlage: Path, settings: Settings,
                                                 example: dict[str, Any]) -> None:
    output = api.oparl(vorlage, settings).as_json()
    names = {org["id"]: org["name"] for org in output["organization"]}
    consultations = output["paper"]["consultation"]
    folge = example["beratungsfolge"]
    assert [c["role"] for c in consultations] == [b["zustaendigkeit"] for b in folge]
    assert [c["authoritative"] for c in consultations] == [b["zustaendigkeit"] == "Entscheidung" for b in folge]
    assert [names[c["organization"][0]] for c in consultations] == [b["gremium"] for b in folge]
    lead = output["paper"]["underDirectionOf"][0]
    assert names[lead] == example["vorlage"]["federfuehrend"]
    kinds = {org["name"]: org["organizationType"] for org in output["organization"]}
    assert kinds[example["vorlage"]["federfuehrend"]] == "Verwaltungsbereich"
    assert all(kinds[b["gremium"]] == "Gremium" for b in folge)
    assert len({c["id"] for c in consultations}) == len(consultations)


def test_ids_under_the_base_url(vorlage: Path, settings: Settings) -> None:
    output = api.oparl(vorlage, settings, basis_url="https://ris.kreis-musterland.example/oparl/v1/").as_json()
    check_output(output)
    for obj in objects(output):
        assert obj["id"].startswith("https://ris.kreis-musterland.example/oparl/v1/")
        assert "//" not in obj["id"].removeprefix("https://")
    assert output["paper"]["id"] == "https://ris.kreis-musterland.example/oparl/v1/paper/2025-0412"


def test_same_gremium_twice_is_one_organization(example: dict[str, Any], write_json: Callable[[str, Any], Path],
                                                settings: Settings) -> None:
    example["beratungsfolge"].insert(2, {**example["beratungsfolge"][1], "datum": "2025-11-26"})
    output = api.oparl(write_json("zweimal.json", example), settings).as_json()
    check_output(output)
    assert len(output["paper"]["consultation"]) == 4
    assert len(output["organization"]) == 4  # the Amt and three Gremien


def test_withheld_anlage_and_nonpublic_vorlage_are_warned(example: dict[str, Any], settings: Settings,
                                                         write_json: Callable[[str, Any], Path]) -> None:
    example["anlagen"].append({"titel": "Personalliste", "datei": example["anlagen"][0]["datei"],
                               "oeffentlich": False})
    example["vorlage"]["oeffentlich"] = False
    example["vorlage"]["begruendung_nichtoeffentlichkeit"] = "Personalangelegenheit"
    result = api.oparl(write_json("intern.json", example), settings)
    check_output(result.as_json())
    assert len(result.paper["auxiliaryFile"]) == 1
    codes = {w.code for w in result.warnings}
    assert {"oparl.anlage_intern", "oparl.nichtoeffentlich"} <= codes


def test_other_dokumentart_is_refused(tmp_path: Path, settings: Settings) -> None:
    source = tmp_path / "bericht.json"
    source.write_text(api.example("sachbericht"), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        api.oparl(source, settings)
    assert caught.value.problems[0].code == "oparl.dokumentart"


def test_cli_refuses_a_sachbericht_in_german(tmp_path: Path) -> None:
    source = tmp_path / "bericht.json"
    source.write_text(api.example("sachbericht"), encoding="utf-8")
    result = CliRunner().invoke(main, ["oparl", str(source)],
                                env={**SAMPLE_BODY, "DOCGEN_STATE_DIR": str(tmp_path / "state")})
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "nur Beschlussvorlagen" in result.output
    assert "Traceback" not in result.output


def test_cli_writes_json(vorlage: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["oparl", str(vorlage), "--basis-url", "https://ris.example.org/oparl"],
                                env={**SAMPLE_BODY, "DOCGEN_STATE_DIR": str(tmp_path / "state")})
    assert result.exit_code == 0, result.output
    check_output(json.loads(result.stdout))


def test_bad_base_url_is_a_configuration_error(vorlage: Path, settings: Settings) -> None:
    with pytest.raises(DocgenError) as caught:
        api.oparl(vorlage, settings, basis_url="ris.example.org")
    assert caught.value.exit_code == ExitCode.CONFIG


# -- the rendered bundle and its receipt -----------------------------------------------------------

def fake_bundle(folder: Path, source: Path, content: bytes = b"%PDF-1.7 Paket\n", *,
                status: str = "freigegeben") -> Path:
    """A bundle and a receipt that records it, as ``docgen render`` writes them (only the fields read)."""
    paket = folder / f"{source.stem}.pdf"
    paket.write_bytes(content)
    receipt = {"erzeugt_am": "2025-10-21T09:15:00+02:00", "status": status,
               "eingabe": {"datei": source.name, "sha256": hashlib.sha256(source.read_bytes()).hexdigest()},
               "erzeugnisse": {"paket": {"datei": paket.name, "sha256": hashlib.sha256(content).hexdigest(),
                                         "bytes": len(content)}}}
    paket.with_suffix(".receipt.json").write_text(json.dumps(receipt), encoding="utf-8")
    return paket


def test_bundle_size_and_checksum_from_the_receipt(vorlage: Path, settings: Settings) -> None:
    paket = fake_bundle(vorlage.parent, vorlage)
    output = api.oparl(vorlage, settings, paket=paket).as_json()
    check_output(output)
    main_file = output["paper"]["mainFile"]
    assert main_file["size"] == paket.stat().st_size
    assert main_file["sha512Checksum"] == hashlib.sha512(paket.read_bytes()).hexdigest()
    assert main_file["fileName"] == paket.name
    assert output["paper"]["created"] == "2025-10-21T09:15:00+02:00"


def test_draft_bundle_is_warned(vorlage: Path, settings: Settings) -> None:
    paket = fake_bundle(vorlage.parent, vorlage, status="entwurf")
    assert "oparl.entwurf" in {w.code for w in api.oparl(vorlage, settings, paket=paket).warnings}


def test_changed_bundle_is_refused(vorlage: Path, settings: Settings) -> None:
    paket = fake_bundle(vorlage.parent, vorlage)
    paket.write_bytes(b"%PDF-1.7 anders\n")
    with pytest.raises(SealError):
        api.oparl(vorlage, settings, paket=paket)


def test_bundle_of_another_input_is_refused(vorlage: Path, settings: Settings, example: dict[str, Any],
                                            write_json: Callable[[str, Any], Path]) -> None:
    example["vorlage"]["betreff"] = "Ein anderer Betreff"
    other = write_json("andere.json", example)
    paket = fake_bundle(vorlage.parent, vorlage)
    with pytest.raises(InvalidInput) as caught:
        api.oparl(other, settings, paket=paket)
    assert caught.value.problems[0].code == "oparl.paket_fremd"


def test_missing_receipt_is_a_file_error(vorlage: Path, settings: Settings) -> None:
    paket = fake_bundle(vorlage.parent, vorlage)
    paket.with_suffix(".receipt.json").unlink()
    with pytest.raises(FileAccessError):
        api.oparl(vorlage, settings, paket=paket)


@pytest.mark.slow
def test_rendered_example_as_oparl(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    from tests.conftest import load_example

    data = load_example()
    data["anlagen"] = [a for a in data["anlagen"] if "datei" not in a]  # a PDF Anlage needs its file beside
    out, result = render_once(tmp_path_factory, "vorlage", data)
    assert result.returncode == 0, result.stderr
    [paket] = sorted(out.glob("*.pdf"))
    receipt = json.loads(paket.with_suffix(".receipt.json").read_text(encoding="utf-8"))
    env = {**SAMPLE_BODY, "DOCGEN_STATE_DIR": str(tmp_path / "state")}
    settings = load_settings(None, None, env, system_config=tmp_path / "keine.toml")
    output = api.oparl(out.parent / "vorlage.json", settings, paket=paket).as_json()
    check_output(output)
    main_file = output["paper"]["mainFile"]
    assert main_file["size"] == receipt["erzeugnisse"]["paket"]["bytes"] == paket.stat().st_size
    assert hashlib.sha256(paket.read_bytes()).hexdigest() == receipt["erzeugnisse"]["paket"]["sha256"]
    assert main_file["sha512Checksum"] == hashlib.sha512(paket.read_bytes()).hexdigest()
    assert output["paper"]["created"] == receipt["erzeugt_am"]
