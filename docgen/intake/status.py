"""What ``docgen status`` reports: the inbox, the work area, the ledger, and which set-up was read.

The ledger keeps its times in UTC; the report shows them in the setting ``zeitzone`` (ISO 8601
with that zone's offset, in the text as in ``--json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from docgen.errors import ConfigError, oserror_text
from docgen.formatting import zeit_iso
from docgen.intake.hotfolder import WORK_DIR, candidates
from docgen.intake.ledger import JobRow, state_word
from docgen.intake.ledgers import describe, open_ledger, sqlite_path
from docgen.settings import Settings


@dataclass(frozen=True)
class StatusReport:
    config_file: Path | None  # the settings file that was read (None: defaults and environment only)
    state_dir: Path
    ledger: str  # the SQLite file or the PostgreSQL server, without password
    koerperschaft: str
    inbox: Path
    waiting: list[str] = field(default_factory=list)
    in_work: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    recent: list[JobRow] = field(default_factory=list)

    @staticmethod
    def zustand(state: str) -> str:
        """A ledger state as a reader sees it (``laeuft`` → ``läuft``); JSON keeps the stored names."""
        return state_word(state)

    def as_json(self) -> dict[str, Any]:
        return {"konfiguration": str(self.config_file) if self.config_file else None,
                "zustandsordner": str(self.state_dir), "auftragsbuch": self.ledger,
                "koerperschaft": self.koerperschaft, "eingang": str(self.inbox),
                "wartend": self.waiting, "in_arbeit": self.in_work, "anzahl": self.counts,
                "letzte": [asdict(r) for r in self.recent]}


def _shown(row: JobRow, zone: str) -> JobRow:
    """The row with its times in the time zone ``zone`` (the ledger keeps UTC)."""
    return replace(row, taken_at=zeit_iso(row.taken_at, zone) or row.taken_at,
                   finished_at=zeit_iso(row.finished_at, zone))


def _unreadable(folder: Path, setting: str, exc: OSError) -> ConfigError:
    return ConfigError(f"{folder}: Ordner nicht lesbar ({oserror_text(exc)}); eingestellt als {setting}. Bitte dem "
                       f"Benutzer, unter dem docgen läuft, Lese- und Schreibrechte geben oder {setting} ändern.")


def read_status(settings: Settings, limit: int) -> StatusReport:
    try:
        waiting = [p.name for p in candidates(settings.inbox)] if settings.inbox.is_dir() else []
        work = settings.inbox / WORK_DIR
        in_work = sorted(p.name for p in work.iterdir() if not p.name.startswith(".")) if work.is_dir() else []
    except OSError as exc:
        raise _unreadable(settings.inbox, "inbox", exc) from exc
    counts: dict[str, int] = {}
    recent: list[JobRow] = []
    try:
        present = bool(settings.ledger_url) or sqlite_path(settings).exists()  # status never creates a ledger
    except OSError as exc:
        raise _unreadable(settings.state_dir, "state_dir", exc) from exc
    if present:
        ledger = open_ledger(settings)
        try:
            counts, recent = ledger.counts(), ledger.recent(limit)
        finally:
            ledger.close()
    return StatusReport(settings.config_file, settings.state_dir, describe(settings), settings.koerperschaft.name,
                        settings.inbox, waiting, in_work, counts,
                        [_shown(row, settings.zeitzone) for row in recent])
