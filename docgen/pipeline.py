"""The pipeline: the only module that orders the stages.

validate → render → convert → assemble → seal → publish. Each stage writes only
into the job's private work directory; publish moves the results into the
output folder at the end, atomically and file by file, bundle last, so a failed
job leaves nothing in the output folder and a reader never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from docgen import __version__, documents
from docgen.errors import (
    ConfigError,
    ConversionFailed,
    DocgenError,
    FileAccessError,
    InvalidInput,
    Problem,
    oserror_text,
)
from docgen.model import Job, Part
from docgen.pdfa import check_pdfa, pdfa_warning
from docgen.receipt import build_receipt, file_entry, sha256_bytes, write_receipt
from docgen.settings import Settings
from docgen.stages.assemble import (
    Assembled,
    BundleEntry,
    BundleMeta,
    PartUnreadable,
    assemble_bundle,
    describe,
    page_count,
    page_ranges,
    watermark_page,
)
from docgen.stages.convert import Converter
from docgen.stages.publish import (
    mark_publishing,
    publish_file,
    publish_new_file,
    publishing_done,
    reserve_stem,
    rollback,
)
from docgen.stages.render import (
    RenderTools,
    koerperschaft_for,
    load_template,
    render_document,
    render_template,
    style_ids,
)
from docgen.stages.seal import SEALED_PRODUCER, load_seal, seal
from docgen.stages.validate import validate_file

log = logging.getLogger("docgen.pipeline")

SIGNOFF_TEMPLATE = "freigabevermerk.docx"
# In the state_dir: what is made once per installation (the ENTWURF page, the Anlagenvermerk's font subsets).
CACHE_DIR = "cache"
WATERMARK_TEMPLATE = "entwurf.docx"
# The templates beside the document types' own: every job may need them.
SUPPORT_TEMPLATES = (SIGNOFF_TEMPLATE, WATERMARK_TEMPLATE)
DRAFT_SUFFIX = "-ENTWURF"
INTERNAL_SUFFIX = "-intern"


@dataclass
class JobResult:
    source: Path
    dokumentart: str
    docx: Path  # the main document's DOCX
    pdf: Path | None  # the bundle (None with docx_only)
    receipt: Path | None = None
    folder: Path | None = None
    sealed: bool = False
    pages: int = 0
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    more_bundles: list[str] = field(default_factory=list)  # e.g. the internal bundle beside the public one


@dataclass
class _Work:
    """What the stages produced in the work directory."""

    root: Path
    settings: Settings
    job_id: str | None
    base_dir: Path  # the input's folder: Anlagen and a logo path in the input are relative to it
    sealed_by: str | None = None  # who released and sealed it (docgen web), for the receipt
    docx: dict[int, Path] = field(default_factory=dict)  # part number → DOCX
    pdf: dict[int, Path] = field(default_factory=dict)  # part number → PDF
    pages: dict[Path, int] = field(default_factory=dict)  # PDF → page count its conversion verified
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, name: str, start: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    def count(self, pdf: Path, pages: int | None) -> None:
        """Keep the page count a conversion verified, so the PDF is not read again just to count."""
        if pages:
            self.pages[pdf] = pages

    def pages_of(self, pdf: Path) -> int:
        return self.pages.get(pdf) or page_count(pdf)


# A job's work folder is removed when the job ends; one left by a process that was killed (kill -9, a power
# cut) holds rendered documents, non-public Anlagen among them. A service's start removes those this old:
# no job runs that long (every conversion has its timeout).
WORK_LEFTOVER_SECONDS = 24 * 3600


def sweep_work(settings: Settings) -> int:
    """Remove the job work folders in ``<state_dir>/work`` older than :data:`WORK_LEFTOVER_SECONDS`; how many."""
    root = settings.state_dir / "work"
    limit = time.time() - WORK_LEFTOVER_SECONDS
    removed = 0
    try:
        entries = list(os.scandir(root))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.name.startswith("job-") and entry.is_dir(follow_symlinks=False) \
                    and entry.stat(follow_symlinks=False).st_mtime < limit:
                shutil.rmtree(entry.path)
                removed += 1
        except OSError as exc:
            log.warning("%s: liegengebliebener Arbeitsordner nicht entfernt (%s)", entry.path, oserror_text(exc))
    if removed:
        log.info("%d liegengebliebene Arbeitsordner in %s entfernt (älter als 24 Stunden)", removed, root)
    return removed


def _work_dir(settings: Settings) -> Path:
    root = settings.state_dir / "work"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileAccessError(
            f"{root}: Arbeitsordner nicht anlegbar ({oserror_text(exc)}). Einstellung state_dir prüfen."
        ) from exc
    return Path(tempfile.mkdtemp(prefix="job-", dir=root))


def _slug(text: str) -> str:
    slug = re.sub(r"[^0-9A-Za-zÄÖÜäöüß]+", "-", text).strip("-")
    return slug[:40] or "dokument"


def _file_name(job: Job, part: Part) -> str:
    if part.number < 0:
        return _slug(part.title).lower()
    return job.source.stem if part.number == 0 else f"anlage-{part.number}-{_slug(part.title)}"


def _render_parts(job: Job, work: _Work, settings: Settings) -> None:
    for part in job.parts:
        if part.document is None or part.data is None:
            continue
        start = time.perf_counter()
        out = work.root / "docs" / f"{_file_name(job, part)}.docx"
        work.docx[part.number] = render_document(part.document, part.data, out, settings, job.source.name,
                                                   json_path=part.json_path, base_dir=work.base_dir)
        work.timed("render", start)


def _convert_parts(job: Job, work: _Work, converter: Converter) -> None:
    for part in job.parts:
        start = time.perf_counter()
        if part.number in work.docx:
            pdf = work.docx[part.number].with_suffix(".pdf")
            work.count(pdf, converter.convert(work.docx[part.number], pdf))
            work.pdf[part.number] = pdf
        elif part.pdf_file is not None:
            work.pdf[part.number] = part.pdf_file
        work.timed("convert", start)


@dataclass
class _Variant:
    """One bundle of a job: the public one, or the internal one with the non-public Anlagen too."""

    internal: bool
    parts: list[Part]
    withheld: list[Part] = field(default_factory=list)  # non-public Anlagen kept out of this bundle

    @property
    def suffix(self) -> str:
        return INTERNAL_SUFFIX if self.internal else ""


def _variants(job: Job) -> list[_Variant]:
    # An Anlage marked "oeffentlich": false (personal data) stays out of the public bundle, and so
    # does everything nested in it (the validate stage marks those parts).
    withheld = [part for part in job.parts if not part.public]
    if not withheld:
        return [_Variant(False, list(job.parts))]
    public = [part for part in job.parts if part.public]
    return [_Variant(False, public, withheld), _Variant(True, list(job.parts))]


def _entries(job: Job, work: _Work, parts: list[Part]) -> list[BundleEntry]:
    entries = []
    for part in parts:
        pdf = work.pdf[part.number]
        title = part.title if part.number else f"{part.title} – {job.document.reference(job.data)}"
        entries.append(BundleEntry(part.label, title, pdf, work.pages_of(pdf)))
    return entries


def _signoff(job: Job, work: _Work, variant: _Variant, entries: list[BundleEntry], settings: Settings,
             converter: Converter, created: dt.datetime) -> BundleEntry:
    start = time.perf_counter()
    freigabe = job.data.get("freigabe")
    signoff_first = sum(e.pages for e in entries) + 1
    ranges = page_ranges(entries)
    contents = [{"label": "Bestandteil" if e.label == e.title else e.label, "titel": e.title,
                 "seiten": _range_text(r)} for e, r in zip(entries, ranges, strict=True)]
    contents += [{"label": part.label, "titel": f"{part.title} (nicht öffentlich: nur im internen Paket)",
                  "seiten": "–"} for part in variant.withheld]
    # Its own pages: one, as a rule; if the conversion shows more, it is filled again with its real range.
    own = {"label": "Freigabevermerk", "titel": "dieser Vermerk", "seiten": str(signoff_first)}
    contents.append(own)
    unterzeichnung = dict(freigabe["unterzeichnung"]) if freigabe else None
    if unterzeichnung is not None:
        unterzeichnung.setdefault("zusatz", "")
    context: dict[str, Any] = {
        "koerperschaft": koerperschaft_for(job.data, settings),
        "bezug": job.document.reference(job.data),
        "titel": _title(job) + _variant_note(variant),
        "freigegeben": freigabe is not None,
        "inhalt": contents,
        "mitzeichnungen": list(freigabe.get("mitzeichnungen", [])) if freigabe else [],
        "unterzeichnung": unterzeichnung,
        "eingabe": job.source.name,
        "sha256": sha256_bytes(job.raw),
        "erzeugt": created.strftime("%d.%m.%Y, %H:%M Uhr"),
        "version": __version__,
    }
    name = f"freigabevermerk{variant.suffix}.docx"
    pages = 1
    while True:
        docx = render_template(settings.template_path(SIGNOFF_TEMPLATE), context, work.root / "docs" / name,
                               job.source.name, logo=RenderTools.logo_file(job.data, settings, work.base_dir))
        work.timed("render", start)
        start = time.perf_counter()
        pdf = docx.with_suffix(".pdf")
        work.count(pdf, converter.convert(docx, pdf))
        work.timed("convert", start)
        start = time.perf_counter()
        counted = work.pages_of(pdf)
        if counted <= pages:
            return BundleEntry("Freigabevermerk", "Freigabevermerk", pdf, counted)
        pages = counted
        own["seiten"] = _range_text((signoff_first, signoff_first + pages - 1))


def _variant_note(variant: _Variant) -> str:
    if variant.internal:
        return " – INTERNES PAKET mit nicht öffentlichen Anlagen, nicht zur Veröffentlichung"
    if variant.withheld:
        return " – öffentliches Paket ohne die nicht öffentlichen Anlagen"
    return ""


def _range_text(first_last: tuple[int, int]) -> str:
    first, last = first_last
    return str(first) if first == last else f"{first}–{last}"


def _title(job: Job) -> str:
    return job.document.title_of(job.data) if job.document.title_of else job.document.title


def _meta(job: Job, settings: Settings, created: dt.datetime, sealed: bool, variant: _Variant) -> BundleMeta:
    body = koerperschaft_for(job.data, settings).name
    office = job.document.office_of(job.data) if job.document.office_of else ""
    title = _title(job) + (" (intern)" if variant.internal else "")
    return BundleMeta(title=title, subject=job.document.reference(job.data),
                      author=f"{body} – {office}" if office else body, created=created,
                      creator=f"docgen {__version__}",
                      producer=SEALED_PRODUCER if sealed else f"docgen {__version__}")


@dataclass
class _Bundle:
    """An assembled (and, when signed off, sealed) bundle waiting in the work directory."""

    variant: _Variant
    pdf: Path
    entries: list[BundleEntry]  # the Freigabevermerk last
    seal: dict[str, Any] | None
    assembled: Assembled


def _unreadable(job: Job, exc: PartUnreadable) -> DocgenError:
    """The user's error for a part that the checks let through but qpdf could not merge."""
    where = describe(exc.entry)
    if exc.entry.label.startswith("Anlage"):
        return InvalidInput(job.source.name, [Problem(
            "/anlagen", f"{where}: „{exc.entry.pdf.name}“ lässt sich nicht in das Paket übernehmen ({exc.detail}). "
            "Bitte die PDF-Datei neu erzeugen (z. B. mit „Drucken als PDF“) und erneut beifügen.", "anlage.defekt")])
    return ConversionFailed(f"{where}: das von LibreOffice erzeugte PDF lässt sich nicht in das Paket übernehmen "
                            f"({exc.detail}). Bitte `docgen check` ausführen und die Vorlage prüfen.")


