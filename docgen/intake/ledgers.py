"""Which ledger a run uses: PostgreSQL when ``ledger_url`` is set, else SQLite in the state directory."""

from __future__ import annotations

from pathlib import Path

from docgen.intake.ledger import LEDGER_FILE, JobLedger, Ledger
from docgen.intake.ledger_pg import PostgresLedger, redacted
from docgen.settings import Settings


def open_ledger(settings: Settings) -> JobLedger:
    """The ledger the hot folder, batch and status share (see docs/verteilt.md for PostgreSQL)."""
    if settings.ledger_url:
        return PostgresLedger(settings.ledger_url, settings.ledger_timeout)
    return Ledger(sqlite_path(settings), settings.ledger_timeout)


def sqlite_path(settings: Settings) -> Path:
    return settings.state_dir / LEDGER_FILE


def describe(settings: Settings) -> str:
    """The ledger as ``docgen status`` and ``check`` name it (never with a password)."""
    if settings.ledger_url:
        return f"PostgreSQL ({redacted(settings.ledger_url)})"
    return str(sqlite_path(settings))
