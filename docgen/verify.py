"""``docgen verify``: is this bundle's seal intact, does it cover the whole file, does it match its receipt?"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from docgen.errors import DocgenError, FileAccessError
from docgen.settings import Settings


@dataclass
class Verdict:
    ok: bool
    lines: list[str] = field(default_factory=list)


def receipt_path(bundle: Path) -> Path:
    return bundle.with_name(bundle.stem + ".receipt.json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _load_receipt(bundle: Path) -> dict[str, Any] | None:
    path = receipt_path(bundle)
    if not path.is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def trust_roots(settings: Settings) -> list[Any]:
    """The seal certificate of this installation, if there is one: it is trusted for ``verify``."""
    from docgen.stages.seal import load_seal

    try:
        key = load_seal(settings, settings.koerperschaft, create=False)
    except DocgenError:
        return []
    return [key.signer.signing_cert]


def _signature_lines(bundle: Path, receipt: dict[str, Any] | None, roots: list[Any]) -> tuple[bool, list[str]]:
    with bundle.open("rb") as fh:
        try:
            reader = PdfFileReader(fh, strict=False)
            signatures = reader.embedded_signatures
        except Exception as exc:  # a broken file can fail in many ways inside pyHanko
            return False, [f"Die Datei lässt sich nicht als PDF lesen ({exc})."]
        if not signatures:
            return False, ["Das Dokument trägt kein Siegel (Entwurf oder nachträglich verändert)."]
        sig = signatures[-1]
        try:
            status = validate_pdf_signature(sig, ValidationContext(trust_roots=roots, allow_fetching=False))
        except Exception as exc:
            return False, [f"Das Siegel ist beschädigt ({exc})."]
        subject = status.signing_cert.subject.human_friendly
        fingerprint = status.signing_cert.sha256.hex()
        lines = []
        ok = True
        if status.intact and status.valid:
            lines.append("Siegel unversehrt: der Inhalt wurde seit dem Siegeln nicht verändert.")
        else:
            ok = False
            lines.append("Siegel UNGÜLTIG: der gesiegelte Inhalt wurde verändert.")
        if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
            lines.append("Das Siegel umfasst die gesamte Datei.")
        else:
            ok = False
            lines.append("Das Siegel umfasst NICHT die gesamte Datei: nach dem Siegeln wurde etwas angefügt.")
        lines.append(f"Gesiegelt von: {subject}")
        lines.append("Zertifikat: vertrauenswürdig (Siegel dieser Installation oder vertrauenswürdige Stelle)."
                     if status.trusted else
                     "Zertifikat: Aussteller hier nicht als vertrauenswürdig hinterlegt (Fingerabdruck SHA-256 "
                     f"{fingerprint}).")
        expected = ((receipt or {}).get("siegel") or {}).get("zertifikat_sha256")
        if expected and expected != fingerprint:
            ok = False
            lines.append("Das Siegelzertifikat ist ein anderes als im Beleg vermerkt.")
        return ok, lines


def verify_bundle(bundle: Path, roots: list[Any] | None = None) -> Verdict:
    if not bundle.is_file():
        raise FileAccessError(f"{bundle}: Datei nicht gefunden.")
    receipt = _load_receipt(bundle)
    ok, lines = _signature_lines(bundle, receipt, roots or [])
    if receipt is None:
        ok = False
        lines.append(f"Kein Beleg gefunden ({receipt_path(bundle).name}); der Abgleich ist nicht möglich.")
    else:
        expected = receipt.get("ausgaben", {}).get("paket", {}).get("sha256")
        if expected == sha256_file(bundle):
            lines.append(f"Die Datei stimmt mit ihrem Beleg {receipt_path(bundle).name} überein.")
        else:
            ok = False
            lines.append(f"Die Datei stimmt NICHT mit ihrem Beleg {receipt_path(bundle).name} überein.")
        if (receipt.get("siegel") or {}).get("qualifiziert") is False:
            lines.append("Hinweis: lokales Siegel von docgen, kein qualifiziertes elektronisches Siegel.")
    return Verdict(ok, lines)