def _bundle(job: Job, work: _Work, variant: _Variant, settings: Settings, converter: Converter,
            created: dt.datetime) -> _Bundle:
    """Assemble one bundle (watermarked when a draft) and seal it when signed off."""
    entries = _entries(job, work, variant.parts)
    pages = sum(e.pages for e in entries)
    if pages > settings.max_pages:
        raise InvalidInput(job.source.name, [Problem(
            "/anlagen", f"das Paket hätte {pages} Seiten; erlaubt sind höchstens {settings.max_pages} "
            "(Einstellung max_pages).", "paket.zu_viele_seiten")])
    entries.append(_signoff(job, work, variant, entries, settings, converter, created))
    start = time.perf_counter()
    draft = "freigabe" not in job.data
    watermark = None
    if draft:
        watermark = watermark_page(settings.template_path(WATERMARK_TEMPLATE), settings.state_dir / CACHE_DIR,
                                   converter)
    out = work.root / f"bundle{variant.suffix}.pdf"
    try:
        assembled = assemble_bundle(entries, _meta(job, settings, created, not draft, variant), out, watermark,
                                    anlagen_vermerk=settings.anlagen_vermerk, cache_dir=settings.state_dir / CACHE_DIR)
    except PartUnreadable as exc:
        raise _unreadable(job, exc) from exc
    bundle = assembled.path
    work.timed("assemble", start)
    if draft:
        return _Bundle(variant, bundle, entries, None, assembled)
    start = time.perf_counter()
    key = load_seal(settings)  # the seal is the configured body's, never the input's
    sealed = seal(bundle, work.root / f"bundle{variant.suffix}-sealed.pdf", key,
                  reason=f"Freigabe {job.document.reference(job.data)}", location=settings.koerperschaft.name)
    work.timed("seal", start)
    info = {"gesiegelt": True, "standard": "PAdES B-B", "unterzeichner": key.subject,
            "zertifikat_sha256": key.fingerprint, "qualifiziert": False if key.local else None,
            "hinweis": ("lokales, selbst ausgestelltes Siegel von docgen – kein qualifiziertes Siegel"
                        if key.local else "Siegelzertifikat aus den Einstellungen")}
    if work.sealed_by:
        info["gesiegelt_von"] = work.sealed_by
    return _Bundle(variant, sealed, entries, info, assembled)


