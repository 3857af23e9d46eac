"""What LibreOffice costs that docgen cannot render away: the bounds of the one-off render and the Freigabevermerk.

    .venv/bin/python bench/lo_costs.py [--n 20]

Measured in one run, on one generated Beschlussvorlage with its Freigabevermerk (rendered by
docgen, DOCX files as the pipeline converts them):

1. the German hyphenation patterns (Debian's ``hyph_de_DE.dic``) loaded by libhyphen itself,
   outside LibreOffice — what the first conversion of a German text waits for in every new
   LibreOffice process;
2. LibreOffice from start to a UNO connection, the first conversion of the Vorlage (with the
   hyphenation load) and the next one;
3. the fixed cost of any document: load and close of an almost empty DOCX, against the
   Freigabevermerk's load, export and close;
4. the Freigabevermerk converted on its own (two loads per bundle, as docgen does) against the
   lever that would avoid its load: the Freigabevermerk appended to the Vorlage's DOCX
   (docxcompose), loaded once and exported once (the bound) or twice with page ranges, and the
   latter with the edits its page numbers would need after the layout; and the Freigabevermerk's
   DOCX inserted into the loaded Vorlage inside LibreOffice (``insertDocumentFromURL`` after a
   page break), also exported twice. Wall time per bundle and LibreOffice's CPU time, interleaved.

Parts 2–4 run under the system Python (``uno``), started by this script. Results:
``results/lo_costs.{json,md}``.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PATTERNS = Path("/usr/share/hyphen/hyph_de_DE.dic")
FILTER = {"SelectPdfVersion": 2, "UseTaggedPDF": True, "ExportBookmarks": True, "ExportFormFields": False}


# -- under the system Python: LibreOffice -----------------------------------------------------

# The combined DOCX's bookmark at the Vorlage's end and the markers its page ranges would replace.
END_MARK = "docgenVorlageEnde"
MARKERS = ("#1#", "#2#")


def lo_cpu_seconds() -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        if "(soffice.bin)" in raw:
            fields = raw.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def page_count(document: Any) -> int:
    """The pages of a loaded document, as LibreOffice's view counts them."""
    return int(document.getCurrentController().getPropertyValue("PageCount"))


