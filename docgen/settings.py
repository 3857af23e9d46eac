"""One frozen settings object, read once and passed explicitly.

Precedence: command-line flag > ``DOCGEN_*`` environment variable > the
settings file > defaults. The settings file is the first of: ``--config FILE``
(or ``DOCGEN_CONFIG``), ``./docgen.toml``, ``/etc/docgen/docgen.toml``.
Everything is checked at load, so a wrong setting stops docgen at once with
exit 9 and a German message instead of failing jobs later: unknown keys, wrong
types, empty paths, numbers that are not finite or out of range, a Vorlagen-Nr.
pattern that is no regular expression, folders that would feed each other.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from docgen.errors import ConfigError, oserror_text
from docgen.resources import templates_dir

CONFIG_FILE_NAME = "docgen.toml"
SYSTEM_CONFIG = Path("/etc/docgen") / CONFIG_FILE_NAME
ENV_PREFIX = "DOCGEN_"


def default_state_dir() -> Path:
    """Ledger, LibreOffice profiles and the local seal key: per user, never in the shared folders."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "docgen"


@dataclass(frozen=True)
class Koerperschaft:
    """The issuing body, printed in every document's header."""

    # No built-in body: a document must never name a body nobody configured (set [koerperschaft]).
    name: str = ""
    verwaltungsspitze: str = ""
    anschrift: str = ""
    logo: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str | Mapping[str, str]) -> Koerperschaft:
        """``source``: where the values came from, one name or one per key (the file or ``DOCGEN_…``)."""
        def where(key: str) -> str:
            return source if isinstance(source, str) else source.get(key, "koerperschaft")

        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"{where(unknown[0])}: unbekannter Schlüssel in [koerperschaft]: {', '.join(unknown)}. "
                f"Erlaubt sind: {', '.join(sorted(known))}."
            )
        for key, value in data.items():
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{where(key)}: [koerperschaft] {key} = {shown(value)} ist ungültig (erwartet einen "
                                  "Text in Anführungszeichen).")
            if isinstance(value, str) and _not_utf8(value):
                raise ConfigError(f"{where(key)}: [koerperschaft] {key} enthält Bytes, die kein UTF-8 sind. Bitte den "
                                  "Wert als UTF-8 angeben.")
        return cls(**dict(data))


