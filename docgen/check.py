"""``docgen check``: is everything docgen needs on this machine?

Each check returns a status (ok / warnung / fehlt), a detail line and, where
something is missing, the exact command or setting that fixes it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from docgen.errors import ConfigError, DocgenError, SealError, TemplateProblem, oserror_text
from docgen.formatting import zeitpunkt
from docgen.model import DocumentType
from docgen.pipeline import SUPPORT_TEMPLATES, template_names
from docgen.runner import ProgramTimeout, run
from docgen.settings import Settings
from docgen.stages.convert.pool import require_libreoffice
from docgen.stages.render import missing_styles, missing_styles_message
from docgen.stages.seal import load_seal, seal_summary

FONT_PACKAGES = {
    "Liberation": "fonts-liberation2",
    "Carlito": "fonts-crosextra-carlito",
    "Caladea": "fonts-crosextra-caladea",
    "DejaVu": "fonts-dejavu-core",
}


log = logging.getLogger("docgen.check")

@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "ok", "warnung" or "fehlt"
    detail: str
    hint: str = ""


def check_libreoffice(settings: Settings) -> CheckResult:
    binary = shutil.which(settings.soffice)
    hint = "als root: apt-get install --no-install-recommends libreoffice-writer-nogui"
    if binary is None:
        return CheckResult("LibreOffice", "fehlt", f"„{settings.soffice}“ nicht gefunden", hint)
    with tempfile.TemporaryDirectory(prefix="docgen-check-") as tmp:
        profile = Path(tmp).resolve().as_uri()
        try:
            result = run([binary, f"-env:UserInstallation={profile}", "--headless", "--version"],
                         timeout=60)
        except ProgramTimeout:
            return CheckResult("LibreOffice", "fehlt", f"{binary} antwortet nicht", hint)
    version = result.stdout.strip().splitlines()[0] if result.stdout.strip() else "unbekannt"
    match = re.search(r"(\d+)\.(\d+)", version)
    if match and (int(match.group(1)), int(match.group(2))) < (7, 4):
        return CheckResult("LibreOffice", "fehlt", f"{version} ist zu alt (mindestens 7.4)", hint)
    return CheckResult("LibreOffice", "ok", f"{version} ({binary})")


def check_uno(settings: Settings) -> CheckResult:
    hint = "als root: apt-get install python3-uno"
    uno_python = settings.uno_python
    if not Path(uno_python).is_file():
        return CheckResult("Python-UNO (warme LibreOffice-Prozesse)", "fehlt",
                           f"{uno_python} nicht gefunden", hint)
    try:
        result = run([uno_python, "-c", "import uno"], timeout=30)
    except ProgramTimeout:
        return CheckResult("Python-UNO (warme LibreOffice-Prozesse)", "fehlt", "keine Antwort", hint)
    if result.returncode != 0:
        return CheckResult("Python-UNO (warme LibreOffice-Prozesse)", "fehlt",
                           "das Modul uno ist nicht installiert", hint)
    return CheckResult("Python-UNO (warme LibreOffice-Prozesse)", "ok", f"uno in {uno_python}")


def template_fonts(template: Path) -> set[str]:
    """Font families a .docx names explicitly (styles, body, header, footer)."""
    fonts: set[str] = set()
    with zipfile.ZipFile(template) as archive:
        for name in archive.namelist():
            # The parts Word actually renders from (stylesWithEffects.xml is a Word 2010 leftover).
            if re.fullmatch(r"word/(document|styles|numbering|header\d*|footer\d*)\.xml", name):
                xml = archive.read(name).decode("utf-8", "replace")
                fonts.update(re.findall(r'<w:rFonts[^>]*w:ascii="([^"]+)"', xml))
    return fonts


def installed_fonts() -> set[str] | None:
    if shutil.which("fc-list") is None:
        return None
    result = run(["fc-list", ":", "family"], timeout=30)
    families: set[str] = set()
    for line in result.stdout.splitlines():
        families.update(part.strip() for part in line.split(","))
    return families


def check_fonts(settings: Settings) -> list[CheckResult]:
    available = installed_fonts()
    results = []
    wanted: dict[str, list[str]] = {}
    for name in template_names():
        try:
            path = settings.template_path(name)
            fonts = template_fonts(path) if path.is_file() else set()
        except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError):
            continue  # a missing, unreadable or broken template is reported by check_templates
        for font in fonts:
            wanted.setdefault(font, []).append(path.name)
    for font, users in sorted(wanted.items()):
        package = next((p for k, p in FONT_PACKAGES.items() if font.startswith(k)), None)
        hint = f"als root: apt-get install {package}" if package else \
            f"die Schrift „{font}“ installieren (fc-list muss sie zeigen)"
        if available is None:
            results.append(CheckResult(f"Schrift {font}", "warnung",
                                       "fc-list fehlt, nicht prüfbar", "apt-get install fontconfig"))
        elif font in available:
            results.append(CheckResult(f"Schrift {font}", "ok",
                                       f"installiert (genutzt von {', '.join(sorted(set(users)))})"))
        else:
            results.append(CheckResult(f"Schrift {font}", "fehlt",
                                       "nicht installiert; das PDF würde eine Ersatzschrift einbetten",
                                       hint))
    return results


def check_templates(settings: Settings) -> list[CheckResult]:
    results = []
    for name in template_names():
        try:
            results.append(_check_template(settings, name))
        except OSError as exc:
            results.append(CheckResult(f"Vorlage {name}", "fehlt", f"nicht lesbar ({oserror_text(exc)})",
                                       "Rechte von templates_dir und der Vorlage prüfen"))
        except Exception:  # a broken .docx fails inside zipfile or lxml in many ways
            log.debug("Vorlage %s nicht lesbar", name, exc_info=True)
            results.append(CheckResult(f"Vorlage {name}", "fehlt",
                                       f"{settings.template_path(name)} ist keine gültige Word-Datei (beschädigt "
                                       "oder in einem anderen Format gespeichert)",
                                       "die Vorlage in Word öffnen und neu als .docx speichern, prüfen mit "
                                       "docgen lint-template"))
    return results


def _check_template(settings: Settings, name: str) -> CheckResult:
    path = settings.template_path(name)
    if not path.is_file():
        return CheckResult(f"Vorlage {name}", "fehlt", f"{path} fehlt", "templates_dir in docgen.toml prüfen")
    if not zipfile.is_zipfile(path):
        return CheckResult(f"Vorlage {name}", "fehlt", f"{path} ist keine Word-Datei")
    missing = missing_styles(path) if name not in SUPPORT_TEMPLATES else []
    if missing:
        return CheckResult(f"Vorlage {name}", "fehlt", f"{path}: es fehlen die Formatvorlagen "
                           + ", ".join(f"„{m}“" for m in missing),
                           "die Formatvorlagen in Word anlegen (Start → Formatvorlagen)")
    return CheckResult(f"Vorlage {name}", "ok", str(path))


def check_folder(label: str, path: Path, setting: str) -> CheckResult:
    try:
        return _check_folder(label, path, setting)
    except OSError as exc:  # e.g. a parent folder that may not be searched
        return CheckResult(label, "fehlt", f"{path} ist nicht zugänglich ({oserror_text(exc)})",
                           f"Rechte der übergeordneten Ordner prüfen oder Einstellung {setting} ändern")


def _check_folder(label: str, path: Path, setting: str) -> CheckResult:
    if not path.exists():
        parent = next((p for p in path.absolute().parents if p.exists()), Path("/"))
        if os.access(parent, os.W_OK):
            return CheckResult(label, "ok", f"{path} (wird beim ersten Gebrauch angelegt)")
        return CheckResult(label, "fehlt", f"{path} fehlt und kann nicht angelegt werden",
                           f"Ordner anlegen oder Einstellung {setting} ändern")
    if not path.is_dir():
        return CheckResult(label, "fehlt", f"{path} ist kein Ordner", f"Einstellung {setting} prüfen")
    if not os.access(path, os.W_OK | os.X_OK):
        return CheckResult(label, "fehlt", f"{path} ist nicht beschreibbar",
                           f"Schreibrechte für {path} vergeben oder Einstellung {setting} ändern")
    return CheckResult(label, "ok", str(path))


def _zeit(value: object, settings: Settings) -> str:
    """A certificate's time (UTC) as shown, in the setting ``zeitzone``."""
    return zeitpunkt(str(value), settings.zeitzone) if value else "?"


