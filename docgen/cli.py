"""The ``docgen`` command: parse arguments, set up logging, call the API, map errors to exit codes.

No business logic lives here (see docgen.api). Every DocgenError becomes its
German message(s) on stderr and its exit code; anything else is a bug: exit 1,
with the traceback in the log (shown with --verbose).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from docgen import __version__, api, pipeline
from docgen.errors import DocgenError, ExitCode, Problem
from docgen.settings import Settings, load_settings

log = logging.getLogger("docgen")


class Context:
    def __init__(self, config: Path | None, verbose: bool, quiet: bool) -> None:
        self.config = config
        self.verbose = verbose
        self.quiet = quiet

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(self.config, overrides)


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("docgen").setLevel(level)
    # pyHanko logs every untrusted certificate with a traceback; docgen states trust in its own words.
    logging.getLogger("pyhanko").setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.DEBUG if verbose else logging.CRITICAL)


def _fail(exc: DocgenError) -> NoReturn:
    for line in exc.lines():
        click.echo(line, err=True)
    sys.exit(int(exc.exit_code))


@contextmanager
def _errors_at_edge(verbose: bool) -> Iterator[None]:
    """Translate errors once, here."""
    try:
        yield
    except DocgenError as exc:
        if verbose:
            log.debug("Fehlerdetails", exc_info=True)
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("Abgebrochen.", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except (SystemExit, click.exceptions.Exit, click.ClickException):
        raise
    except Exception:
        log.error("Interner Fehler (bitte mit dieser Ausgabe melden)", exc_info=verbose)
        click.echo(
            "Interner Fehler in docgen. Bitte mit --verbose wiederholen und die Ausgabe melden.",
            err=True,
        )
        sys.exit(int(ExitCode.INTERNAL))


def _warn(filename: str, warnings: list[Problem]) -> None:
    for warning in warnings:
        click.echo("Hinweis: " + warning.render(filename), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docgen")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
              help="Konfigurationsdatei (Standard: ./docgen.toml, oder DOCGEN_CONFIG).")
@click.option("-v", "--verbose", is_flag=True, help="Ausführliche Protokollierung mit Tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Nur Warnungen und Fehler ausgeben.")
@click.pass_context
def main(ctx: click.Context, config: Path | None, verbose: bool, quiet: bool) -> None:
    """docgen: aus JSON werden geprüfte Word- und PDF/A-Dokumente."""
    _setup_logging(verbose, quiet)
    ctx.obj = Context(config, verbose, quiet)


def _command(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Run a command body inside the error edge and exit with its code."""
    def wrapper(obj: Context, *args: Any, **kwargs: Any) -> None:
        with _errors_at_edge(obj.verbose):
            code = fn(obj, *args, **kwargs) or 0
        sys.exit(code)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
@_command
def validate(obj: Context, files: tuple[Path, ...]) -> int:
    """Prüft JSON-Dateien gegen Schema und Fachregeln (meldet alle Fehler auf einmal)."""
    settings = obj.settings()
    worst = 0
    for path in files:
        try:
            job = api.validate(path, settings)
        except DocgenError as exc:
            for line in exc.lines():
                click.echo(line, err=True)
            worst = worst or int(exc.exit_code)
            continue
        _warn(path.name, job.warnings)
        click.echo(f"{path.name}: gültig ({job.document.title}).")
    return worst


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Ausgabeordner (Standard: outbox aus den Einstellungen).")
@click.option("--docx-only", is_flag=True, help="Nur das Word-Dokument erzeugen, kein PDF.")
@click.option("--workers", type=click.IntRange(min=1), help="Anzahl LibreOffice-Prozesse.")
@click.pass_obj
@_command
def render(obj: Context, files: tuple[Path, ...], out_dir: Path | None, docx_only: bool,
           workers: int | None) -> int:
    """Erzeugt DOCX und PDF/A aus einer oder mehreren JSON-Dateien."""
    # The warm pool is no slower than a one-shot LibreOffice even for one file (start-up is the
    # same, and a bundle needs several conversions); no more workers than files. Several files
    # run in job processes, one per worker, so the Python work uses every core too.
    settings = obj.settings(workers=workers or min(len(files), os.cpu_count() or 1))
    target = out_dir or settings.outbox
    # Invalid inputs are reported before any LibreOffice is started for the valid ones.
    checked = {path: _try_validate(path, settings) for path in files}
    files = tuple(path for path, error in checked.items() if error is None)
    results: list[pipeline.JobResult | DocgenError]
    if not files:
        results = []
    elif docx_only:
        results = [_try(functools.partial(api.render_file, path, target, settings, docx_only=True))
                   for path in files]
    elif len(files) > 1 and settings.worker_count > 1:
        results = api.render_many(list(files), target, settings)
    else:
        with api.open_converter(settings, pooled=True) as converter:
            results = [_try(functools.partial(api.render_file, path, target, settings, converter))
                       for path in files]
    worst = 0
    outcome = dict(zip(files, results, strict=True))
    for path, error in checked.items():
        result = error if error is not None else outcome[path]
        if isinstance(result, DocgenError):
            for line in result.lines():
                click.echo(line, err=True)
            worst = worst or int(result.exit_code)
            continue
        _report(path, result)
    return worst


