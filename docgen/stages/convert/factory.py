"""The one place that chooses a converter: the warm pool or a fresh ``soffice`` per document."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from docgen.settings import Settings
from docgen.stages.convert import Converter
from docgen.stages.convert.oneshot import OneShotConverter
from docgen.stages.convert.pool import LibreOfficePool


@contextmanager
def open_converter(settings: Settings, *, pooled: bool = False, wait: bool = True) -> Iterator[Converter]:
    """A converter for the duration of the block; every LibreOffice process ends with it.

    ``pooled`` asks for warm workers (``settings.worker_count`` of them) unless the setting
    ``converter = "einzeln"`` says to start a fresh LibreOffice per document. ``wait=False``
    returns while the workers start; the first conversion waits for them.
    """
    converter: Converter
    if pooled and settings.converter == "pool":
        converter = LibreOfficePool(settings, python=settings.uno_python, wait=wait)
    else:
        converter = OneShotConverter(settings.soffice, settings.state_dir / "oneshot", settings.convert_timeout)
    try:
        yield converter
    finally:
        converter.close()