def check_seal(settings: Settings) -> CheckResult:
    """Which seal signs the bundles (subject, issuer, fingerprint, validity) and whether its key is private."""
    label = "Siegelzertifikat"
    try:
        info = seal_summary(settings)
    except DocgenError as exc:
        return CheckResult(label, "fehlt", exc.message, "Einstellungen seal_cert und Passwort prüfen")
    except OSError as exc:  # e.g. a state_dir docgen may not read
        where = f"{os.fsdecode(exc.filename)}: " if exc.filename else ""
        return CheckResult(label, "fehlt", f"{where}nicht lesbar ({oserror_text(exc)})",
                           "Rechte des Zustandsordners (state_dir) bzw. von seal_cert prüfen")
    if not info.get("vorhanden"):
        planned = info.get("subjekt_geplant", "")
        return CheckResult(label, "ok", f"{info['hinweis']}; Inhaber wird „{planned}“")
    detail = (f"Inhaber „{info.get('subjekt', '?')}“, ausgestellt von „{info.get('aussteller', '?')}“, "
              f"gültig {_zeit(info.get('gueltig_ab'), settings)} bis {_zeit(info.get('gueltig_bis'), settings)}, "
              f"SHA-256 {str(info.get('fingerabdruck_sha256', '?'))[:16]}… ({info['pfad']})")
    key_file = Path(info["pfad"])
    try:
        mode = key_file.stat().st_mode & 0o777
    except OSError:
        mode = 0
    if mode & 0o077:
        return CheckResult(label, "warnung", f"{key_file} ist für andere lesbar (Rechte {oct(mode)}); {detail}",
                           f"chmod 600 {key_file}")
    if info["art"] == "lokal" or "ABGELAUFEN" in info["hinweis"]:
        return CheckResult(label, "warnung", f"{info['hinweis']}; {detail}",
                           "für die Veröffentlichung seal_cert auf das Siegelzertifikat der Körperschaft setzen")
    return CheckResult(label, "ok", f"{info['hinweis']}; {detail}")


