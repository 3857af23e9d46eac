# mypy: ignore-errors
"""One warm LibreOffice, driven over UNO: the worker process of the pool.

Runs under the *system* Python (``/usr/bin/python3``), the only interpreter
that can import Debian's ``uno`` module, so this file imports nothing from
docgen and uses only the standard library and ``uno``.

The worker starts its own ``soffice`` with a private profile and a private
named pipe, connects to it with retries, reports ``{"ready": true, ...}`` on
stdout and then serves JSON-line requests from stdin, one at a time::

    → {"id": 1, "docx": "/abs/in.docx", "pdf": "/abs/out.pdf"}
    ← {"id": 1, "ok": true}
    ← {"id": 1, "ok": false, "error": "...", "fatal": false}

``fatal`` means LibreOffice itself is gone; the worker exits right after it.
On end of input (the pool closed the pipe, or the pool process died) the
worker terminates LibreOffice and exits. The pool starts the worker with
``start_new_session=True``, so the worker, the ``soffice`` wrapper and
``soffice.bin`` share one process group that the pool can kill as a whole.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

try:
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException
except ImportError:  # reported to the pool, which names the Debian package to install
    uno = None

# Same values as docgen.stages.convert.PDF_EXPORT_OPTIONS; the pool passes its
# own copy with --filter-data, these defaults serve direct use (the benchmark).
DEFAULT_FILTER_DATA = {
    "SelectPdfVersion": 2,  # PDF/A-2b
    "UseTaggedPDF": True,
    "ExportBookmarks": True,
    "ExportFormFields": False,
}

# LibreOffice's import filter for Word 2007–365 documents (.docx).
DOCX_FILTER = "MS Word 2007 XML"

# After end of input LibreOffice gets this long to quit before the worker
# kills its own process group (nobody else would if the pool process is gone).
QUIT_GRACE = 5


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="uno_worker")
    parser.add_argument("--soffice", default="soffice")
    parser.add_argument("--profile", required=True, help="private profile directory")
    parser.add_argument("--start-timeout", type=float, default=20.0)
    parser.add_argument("--filter-data", default=None, help="JSON object of PDF filter options")
    return parser.parse_args(argv)


# Settings written into the private profile before LibreOffice starts: (node, property) → value.
# Word completion collects every word of every loaded document into a list for typing suggestions,
# while LibreOffice is idle between the worker's calls — nobody types here (4–8 % of a Vorlage's
# conversion CPU, ``bench/lo_window.py``).
PROFILE_SETTINGS = {
    ("/org.openoffice.Office.Writer/AutoFunction/Completion", "CollectWords"): "false",
}
_XCU = "registrymodifications.xcu"
_XCU_EMPTY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n</oor:items>\n'
)


def prepare_profile(profile: Path, settings: dict = PROFILE_SETTINGS) -> None:
    """Put ``settings`` into the profile's ``registrymodifications.xcu``, replacing older values.

    LibreOffice reads the file at start and writes it back, with these items, when it quits.
    """
    xcu = profile / "user" / _XCU
    xcu.parent.mkdir(parents=True, exist_ok=True)
    text = xcu.read_text(encoding="utf-8") if xcu.is_file() else _XCU_EMPTY
    items = []
    for (node, name), value in settings.items():
        text = re.sub(rf'<item oor:path="{re.escape(node)}"><prop oor:name="{re.escape(name)}"[^>]*>.*?</item>\n?',
                      "", text, flags=re.S)
        items.append(f'<item oor:path="{node}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value>'
                     "</prop></item>\n")
    end = text.rfind("</oor:items>")
    if end < 0:  # not LibreOffice's file any more: start it again
        text, end = _XCU_EMPTY, _XCU_EMPTY.rfind("</oor:items>")
    tmp = xcu.with_name(f".{_XCU}.{os.getpid()}")
    tmp.write_text(text[:end] + "".join(items) + text[end:], encoding="utf-8")
    os.replace(tmp, xcu)


def start_office(soffice: str, profile: Path, pipe: str) -> subprocess.Popen:
    """Start ``soffice`` on ``profile`` (see :func:`prepare_profile`), listening on the named pipe ``pipe``."""
    argv = [
        soffice,
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--invisible",
        "--nocrashreport",
        "--nodefault",
        "--nologo",
        "--nofirststartwizard",
        "--norestore",
        "--nolockcheck",
        f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
    ]
    # stdout stays free for our protocol; LibreOffice's chatter goes to stderr,
    # which the pool logs at debug level.
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno())


def connect(pipe: str, office: subprocess.Popen, timeout: float):
    """Connect to the starting LibreOffice, retrying until ``timeout``; return the Desktop."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if office.poll() is not None:
                raise RuntimeError(f"soffice beendet mit Code {office.returncode}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"keine Verbindung nach {timeout:g} s") from None
            time.sleep(0.1)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


def prop(name: str, value: object):
    return PropertyValue(Name=name, Value=value)


def update_indexes(document) -> None:
    """Fill tables of contents: a DOCX carries only the text Word last computed (or a placeholder)."""
    try:
        indexes = document.getDocumentIndexes()
    except Exception:  # not a text document
        return
    for i in range(indexes.getCount()):
        indexes.getByIndex(i).update()
    if indexes.getCount():
        # Page numbers in the index are right only after a second pass over the updated layout.
        for i in range(indexes.getCount()):
            indexes.getByIndex(i).update()


class Window:
    """The one hidden window every document is loaded into, one after the other.

    Loading each document into a new window ("_blank") makes LibreOffice build and tear down a frame
    with Writer's whole (invisible) user interface around it every time. The worker builds the window
    once, loads each document into it ("_self") and takes the document out again before closing it:
    about 2 % less LibreOffice CPU per document (``bench/lo_window.py``). The document itself is always
    closed: one only replaced by the next stays in memory (1.5 MiB per conversion, ``bench/memory.py``).
    After any error the window is given up, and the next document gets a new one.
    """

    def __init__(self) -> None:
        self.frame = None

    def load(self, desktop, url: str, props: tuple):
        if self.frame is None:
            document = desktop.loadComponentFromURL(url, "_blank", 0, props)
            if document is not None:
                self.frame = document.getCurrentController().getFrame()
            return document
        return self.frame.loadComponentFromURL(url, "_self", 0, props)

    def empty(self) -> None:
        """Take the document out of the window (the caller closes it); the window stays for the next."""
        if self.frame is not None:
            self.frame.setComponent(None, None)

    def give_up(self) -> None:
        frame, self.frame = self.frame, None
        if frame is not None:
            with contextlib.suppress(Exception):
                frame.dispose()


WINDOW = Window()


def import_filter(path: str) -> tuple:
    """The import filter of a ``.docx`` named up front, so LibreOffice need not detect the type.

    docgen converts only DOCX files it wrote itself; naming Word's filter spares LibreOffice asking
    its type detection about every file (``bench/lo_window.py``). A file that is no DOCX then fails
    to load instead of being taken for plain text. Other suffixes are left to the type detection.
    """
    return _docx_filter() if path.lower().endswith(".docx") else ()


@functools.cache
def _docx_filter() -> tuple:
    return (prop("FilterName", DOCX_FILTER),)


def close(document) -> None:
    try:
        document.close(True)
    except Exception:
        document.dispose()


def load_props(docx: str, detect: bool = False) -> tuple:
    """How every document is loaded: hidden, read-only, never running macros or updating links."""
    return _hidden_read_only() + (() if detect else import_filter(docx))


@functools.cache
def _hidden_read_only() -> tuple:  # built once, when uno is there
    return (prop("Hidden", True), prop("ReadOnly", True), prop("MacroExecutionMode", 0), prop("UpdateDocMode", 0))


@functools.cache
def _store_props(filter_items: tuple) -> tuple:
    # FilterData must be a typed sequence; a bare tuple would reach the filter as []any.
    data = uno.Any("[]com.sun.star.beans.PropertyValue", tuple(prop(k, v) for k, v in filter_items))
    return (prop("FilterName", "writer_pdf_Export"), prop("Overwrite", True), prop("FilterData", data))


def convert(desktop, docx: str, pdf: str, filter_data: dict, window: Window | None = WINDOW,
            detect: bool = False) -> None:
    """Load ``docx`` hidden into ``window``, export it as PDF/A to ``pdf`` and close it.

    The pool counts the pages of the PDF itself when it checks it (``pdfcheck.verify_pdf``); asking
    LibreOffice as well would only cost another call across the bridge.

    The benchmark's baselines: ``window=None`` loads it into a window of its own, as docgen did
    before :class:`Window`; ``detect=True`` lets LibreOffice detect its type, as docgen did before
    :func:`import_filter`.
    """
    props = load_props(docx, detect)
    url = uno.systemPathToFileUrl(os.path.abspath(docx))
    try:
        document = (window.load(desktop, url, props) if window is not None
                    else desktop.loadComponentFromURL(url, "_blank", 0, props))
    except Exception:
        if window is not None:
            window.give_up()
        raise
    if document is None:
        if window is not None:
            window.give_up()
        raise RuntimeError("LibreOffice konnte die Datei nicht laden")
    emptied = False
    try:
        update_indexes(document)
        document.storeToURL(uno.systemPathToFileUrl(os.path.abspath(pdf)), _store_props(tuple(filter_data.items())))
        if window is not None:
            with contextlib.suppress(Exception):  # the PDF is written; without it, the window is given up
                window.empty()
                emptied = True
    finally:
        close(document)
        if window is not None and not emptied:
            window.give_up()


def handle(desktop, office: subprocess.Popen, request: dict, filter_data: dict) -> dict:
    reply = {"id": request.get("id")}
    try:
        convert(desktop, request["docx"], request["pdf"], filter_data)
        reply["ok"] = True
    except Exception as exc:  # every UNO error becomes a reply; the pool decides
        reply["ok"] = False
        reply["error"] = f"{type(exc).__name__}: {exc}".strip()
        reply["fatal"] = office_gone(desktop, office)
    return reply


def office_gone(desktop, office: subprocess.Popen) -> bool:
    """Whether LibreOffice is unusable: its process ended or the bridge to it is broken."""
    if office.poll() is not None:
        return True
    try:
        desktop.getCurrentComponent()  # any call across the bridge will do
    except Exception:
        return True
    return False


def kill_everything(office: subprocess.Popen) -> None:
    """Kill LibreOffice; as leader of our own process group (as the pool starts us), the group."""
    if os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)  # soffice.bin may outlive the soffice wrapper script
    office.kill()