@dataclass(frozen=True)
class Settings:
    inbox: Path = Path("inbox")
    outbox: Path = Path("outbox")
    state_dir: Path = field(default_factory=lambda: default_state_dir())
    templates_dir: Path | None = None  # a municipality's own templates; falls back to the shipped ones
    soffice: str = "soffice"
    uno_python: str = "/usr/bin/python3"  # the interpreter that can import LibreOffice's uno module
    workers: int = 0  # 0 = one per CPU core
    converter: str = "pool"  # "pool": warm LibreOffice processes; "einzeln": a fresh soffice per document
    convert_timeout: float = 30.0
    render_timeout: float = 120.0  # filling one document's template; past it the input is refused (exit 4)
    start_timeout: float = 20.0
    max_jobs_per_worker: int = 500
    stable_seconds: float = 3.0  # a dropped file must keep size and mtime this long before it is taken
    poll: float = 0.0  # > 0: poll the inbox every N seconds (network shares); 0: native file events
    rescan_seconds: float = 30.0  # safety net: full rescan even when events work
    max_input_bytes: int = 5_000_000  # larger input files are refused before parsing
    max_anlagen: int = 50  # Anlagen per job
    max_pages: int = 2000  # pages per bundle
    ledger_timeout: float = 30.0  # how long to wait for a ledger locked by another process
    vorlage_nummer_pattern: str = r"^\S(.*\S)?$"
    seal_cert: Path | None = None
    seal_passphrase_file: Path | None = None
    seal_trust_roots: Path | None = None  # PEM/DER file or folder: roots `docgen verify` trusts besides our seal
    zeitzone: str = "Europe/Berlin"  # every time shown in documents and receipts
    anlagen_vermerk: bool = True  # "Anlage n zur Vorlage …" in the margin of every Anlage page
    # The hot folder refuses inputs with "freigabe" (bodies that seal only through the web app).
    eingang_ohne_freigabe: bool = False
    # docgen web (see docs/contracts.md, HTTP API)
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_socket: Path | None = None  # a unix socket instead of host and port
    web_auth: str = "lokal"  # "lokal": docgen's own users; "proxy": user and groups from the reverse proxy
    web_proxy_user_header: str = "X-Remote-User"
    web_proxy_groups_header: str = "X-Remote-Groups"
    web_proxy_from: str = "127.0.0.1"  # proxy mode: the only address requests may come from
    web_gruppe_sachbearbeitung: str = "docgen-sachbearbeitung"  # proxy mode: group → role
    web_gruppe_freigabe: str = "docgen-freigabe"
    web_gruppe_admin: str = "docgen-admin"
    max_upload_bytes: int = 20_000_000  # one request to docgen web
    # Past one machine (see docs/architecture.md): unset = one machine, SQLite ledger, no broker.
    broker_url: str | None = None  # e.g. redis://host:6379/0 or redis+socket:///run/redis/redis.sock
    ledger_url: str | None = None  # postgresql://…; unset = SQLite in the state directory
    lease_seconds: float = 60.0  # a job's lease in the ledger; renewed by a heartbeat
    max_attempts: int = 3  # then the input goes to failed/ with a report
    visibility_timeout: float = 3600.0  # Redis redelivers an unacknowledged task after this long
    koerperschaft: Koerperschaft = field(default_factory=Koerperschaft)
    config_file: Path | None = None  # the settings file that was read; set by load_settings, not a key

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

    def template_path(self, name: str) -> Path:
        """The template ``name``: the municipality's override if present, else the shipped one."""
        if self.templates_dir is not None:
            own = self.templates_dir / name
            if own.is_file():
                return own
        return templates_dir() / name


_PATH_KEYS = {"inbox", "outbox", "state_dir", "templates_dir", "seal_cert", "seal_passphrase_file",
              "seal_trust_roots", "web_socket"}
_FLOAT_KEYS = {"convert_timeout", "render_timeout", "start_timeout", "stable_seconds", "rescan_seconds",
               "ledger_timeout", "lease_seconds", "visibility_timeout"}
_NONNEGATIVE_FLOAT_KEYS = {"poll"}
_INT_KEYS = {"workers", "max_jobs_per_worker", "max_input_bytes", "max_anlagen", "max_pages", "web_port",
             "max_upload_bytes", "max_attempts"}
_BOOL_KEYS = {"eingang_ohne_freigabe", "anlagen_vermerk"}
_CHOICES = {"converter": ("pool", "einzeln"), "web_auth": ("lokal", "proxy")}
_NOT_KEYS = {"koerperschaft", "config_file"}  # tables and bookkeeping, not plain keys
MAX_SECONDS = 86_400.0  # a timeout or delay longer than a day is a typo
MAX_WORKERS = 256  # LibreOffice processes on one host; more is a typo (each takes ~200 MB and a profile folder)
MAX_INT = 2**62  # any count past this is a typo, and SQLite and the OS refuse it with an internal error
# Integer keys with a narrower range than 0 … MAX_INT.
_INT_RANGES = {"workers": (0, MAX_WORKERS), "web_port": (1, 65_535), "max_attempts": (1, 1000)}
_BOOL_WORDS = {"true": True, "1": True, "ja": True, "yes": True, "false": False, "0": False, "nein": False,
               "no": False}


