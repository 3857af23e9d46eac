"""What ``batch`` and ``status`` print: a summary table, JSON, and the ledger's view."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from docgen.intake.batch import BatchReport
from docgen.intake.hotfolder import WORK_DIR, candidates
from docgen.intake.ledger import Ledger
from docgen.intake.procpool import LEDGER_FILE
from docgen.settings import Settings


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    click.echo(line)
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def print_summary(report: BatchReport) -> None:
    rows = [(o.name, o.dokumentart, "ok" if o.ok else f"FEHLER (Exit {o.exit_code})", f"{o.seconds:.1f}")
            for o in sorted(report.outcomes, key=lambda o: o.name)]
    if rows:
        _table(rows, ("Datei", "Dokumentart", "Ergebnis", "Sekunden"))
    for outcome in report.failed:
        first = outcome.message.splitlines()[0] if outcome.message else ""
        click.echo(f"  {outcome.name}: {first}")
    for name, why in report.not_due:
        click.echo(f"bleibt im Eingang: {name} – {why}")
    ok = len(report.outcomes) - len(report.failed)
    click.echo(f"{ok} erfolgreich, {len(report.failed)} fehlgeschlagen, {len(report.not_due)} im Eingang "
               f"belassen; {report.seconds:.1f} s")


def summary_json(report: BatchReport) -> str:
    data: dict[str, Any] = {
        "erfolgreich": len(report.outcomes) - len(report.failed),
        "fehlgeschlagen": len(report.failed),
        "sekunden": round(report.seconds, 2),
        "auftraege": [{"auftrag": o.job_id, "datei": o.name, "dokumentart": o.dokumentart, "ok": o.ok,
                       "exit_code": o.exit_code, "meldung": o.message, "sekunden": round(o.seconds, 2),
                       "paket": o.bundle} for o in report.outcomes],
        "im_eingang": [{"datei": n, "grund": why} for n, why in report.not_due],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def print_status(settings: Settings, limit: int, as_json: bool) -> None:
    waiting = [p.name for p in candidates(settings.inbox)] if settings.inbox.is_dir() else []
    work = settings.inbox / WORK_DIR
    in_work = sorted(p.name for p in work.iterdir()) if work.is_dir() else []
    path = settings.state_dir / LEDGER_FILE
    if not path.exists():
        counts: dict[str, int] = {}
        recent = []
    else:
        ledger = Ledger(path)
        counts, recent = ledger.counts(), ledger.recent(limit)
        ledger.close()
    if as_json:
        click.echo(json.dumps({"wartend": waiting, "in_arbeit": in_work, "anzahl": counts,
                               "letzte": [r.__dict__ for r in recent]}, ensure_ascii=False, indent=2))
        return
    click.echo(f"Wartend im Eingang: {len(waiting)}" + (f" ({', '.join(waiting[:10])})" if waiting else ""))
    click.echo(f"In Arbeit: {len(in_work)}")
    click.echo("Auftragsbuch: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) if counts else
               "Auftragsbuch: noch keine Aufträge")
    if recent:
        _table([(r.taken_at, r.id, r.input_name, r.state) for r in recent], ("genommen", "Auftrag", "Datei",
                                                                            "Zustand"))
        for row in recent:
            if row.state == "fehlgeschlagen" and row.error_message:
                click.echo(f"  {row.input_name} (Exit {row.error_code}): {row.error_message.splitlines()[0]}")
