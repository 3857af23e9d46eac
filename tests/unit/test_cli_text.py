"""The command line speaks German throughout: help, usage lines, usage errors; journald gets priorities."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from docgen.cli import log_formatter, main

ENGLISH = ("Usage:", "Options:", "Show this message", "Show the version", "Missing argument", "Error:",
           "[OPTIONS]", "COMMAND [ARGS]", "FILES...", "Commands:")


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], prog_name="docgen")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [[], *[[name] for name in main.list_commands(None) if name not in  # type: ignore[arg-type]
                                                                       ("web", "benutzer", "worker")]])
def test_help_has_no_english_scaffolding(command: list[str]) -> None:
    text = _help(*command)
    assert text.startswith("Aufruf: docgen")
    assert "Optionen:" in text and "Zeigt diese Hilfe und endet." in text
    assert [word for word in ENGLISH if word in text] == []


def test_main_help_lists_every_command_in_german() -> None:
    text = _help()
    assert "Befehle:" in text
    for name in ("render", "validate", "watch", "batch", "web", "benutzer", "worker", "variablen", "oparl"):
        assert f"  {name} " in text


def test_usage_errors_are_german_with_exit_2() -> None:
    result = CliRunner().invoke(main, ["render"], prog_name="docgen")
    assert result.exit_code == 2
    assert result.output.splitlines() == ["Aufruf: docgen render [OPTIONEN] DATEIEN...",
                                          "Hilfe: 'docgen render --help'.", "",
                                          "Fehler: Es fehlt das Argument 'DATEIEN...'."]
    wrong = CliRunner().invoke(main, ["rendr"], prog_name="docgen")
    assert wrong.exit_code == 2 and "Fehler: Den Befehl 'rendr' gibt es nicht. Gemeint: 'render'?" in wrong.output


def test_journald_gets_priorities_and_no_second_timestamp() -> None:
    record = logging.LogRecord("docgen.intake", logging.ERROR, __file__, 1, "[%s] fehlgeschlagen: %s", ("a1", "x"),
                               None)
    assert log_formatter({"JOURNAL_STREAM": "8:1234"}).format(record) == "<3>docgen.intake: [a1] fehlgeschlagen: x"
    plain = log_formatter({}).format(record)
    assert plain.endswith("ERROR docgen.intake: [a1] fehlgeschlagen: x") and plain[:4].isdigit()
    record.levelno = logging.WARNING
    assert log_formatter({"JOURNAL_STREAM": "8:1"}).format(record).startswith("<4>")
