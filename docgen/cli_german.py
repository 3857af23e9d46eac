"""click's own words in German: help headings, usage lines and the messages of usage errors (exit 2).

click marks its texts for translation with :mod:`gettext` but ships no German catalogue, so
``docgen --help`` mixed German help with English scaffolding ("Usage:", "Show this message and
exit.", "Missing argument"). :func:`install` points click's translation functions at the table
below; texts not in it stay as click wrote them.
"""

from __future__ import annotations

import importlib

_CLICK_MODULES = ("click.core", "click.exceptions", "click.parser", "click.types", "click.decorators",
                  "click.formatting", "click.termui")

TEXTS = {
    "Usage:": "Aufruf:",
    "Options": "Optionen",
    "Commands": "Befehle",
    "Positional arguments": "Argumente",
    "Show this message and exit.": "Zeigt diese Hilfe und endet.",
    "Show the version and exit.": "Zeigt die Version und endet.",
    "%(prog)s, version %(version)s": "%(prog)s, Version %(version)s",
    "Try '{command} {option}' for help.": "Hilfe: '{command} {option}'.",
    "Error: {message}": "Fehler: {message}",
    "Missing argument": "Es fehlt das Argument",
    "Missing option": "Es fehlt die Option",
    "Missing parameter": "Es fehlt die Angabe",
    "Missing {param_type}": "Es fehlt: {param_type}",
    "Missing parameter: {param_name}": "Es fehlt die Angabe {param_name}",
    "Missing command.": "Es fehlt der Befehl.",
    "No such command {name!r}.": "Den Befehl {name!r} gibt es nicht.",
    "No such option {name!r}.": "Die Option {name!r} gibt es nicht.",
    "Option {name!r} does not take a value.": "Die Option {name!r} nimmt keinen Wert.",
    "Invalid value for {param_hint}: {message}": "Ungültiger Wert für {param_hint}: {message}",
    "Invalid value: {message}": "Ungültiger Wert: {message}",
    "Aborted!": "Abgebrochen.",
    "{value!r} is not a valid {number_type}.": "{value!r} ist keine gültige Zahl ({number_type}).",
    "{value} is not in the range {range}.": "{value} liegt nicht im Bereich {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} ist kein Wahrheitswert. Erlaubt sind: {states}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} gibt es nicht.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} ist ein Ordner.",
    "{name} {filename!r} is a file.": "{name} {filename!r} ist eine Datei, kein Ordner.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} ist nicht lesbar.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} ist nicht beschreibbar.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} ist nicht ausführbar.",
    "file": "Datei",
    "directory": "Ordner",
    "path": "Pfad",
    "default: {default}": "Standard: {default}",
    "env var: {var}": "Umgebungsvariable: {var}",
    "Choose from:\n\t{choices}": "Erlaubt sind:\n\t{choices}",
    "Could not open file {filename!r}: {message}": "Datei {filename!r} lässt sich nicht öffnen: {message}",
}
PLURALS = {
    "Got unexpected extra argument ({args})": ("Unerwartetes weiteres Argument ({args})",
                                               "Unerwartete weitere Argumente ({args})"),
    "Option {name!r} requires an argument.": ("Die Option {name!r} braucht einen Wert.",
                                              "Die Option {name!r} braucht {nargs} Werte."),
    "Did you mean {possibility}?": ("Gemeint: {possibility}?", "(Gemeint eines von: {possibilities}?)"),
    "{value!r} is not {choice}.": ("{value!r} ist nicht {choice}.", "{value!r} ist keines von {choices}."),
    "{value!r} does not match the format {format}.": ("{value!r} hat nicht das Format {format}.",
                                                      "{value!r} hat keines der Formate {formats}."),
}


def gettext(message: str) -> str:
    return TEXTS.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    german = PLURALS.get(singular)
    if german is None:
        return singular if n == 1 else plural
    return german[0] if n == 1 else german[1]


def install() -> None:
    """Give click German words (idempotent)."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