def quit_office(desktop, office: subprocess.Popen) -> None:
    # If LibreOffice does not quit in time, the alarm kills the whole group (us included).
    signal.signal(signal.SIGALRM, lambda *_: kill_everything(office))
    signal.alarm(QUIT_GRACE)
    with contextlib.suppress(Exception):  # a DisposedException just means it is going already
        desktop.terminate()
    try:
        office.wait(timeout=QUIT_GRACE)  # the wrapper returns once soffice.bin has quit
    except subprocess.TimeoutExpired:
        kill_everything(office)
    signal.alarm(0)


def watch_parent(office: subprocess.Popen) -> None:
    """Kill LibreOffice as soon as the process that started us is gone (killed with SIGKILL, say).

    Closing our stdin tells us the same, but only once we read it: a parent that dies while
    LibreOffice starts, or a reply we cannot deliver, would otherwise leave LibreOffice running.
    """
    parent = os.getppid()

    def run() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        kill_everything(office)

    threading.Thread(target=run, daemon=True, name="eltern-waechter").start()


def emit(out, message: dict) -> None:
    out.write(json.dumps(message) + "\n")  # ASCII only: no locale can garble it
    out.flush()


def serve(desktop, office: subprocess.Popen, out, filter_data: dict) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = handle(desktop, office, json.loads(line), filter_data)
        emit(out, reply)
        if reply.get("fatal"):
            break


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Keep a private handle on the real stdout and point fd 1 at stderr, so that
    # nothing (LibreOffice, a library) can write into the protocol stream.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    if uno is None:
        emit(out, {"ready": False, "missing": "uno", "error": "Python-Modul uno fehlt"})
        return 3
    filter_data = json.loads(args.filter_data) if args.filter_data else DEFAULT_FILTER_DATA
    pipe = f"docgen-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        prepare_profile(Path(args.profile))
    except OSError as exc:  # reported as a start failure, naming the file
        emit(out, {"ready": False, "error": f"LibreOffice-Profil nicht beschreibbar: {exc}"})
        return 1
    try:
        office = start_office(args.soffice, Path(args.profile), pipe)
    except OSError as exc:
        emit(out, {"ready": False, "missing": "soffice", "error": str(exc)})
        return 3
    watch_parent(office)
    try:
        desktop = connect(pipe, office, args.start_timeout)
    except Exception as exc:
        with contextlib.suppress(OSError, ValueError):
            emit(out, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        kill_everything(office)
        return 1
    try:
        emit(out, {"ready": True, "pid": os.getpid(), "soffice_pid": office.pid, "pipe": pipe})
        serve(desktop, office, out, filter_data)
    except BaseException:  # e.g. the pool went away and a reply cannot be delivered: never leave LibreOffice
        kill_everything(office)
        raise
    quit_office(desktop, office)
    return 0


if __name__ == "__main__":
    sys.exit(main())