def _not_utf8(value: str) -> bool:
    """An environment value with bytes that are not UTF-8 arrives with lone surrogates (surrogateescape)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown(value: Any) -> str:
    """A value as it is written in TOML (``true``, ``3``, ``'text'``, ``[1, 2]``), not as Python prints it
    (``True``): the messages quote what the user wrote."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # also inf and nan, as TOML writes them
    if isinstance(value, str | Path):
        text = str(value)
        if "'" not in text and text.isprintable():
            return f"'{text}'"  # a TOML literal string: backslashes (Windows paths) as written
        return json.dumps(text, ensure_ascii=_not_utf8(text))  # a TOML basic string, escapes as JSON's
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key} = {shown(item)}" for key, item in value.items()) + "}"
    return str(value)


def _bad(source: str, key: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(f"{source}: {key} = {shown(value)} ist ungültig (erwartet {expected}).")


# Python's messages for a regular expression that does not compile (English), in German; the text after
# the prefix is kept for those marked True (the offending piece, e.g. "\q").
_REGEX_MESSAGES = (
    ("bad escape (end of pattern)", "„\\“ am Ende des Ausdrucks", False),
    ("bad escape", "unbekannte Escape-Folge", True),
    ("incomplete escape", "unvollständige Escape-Folge", True),
    ("bad character range", "ungültiger Zeichenbereich", True),
    ("unterminated character set", "Zeichenklasse „[“ nicht mit „]“ geschlossen", False),
    ("missing ), unterminated subpattern", "Klammer „(“ nicht geschlossen", False),
    ("missing ), unterminated comment", "Kommentar „(?#“ nicht mit „)“ geschlossen", False),
    ("unbalanced parenthesis", "„)“ ohne öffnende Klammer", False),
    ("nothing to repeat", "Wiederholung (*, +, ?, {…}) ohne etwas davor", False),
    ("multiple repeat", "mehrere Wiederholungszeichen hintereinander", False),
    ("min repeat greater than max repeat", "Mindestzahl der Wiederholungen größer als die Höchstzahl", False),
    ("the repetition number is too large", "Wiederholungszahl zu groß", False),
    ("unknown extension", "unbekannte Erweiterung", True),
    ("missing group name", "Gruppenname fehlt", False),
    ("missing >, unterminated name", "„>“ fehlt nach dem Gruppennamen", False),
    ("bad character in group name", "ungültiges Zeichen im Gruppennamen", True),
    ("unknown group name", "unbekannter Gruppenname", True),
    ("redefinition of group name", "Gruppenname doppelt vergeben", False),
    ("invalid group reference", "Rückbezug auf eine Gruppe, die es nicht gibt:", True),
    ("cannot refer to an open group", "Rückbezug auf eine noch offene Gruppe", False),
    ("look-behind requires fixed-width pattern", "Rückschau (?<=…) braucht ein Muster fester Länge", False),
    ("conditional backref with more than two branches", "Bedingung mit mehr als zwei Zweigen", False),
    ("global flags not at the start of the expression", "Schalter (?…) für den ganzen Ausdruck nur an seinem "
                                                         "Anfang", False),
    ("missing -, : or )", "nach den Schaltern fehlt „-“, „:“ oder „)“", False),
    ("missing flag", "Schalter fehlt", False),
    ("unknown flag", "unbekannter Schalter", False),
    ("bad inline flags", "ungültige Schalter", False),
    ("octal escape value", "oktale Escape-Folge über \\377", False),
    ("missing :", "„:“ fehlt", False),
    ("missing )", "„)“ fehlt", False),
    ("unexpected end of pattern", "unerwartetes Ende des Ausdrucks", False),
)


def _regex_error(exc: Exception) -> str:
    """Why a regular expression does not compile, in German, with the position (first character = 1)."""
    if isinstance(exc, RecursionError):
        return "zu tief verschachtelte Klammern"
    if isinstance(exc, ValueError) and not isinstance(exc, re.error):
        return "Schalter, die nicht zusammen gehen"
    message = exc.msg if isinstance(exc, re.error) else str(exc)
    what = "ungültiger Ausdruck"
    for english, german, keep in _REGEX_MESSAGES:
        if message.startswith(english):
            rest = message[len(english):].strip()
            what = f"{german} {rest}" if keep and rest else german
            break
    position = exc.pos if isinstance(exc, re.error) else None
    return what if position is None else f"{what}, bei Zeichen {position + 1}"


def _coerce(key: str, value: Any, source: str, *, typed: bool) -> Any:
    """Check one value and give it its type. ``typed``: from TOML, where the type must already fit."""
    if key in _PATH_KEYS:
        if isinstance(value, Path) and not typed:  # a command-line option that click made a path
            value = str(value)
        if not isinstance(value, str):
            raise _bad(source, key, value, "einen Pfad als Text in Anführungszeichen")
        if not value.strip():
            raise ConfigError(f"{source}: {key} ist leer. Bitte einen Pfad angeben oder die Zeile entfernen.")
        if "\0" in value:
            raise ConfigError(f"{source}: {key} = {shown(value)} enthält ein Nullzeichen (\\u0000); ein Pfad darf "
                              "keines enthalten.")
        try:
            return Path(value).expanduser()
        except RuntimeError:  # "~name/…" for a user this system does not know, or no home directory
            raise ConfigError(f"{source}: {key} = {shown(value)}: das Benutzerverzeichnis „{value.split('/')[0]}“ ist "
                              "auf diesem Rechner unbekannt. Bitte einen vollständigen Pfad angeben.") from None
    if key in _FLOAT_KEYS or key in _NONNEGATIVE_FLOAT_KEYS:
        positive = key in _FLOAT_KEYS
        expected = "eine positive Zahl in Sekunden" if positive else "eine Zahl ≥ 0 in Sekunden"
        if isinstance(value, bool) or (typed and not isinstance(value, int | float)):
            raise _bad(source, key, value, expected)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _bad(source, key, value, expected) from None
        if not math.isfinite(number) or number > MAX_SECONDS or (number <= 0 if positive else number < 0):
            raise _bad(source, key, value, f"{expected}, höchstens {MAX_SECONDS:g}")
        return number
    if key in _BOOL_KEYS:
        if isinstance(value, bool):
            return value
        if not typed and isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            return _BOOL_WORDS[value.strip().lower()]
        raise _bad(source, key, value, "true oder false")
    if key in _INT_KEYS:
        low, high = _INT_RANGES.get(key, (0, MAX_INT))
        expected = f"eine ganze Zahl ≥ {low}"
        if isinstance(value, bool) or (typed and not isinstance(value, int)):
            raise _bad(source, key, value, expected)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise _bad(source, key, value, expected) from None
        within = f"eine ganze Zahl von {low} bis {high}"
        if number < low:
            raise _bad(source, key, value, within if key in _INT_RANGES else expected)
        if number > high:
            raise _bad(source, key, value, within)
        return number
    if not isinstance(value, str):
        raise _bad(source, key, value, "einen Text in Anführungszeichen")
    if _not_utf8(value):
        raise ConfigError(f"{source}: {key} enthält Bytes, die kein UTF-8 sind. Bitte den Wert als UTF-8 angeben.")
    if key in _CHOICES and value not in _CHOICES[key]:
        raise _bad(source, key, value, " oder ".join(f'"{c}"' for c in _CHOICES[key]))
    if key == "zeitzone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"{source}: zeitzone = {shown(value)} ist keine bekannte Zeitzone (z. B. "
                              "\"Europe/Berlin\").") from None
    if key == "vorlage_nummer_pattern":
        try:
            re.compile(value)
        except (re.error, OverflowError, RecursionError, ValueError) as exc:
            raise ConfigError(f"{source}: vorlage_nummer_pattern = {shown(value)} ist kein gültiger regulärer "
                              f"Ausdruck ({_regex_error(exc)}).") from None
    if not value.strip():
        raise ConfigError(f"{source}: {key} ist leer. Bitte einen Wert angeben oder die Zeile entfernen.")
    return value


# tomllib's messages (English) and their German words; the position "(at line 3, column 9)" is kept apart.
_TOML_MESSAGES = (
    ("Invalid value", "ungültiger Wert (Texte und Pfade gehören in Anführungszeichen)"),
    ("Invalid statement", "ungültige Zeile (erwartet schluessel = wert oder [tabelle])"),
    ("Expected '=' after a key in a key/value pair", "nach dem Schlüssel fehlt „=“"),
    ("Invalid initial character for a key part", "ungültiges Zeichen am Anfang eines Schlüssels"),
    ("Expected ']' at the end of a table declaration", "„]“ fehlt am Ende der Tabellenüberschrift"),
    ("Expected ']]' at the end of an array declaration", "„]]“ fehlt am Ende der Tabellenüberschrift"),
    ("Unterminated string", "Anführungszeichen nicht geschlossen"),
    ("Unclosed array", "Liste nicht mit „]“ geschlossen"),
    ("Unclosed inline table", "Tabelle nicht mit „}“ geschlossen"),
    ("Cannot overwrite a value", "der Schlüssel steht doppelt"),
    ("Cannot declare", "die Tabelle steht doppelt"),
    ("Cannot redefine namespace", "die Tabelle steht doppelt"),
    ("Cannot mutate immutable namespace", "die Tabelle steht doppelt"),
    ("Duplicate inline table key", "der Schlüssel steht doppelt"),
    ("Invalid date or datetime", "ungültiges Datum"),
    ("Invalid hex value", "ungültige Hexadezimalzahl"),
    ("Unescaped '\\' in a string", "„\\“ im Text (für Windows-Pfade '…' statt \"…\" verwenden oder \\\\ schreiben)"),
    ("Escaped character is not a Unicode scalar value", "ungültiges Zeichen im Text"),
    ("Illegal character", "unzulässiges Zeichen"),
    ("Found invalid character", "unzulässiges Zeichen"),
    ("Expected", "unerwartetes Zeichen"),
)


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """tomllib's message in German: "Zeile 3, Spalte 9: …"."""
    text = str(exc)
    where = ""
    position = re.search(r"\(at line (\d+), column (\d+)\)$", text)
    if position:
        where = f"Zeile {position.group(1)}, Spalte {position.group(2)}: "
    elif text.endswith("(at end of document)"):
        where = "am Dateiende: "
    what = next((german for english, german in _TOML_MESSAGES if text.startswith(english)), "Syntaxfehler")
    return where + what


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: Konfiguration nicht lesbar ({oserror_text(exc)}). Bitte Pfad und Leserechte "
                          "prüfen.") from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: die Datei ist UTF-16-kodiert; erwartet wird UTF-8. Bitte im Editor als „UTF-8“ "
                          "speichern.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: Zeile {line}: die Datei ist nicht UTF-8-kodiert (vermutlich Windows-1252). "
                          "Bitte im Editor als „UTF-8“ speichern.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: keine gültige TOML-Datei ({_toml_error(exc)}).") from exc


