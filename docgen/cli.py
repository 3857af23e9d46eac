"""The ``docgen`` command: parse arguments, set up logging, call the API, format, map errors to exit codes.

No business logic lives here (see docgen.api): every command is one API call
whose result is printed here. The library is imported inside each command, not
at the top: ``docgen --help`` and ``docgen validate`` must not pay for loading
LibreOffice glue, pyHanko and the PDF tools they do not use (start-up time).
Every DocgenError becomes its German message(s) on stderr and its exit code;
anything else is a bug: exit 1, with the traceback in the log (--verbose).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import click

from docgen import __version__, cli_german
from docgen.errors import (
    DocgenError,
    ExitCode,
    FileAccessError,
    Interrupted,
    Problem,
    is_file_error,
    missing_extra,
    oserror_text,
)
from docgen.settings import MAX_WORKERS, Settings, load_settings

if TYPE_CHECKING:
    from docgen import api

log = logging.getLogger("docgen")
cli_german.install()  # before the decorators below: click evaluates some of its texts right there


class Context:
    def __init__(self, config: Path | None, verbose: bool, quiet: bool) -> None:
        self.config = config
        self.verbose = verbose
        self.quiet = quiet

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(self.config, overrides)


class _JournalFormatter(logging.Formatter):
    """Under systemd (JOURNAL_STREAM set) journald adds the time itself and reads a syslog priority
    from a ``<N>`` prefix, so ``journalctl -p warning`` finds docgen's warnings and failures."""

    PRIORITIES: ClassVar[dict[int, int]] = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4,
                                            logging.INFO: 6, logging.DEBUG: 7}

    def format(self, record: logging.LogRecord) -> str:
        priority = self.PRIORITIES.get(record.levelno, 6)
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines())