def _try_validate(path: Path, settings: Settings) -> DocgenError | None:
    try:
        api.validate(path, settings)
    except DocgenError as exc:
        return exc
    return None


def _try(action: Callable[[], pipeline.JobResult]) -> pipeline.JobResult | DocgenError:
    try:
        return action()
    except DocgenError as exc:
        return exc


def _report(path: Path, result: pipeline.JobResult) -> None:
    _warn(path.name, result.warnings)
    if result.pdf is None:
        click.echo(f"{path.name}: erzeugt {result.docx}")
        return
    state = "gesiegelt" if result.sealed else "ENTWURF, nicht gesiegelt"
    click.echo(f"{path.name}: Paket {result.pdf} ({result.pages} Seiten, {state}); "
               f"Beleg {result.receipt}; Einzeldokumente in {result.folder}/")


@main.command()
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
@_command
def verify(obj: Context, bundle: Path) -> int:
    """Prüft Siegel und Beleg eines Dokumentenpakets (0 = gültig, 8 = ungültig)."""
    from docgen.verify import trust_roots, verify_bundle

    verdict = verify_bundle(bundle, trust_roots(obj.settings()))
    click.echo(f"{bundle.name}: {'GÜLTIG' if verdict.ok else 'UNGÜLTIG'}")
    for line in verdict.lines:
        click.echo(f"  {line}")
    return 0 if verdict.ok else int(ExitCode.SEAL)


@main.command()
@click.argument("dokumentart")
@click.pass_obj
@_command
def example(obj: Context, dokumentart: str) -> int:
    """Gibt eine gültige Beispiel-Eingabe für DOKUMENTART aus."""
    click.echo(api.example(dokumentart), nl=False)
    return 0


@main.command()
@click.argument("dokumentart")
@click.pass_obj
@_command
def schema(obj: Context, dokumentart: str) -> int:
    """Gibt das JSON-Schema für DOKUMENTART aus."""
    click.echo(api.schema(dokumentart), nl=False)
    return 0


@main.command()
@click.pass_obj
@_command
def check(obj: Context) -> int:
    """Prüft LibreOffice, Schriften, Vorlagen und Ordner."""
    from docgen.check import run_checks

    settings = obj.settings()
    results = run_checks(settings)
    for result in results:
        mark = {"ok": "OK     ", "warnung": "WARNUNG", "fehlt": "FEHLT  "}[result.status]
        click.echo(f"[{mark}] {result.name}: {result.detail}")
        if result.hint and result.status != "ok":
            click.echo(f"          → {result.hint}")
    failed = [r for r in results if r.status == "fehlt"]
    return int(ExitCode.DEPENDENCY) if failed else 0


def _folders(settings: Settings) -> Any:
    from docgen.intake.hotfolder import prepare_folders

    return prepare_folders(settings.inbox, settings.outbox, settings.state_dir)


