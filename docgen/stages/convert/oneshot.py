"""A converter that starts a fresh ``soffice --convert-to`` for every document.

Slow (LibreOffice starts every time) but has no state: each call gets its own
private profile directory, so concurrent calls never share one (which silently
loses documents).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

from docgen.errors import ConversionFailed, DependencyMissing
from docgen.runner import ProgramTimeout, run
from docgen.stages.convert import PDF_EXPORT_OPTIONS
from docgen.stages.convert.pdfcheck import verify_pdf

log = logging.getLogger("docgen.convert")


def export_filter() -> str:
    """The ``--convert-to`` argument with the PDF/A options as JSON (LibreOffice ≥ 7.4)."""
    options = {k: {"type": t, "value": v} for k, (t, v) in PDF_EXPORT_OPTIONS.items()}
    return "pdf:writer_pdf_Export:" + json.dumps(options, separators=(",", ":"))


def soffice_argv(soffice: str, profile: Path, docx: Path, outdir: Path) -> list[str]:
    return [
        soffice,
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--invisible",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--convert-to",
        export_filter(),
        "--outdir",
        str(outdir),
        str(docx),
    ]


class OneShotConverter:
    def __init__(self, soffice: str, work_root: Path, timeout: float) -> None:
        self.soffice = soffice
        self.work_root = work_root
        self.timeout = timeout

    def convert(self, docx: Path, pdf: Path) -> int:
        if shutil.which(self.soffice) is None:
            raise DependencyMissing(
                f"LibreOffice ({self.soffice}) wurde nicht gefunden. "
                "Installieren: apt-get install libreoffice-writer-nogui"
            )
        self.work_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="soffice-", dir=self.work_root) as tmp:
            tmpdir = Path(tmp)
            outdir = tmpdir / "out"
            outdir.mkdir()
            argv = soffice_argv(self.soffice, tmpdir / "profile", docx, outdir)
            try:
                result = run(argv, timeout=self.timeout)
            except ProgramTimeout:
                raise ConversionFailed(
                    f"{docx.name}: LibreOffice hat die Umwandlung nicht in {self.timeout:g} s "
                    "abgeschlossen und wurde beendet. Bitte erneut versuchen; bleibt der Fehler, "
                    "die Einstellung convert_timeout erhöhen."
                ) from None
            produced = outdir / (docx.stem + ".pdf")
            if result.returncode != 0:
                log.warning("%s: soffice endete mit Exit-Code %s", docx.name, result.returncode)
            pages = verify_pdf(produced, docx)
            pdf.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(produced), pdf)
            return pages

    def close(self) -> None:
        """Nothing stays running between calls."""
