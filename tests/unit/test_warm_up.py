"""A job process opens the seal and the templates when it starts, not on its first file.

``warm_up`` runs once in every job process of a service (``watch``, ``docgen worker``) once its
LibreOffice is up. It must fill the caches the first job would fill, and it must neither create
anything nor fail: what is wrong is reported by the job that needs it.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from docgen import documents
from docgen.intake.procpool import _ready
from docgen.pipeline import SIGNOFF_TEMPLATE, WATERMARK_TEMPLATE, warm_up
from docgen.resources import templates_dir
from docgen.settings import Settings
from docgen.stages import render, seal
from tests.conftest import SAMPLE_KOERPERSCHAFT


@pytest.fixture(autouse=True)
def _cold() -> Iterator[None]:
    """Every test starts like a new job process: nothing opened yet."""
    seal._CACHE.clear()
    render._LEAN.clear()
    render._STYLES.clear()
    yield
    seal._CACHE.clear()


def _settings(tmp_path: Path, **more: object) -> Settings:
    return Settings(state_dir=tmp_path / "state", koerperschaft=SAMPLE_KOERPERSCHAFT, **more)  # type: ignore[arg-type]


def _all_templates() -> set[str]:
    # Written out here, not pipeline.template_names(): the test checks that list too.
    return {doc.template_file for doc in documents.registry().values()} | {SIGNOFF_TEMPLATE, WATERMARK_TEMPLATE}


def test_warm_up_opens_the_seal_and_every_template(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    seal.load_seal(settings)  # the local seal, made as a service's start makes it
    seal._CACHE.clear()
    warm_up(settings)
    assert [key.subject for key in seal._CACHE.values()] == [seal.load_seal(settings).subject]
    assert {path.name for path in render._LEAN} == _all_templates()
    rich = {doc.template_file for doc in documents.registry().values()}
    assert {path.name for path in render._STYLES} >= rich


def test_the_start_job_of_a_job_process_warms_it_up_only_when_asked(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    seal.load_seal(settings)
    seal._CACHE.clear()
    assert _ready(None) > 0  # JobProcesses without prepare (batch, several files to render)
    assert not seal._CACHE and not render._LEAN
    assert _ready(settings) > 0  # with prepare (watch)
    assert seal._CACHE and {path.name for path in render._LEAN} == _all_templates()


def test_warm_up_makes_no_seal_and_raises_nothing_when_things_are_wrong(tmp_path: Path) -> None:
    own = tmp_path / "vorlagen"
    own.mkdir()
    shutil.copy(templates_dir() / "beschlussvorlage.docx", own / "beschlussvorlage.docx")
    (own / "sachbericht.docx").write_bytes(b"kein Word")  # broken: the job that needs it reports it
    settings = _settings(tmp_path, templates_dir=own)
    warm_up(settings)  # no seal yet and a broken template: nothing raised
    assert not seal._CACHE
    assert not seal.local_paths(settings)[0].exists()
    assert own / "beschlussvorlage.docx" in render._LEAN  # the municipality's own template, not the shipped one


def test_two_threads_that_need_the_seal_at_once_open_it_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A render beside a running watch opens the seal in a thread while its job runs; the job's seal
    # stage must wait for that and take the key, not open the file a second time (0.6 s CPU).
    settings = _settings(tmp_path)
    seal.load_seal(settings)
    seal._CACHE.clear()
    opened: list[int] = []
    started = threading.Event()
    real = pkcs12.load_key_and_certificates

    def counting(data: bytes, password: bytes | None) -> Any:
        opened.append(1)
        started.set()
        time.sleep(0.3)  # long enough for the second caller to arrive while this one opens
        return real(data, password)

    monkeypatch.setattr(pkcs12, "load_key_and_certificates", counting)
    keys: list[seal.SealKey] = []
    first = threading.Thread(target=lambda: keys.append(seal.load_seal(settings)))
    first.start()
    assert started.wait(30)
    keys.append(seal.load_seal(settings))
    first.join()
    assert len(opened) == 1
    assert keys[0] is keys[1]