def _contents(entries: list[BundleEntry]) -> list[dict[str, Any]]:
    return [{"nr": e.label, "titel": e.title, "seiten": list(r)}
            for e, r in zip(entries, page_ranges(entries), strict=True)]


def _receipt(job: Job, work: _Work, stem: str, bundles: list[_Bundle], generated: list[Path],
             created: dt.datetime) -> dict[str, Any]:
    public = bundles[0]
    draft = public.seal is None
    outputs: dict[str, Any] = {"dateien": [file_entry(p, f"{stem}/{p.name}") for p in generated]}
    checks = {"pdfa": check_pdfa(public.pdf)}
    outputs["paket"] = {**file_entry(public.pdf, f"{stem}.pdf"), "seiten": sum(e.pages for e in public.entries),
                        "art": "öffentlich" if public.variant.withheld else "vollständig"}
    warnings = list(job.warnings)
    for extra in bundles[1:]:
        outputs["paket_intern"] = {**file_entry(extra.pdf, f"{stem}/{stem}{extra.variant.suffix}.pdf"),
                                   "seiten": sum(e.pages for e in extra.entries), "art": "intern",
                                   "inhalt": _contents(extra.entries)}
        checks["pdfa_intern"] = check_pdfa(extra.pdf)
    if public.variant.withheld:
        outputs["zurueckgehalten"] = [{"nr": p.label, "titel": p.title, "pfad": p.json_path}
                                      for p in public.variant.withheld]
    for name, bundle in zip(("pdfa", "pdfa_intern"), bundles, strict=False):
        text = pdfa_warning(checks[name], bundle.assembled.pdfa_findings)
        if text:
            warnings.append(Problem("", text, "pdfa.nicht_bestanden", "warning"))
        tagging = {"getaggt": bundle.assembled.tagged, "befunde": bundle.assembled.tagging_findings}
        checks["tagging" if name == "pdfa" else "tagging_intern"] = tagging
        if not bundle.assembled.tagged:
            warnings.append(Problem("", "das Paket ist nicht durchgehend getaggt (barrierefrei): "
                                    + "; ".join(bundle.assembled.tagging_findings), "tagging.unvollstaendig",
                                    "warning"))
    # What assembling took out of the Anlagen (embedded files, outward links …), once per Anlage.
    removed = {r.message: r for bundle in bundles for r in bundle.assembled.removed}
    warnings += [Problem("", r.message, f"anlage.entfernt.{r.code}", "warning") for r in removed.values()]
    figures = job.document.figures(job.data) if job.document.figures else None
    receipt = build_receipt(job=job, settings=work.settings, created=created.isoformat(timespec="seconds"),
                            status="entwurf" if draft else "freigegeben", contents=_contents(public.entries),
                            outputs=outputs, checks=checks, seal=public.seal, warnings=warnings,
                            timings=work.timings,
                            extra_templates=[SIGNOFF_TEMPLATE] + ([WATERMARK_TEMPLATE] if draft else []),
                            figures=figures)
    receipt["entfernt"] = [r.as_dict() for r in removed.values()]
    if work.job_id:
        receipt["auftrag"] = work.job_id
    return receipt


