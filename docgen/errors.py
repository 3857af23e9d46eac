"""The error model: one exit code enum and exceptions that carry their code.

Every error a user can meet is a :class:`DocgenError` subclass whose message is
German, names the file (and, where there is one, the JSON path) and says what to
do. The CLI translates them once, at the edge, into the exit codes of docs/contracts.md.
"""

from __future__ import annotations

import errno
import stat
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from docgen import __version__


class ExitCode(IntEnum):
    """Exit codes of the ``docgen`` command (binding, see docs/contracts.md)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    DEPENDENCY = 3
    INVALID_INPUT = 4
    TEMPLATE = 5
    CONVERSION = 6
    FILE_ACCESS = 7
    SEAL = 8
    CONFIG = 9
    BATCH_PARTIAL = 10
    INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One finding about an input file: where it is and what is wrong."""

    path: str  # JSON pointer such as "/beratungsfolge/2/datum"; "" = the whole file
    message: str  # German, says what is wrong and what is expected
    code: str  # stable machine-readable key, e.g. "schema.format" or "beratungsfolge.entscheidung_letzte"
    level: str = "error"  # "error" or "warning"

    def render(self, filename: str) -> str:
        where = f"{filename}: {self.path}: " if self.path else f"{filename}: "
        return where + self.message

    def as_dict(self) -> dict[str, str]:
        return {"pfad": self.path, "meldung": self.message, "code": self.code, "stufe": self.level}


class DocgenError(Exception):
    """Base of all errors that end a job with a message for the user."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """The lines shown to the user (one per problem)."""
        return [self.message]


class DependencyMissing(DocgenError):
    exit_code = ExitCode.DEPENDENCY


def extra_hint(extra: str) -> str:
    """How to install docgen with one of its extras (``web``, ``verteilt``): from the wheel it came as,
    never by the bare name "docgen" (that would fetch whatever package of that name an index has)."""
    return (f"Bitte docgen mit dem Zusatz [{extra}] installieren: pip install "
            f"'/pfad/zu/docgen-{__version__}-py3-none-any.whl[{extra}]' (aus dem Quellordner: "
            f"pip install '.[{extra}]').")


def missing_extra(command: str, exc: ImportError, extra: str) -> str:
    """The message for ``docgen <command>`` when a package of its extra could not be imported."""
    package = str(exc.name or "?").split(".")[0]
    return f"docgen {command}: es fehlt ein Paket ({package}). {extra_hint(extra)}"


class InvalidInput(DocgenError):
    """The input file is not valid: JSON syntax, schema or a domain rule.

    Carries every problem found, so the user sees all of them at once.
    """

    exit_code = ExitCode.INVALID_INPUT

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = [p for p in problems if p.level == "error"]
        super().__init__("\n".join(p.render(filename) for p in self.problems))

    def lines(self) -> list[str]:
        return [p.render(self.filename) for p in self.problems]

    def __reduce__(self) -> tuple[type[InvalidInput], tuple[str, list[Problem]]]:
        # Errors travel from job processes to the parent; the default pickling would pass only the message.
        return (InvalidInput, (self.filename, self.problems))


class InvalidField(InvalidInput):
    """One malformed value met deep inside a computation (the schema should have refused it).

    :attr:`problem` names its JSON path; the document type's rules turn it into a Problem.
    """

    def __init__(self, path: str, message: str, code: str = "eingabe.format") -> None:
        self.problem = Problem(path, message, code)
        super().__init__("", [self.problem])

    def __reduce__(self) -> tuple[type[InvalidInput], tuple[str, list[Problem]]]:
        return (InvalidInput, ("", [self.problem]))


class TemplateProblem(DocgenError):
    exit_code = ExitCode.TEMPLATE


class ConversionFailed(DocgenError):
    exit_code = ExitCode.CONVERSION


class FileAccessError(DocgenError):
    exit_code = ExitCode.FILE_ACCESS


class SealError(DocgenError):
    exit_code = ExitCode.SEAL


class ConfigError(DocgenError):
    exit_code = ExitCode.CONFIG


class InternalJobError(DocgenError):
    """A bug while processing one file: reported like any failure, the run goes on."""

    exit_code = ExitCode.INTERNAL


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C so every child process is stopped."""


# The system's texts for file errors (OSError.strerror) are English whatever the locale; docgen speaks German.
_OS_ERRORS = {
    errno.ENOENT: "nicht vorhanden",
    errno.EACCES: "keine Berechtigung",
    errno.EPERM: "nicht erlaubt",
    errno.EISDIR: "ist ein Ordner",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Ordner",
    errno.EEXIST: "existiert bereits",
    errno.ENOSPC: "Datenträger voll",
    errno.EDQUOT: "Speicherkontingent erschöpft",
    errno.EROFS: "Dateisystem nur lesbar",
    errno.ENAMETOOLONG: "Name zu lang",
    errno.ELOOP: "zu viele symbolische Verweise",
    errno.EIO: "Ein-/Ausgabefehler des Datenträgers",
    errno.EMFILE: "zu viele offene Dateien",
    errno.ENFILE: "zu viele offene Dateien im System",
    errno.EBADF: "ungültiger Dateideskriptor (Ausgabe geschlossen?)",
    errno.EPIPE: "Leser beendet",
    errno.ENXIO: "Gerät nicht vorhanden",
    errno.ENODEV: "Gerät nicht vorhanden",
    errno.EBUSY: "belegt",
    errno.ETXTBSY: "Datei ist in Benutzung",
    errno.EINVAL: "ungültiger Name oder Zugriff",
    errno.EXDEV: "anderes Dateisystem",
    errno.ENOTEMPTY: "Ordner nicht leer",
    errno.ESTALE: "Netzlaufwerk nicht mehr erreichbar",
    errno.ETIMEDOUT: "Zeitüberschreitung",
    errno.EADDRINUSE: "Adresse schon belegt",
    errno.EADDRNOTAVAIL: "Adresse auf diesem Rechner nicht vorhanden",
    errno.ECONNREFUSED: "Verbindung abgelehnt",
}


def oserror_text(exc: OSError) -> str:
    """What went wrong with a file, in German (for the parentheses of a message); an error without a
    German text keeps the system's own words, so that nothing is lost."""
    known = _OS_ERRORS.get(exc.errno or 0)
    if known is not None:
        return known
    detail = exc.strerror or str(exc)
    return f"Systemfehler {exc.errno}: {detail}" if exc.errno else f"Systemfehler: {detail}"


def is_file_error(exc: OSError) -> bool:
    """Whether ``exc`` is about a file or folder (it names one, or its kind is a file system's)."""
    return exc.filename is not None or ((exc.errno or 0) in _OS_ERRORS and not isinstance(
        exc, ConnectionError | TimeoutError))


def require_readable_file(path: Path, what: str, expected: str) -> None:
    """``path`` must be a regular file docgen may read (not a folder, a pipe or a device): else exit 7,
    naming it as ``what`` and saying what was ``expected``."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileAccessError(f"{path}: {what} nicht gefunden.") from None
    except OSError as exc:
        raise FileAccessError(f"{path}: {what} nicht lesbar ({oserror_text(exc)}).") from exc
    if not stat.S_ISREG(mode):
        kind = "ein Ordner" if stat.S_ISDIR(mode) else "keine gewöhnliche Datei"
        raise FileAccessError(f"{path}: ist {kind}; erwartet wird {expected}.")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise FileAccessError(f"{path}: {what} nicht lesbar ({oserror_text(exc)}).") from exc
