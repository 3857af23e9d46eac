"""``docgen web`` and ``docgen benutzer``: thin click commands over docgen.web."""

from __future__ import annotations

import contextlib
import socket
import sys
from pathlib import Path
from typing import Any

import click

from docgen.errors import ConfigError, DocgenError, ExitCode, Interrupted, missing_extra, oserror_text
from docgen.web import users


def _settings(ctx: click.Context, **overrides: Any) -> Any:
    return ctx.obj.settings(**overrides)


def _fail(exc: DocgenError) -> None:
    for line in exc.lines():
        click.echo(line, err=True)
    sys.exit(int(exc.exit_code))


@click.command()
@click.option("--host", help="Adresse (Standard: web_host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (Standard: web_port, 8000).")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Unix-Socket statt Adresse und Port (für den Reverse-Proxy).")
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None, socket_path: Path | None) -> None:
    """Startet die Web-Anwendung für die Sachbearbeitung und die JSON-API."""
    try:  # only this command needs the server and Starlette (the extra [web])
        import uvicorn

        from docgen import api  # the library, as the other commands load it: not for `docgen benutzer`
        from docgen.web.app import create_app
    except ImportError as exc:
        click.echo(missing_extra("web", exc, "web"), err=True)
        sys.exit(int(ExitCode.DEPENDENCY))
    try:
        settings = _settings(ctx, web_host=host, web_port=port, web_socket=socket_path)
        api.web_preflight(settings)
        listening = _bind(settings) if settings.web_socket is None else None
        app = create_app(settings)
    except DocgenError as exc:
        _fail(exc)
        return
    where = (f"Unix-Socket {settings.web_socket}" if settings.web_socket is not None
             else f"http://{settings.web_host}:{settings.web_port}/")

    class Server(uvicorn.Server):
        """uvicorn's server, saying "bereit" once the app has started and the socket takes requests."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if not self.should_exit:
                click.echo(f"docgen web: bereit unter {where}", err=True)

    click.echo("docgen web: LibreOffice wird gestartet …", err=True)
    config = uvicorn.Config(app, log_level="warning", proxy_headers=False,
                            uds=str(settings.web_socket) if settings.web_socket is not None else None)
    server = Server(config)
    # uvicorn stops on SIGTERM/SIGINT (systemctl stop, Ctrl-C), finishes open requests and the app's
    # LibreOffice, then hands the signal on to the handler it found: that is the normal end.
    try:
        with contextlib.suppress(KeyboardInterrupt, Interrupted):
            server.run(sockets=[listening] if listening is not None else None)
    finally:
        if settings.web_socket is not None:
            with contextlib.suppress(OSError):
                settings.web_socket.unlink()
    if not server.started:
        click.echo("docgen web: nicht gestartet (siehe die Meldung darüber).", err=True)
        sys.exit(int(ExitCode.DEPENDENCY))
    click.echo("docgen web beendet.", err=True)


def _bind(settings: Any) -> socket.socket:
    """The TCP socket docgen web listens on, bound before LibreOffice starts: a port in use is said at once."""
    host, port = settings.web_host, settings.web_port
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise ConfigError(f"docgen web: {host}:{port} ist nicht nutzbar ({oserror_text(exc)}). Läuft dort schon "
                          "ein anderer Dienst? Bitte web_port oder web_host ändern (oder --port).") from exc
    return listening


@click.group()
def benutzer() -> None:
    """Verwaltet die lokalen Benutzer der Web-Anwendung."""


@benutzer.command("anlegen")
@click.argument("name")
@click.option("--rolle", type=click.Choice(users.ROLLEN), required=True, help="Rolle des Benutzers.")
@click.pass_context
def anlegen(ctx: click.Context, name: str, rolle: str) -> None:
    """Legt einen Benutzer an (Passwort von der Standardeingabe)."""
    if sys.stdin.isatty():
        passwort = click.prompt("Passwort", hide_input=True, confirmation_prompt="Passwort wiederholen",
                                err=True)
    else:
        passwort = sys.stdin.readline().rstrip("\r\n")
    try:
        users.anlegen(_settings(ctx), name, rolle, passwort)
    except DocgenError as exc:
        _fail(exc)
    click.echo(f"Benutzer {name} ({rolle}) gespeichert.")


@benutzer.command("liste")
@click.pass_context
def liste(ctx: click.Context) -> None:
    """Listet die Benutzer mit ihrer Rolle."""
    try:
        found = users.liste(_settings(ctx))
    except DocgenError as exc:
        _fail(exc)
        return
    if not found:
        click.echo("Keine Benutzer angelegt.")
    for entry in found:
        click.echo(f"{entry.name}\t{entry.rolle}")


@benutzer.command("entfernen")
@click.argument("name")
@click.pass_context
def entfernen(ctx: click.Context, name: str) -> None:
    """Entfernt einen Benutzer."""
    try:
        users.entfernen(_settings(ctx), name)
    except DocgenError as exc:
        _fail(exc)
    click.echo(f"Benutzer {name} entfernt.")


__all__ = ["ExitCode", "benutzer", "web"]