def log_formatter(environ: Mapping[str, str]) -> logging.Formatter:
    if environ.get("JOURNAL_STREAM"):
        return _JournalFormatter("%(name)s: %(message)s")
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(log_formatter(os.environ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("docgen").setLevel(level)
    # pyHanko logs every untrusted certificate with a traceback; docgen states trust in its own words.
    logging.getLogger("pyhanko").setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.DEBUG if verbose else logging.CRITICAL)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _install_signals() -> None:
    """SIGTERM (kill, timeout, systemd) and SIGHUP unwind like Ctrl-C, so LibreOffice and the job
    processes are stopped on the way out instead of being left running."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)


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
    except (KeyboardInterrupt, Interrupted):
        click.echo("Abgebrochen.", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except (SystemExit, click.exceptions.Exit, click.ClickException):
        raise
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(int(ExitCode.OK))
    except OSError as exc:  # a file or folder the user gave or set up: not a bug, exit 7 with its name
        if not is_file_error(exc):  # a refused connection, a timeout …: not about a file
            _internal_error(verbose)
        if verbose:
            log.debug("Fehlerdetails", exc_info=True)
        where = f"{os.fsdecode(exc.filename)}: " if exc.filename else ""
        click.echo(f"{where}Dateizugriff fehlgeschlagen ({oserror_text(exc)}). Bitte Pfad, Rechte und freien "
                   "Speicherplatz prüfen.", err=True)
        sys.exit(int(ExitCode.FILE_ACCESS))
    except Exception:
        _internal_error(verbose)


def _internal_error(verbose: bool) -> NoReturn:
    """Report the exception being handled as a bug (exit 1), with its traceback under --verbose."""
    log.error("Interner Fehler (bitte mit dieser Ausgabe melden)", exc_info=verbose)
    click.echo("Interner Fehler in docgen. Bitte mit --verbose wiederholen und die Ausgabe melden.", err=True)
    sys.exit(int(ExitCode.INTERNAL))


def _quiet_stdout() -> None:
    """The reader of our output went away (``docgen verify X | head -1``): drop the rest silently."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(devnull, sys.stdout.fileno())


_CLOSED = "Die Standardausgabe ist geschlossen"


@dataclass
class _StdoutState:
    """What became of standard output in this command: set by :func:`_out`, read by :func:`_flush_stdout`."""

    product: bool = False  # the command wrote its result there (a schema, a status, JSON)
    lost: str | None = None  # why notes could not be shown there
    told: bool = False  # the note about it was given

    def reset(self) -> None:
        self.product, self.lost, self.told = False, None, False


_stdout = _StdoutState()


def _out(message: str = "", nl: bool = True, *, product: bool = False) -> None:
    """A line on standard output. ``product``: the line is the command's result (``schema``, ``status``,
    ``--json``): a closed or full output is exit 7. Otherwise it only reports what the exit code already
    says (``validate``, ``render``, ``verify`` …): a note on stderr, and the exit code stands.
    A reader that went away (``| head -1``) stays a BrokenPipeError: the edge drops the rest silently.
    """
    if product:
        _stdout.product = True
    if sys.stdout is None:  # started with stdout closed (`docgen … >&-`)
        if product:
            raise FileAccessError(f"{_CLOSED}; das Ergebnis ginge verloren. Bitte die Ausgabe umleiten (z. B. "
                                  "> ergebnis.txt oder > /dev/null) statt sie zu schließen (>&-).")
        _stdout.lost = _stdout.lost or "geschlossen"
        return
    try:
        click.echo(message, nl=nl)
    except BrokenPipeError:
        raise
    except OSError as exc:
        _output_failed(exc)


def _output_failed(exc: OSError) -> None:
    _quiet_stdout()  # the rest goes nowhere; else Python's own flush at exit fails again (English, exit 120)
    if _stdout.product:
        raise FileAccessError(f"Die Standardausgabe lässt sich nicht schreiben ({oserror_text(exc)}); das "
                              "Ergebnis ist unvollständig. Bitte das Ziel der Umleitung prüfen (Speicherplatz, "
                              "Rechte).") from exc
    _stdout.lost = _stdout.lost or f"nicht schreibbar ({oserror_text(exc)})"


def _flush_stdout() -> None:
    """Flush standard output (where a full disk shows) and say once if notes were lost."""
    if sys.stdout is not None:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        except OSError as exc:
            _output_failed(exc)
    if _stdout.lost and not _stdout.told:
        _stdout.told = True
        click.echo(f"Hinweis: die Standardausgabe ist {_stdout.lost}; die Meldungen dieses Aufrufs "
                   "fehlen dort (der Exit-Code gilt).", err=True)


def _guard_standard_streams() -> None:
    """A closed descriptor 0, 1 or 2 (`docgen … >&-`) would be handed to the next file docgen or LibreOffice
    opens, and output meant for the terminal would land in a ledger or a PDF. /dev/null takes its place;
    ``sys.stdout`` stays None, so :func:`_out` still reports the closed output."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            devnull = os.open(os.devnull, os.O_RDWR)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)


class _Pfad(click.Path):
    """click's path type, refusing an empty path (click would take it for the current folder)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("der Pfad ist leer. Bitte einen Pfad angeben.", param, ctx)
        return super().convert(value, param, ctx)


class _Datum(click.ParamType[dt.date]):
    """A date as JJJJ-MM-TT (the form every date in docgen's inputs has)."""

    name = "JJJJ-MM-TT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        text = str(value)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):  # Python would also take 20260312 or 2026-W11-4
            with contextlib.suppress(ValueError):
                return dt.date.fromisoformat(text)
        self.fail(f"„{text}“ ist kein Datum in der Form JJJJ-MM-TT (z. B. 2026-03-12).", param, ctx)


def _warn(filename: str, warnings: Sequence[Problem]) -> None:
    for warning in warnings:
        click.echo("Hinweis: " + warning.render(filename), err=True)


class _Befehle(click.Group):
    """The command group; the web app's and the workers' commands are loaded only when called.

    They bring Starlette or Celery (the extras ``docgen[web]`` and ``docgen[verteilt]``); ``docgen
    --help`` and every other command start without them.
    """

    LAZY: ClassVar[dict[str, tuple[str, str, str, str]]] = {
        "web": ("docgen.web.commands", "web", "web", "Startet docgen web: Formulare im Browser und die HTTP-API."),
        "benutzer": ("docgen.web.commands", "benutzer", "web", "Verwaltet die Benutzer von docgen web."),
        "worker": ("docgen.worker.commands", "worker", "verteilt",
                   "Startet einen Celery-Worker auf diesem Rechner (Betrieb über mehrere Rechner)."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.LAZY:
            return super().get_command(ctx, cmd_name)
        module, name, extra, _ = self.LAZY[cmd_name]
        try:
            command = getattr(importlib.import_module(module), name)
        except ImportError as exc:
            click.echo(missing_extra(cmd_name, exc, extra), err=True)
            sys.exit(int(ExitCode.DEPENDENCY))
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.LAZY:
                rows.append((name, self.LAZY[name][3]))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Befehle"):
                formatter.write_dl(rows)


@click.group(cls=_Befehle, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docgen", message="%(prog)s %(version)s")
@click.option("--config", type=_Pfad(path_type=Path, readable=False),
              help="Konfigurationsdatei (sonst DOCGEN_CONFIG, ./docgen.toml, /etc/docgen/docgen.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Ausführliche Protokollierung mit Tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Nur Warnungen und Fehler ausgeben.")
@click.pass_context
def main(ctx: click.Context, config: Path | None, verbose: bool, quiet: bool) -> None:
    """docgen: aus JSON werden geprüfte, gesiegelte Word- und PDF/A-Dokumente."""
    _guard_standard_streams()
    _setup_logging(verbose, quiet)
    _install_signals()
    ctx.obj = Context(config, verbose, quiet)


def _command(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Run a command body inside the error edge and exit with its code."""
    def wrapper(obj: Context, *args: Any, **kwargs: Any) -> None:
        _stdout.reset()
        with _errors_at_edge(obj.verbose):
            code = fn(obj, *args, **kwargs) or 0
            _flush_stdout()
        sys.exit(code)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _first_code(current: int, error: DocgenError) -> int:
    for line in error.lines():
        click.echo(line, err=True)
    return current or int(error.exit_code)


@main.command()
@click.argument("files", nargs=-1, required=True, type=_Pfad(path_type=Path, readable=False))
@click.pass_obj
@_command
def validate(obj: Context, files: tuple[Path, ...]) -> int:
    """Prüft JSON-Dateien gegen Schema und Fachregeln (meldet alle Fehler auf einmal)."""
    from docgen import inputs  # not docgen.api: checking needs none of the services that make documents

    worst = 0
    for path, result in zip(files, inputs.validate_files(files, obj.settings()), strict=True):
        if isinstance(result, DocgenError):
            worst = _first_code(worst, result)
            continue
        _warn(path.name, result.warnings)
        _out(f"{path.name}: gültig ({result.document.title}).")
    return worst


@main.command()
@click.argument("files", nargs=-1, required=True, type=_Pfad(path_type=Path, readable=False))
@click.option("--out", "out_dir", type=_Pfad(path_type=Path, file_okay=False),
              help="Ausgabeordner (Standard: outbox aus den Einstellungen).")
@click.option("--docx-only", is_flag=True, help="Nur das Word-Dokument erzeugen, kein PDF.")
@click.option("--no-bundle", is_flag=True,
              help="Nur DOCX und PDF/A je Eingabe: kein Paket, kein Freigabevermerk, kein Siegel.")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), help="Anzahl LibreOffice-Prozesse.")
@click.pass_obj
@_command
def render(obj: Context, files: tuple[Path, ...], out_dir: Path | None, docx_only: bool, no_bundle: bool,
           workers: int | None) -> int:
    """Erzeugt DOCX und PDF/A aus einer oder mehreren JSON-Dateien."""
    from docgen import api

    if docx_only and no_bundle:
        raise click.UsageError("--docx-only und --no-bundle schließen sich aus.")
    settings = obj.settings(workers=workers or min(len(files), os.cpu_count() or 1))
    results = api.render_files(list(files), out_dir or settings.outbox, settings, docx_only=docx_only,
                               bundle=not no_bundle)
    worst = 0
    for path, result in zip(files, results, strict=True):
        if isinstance(result, DocgenError):
            worst = _first_code(worst, result)
        else:
            _report(path, result)
    return worst


def _report(path: Path, result: api.JobResult) -> None:
    _warn(path.name, result.warnings)
    if result.pdf is None:
        _out(f"{path.name}: erzeugt {result.docx}")
    elif result.receipt is None:
        _out(f"{path.name}: erzeugt {result.docx} und {result.pdf} ({result.pages} Seiten)")
    else:
        state = "gesiegelt" if result.sealed else "ENTWURF, nicht gesiegelt"
        _out(f"{path.name}: Paket {result.pdf} ({result.pages} Seiten, {state}); "
                   f"Beleg {result.receipt}; Einzeldokumente in {result.folder}/")
        for extra in result.more_bundles:
            _out(f"{path.name}: {extra}")


@main.command()
@click.argument("bundle", type=_Pfad(path_type=Path, readable=False))
@click.pass_obj
@_command
def verify(obj: Context, bundle: Path) -> int:
    """Prüft Siegel und Beleg eines Dokumentenpakets (0 = gültig, 8 = ungültig)."""
    from docgen import api

    verdict = api.verify(bundle, obj.settings())
    code = 0 if verdict.ok else int(ExitCode.SEAL)
    try:  # `docgen verify X | head -1`: the verdict's code stands even when the reader stops early
        _out(f"{bundle.name}: {'GÜLTIG' if verdict.ok else 'UNGÜLTIG'}")
        for line in verdict.lines:
            _out(f"  {line}")
        _flush_stdout()
    except BrokenPipeError:
        _quiet_stdout()
    return code


@main.command()
@click.argument("dokumentart")
@click.pass_obj
@_command
def example(obj: Context, dokumentart: str) -> int:
    """Gibt eine gültige Beispiel-Eingabe (Entwurf) für DOKUMENTART aus."""
    from docgen import inputs

    _out(inputs.example(dokumentart), nl=False, product=True)
    return 0


@main.command()
@click.argument("dokumentart")
@click.pass_obj
@_command
def schema(obj: Context, dokumentart: str) -> int:
    """Gibt das JSON-Schema für DOKUMENTART aus."""
    from docgen import inputs

    _out(inputs.schema(dokumentart), nl=False, product=True)
    return 0


@main.command()
@click.pass_obj
@_command
def check(obj: Context) -> int:
    """Prüft Einstellungen, LibreOffice, Schriften, Vorlagen, Siegel und Ordner."""
    from docgen import api

    results = api.check(obj.settings())
    for result in results:
        mark = {"ok": "OK     ", "warnung": "WARNUNG", "fehlt": "FEHLT  "}[result.status]
        _out(f"[{mark}] {result.name}: {result.detail}")
        if result.hint and result.status != "ok":
            _out(f"          → {result.hint}")
    failed = [r for r in results if r.status == "fehlt"]
    return int(ExitCode.DEPENDENCY) if failed else 0


@main.command()
@click.option("--inbox", type=_Pfad(path_type=Path, file_okay=False), help="Eingangsordner.")
@click.option("--outbox", type=_Pfad(path_type=Path, file_okay=False), help="Ausgabeordner.")
@click.option("--poll", type=click.FloatRange(min=0), help="Ordner alle N Sekunden abfragen (Netzlaufwerke).")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), help="Anzahl LibreOffice-Prozesse.")
@click.pass_obj
@_command
def watch(obj: Context, inbox: Path | None, outbox: Path | None, poll: float | None, workers: int | None) -> int:
    """Überwacht den Eingangsordner und verarbeitet jede abgelegte JSON-Datei (Dienst)."""
    from docgen import api

    return api.watch(obj.settings(inbox=inbox, outbox=outbox, poll=poll, workers=workers))


@main.command()
@click.option("--inbox", type=_Pfad(path_type=Path, file_okay=False), help="Eingangsordner.")
@click.option("--outbox", type=_Pfad(path_type=Path, file_okay=False), help="Ausgabeordner.")
@click.option("--due-before", type=_Datum(),
              help="Nur fällige Dateien: nächste Beratung bzw. Frist am oder vor JJJJ-MM-TT.")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), help="Anzahl LibreOffice-Prozesse.")
@click.option("--json", "as_json", is_flag=True, help="Zusammenfassung maschinenlesbar (JSON) ausgeben.")
@click.pass_obj
@_command
def batch(obj: Context, inbox: Path | None, outbox: Path | None, due_before: dt.date | None,
          workers: int | None, as_json: bool) -> int:
    """Verarbeitet einmal alles Wartende im Eingangsordner (für cron/systemd-Timer); Exit 10 bei Fehlern."""
    from docgen import api

    settings = obj.settings(inbox=inbox, outbox=outbox, workers=workers)
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def start(total: int) -> None:
            if sys.stderr.isatty() and not as_json and total > 0:
                bars.append(stack.enter_context(click.progressbar(
                    length=total, label="Dokumente", show_eta=True, show_pos=True, file=sys.stderr)))

        def done(_outcome: api.Outcome) -> None:
            for bar in bars:
                bar.update(1)

        report = api.batch(settings, due_before,
                           on_start=start, on_done=done)
    if as_json:
        _out(json.dumps(_summary_json(report), ensure_ascii=False, indent=2), product=True)
    else:
        _print_summary(report)
    return int(ExitCode.BATCH_PARTIAL) if report.failed else 0


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...], product: bool = True) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    _out("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), product=product)
    _out("  ".join("-" * w for w in widths), product=product)
    for row in rows:
        _out("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)), product=product)


def _print_summary(report: api.BatchReport) -> None:
    rows = [(o.name, o.dokumentart, "ok" if o.ok else f"FEHLER (Exit {o.exit_code})", f"{o.seconds:.1f}")
            for o in sorted(report.outcomes, key=lambda o: o.name)]
    if rows:
        _table(rows, ("Datei", "Dokumentart", "Ergebnis", "Sekunden"), product=False)
    for outcome in report.failed:
        first = outcome.message.splitlines()[0] if outcome.message else ""
        _out(f"  {outcome.name}: {first}")
    for name, why in report.not_due:
        _out(f"bleibt im Eingang: {name} – {why}")
    ok = len(report.outcomes) - len(report.failed)
    _out(f"{ok} erfolgreich, {len(report.failed)} fehlgeschlagen, {len(report.not_due)} im Eingang "
               f"belassen; {report.seconds:.1f} s")


def _summary_json(report: api.BatchReport) -> dict[str, Any]:
    return {
        "erfolgreich": len(report.outcomes) - len(report.failed),
        "fehlgeschlagen": len(report.failed),
        "sekunden": round(report.seconds, 2),
        "auftraege": [{"auftrag": o.job_id, "datei": o.name, "dokumentart": o.dokumentart, "ok": o.ok,
                       "exit_code": o.exit_code, "meldung": o.message, "sekunden": round(o.seconds, 2),
                       "paket": o.bundle} for o in report.outcomes],
        "im_eingang": [{"datei": n, "grund": why} for n, why in report.not_due],
    }


@main.command()
@click.option("-n", "--last", "limit", type=click.IntRange(1, 100_000), default=20, show_default=True,
              help="Wie viele der letzten Aufträge.")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar (JSON).")
@click.pass_obj
@_command
def status(obj: Context, limit: int, as_json: bool) -> int:
    """Zeigt wartende, laufende, fertige und fehlgeschlagene Aufträge aus dem Auftragsbuch."""
    from docgen import api

    report = api.status(obj.settings(), limit)
    if as_json:
        _out(json.dumps(report.as_json(), ensure_ascii=False, indent=2), product=True)
        return 0
    _out(f"Konfiguration: {report.config_file or 'keine Datei (Standardwerte und Umgebung)'}", product=True)
    _out(f"Körperschaft: {report.koerperschaft or '(nicht eingestellt)'}", product=True)
    _out(f"Zustandsordner: {report.state_dir}; Auftragsbuch: {report.ledger}", product=True)
    shown = f" ({', '.join(report.waiting[:10])})" if report.waiting else ""
    _out(f"Wartend im Eingang {report.inbox}: {len(report.waiting)}{shown}", product=True)
    _out(f"In Arbeit: {len(report.in_work)}", product=True)
    if report.counts:
        _out("Auftragsbuch: " + ", ".join(f"{report.zustand(k)} {v}" for k, v in sorted(report.counts.items())),
             product=True)
    else:
        _out("Auftragsbuch: noch keine Aufträge", product=True)
    if report.recent:
        _table([(r.taken_at, r.id, r.input_name, report.zustand(r.state)) for r in report.recent],
               ("genommen", "Auftrag", "Datei", "Zustand"))
        for row in report.recent:
            if row.state == "fehlgeschlagen" and row.error_message:
                _out(f"  {row.input_name} (Exit {row.error_code}): {row.error_message.splitlines()[0]}", product=True)
    return 0


@main.command("lint-template")
@click.argument("templates", nargs=-1, type=_Pfad(path_type=Path, readable=False))
@click.option("--dokumentart", help="Dokumentart, falls nicht am Dateinamen oder an der Vorlage erkennbar.")
@click.pass_obj
@_command
def lint_template(obj: Context, templates: tuple[Path, ...], dokumentart: str | None) -> int:
    """Prüft Word-Vorlagen: unbekannte Variablen, von Word geteilte Platzhalter, offene {% %}-Blöcke.

    Ohne Angabe werden alle mitgelieferten Vorlagen geprüft. Exit 0 = sauber, 5 = Befunde,
    2 = Dokumentart weder angegeben noch erkennbar.
    """
    from docgen import api

    settings = obj.settings()
    worst = 0
    for template in templates or tuple(api.shipped_templates()):
        try:  # one broken template does not keep the others from being checked
            [(_, findings)] = api.lint_templates([template], settings, dokumentart)
        except DocgenError as exc:
            worst = _first_code(worst, exc)
            continue
        for finding in findings:
            _out(finding.render(template.name))
        if findings:
            worst = worst or int(ExitCode.TEMPLATE)
        else:
            _out(f"{template.name}: sauber.")
    return worst


# --- Vorlagen-Hilfe und OParl (docs/vorlagen-anpassen.md) ---

@main.command()
@click.argument("dokumentart")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar (JSON).")
@click.pass_obj
@_command
def variablen(obj: Context, dokumentart: str, as_json: bool) -> int:
    """Zeigt alle Variablen, berechneten Werte, Filter und Formatvorlagen einer Vorlage (aus dem Programm)."""
    from docgen import api

    result = api.variablen(dokumentart, obj.settings())
    if as_json:
        _out(json.dumps(result.as_json(), ensure_ascii=False, indent=2), product=True)
        return 0
    _out(f"Vorlage {result.vorlage} ({result.titel}): Variablen", product=True)
    _out("Herkunft: Eingabe = aus der JSON-Datei; berechnet = von docgen ergänzt. "
               "Rich Text mit {{p name }} einfügen, [] = ein Eintrag einer Liste ({% for … %}).", product=True)
    _out("", product=True)
    _table([(v.pfad, v.herkunft, v.art, _variable_note(v)) for v in result.variablen],
           ("Variable", "Herkunft", "Art", "Beschreibung / Beispiel"))
    _out("", product=True)
    _out("Berechnete Werte (nicht in der Eingabe, von docgen ergänzt):", product=True)
    for variable in result.berechnet:
        _out(f"  {variable.pfad}", product=True)
    if result.nur_eingabe:
        _out("", product=True)
        _out("Eingabefelder, die die Vorlage nicht unter diesem Namen erhält (nur umgerechnet oben):", product=True)
        for path in result.nur_eingabe:
            _out(f"  {path}", product=True)
    _out("", product=True)
    _out("Filter:", product=True)
    _table([(f.name, f.beschreibung, "; ".join(f"{a} → {e} (wert = {w})" for a, w, e in f.beispiele))
            for f in result.filter], ("Filter", "Wirkung", "Beispiel"))
    _out("", product=True)
    _out("Pflicht-Formatvorlagen (für Überschriften, Aufzählungen und Tabellen im Rich Text):", product=True)
    for style in result.formatvorlagen:
        _out(f"  {style}", product=True)
    return 0


def _variable_note(variable: api.Variable) -> str:
    example = f"z. B. {variable.beispiel}" if variable.beispiel else ""
    if variable.beschreibung and example:
        return f"{variable.beschreibung} ({example})"
    return variable.beschreibung or example


@main.command()
@click.argument("file", type=_Pfad(path_type=Path, readable=False))
@click.option("--paket", type=_Pfad(path_type=Path, readable=False),
              help="Das erzeugte Paket (PDF): Größe und Prüfsumme werden gegen seinen Beleg geprüft und übernommen.")
@click.option("--basis-url", help="Adresse, unter der die OParl-Objekte stehen "
              "(Standard: https://ris.example.invalid/oparl/v1).")
@click.pass_obj
@_command
def oparl(obj: Context, file: Path, paket: Path | None, basis_url: str | None) -> int:
    """Gibt eine Beschlussvorlage als OParl-1.1-Objekte (Paper, Consultation, File, Organization) als JSON aus."""
    from docgen import api

    result = api.oparl(file, obj.settings(), basis_url=basis_url or api.DEFAULT_BASIS_URL, paket=paket)
    _warn(file.name, result.warnings)
    _out(result.text(), nl=False, product=True)
    return 0


# Placeholders in the usage lines in German too ("Aufruf: docgen render [OPTIONEN] DATEIEN...").
_ARGUMENT_NAMES = {"files": "DATEIEN...", "bundle": "PAKET.pdf", "dokumentart": "DOKUMENTART",
                   "templates": "[VORLAGE.docx]...", "file": "DATEI"}
main.options_metavar = "[OPTIONEN]"
main.subcommand_metavar = "BEFEHL [ARGUMENTE]..."
for _command in main.commands.values():
    _command.options_metavar = "[OPTIONEN]"
    for _param in _command.params:
        if isinstance(_param, click.Argument) and _param.name in _ARGUMENT_NAMES:
            _param.metavar = _ARGUMENT_NAMES[_param.name]