@main.command()
@click.option("--inbox", type=click.Path(path_type=Path, file_okay=False), help="Eingangsordner.")
@click.option("--outbox", type=click.Path(path_type=Path, file_okay=False), help="Ausgabeordner.")
@click.option("--poll", type=click.FloatRange(min=0), help="Ordner alle N Sekunden abfragen (Netzlaufwerke).")
@click.option("--workers", type=click.IntRange(min=1), help="Anzahl LibreOffice-Prozesse.")
@click.pass_obj
@_command
def watch(obj: Context, inbox: Path | None, outbox: Path | None, poll: float | None, workers: int | None) -> int:
    """Überwacht den Eingangsordner und verarbeitet jede abgelegte JSON-Datei (Dienst)."""
    from docgen.intake.daemon import Daemon

    settings = obj.settings(inbox=inbox, outbox=outbox, poll=poll, workers=workers)
    daemon = Daemon(settings, _folders(settings))
    daemon.install_signals()
    return daemon.run()


@main.command()
@click.option("--inbox", type=click.Path(path_type=Path, file_okay=False), help="Eingangsordner.")
@click.option("--outbox", type=click.Path(path_type=Path, file_okay=False), help="Ausgabeordner.")
@click.option("--due-before", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Nur fällige Dateien: nächste Beratung bzw. Frist am oder vor JJJJ-MM-TT.")
@click.option("--workers", type=click.IntRange(min=1), help="Anzahl LibreOffice-Prozesse.")
@click.option("--json", "as_json", is_flag=True, help="Zusammenfassung maschinenlesbar (JSON) ausgeben.")
@click.pass_obj
@_command
def batch(obj: Context, inbox: Path | None, outbox: Path | None, due_before: Any, workers: int | None,
          as_json: bool) -> int:
    """Verarbeitet einmal alles Wartende im Eingangsordner (für cron/systemd-Timer); Exit 10 bei Fehlern."""
    from docgen.intake.batch import count_due, run_batch
    from docgen.intake.report import print_summary, summary_json

    settings = obj.settings(inbox=inbox, outbox=outbox, workers=workers)
    folders = _folders(settings)
    day = due_before.date() if due_before is not None else None
    total = count_due(settings, folders, day)
    show_bar = sys.stderr.isatty() and not as_json and total > 0
    with click.progressbar(length=total, label="Dokumente", show_eta=True, show_pos=True, file=sys.stderr,
                           hidden=not show_bar) as bar:
        report = run_batch(settings, folders, day, progress=lambda _outcome: bar.update(1))
    if as_json:
        click.echo(summary_json(report))
    else:
        print_summary(report)
    return int(ExitCode.BATCH_PARTIAL) if report.failed else 0


@main.command()
@click.option("-n", "--last", "limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Wie viele der letzten Aufträge.")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar (JSON).")
@click.pass_obj
@_command
def status(obj: Context, limit: int, as_json: bool) -> int:
    """Zeigt wartende, laufende, fertige und fehlgeschlagene Aufträge aus dem Auftragsbuch."""
    from docgen.intake.report import print_status

    print_status(obj.settings(), limit, as_json)
    return 0


@main.command("lint-template")
@click.argument("templates", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dokumentart", help="Dokumentart, falls nicht am Dateinamen erkennbar.")
@click.pass_obj
@_command
def lint_template(obj: Context, templates: tuple[Path, ...], dokumentart: str | None) -> int:
    """Prüft Word-Vorlagen: unbekannte Variablen, von Word geteilte Platzhalter, offene {% %}-Blöcke.

    Ohne Angabe werden alle mitgelieferten Vorlagen geprüft. Exit 0 = sauber, 5 = Befunde.
    """
    from docgen.lint import lint, shipped_templates

    settings = obj.settings()
    findings_total = 0
    for template in templates or tuple(shipped_templates()):
        findings = lint(template, settings, dokumentart)
        findings_total += len(findings)
        for finding in findings:
            click.echo(finding.render(template.name))
        if not findings:
            click.echo(f"{template.name}: sauber.")
    return int(ExitCode.TEMPLATE) if findings_total else 0
