"""One frozen settings object, read once and passed explicitly.

Precedence: command-line flag > ``DOCGEN_*`` environment variable >
``docgen.toml`` > defaults. Unknown keys are errors, so a typo in the
configuration never goes unnoticed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from docgen.errors import ConfigError
from docgen.resources import templates_dir

CONFIG_FILE_NAME = "docgen.toml"
ENV_PREFIX = "DOCGEN_"


def default_state_dir() -> Path:
    """Ledger, LibreOffice profiles and the local seal key: per user, never in the shared folders."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "docgen"


@dataclass(frozen=True)
class Koerperschaft:
    """The issuing body, printed in every document's header."""

    name: str = "Kreis Musterland"
    verwaltungsspitze: str = "Der Landrat"
    anschrift: str = "Kreishaus, Musterstraße 1, 12345 Musterstadt"
    logo: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str) -> Koerperschaft:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"{source}: unbekannter Schlüssel in [koerperschaft]: {', '.join(unknown)}. "
                f"Erlaubt sind: {', '.join(sorted(known))}."
            )
        return cls(**{k: str(v) for k, v in data.items()})


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
    koerperschaft: Koerperschaft = field(default_factory=Koerperschaft)

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


_PATH_KEYS = {"inbox", "outbox", "state_dir", "templates_dir", "seal_cert", "seal_passphrase_file"}
_FLOAT_KEYS = {"convert_timeout", "start_timeout", "stable_seconds", "rescan_seconds", "ledger_timeout"}
_NONNEGATIVE_FLOAT_KEYS = {"poll"}
_INT_KEYS = {"workers", "max_jobs_per_worker", "max_input_bytes", "max_anlagen", "max_pages"}


def _coerce(key: str, value: Any, source: str) -> Any:
    try:
        if key in _PATH_KEYS:
            return Path(str(value)).expanduser() if value not in (None, "") else None
        if key in _FLOAT_KEYS:
            number = float(value)
            if number <= 0:
                raise ValueError
            return number
        if key in _NONNEGATIVE_FLOAT_KEYS:
            number = float(value)
            if number < 0:
                raise ValueError
            return number
        if key in _INT_KEYS:
            number = int(value)
            if number < 0:
                raise ValueError
            return number
    except (TypeError, ValueError):
        raise ConfigError(
            f"{source}: {key} = {value!r} ist ungültig (erwartet eine positive Zahl)."
        ) from None
    return str(value)


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: keine gültige TOML-Datei ({exc}).") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: Konfiguration nicht lesbar ({exc.strerror}).") from exc
    return data


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from defaults, ``docgen.toml``, the environment and flags."""
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    koerperschaft: dict[str, Any] = {}

    if config_file is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(environ[ENV_PREFIX + "CONFIG"])
    if config_file is None and Path(CONFIG_FILE_NAME).is_file():
        config_file = Path(CONFIG_FILE_NAME)
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: Konfigurationsdatei nicht gefunden.")
        data = _from_toml(config_file)
        for key, value in data.items():
            if key == "koerperschaft" and isinstance(value, dict):
                koerperschaft.update(value)
            elif key in known and key != "koerperschaft":
                values[key] = _coerce(key, value, str(config_file))
            else:
                raise ConfigError(
                    f"{config_file}: unbekannter Schlüssel {key!r}. "
                    f"Erlaubt sind: {', '.join(sorted(known))}."
                )

    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        key = name[len(ENV_PREFIX):].lower()
        if key.startswith("koerperschaft_"):
            koerperschaft[key[len("koerperschaft_"):]] = value
        elif key in known and key != "koerperschaft":
            values[key] = _coerce(key, value, f"Umgebungsvariable {name}")
        elif key in {"seal_passphrase", "verbose"}:
            continue  # read where needed; never stored in the settings object
        else:
            raise ConfigError(f"Umgebungsvariable {name}: unbekannte Einstellung {key!r}.")

    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _coerce(key, value, f"--{key.replace('_', '-')}")

    if values.get("converter", "pool") not in ("pool", "einzeln"):
        raise ConfigError(f"converter = {values['converter']!r} ist ungültig (erlaubt: \"pool\", \"einzeln\").")
    settings = Settings(**values)
    if koerperschaft:
        base = {f.name: getattr(settings.koerperschaft, f.name) for f in fields(Koerperschaft)}
        base.update(koerperschaft)
        settings = replace(settings, koerperschaft=Koerperschaft.from_mapping(base, "koerperschaft"))
    return settings
