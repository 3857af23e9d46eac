"""The app's work over ``docgen.api``: checks, previews and jobs with one warm LibreOffice.

One pooled converter lives as long as the app; conversions run in a small thread pool so the
event loop stays free. Everything a job writes goes through the library (``api.render_file``),
so the bundle, the receipt and the publishing rules are the same as the CLI's.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen import api
from docgen.errors import DocgenError, InvalidInput, Problem
from docgen.settings import Settings
from docgen.web import jsontext, store
from docgen.web.users import web_dir

INPUT_NAME = "entwurf.json"


@dataclass
class Pruefung:
    """The library's verdict on one input."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    general: str | None = None  # an error without a field (file access, configuration)
    exit_code: int = 0

    @property
    def gueltig(self) -> bool:
        return not self.problems and self.general is None

    def as_json(self) -> dict[str, Any]:
        probleme = [{"pfad": p.path, "meldung": p.message, "code": p.code} for p in self.problems]
        if self.general is not None:
            probleme.append({"pfad": "", "meldung": self.general, "code": f"exit.{self.exit_code}"})
        return {"gueltig": self.gueltig, "probleme": probleme,
                "hinweise": [{"pfad": p.path, "meldung": p.message, "code": p.code} for p in self.warnings]}


def write_input(folder: Path, data: dict[str, Any], name: str = INPUT_NAME) -> Path:
    path = folder / name
    store.write_atomic(path, (jsontext.dumps(data) + "\n").encode("utf-8"))
    return path


def check_file(path: Path, settings: Settings) -> Pruefung:
    try:
        job = api.validate(path, settings)
    except InvalidInput as exc:
        return Pruefung(problems=list(exc.problems), exit_code=int(exc.exit_code))
    except DocgenError as exc:
        return Pruefung(general=exc.message.replace(str(path.parent) + "/", ""), exit_code=int(exc.exit_code))
    return Pruefung(warnings=list(job.warnings))


class Service:
    """Holds the warm converter for the app's lifetime (a context manager)."""

    def __init__(self, settings: Settings, workers: int = 1) -> None:
        self.settings = settings
        self._stack = contextlib.ExitStack()
        self.converter: Any = None
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="docgen-web")
        self.tmp = web_dir(settings) / "tmp"
        self._health: tuple[float, str | None] = (0.0, "noch nicht geprüft")

    def __enter__(self) -> Service:
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.converter = self._stack.enter_context(api.open_converter(self.settings, pooled=True))
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self._stack.close()

    def scratch(self) -> Path:
        folder = self.tmp / store.new_id()
        folder.mkdir(parents=True)
        return folder

    def preview(self, folder: Path, data: dict[str, Any]) -> bytes:
        """The bundle of ``data`` as a draft (ENTWURF, never sealed); Anlagen resolve in ``folder``."""
        draft = jsontext.parse(jsontext.dumps(data))
        _strip(draft)
        name = f".vorschau-{store.new_id()}"
        source = write_input(folder, draft, name + ".json")
        out = folder / (name + "-aus")
        try:
            result = api.render_file(source, out, self.settings, self.converter)
            if result.pdf is None or result.sealed:  # never hand out a sealed preview
                raise DocgenError("Die Vorschau konnte nicht erzeugt werden.")
            return result.pdf.read_bytes()
        finally:
            source.unlink(missing_ok=True)
            shutil.rmtree(out, ignore_errors=True)

    def render(self, source: Path, out_dir: Path, sealed_by: str | None = None) -> api.JobResult:
        return api.render_file(source, out_dir, self.settings, self.converter, sealed_by=sealed_by)

    def health(self) -> str | None:
        """None when a conversion works (checked at most every 30 s), else the reason."""
        checked, problem = self._health
        if time.monotonic() - checked < 30 and problem is None:
            return None
        folder = self.scratch()
        try:
            # one tiny document through the warm pool: proves LibreOffice answers
            from docx import Document  # python-docx, loaded only for the health check

            document = Document()
            document.add_paragraph("docgen gesund")
            document.save(str(folder / "gesund.docx"))
            self.converter.convert(folder / "gesund.docx", folder / "gesund.pdf")
            problem = None if (folder / "gesund.pdf").stat().st_size > 0 else "leere PDF-Datei"
        except DocgenError as exc:
            problem = exc.message
        except OSError as exc:
            problem = str(exc)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self._health = (time.monotonic(), problem)
        return problem


def _strip(data: Any) -> None:
    if isinstance(data, dict):
        data.pop("freigabe", None)
        for value in data.values():
            _strip(value)
    elif isinstance(data, list):
        for value in data:
            _strip(value)