def measure_office(files: dict[str, str], n: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "docgen" / "stages" / "convert"))
    import uno  # type: ignore[import-not-found]
    import uno_worker as worker  # type: ignore[import-not-found]

    out = Path(files["out"])
    load_props = (worker.prop("Hidden", True), worker.prop("ReadOnly", True),
                  worker.prop("MacroExecutionMode", 0), worker.prop("UpdateDocMode", 0))

    def url(path: str | Path) -> str:
        return str(uno.systemPathToFileUrl(os.path.abspath(path)))

    def export(document: Any, pdf: Path, page_range: str | None = None) -> None:
        options = dict(FILTER, **({"PageRange": page_range} if page_range else {}))
        data = uno.Any("[]com.sun.star.beans.PropertyValue", tuple(worker.prop(k, v) for k, v in options.items()))
        document.storeToURL(url(pdf), (worker.prop("FilterName", "writer_pdf_Export"),
                                       worker.prop("Overwrite", True), worker.prop("FilterData", data)))

    began = time.perf_counter()
    pipe = f"docgen-bench-{os.getpid()}"
    worker.prepare_profile(Path(files["profile"]))  # as docgen's worker runs it
    office = worker.start_office("soffice", Path(files["profile"]), pipe)
    desktop = worker.connect(pipe, office, 60)
    result: dict[str, Any] = {"start_s": time.perf_counter() - began}
    try:
        for key in ("first_conversion_s", "next_conversion_s"):
            began = time.perf_counter()
            worker.convert(desktop, files["vorlage"], str(out / "vorlage.pdf"), FILTER)
            result[key] = time.perf_counter() - began

        def load(path: str) -> Any:  # into the worker's one window, as docgen's conversions do (lo_window.py)
            return worker.WINDOW.load(desktop, url(path), load_props)

        def close(document: Any) -> None:  # out of the window, then closed, as docgen does
            worker.WINDOW.empty()
            document.close(True)

        def empty() -> None:
            close(load(files["empty"]))

        def signoff_parts() -> dict[str, float]:
            began = time.perf_counter()
            document = load(files["signoff"])
            loaded = time.perf_counter()
            export(document, out / "f.pdf")
            exported = time.perf_counter()
            close(document)
            return {"load": loaded - began, "export": exported - loaded, "close": time.perf_counter() - exported}

        def two_loads() -> None:
            worker.convert(desktop, files["vorlage"], str(out / "v.pdf"), FILTER)
            worker.convert(desktop, files["signoff"], str(out / "f.pdf"), FILTER)

        def one_export() -> None:  # the lower bound: what one load and one export cost
            document = load(files["combined"])
            export(document, out / "b1.pdf")
            close(document)

        def one_load() -> None:
            document = load(files["combined"])
            pages = page_count(document)
            export(document, out / "v1.pdf", f"1-{pages - 1}")
            export(document, out / "f1.pdf", str(pages))
            close(document)

        def one_load_edited() -> None:
            """One load as docgen would need it (commit b0db072, reverted): the page of the Vorlage's end
            found in the layout, the Freigabevermerk's page ranges filled in, the Vorlage's page count
            fields ("von y") made to count its own pages — each an edit after the layout."""
            document = load(files["combined"])
            cursor = document.getCurrentController().getViewCursor()
            cursor.jumpToLastPage()
            total = int(cursor.getPage())
            cursor.gotoRange(document.getBookmarks().getByName(END_MARK).getAnchor(), False)
            own = int(cursor.getPage())
            for marker, value in ((MARKERS[0], f"1–{own}"), (MARKERS[1], str(total))):
                search = document.createReplaceDescriptor()
                search.SearchString, search.ReplaceString = marker, value
                assert document.replaceAll(search) == 1, marker
            fields = document.getTextFields().createEnumeration()
            counts = []
            while fields.hasMoreElements():
                field = fields.nextElement()
                if field.supportsService("com.sun.star.text.textfield.PageCount"):
                    counts.append(field)
            assert counts
            for field in counts:
                anchor = field.getAnchor()
                anchor.getText().insertString(anchor, str(own), True)
            export(document, out / "v3.pdf", f"1-{own}")
            export(document, out / "f3.pdf", f"{own + 1}-{total}")
            close(document)

        def inserted() -> None:
            document = load(files["vorlage"])
            own = page_count(document)
            text = document.getText()
            cursor = text.createTextCursor()
            cursor.gotoEnd(False)
            text.insertControlCharacter(cursor, 0, False)  # a new paragraph …
            cursor.gotoEnd(False)
            # … that starts a new page
            cursor.setPropertyValue("BreakType", uno.Enum("com.sun.star.style.BreakType", "PAGE_BEFORE"))
            cursor.insertDocumentFromURL(url(files["signoff"]), ())
            pages = page_count(document)
            export(document, out / "v2.pdf", f"1-{own}")
            export(document, out / "f2.pdf", f"{own + 1}-{pages}")
            close(document)

        runs = {"empty": empty, "two": two_loads, "one_export": one_export, "one": one_load,
                "one_edited": one_load_edited, "inserted": inserted}
        timings: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, float] = dict.fromkeys(runs, 0.0)
        parts: list[dict[str, float]] = []
        for warmup in runs.values():
            warmup()  # untimed
        for _ in range(n):
            for name, run in runs.items():
                before, began = lo_cpu_seconds(), time.perf_counter()
                run()
                timings[name].append(time.perf_counter() - began)
                cpu[name] += lo_cpu_seconds() - before
            parts.append(signoff_parts())
        result["median_s"] = {name: statistics.median(values) for name, values in timings.items()}
        result["lo_cpu_s"] = {name: value / n for name, value in cpu.items()}
        result["signoff_s"] = {key: statistics.median(p[key] for p in parts) for key in parts[0]}
    finally:
        worker.quit_office(desktop, office)
    return result