def bundle_names(input_name: str) -> tuple[str, str]:
    """The names a job for ``input_name`` publishes under: sealed, and as a draft (then ``-vN`` …)."""
    stem = Path(input_name).stem
    return stem, stem + DRAFT_SUFFIX


def _publish(job: Job, work: _Work, out_dir: Path, bundles: list[_Bundle], created: dt.datetime) -> JobResult:
    """Folder files, then the receipt, then the bundle; on failure nothing of this job stays."""
    public = bundles[0]
    draft = public.seal is None
    stem = reserve_stem(out_dir, job.source.stem + (DRAFT_SUFFIX if draft else ""), replace=draft)
    folder = out_dir / stem
    generated = sorted(work.docx.values()) + sorted(work.pdf[n] for n in work.docx)
    generated += [b.entries[-1].pdf for b in bundles]  # the Freigabevermerk(e) as single PDFs
    receipt = _receipt(job, work, stem, bundles, generated, created)
    receipt_tmp = write_receipt(receipt, work.root / f"{stem}.receipt.json")
    target = out_dir / f"{stem}.pdf"
    more: list[str] = []
    try:
        if work.job_id:
            mark_publishing(out_dir, stem, work.job_id)
        for path in generated:
            publish_file(path, folder / path.name)
        for extra in bundles[1:]:
            internal = publish_file(extra.pdf, folder / f"{stem}{extra.variant.suffix}.pdf")
            more.append(f"internes Paket mit allen Anlagen {internal} (nicht zur Veröffentlichung)")
        published_receipt = publish_file(receipt_tmp, out_dir / receipt_tmp.name)
        published = publish_file(public.pdf, target) if draft else publish_new_file(public.pdf, target)
        if work.job_id:
            publishing_done(out_dir, stem, work.job_id)
    except FileAccessError:
        rollback(out_dir, stem, draft=draft)
        raise
    warnings = [Problem(w["pfad"], w["meldung"], w["code"], w["stufe"]) for w in receipt["warnungen"]]
    return JobResult(job.source, job.document.name, folder / work.docx[0].name, published, published_receipt,
                     folder, not draft, receipt["erzeugnisse"]["paket"]["seiten"], warnings, work.timings, more)


