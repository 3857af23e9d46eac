"""Local users of docgen web: names, roles and argon2id password hashes in one 0600 file.

The file lives in the state directory (``web/benutzer.json``), never in the shared folders.
It is replaced atomically (temporary file, ``os.replace``), so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from docgen.errors import ConfigError, DocgenError, ExitCode, FileAccessError, oserror_text
from docgen.settings import Settings

ROLLEN = ("sachbearbeitung", "freigabe", "admin")
_NAME = re.compile(r"^[\w.@-]{1,64}$")
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORT = 10


class BenutzerFehler(DocgenError):
    """A wrong name, role or password when managing users (exit 2, like a usage error)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Benutzer:
    name: str
    rolle: str


def web_dir(settings: Settings) -> Path:
    """The web app's private folder in the state directory (created with mode 0700)."""
    path = settings.state_dir / "web"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _file(settings: Settings) -> Path:
    return web_dir(settings) / "benutzer.json"


def _read(settings: Settings) -> dict[str, dict[str, str]]:
    path = _file(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: Benutzerdatei nicht lesbar ({exc}).") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: Benutzerdatei ist beschädigt (erwartet ein JSON-Objekt).")
    return data


def _write(settings: Settings, data: dict[str, dict[str, str]]) -> None:
    path = _file(settings)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileAccessError(f"{path}: Benutzerdatei kann nicht geschrieben werden ({oserror_text(exc)}).") from exc


def anlegen(settings: Settings, name: str, rolle: str, passwort: str) -> Benutzer:
    """Create (or replace the password and role of) a local user."""
    if not _NAME.match(name):
        raise BenutzerFehler(f"{name!r}: ungültiger Benutzername (erlaubt: Buchstaben, Ziffern, . _ @ -, "
                             "höchstens 64 Zeichen).")
    if rolle not in ROLLEN:
        raise BenutzerFehler(f"{rolle!r}: unbekannte Rolle. Erlaubt sind: {', '.join(ROLLEN)}.")
    if len(passwort) < MIN_PASSWORT:
        raise BenutzerFehler(f"Das Passwort ist zu kurz (mindestens {MIN_PASSWORT} Zeichen).")
    data = _read(settings)
    data[name] = {"rolle": rolle, "hash": _HASHER.hash(passwort)}
    _write(settings, data)
    return Benutzer(name, rolle)


def liste(settings: Settings) -> list[Benutzer]:
    return [Benutzer(name, entry.get("rolle", "")) for name, entry in sorted(_read(settings).items())]


def entfernen(settings: Settings, name: str) -> None:
    data = _read(settings)
    if name not in data:
        raise BenutzerFehler(f"{name!r}: kein solcher Benutzer.")
    del data[name]
    _write(settings, data)


def finden(settings: Settings, name: str) -> Benutzer | None:
    entry = _read(settings).get(name)
    return Benutzer(name, entry.get("rolle", "")) if entry else None


def pruefen(settings: Settings, name: str, passwort: str) -> Benutzer | None:
    """The user when name and password match, else None (same answer for unknown names)."""
    entry = _read(settings).get(name)
    if entry is None:
        # spend the same time as for a known name, so names cannot be probed by timing
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_dummy(), passwort)
        return None
    try:
        _HASHER.verify(entry.get("hash", ""), passwort)
    except (VerificationError, VerifyMismatchError, InvalidHashError):
        return None
    return Benutzer(name, entry.get("rolle", ""))


@cache
def _dummy() -> str:
    return _HASHER.hash("kein-benutzer-" + secrets.token_hex(8))