# -- under the project's Python: inputs, libhyphen, report -----------------------------------

def hyphenation_load_s() -> float | None:
    name = ctypes.util.find_library("hyphen")
    if name is None or not PATTERNS.is_file():
        return None
    library = ctypes.CDLL(name)
    library.hnj_hyphen_load.restype = ctypes.c_void_p
    library.hnj_hyphen_free.argtypes = [ctypes.c_void_p]
    began = time.perf_counter()
    handle = library.hnj_hyphen_load(str(PATTERNS).encode())
    seconds = time.perf_counter() - began
    if handle:
        library.hnj_hyphen_free(handle)
    return seconds


def write_inputs(work: Path) -> dict[str, str]:
    """The Vorlage's and the Freigabevermerk's DOCX as docgen converts them, and the two combined."""
    sys.path.insert(0, str(ROOT))
    from docx import Document
    from docx.oxml.ns import qn
    from docxcompose.composer import Composer  # docxtpl's own dependency
    from generate import write_inputs as generate
    from run import BODY

    from docgen.api import open_converter, render_file
    from docgen.settings import Settings

    class Keeping:
        """The pool, keeping a copy of every DOCX it converts."""

        def __init__(self, inner: Any) -> None:
            self.inner, self.kept = inner, []

        def convert(self, docx: Path, pdf: Path) -> int | None:
            self.kept.append(Path(shutil.copy(docx, work / docx.name)))
            return self.inner.convert(docx, pdf)  # type: ignore[no-any-return]

        def close(self) -> None:
            pass

    settings = Settings(state_dir=work / "state", workers=1, koerperschaft=BODY)
    source = generate(work / "in", 1)[0]
    with open_converter(settings, pooled=True) as pool:
        keeping = Keeping(pool)
        render_file(source, work / "out", settings, keeping, bundle=True)
    vorlage, signoff = keeping.kept[:2]
    combined = Document(str(vorlage))
    last = combined.paragraphs[-1]._p  # the bookmark that ends the Vorlage
    last.append(last.makeelement(qn("w:bookmarkStart"), {qn("w:id"): "9000", qn("w:name"): END_MARK}))
    last.append(last.makeelement(qn("w:bookmarkEnd"), {qn("w:id"): "9000"}))
    combined.add_page_break()
    composer = Composer(combined)
    composer.append(Document(str(signoff)))
    # Where the Freigabevermerk's page ranges would be filled in (one more line on its page).
    composer.doc.add_paragraph(f"Seiten {MARKERS[0]} und {MARKERS[1]}")
    composer.save(str(work / "kombiniert.docx"))
    empty = Document()
    empty.add_paragraph("Leer.")
    empty.save(str(work / "leer.docx"))
    (work / "lo-out").mkdir()
    return {"vorlage": str(vorlage), "signoff": str(signoff), "combined": str(work / "kombiniert.docx"),
            "empty": str(work / "leer.docx"), "out": str(work / "lo-out"), "profile": str(work / "profil")}


