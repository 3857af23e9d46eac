"""Large lists in the form: every row rendered with its own ids, errors deep in a list linked to their row.

The form is rendered in time linear in the number of rows (a row's first control is found without a
scan of every field registered before it); the times are in the review notes, not asserted here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.testclient import TestClient

from docgen import api
from docgen.web import jsontext
from docgen.web.form import Walker
from tests.web.conftest import login
from tests.web.formsim import form_fields

N = 2000
DEEP = 1733  # a row far down the list


def _schema(art: str) -> dict[str, Any]:
    return json.loads(api.schema(art))  # type: ignore[no-any-return]


def _ids(html: str) -> list[str]:
    return re.findall(r' id="([^"]+)"', html)


def _row(html: str, row_id: str) -> str:
    """The HTML of the row fieldset ``row_id`` (rows are not nested in these tests)."""
    start = html.index(f'<fieldset class="zeile" id="{row_id}">')
    return html[start:html.index("</fieldset>", start)]


def _rows(html: str) -> dict[str, str]:
    """Every row fieldset by its id, in one pass."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'<fieldset class="zeile" id="([^"]+)">', html)]
    return {row_id: html[start:html.index("</fieldset>", start)] for start, row_id in starts}


def _beratungen(n: int) -> list[dict[str, Any]]:
    return [{"datum": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "gremium": f"Ausschuss {i}",
             "zustaendigkeit": "Vorberatung"} for i in range(n)]


def test_every_row_of_a_large_list_has_its_fields() -> None:
    schema = _schema("beschlussvorlage")
    data = jsontext.parse(api.example("beschlussvorlage"))
    data["beratungsfolge"] = _beratungen(N)
    walker = Walker(schema, data)
    html = str(walker.render())
    ids = _ids(html)
    assert len(ids) == len(set(ids)), "doppelte ids"
    present = set(ids)
    assert f'name="_anzahl:/beratungsfolge" value="{N}"' in html
    for i in range(N):
        row = f"/beratungsfolge/{i}"
        for key in ("datum", "gremium", "zustaendigkeit", "top"):
            assert f"f-beratungsfolge-{i}-{key}" in present, (i, key)
        assert f"b-beratungsfolge-{i}" in present and f"e-beratungsfolge-{i}" in present
        assert walker.known[row] == f"f-beratungsfolge-{i}-datum"  # a row's link goes to its first field
        assert walker.labels[row + "/gremium"] == "Gremium"
    assert f"<legend>Beratung {N} von {N}</legend>" in html
    assert 'value="Ausschuss 1999"' in _row(html, "b-beratungsfolge-1999")


def test_errors_in_a_large_list_are_at_their_row() -> None:
    schema = _schema("beschlussvorlage")
    data: dict[str, Any] = {"beratungsfolge": [{} for _ in range(N)]}
    errors = {f"/beratungsfolge/{i}/gremium": [f"Gremium {i} fehlt"] for i in range(0, N, 7)}
    errors[f"/beratungsfolge/{DEEP}"] = ["Diese Beratung ist unvollständig"]
    html = str(Walker(schema, data, errors=errors).render())
    rows = _rows(html)
    assert len(rows) == N
    for i in range(N):
        row = rows[f"b-beratungsfolge-{i}"]
        slot = re.search(rf'<p class="fehlertext" id="e-beratungsfolge-{i}-gremium"[^>]*>(.*?)</p>', row)
        assert slot, i
        if i % 7 == 0:
            assert f"Gremium {i} fehlt" in slot.group(1) and "hidden" not in slot.group(0)
            assert re.search(rf'id="f-beratungsfolge-{i}-gremium"[^>]*aria-invalid="true"', row), i
        else:
            assert slot.group(1) == "" and "hidden" in slot.group(0), i
            assert "aria-invalid" not in row, i
    deep = rows[f"b-beratungsfolge-{DEEP}"]
    assert re.search(rf'id="e-beratungsfolge-{DEEP}" data-pfad="/beratungsfolge/{DEEP}">.*unvollständig', deep)


# A list whose rows begin with a constant and a group, and carry an optional group that stays folded
# unless an error lies in it.
ROWS = {
    "type": "object",
    "properties": {
        "posten": {
            "title": "Posten", "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "art": {"title": "Art", "const": "posten"},
                    "kopf": {"title": "Kopf", "type": "object", "additionalProperties": False,
                             "properties": {"nummer": {"title": "Nummer", "type": "string"}}},
                    "text": {"title": "Text", "type": "string"},
                    "zusatz": {"title": "Zusatz", "type": "object", "additionalProperties": False,
                               "properties": {"hinweis": {"title": "Hinweis", "type": "string"}}},
                },
                "required": ["art", "kopf", "text"],
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


def test_a_row_links_to_its_first_control_below_a_constant_and_a_group() -> None:
    walker = Walker(ROWS, {"posten": [{"text": str(i)} for i in range(N)]})
    walker.render()
    for i in range(N):
        assert walker.known[f"/posten/{i}/art"] == ""  # a hidden constant has no control to go to
        assert walker.known[f"/posten/{i}/kopf"] == f"f-posten-{i}-kopf-nummer"
        assert walker.known[f"/posten/{i}"] == f"f-posten-{i}-kopf-nummer"
        assert walker.known[f"/posten/{i}/zusatz"] == f"f-posten-{i}-zusatz-hinweis"


def test_an_error_deep_in_a_large_list_unfolds_only_its_group() -> None:
    errors = {f"/posten/{DEEP}/zusatz/hinweis": ["Hinweis zu lang"]}
    html = str(Walker(ROWS, {"posten": [{"text": str(i)} for i in range(N)]}, errors=errors).render())
    assert html.count('<details class="zusatz">') == N - 1
    deep = html[html.index(f'<fieldset class="zeile" id="b-posten-{DEEP}">'):]
    deep = deep[:deep.index(f'id="b-posten-{DEEP + 1}"')]
    assert "<details" not in deep
    assert re.search(r'id="e-posten-1733-zusatz-hinweis"[^>]*>.*Hinweis zu lang', deep)
    assert '<fieldset class="gruppe" id="b-posten-1733-zusatz"' in deep  # unfolded; the error is at its field


def _example_fields(client: TestClient, token: str) -> tuple[str, dict[str, list[str]]]:
    created = client.post("/entwuerfe", data={"_csrf": token, "dokumentart": "beschlussvorlage", "start": "beispiel"})
    assert created.status_code == 200, created.text
    draft = created.url.path.rsplit("/", 1)[-1]
    fields = {k: v for k, v in form_fields(created.text).items() if "/beratungsfolge" not in k}
    rows = _beratungen(N)
    rows[DEEP]["gremium"] = ""  # the one mistake, far down the list
    fields["_anzahl:/beratungsfolge"] = [str(N)]
    for i, row in enumerate(rows):
        for key, value in row.items():
            fields[f"/beratungsfolge/{i}/{key}"] = [value]
        fields[f"/beratungsfolge/{i}/top"] = [""]
    return draft, fields


def test_an_error_deep_in_a_large_list_is_linked(client: TestClient) -> None:
    token = login(client, "sb")
    draft, fields = _example_fields(client, token)
    saved = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "speichern"})
    assert saved.status_code == 422, saved.text[:2000]
    html = saved.text
    summary = html[html.index('id="zusammenfassung"'):]
    summary = summary[:summary.index("</ul>")]
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert links == [f"f-beratungsfolge-{DEEP}-gremium"], summary
    row = _row(html, f"b-beratungsfolge-{DEEP}")
    assert re.search(rf'id="f-beratungsfolge-{DEEP}-gremium"[^>]*aria-invalid="true"', row)
    assert re.search(rf'<p class="fehlertext" id="e-beratungsfolge-{DEEP}-gremium" data-pfad="[^"]+">'
                     r'<span class="fehlerzeile">', row)
    assert html.count('aria-invalid="true"') == 1
    # the live check names the same field
    version = re.search(r'name="_version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    live = client.post(f"/entwuerfe/{draft}/pruefen", data={**fields, "_version": version})
    assert live.status_code == 200, live.text[:2000]
    probleme = live.json()["probleme"]
    assert [(p["anker"], p["ziel"]) for p in probleme] == [
        (f"f-beratungsfolge-{DEEP}-gremium", f"/beratungsfolge/{DEEP}/gremium")], probleme
