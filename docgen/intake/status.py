"""What ``docgen status`` reports: the inbox, the work area, the ledger, and which set-up was read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docgen.intake.hotfolder import WORK_DIR, candidates
from docgen.intake.ledger import JobRow
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

    def as_json(self) -> dict[str, Any]:
        return {"konfiguration": str(self.config_file) if self.config_file else None,
                "zustandsordner": str(self.state_dir), "auftragsbuch": self.ledger,
                "koerperschaft": self.koerperschaft, "eingang": str(self.inbox),
                "wartend": self.waiting, "in_arbeit": self.in_work, "anzahl": self.counts,
                "letzte": [asdict(r) for r in self.recent]}


def read_status(settings: Settings, limit: int) -> StatusReport:
    waiting = [p.name for p in candidates(settings.inbox)] if settings.inbox.is_dir() else []
    work = settings.inbox / WORK_DIR
    in_work = sorted(p.name for p in work.iterdir() if not p.name.startswith(".")) if work.is_dir() else []
    counts: dict[str, int] = {}
    recent: list[JobRow] = []
    if settings.ledger_url or sqlite_path(settings).exists():  # status never creates a ledger file
        ledger = open_ledger(settings)
        try:
            counts, recent = ledger.counts(), ledger.recent(limit)
        finally:
            ledger.close()
    return StatusReport(settings.config_file, settings.state_dir, describe(settings), settings.koerperschaft.name,
                        settings.inbox, waiting, in_work, counts, recent)