def check_settings(settings: Settings) -> list[CheckResult]:
    """Which settings file was read, for which body, with which state directory."""
    source = str(settings.config_file) if settings.config_file else "keine Datei (Standardwerte und Umgebung)"
    body = settings.koerperschaft.name
    return [
        CheckResult("Konfiguration", "ok", source),
        CheckResult("Körperschaft", "ok" if body else "fehlt", body or "nicht eingestellt",
                    "[koerperschaft] name = \"…\" in docgen.toml eintragen (oder DOCGEN_KOERPERSCHAFT_NAME)"),
    ]


def run_checks(settings: Settings) -> list[CheckResult]:
    results = check_settings(settings)
    results += [check_libreoffice(settings), check_uno(settings), check_seal(settings)]
    results += check_fonts(settings)
    results += check_templates(settings)
    results += [
        check_folder("Eingangsordner (inbox)", settings.inbox, "inbox"),
        check_folder("Ausgabeordner (outbox)", settings.outbox, "outbox"),
        check_folder("Zustandsordner (state_dir)", settings.state_dir, "state_dir"),
    ]
    return results


def preflight(settings: Settings, *, converter: bool, seal: bool, documents: Iterable[DocumentType] = (),
              service: bool = False) -> None:
    """Check the set-up before the first stage of any job, and raise what is wrong.

    ``converter``: LibreOffice (and for the warm pool the UNO Python) must be there (exit 3).
    ``documents``: their templates and the support templates must exist and hold every style
    the renderer needs (exit 5, naming template and style). ``seal``: the seal key must open
    with its passphrase; for a service (``watch``, ``batch``) a broken seal is a configuration
    error (exit 9) that stops the start, instead of failing every job after its conversion.
    """
    if converter:
        _preflight_converter(settings)
    rich = {doc.template_file for doc in documents}  # templates that hold rich text need its styles
    for name in sorted(rich | (set(SUPPORT_TEMPLATES) if rich else set())):
        path = settings.template_path(name)
        if not path.is_file():
            raise TemplateProblem(f"Vorlage {name} nicht gefunden (gesucht: {path}). Bitte templates_dir in der "
                                  "Konfiguration prüfen oder die Vorlage zurücklegen.")
        missing = missing_styles(path) if name in rich else []
        if missing:
            raise TemplateProblem(missing_styles_message(path, missing))
    if seal:
        try:
            load_seal(settings, settings.koerperschaft)
        except SealError as exc:
            if service:
                raise ConfigError(f"Siegel nicht verwendbar: {exc.message} docgen startet nicht, damit keine "
                                  "Aufträge bis zum Siegeln laufen und dann scheitern.") from exc
            raise


def _preflight_converter(settings: Settings) -> None:
    require_libreoffice(settings, settings.uno_python if settings.converter == "pool" else None)