def markdown(data: dict[str, Any]) -> str:
    office = data["office"]
    median, cpu, signoff = office["median_s"], office["lo_cpu_s"], office["signoff_s"]
    hyph = data["hyphenation_load_s"]
    lines = [
        f"# What LibreOffice costs ({data['date']})", "",
        f"Command: `{data['command']}`; one generated Beschlussvorlage (4–5 pages) and its Freigabevermerk, "
        f"{data['n']} rounds, interleaved. Wall seconds; LibreOffice CPU from /proc.", "",
        "| figure | value |", "| --- | ---: |",
        f"| libhyphen loading `{PATTERNS}` ({PATTERNS.stat().st_size // 1024} KiB), outside LibreOffice | "
        + (f"{hyph:.2f} s |" if hyph is not None else "— |"),
        f"| LibreOffice start → UNO connection | {office['start_s']:.2f} s |",
        f"| first conversion of the Vorlage (loads the hyphenation patterns) | {office['first_conversion_s']:.2f} s |",
        f"| next conversion of the Vorlage | {office['next_conversion_s']:.3f} s |",
        f"| an almost empty DOCX: load + close | {median['empty'] * 1000:.0f} ms "
        f"(CPU {cpu['empty'] * 1000:.0f} ms) |",
        f"| the Freigabevermerk: load / export / close | {signoff['load'] * 1000:.0f} / "
        f"{signoff['export'] * 1000:.0f} / {signoff['close'] * 1000:.0f} ms |",
        f"| Vorlage and Freigabevermerk, two loads (docgen) | {median['two'] * 1000:.0f} ms "
        f"(CPU {cpu['two'] * 1000:.0f} ms) |",
        f"| both in one DOCX, one load, one export (the bound) | {median['one_export'] * 1000:.0f} ms "
        f"(CPU {cpu['one_export'] * 1000:.0f} ms) |",
        f"| both in one DOCX, one load, two exports by page range | {median['one'] * 1000:.0f} ms "
        f"(CPU {cpu['one'] * 1000:.0f} ms) |",
        "| … and the edits its page numbers need after the layout (end of the Vorlage found, ranges filled in, "
        f"\"von y\" as text) | {median['one_edited'] * 1000:.0f} ms (CPU {cpu['one_edited'] * 1000:.0f} ms) |",
    ]
    if "inserted" in median:
        lines.append(f"| the Freigabevermerk inserted into the loaded Vorlage in LibreOffice, two exports | "
                     f"{median['inserted'] * 1000:.0f} ms (CPU {cpu['inserted'] * 1000:.0f} ms) |")
    lines += [
        "",
        "Every new LibreOffice process pays the hyphenation load on its first German paragraph, so a "
        "one-off `docgen render` cannot get below start + that load. One load for both documents saves "
        "LibreOffice's fixed cost of a second document, but the Freigabevermerk's page ranges and the "
        "Vorlage's \"von y\" are known only once the combined document is laid out, and every edit after the "
        "layout makes LibreOffice lay the pages out again: compare the two-loads row with the last one-DOCX "
        "row (docgen built this way in commit b0db072 and took it back; its merge of the two DOCX files cost "
        "another 8 ms in Python). Inserting the "
        "Freigabevermerk into the loaded Vorlage inside LibreOffice (which would need no page count beforehand) "
        "saves nothing: importing it into the open document costs at least as much as loading it on its own.",
    ]
    return "\n".join(lines) + "\n"


def office_part(script: str, n: int, files: dict[str, str]) -> dict[str, Any]:
    """Run ``script``'s LibreOffice part under the system Python (``--office``); its JSON result."""
    from docgen.stages.convert.pool import SYSTEM_PYTHON

    done = subprocess.run([SYSTEM_PYTHON, script, "--n", str(n), "--office", json.dumps(files)],
                          capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        sys.exit(f"LibreOffice-Messung fehlgeschlagen: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def save(name: str, data: dict[str, Any], text: str) -> None:
    """``results/<name>.json`` and ``.md``; the report printed."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(text, encoding="utf-8")
    print(text)


def arguments(doc: str, default_n: int, measure: Any) -> argparse.Namespace | None:
    """``--n``; called with ``--office`` (under the system Python, by :func:`office_part`) it runs
    ``measure(files, n)`` instead, prints its JSON and returns None."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--n", type=int, default=default_n)
    parser.add_argument("--office", help=argparse.SUPPRESS)  # internal: the system-Python part
    args = parser.parse_args()
    if args.office:
        print(json.dumps(measure(json.loads(args.office), args.n)))
        return None
    return args


def main() -> None:
    args = arguments(__doc__, 20, measure_office)
    if args is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = write_inputs(Path(tmp))
        hyph = hyphenation_load_s()
        office = office_part(__file__, args.n, files)
    data = {"date": dt.datetime.now().isoformat(timespec="minutes"), "n": args.n,
            "command": f".venv/bin/python bench/lo_costs.py --n {args.n}", "hyphenation_load_s": hyph,
            "office": office}
    save("lo_costs", data, markdown(data))


if __name__ == "__main__":
    main()
