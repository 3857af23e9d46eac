"""``docgen worker [--concurrency N]``: a Celery worker on this host, over ``docgen.api``.

N job processes (default one per core), each with one warm LibreOffice. The worker
refuses to start (exit 9) without broker, shared ledger or configured seal, or with
its state directory on a network share. SIGTERM is Celery's warm shutdown: no new
jobs, running ones finish, exit 0.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import click

from docgen import api
from docgen.errors import DocgenError, ExitCode
from docgen.worker.app import build_app


def _config_of(ctx: click.Context) -> Path | None:
    """The ``--config`` given to ``docgen`` (the CLI's context object carries it)."""
    config = getattr(ctx.obj, "config", None)
    return config if isinstance(config, Path) else None


def celery_argv(concurrency: int, verbose: bool) -> list[str]:
    return ["worker", "--concurrency", str(concurrency), "--pool", "prefork", "--queues", api.QUEUE,
            # unique per worker process, so control messages (stop consuming) reach only this one
            "--hostname", f"docgen-{os.getpid()}@{socket.gethostname()}", "--without-mingle", "--without-gossip",
            "--loglevel", "DEBUG" if verbose else "INFO"]


@click.command()
@click.option("--concurrency", "-c", type=click.IntRange(min=1),
              help="Anzahl Auftragsprozesse (je einer mit eigenem LibreOffice); Vorgabe: einer je Kern.")
@click.pass_context
def worker(ctx: click.Context, concurrency: int | None) -> None:
    """Nimmt Aufträge vom Broker an und bearbeitet sie (mehrere Rechner, Celery)."""
    verbose = bool(getattr(ctx.obj, "verbose", False))
    try:
        overrides: dict[str, Any] = {"workers": concurrency}
        settings = api.load_settings(_config_of(ctx), overrides)
        api.worker_preflight(settings)
    except DocgenError as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        sys.exit(int(exc.exit_code))
    app = build_app(settings)
    try:
        app.worker_main(celery_argv(settings.worker_count, verbose))
    except SystemExit as exc:
        sys.exit(exc.code if isinstance(exc.code, int) else int(ExitCode.OK))
    sys.exit(int(ExitCode.OK))