def require_body(job: Job, settings: Settings) -> None:
    """A document names its issuing body; docgen never invents one."""
    if not koerperschaft_for(job.data, settings).name.strip():
        where = f" ({settings.config_file})" if settings.config_file else ""
        raise ConfigError(
            f"{job.source.name}: keine Körperschaft angegeben. Bitte in den Einstellungen{where} "
            "[koerperschaft] name = \"…\" eintragen (oder DOCGEN_KOERPERSCHAFT_NAME) oder in der Eingabe "
            "„koerperschaft“: {\"name\": …} angeben.")


def template_names() -> list[str]:
    """Every template docgen fills: each document type's own, then the support templates."""
    return [doc.template_file for doc in documents.registry().values()] + list(SUPPORT_TEMPLATES)


def warm_up(settings: Settings) -> None:
    """Open ahead of the first job what the jobs of this process need: the seal key and every template
    (its lean package and its styles). Called once per job process of a service (``watch``, ``docgen
    worker``) at its start, once LibreOffice is up, so the first file is not slower than the next.
    Nothing is created and nothing is raised: a missing or broken seal or template is reported by the
    job that needs it."""
    start = time.perf_counter()
    steps: list[tuple[str, Callable[[], object]]] = [("Siegel", partial(load_seal, settings, create=False))]
    for name in template_names():
        path = settings.template_path(name)
        steps.append((name, partial(load_template, path, lean=True)))
        if name not in SUPPORT_TEMPLATES:  # a document type's template holds rich text: its styles
            steps.append((name, partial(style_ids, path)))
    for what, step in steps:
        try:
            step()
        except Exception as exc:  # best effort: the job that needs it meets the problem and reports it
            log.debug("Vorbereitung: %s nicht geöffnet (%s)", what, exc)
    log.debug("Auftragsprozess %d vorbereitet in %.2f s", os.getpid(), time.perf_counter() - start)