def _usable_config(path: Path, named: bool) -> bool:
    """Whether ``path`` is a settings file to read. ``named`` (by --config or DOCGEN_CONFIG): it must be one."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if named:
            raise ConfigError(f"{path}: Konfigurationsdatei nicht gefunden.") from None
        return False
    except OSError as exc:
        # Not named: ./docgen.toml in a working folder docgen may not enter (sudo -u docgen from /root)
        # is no settings file to read; the next candidate counts.
        if not named and (exc.errno == errno.ENOTDIR or (exc.errno == errno.EACCES and not path.is_absolute())):
            return False
        raise ConfigError(f"{path}: Konfigurationsdatei nicht lesbar ({oserror_text(exc)}). Bitte Pfad und "
                          "Leserechte prüfen.") from exc
    except ValueError:  # a NUL byte in the name
        raise ConfigError(f"{path!s}: ungültiger Dateiname für die Konfigurationsdatei.") from None
    if stat.S_ISREG(mode):
        return True
    if not named:
        return False
    what = "ein Ordner" if stat.S_ISDIR(mode) else "keine gewöhnliche Datei (z. B. ein Gerät oder eine Pipe)"
    raise ConfigError(f"{path}: Konfigurationsdatei ist {what}. Bitte den Pfad einer TOML-Datei angeben.")


def find_config_file(config_file: Path | None, environ: Mapping[str, str], system: Path = SYSTEM_CONFIG) -> Path | None:
    """The settings file to read: ``--config``, ``DOCGEN_CONFIG``, ``./docgen.toml``, the system-wide one."""
    if config_file is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(environ[ENV_PREFIX + "CONFIG"])
    if config_file is not None:
        _usable_config(config_file, named=True)
        return config_file
    for candidate in (Path(CONFIG_FILE_NAME), system):
        if _usable_config(candidate, named=False):
            return candidate
    return None


def _inside(child: Path, parent: Path) -> bool:
    return child.resolve() == parent.resolve() or child.resolve().is_relative_to(parent.resolve())


def _check_folders(settings: Settings) -> None:
    """Folders that would feed each other: results read again as inputs, state published."""
    pairs = (("outbox", settings.outbox, "inbox", settings.inbox),
             ("state_dir", settings.state_dir, "inbox", settings.inbox),
             ("state_dir", settings.state_dir, "outbox", settings.outbox),
             ("inbox", settings.inbox, "outbox", settings.outbox))
    for name, child, other, parent in pairs:
        if _inside(child, parent):
            raise ConfigError(f"{name} ({child}) liegt im Ordner {other} ({parent}) oder ist derselbe Ordner. "
                              f"Bitte getrennte Ordner wählen: sonst würden Ergebnisse erneut eingelesen oder "
                              "interne Dateien veröffentlicht.")


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    system_config: Path = SYSTEM_CONFIG,
) -> Settings:
    """Build the settings from defaults, the settings file, the environment and flags."""
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings)} - _NOT_KEYS
    values: dict[str, Any] = {}
    koerperschaft: dict[str, Any] = {}
    body_sources: dict[str, str] = {}  # where each [koerperschaft] value came from, for the messages

    config_file = find_config_file(config_file, environ, system_config)
    if config_file is not None:
        for key, value in _from_toml(config_file).items():
            if key == "koerperschaft" and isinstance(value, dict):
                koerperschaft.update(value)
                body_sources.update(dict.fromkeys(value, str(config_file)))
            elif key == "koerperschaft":
                raise ConfigError(f"{config_file}: koerperschaft = {shown(value)} ist ungültig (erwartet eine Tabelle: "
                                  "eine Zeile [koerperschaft], darunter name = \"…\" usw.).")
            elif key in known:
                values[key] = _coerce(key, value, str(config_file), typed=True)
            else:
                raise ConfigError(
                    f"{config_file}: unbekannter Schlüssel {key!r}. "
                    f"Erlaubt sind: {', '.join(sorted(known | {'koerperschaft'}))}."
                )

    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        key = name[len(ENV_PREFIX):].lower()
        if key.startswith("koerperschaft_"):
            koerperschaft[key[len("koerperschaft_"):]] = value
            body_sources[key[len("koerperschaft_"):]] = f"Umgebungsvariable {name}"
        elif key in known:
            values[key] = _coerce(key, value, f"Umgebungsvariable {name}", typed=False)
        elif key in {"seal_passphrase", "verbose"}:
            continue  # read where needed; never stored in the settings object
        else:
            raise ConfigError(f"Umgebungsvariable {name}: unbekannte Einstellung {key!r}.")

    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _coerce(key, value, f"--{key.replace('_', '-')}", typed=False)

    settings = Settings(**values, config_file=config_file)
    if koerperschaft:
        base = {f.name: getattr(settings.koerperschaft, f.name) for f in fields(Koerperschaft)}
        base.update(koerperschaft)
        settings = replace(settings, koerperschaft=Koerperschaft.from_mapping(base, body_sources))
    _check_folders(settings)
    return settings