def run_job(
    path: Path,
    out_dir: Path,
    settings: Settings,
    converter: Converter | None,
    *,
    docx_only: bool = False,
    bundle: bool = True,
    job_id: str | None = None,
    base_dir: Path | None = None,
    hot_folder: bool = False,
    sealed_by: str | None = None,
) -> JobResult:
    """Run one input file through the pipeline and publish its results in ``out_dir``.

    With ``docx_only`` only the editable DOCX of the main document is written
    (``out_dir/<name>.docx``); with ``bundle=False`` that DOCX and its PDF/A
    (``out_dir/<name>.pdf``), no bundle, seal or receipt; otherwise the bundle,
    its receipt and the folder with the single documents (see docs/contracts.md). ``hot_folder``:
    the input came through the inbox, where the setting ``eingang_ohne_freigabe`` refuses sign-offs.
    ``sealed_by``: the user who released it (docgen web); the receipt's ``siegel`` records the name.
    """
    # Every time shown (Freigabevermerk, receipt, PDF metadata) in the body's zone, not the server's.
    created = dt.datetime.now(ZoneInfo(settings.zeitzone)).replace(microsecond=0)
    start = time.perf_counter()
    job = validate_file(path, settings, base_dir)
    require_body(job, settings)
    if hot_folder and settings.eingang_ohne_freigabe and "freigabe" in job.data:
        raise InvalidInput(path.name, [Problem(
            "/freigabe", "über den Eingangsordner werden keine freigegebenen Dokumente angenommen (Einstellung "
            "eingang_ohne_freigabe): bitte in docgen web „Freigeben und siegeln“ oder „freigabe“ entfernen.",
            "freigabe.nicht_im_eingang")])
    work = _Work(_work_dir(settings), settings, job_id, base_dir or path.parent, sealed_by)
    work.timed("validate", start)
    try:
        _render_parts(job, work, settings)
        if docx_only:
            docx = publish_file(work.docx[0], out_dir / f"{path.stem}.docx")
            return JobResult(path, job.document.name, docx, None, warnings=job.warnings, timings=work.timings)
        if converter is None:
            raise ValueError("a converter is required unless docx_only is set")
        _convert_parts(job, work, converter)
        if not bundle:
            start_publish = time.perf_counter()
            pages = work.pages_of(work.pdf[0])
            docx = publish_file(work.docx[0], out_dir / f"{path.stem}.docx")
            pdf = publish_file(work.pdf[0], out_dir / f"{path.stem}.pdf")
            work.timed("publish", start_publish)
            return JobResult(path, job.document.name, docx, pdf, pages=pages, warnings=job.warnings,
                             timings=work.timings)
        bundles = [_bundle(job, work, variant, settings, converter, created) for variant in _variants(job)]
        result = _publish(job, work, out_dir, bundles, created)
    finally:
        shutil.rmtree(work.root, ignore_errors=True)
    result.timings["total"] = time.perf_counter() - start
    log.info("%s: fertig in %.2f s → %s", path.name, result.timings["total"], result.pdf)
    return result
