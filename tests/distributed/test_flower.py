"""Flower (contrib/flower.service) watches the workers through docgen.worker.flower: same broker, same prefix."""

from __future__ import annotations

import importlib
import sys
import time

import pytest
from celery import Celery  # type: ignore[import-untyped]

from tests.distributed.conftest import Cluster

pytestmark = pytest.mark.slow


def _ping(app: Celery, timeout: float) -> dict[str, object]:
    return dict(app.control.inspect(timeout=timeout).ping() or {})


def test_flower_app_sees_the_workers(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster.start_worker(1)
    cluster.start_producer()  # creates the ledger's tables; the worker is then ready to answer
    for key, value in cluster.host_env(0).items():
        if key.startswith("DOCGEN_"):
            monkeypatch.setenv(key, value)
    monkeypatch.delitem(sys.modules, "docgen.worker.flower", raising=False)
    flower = importlib.import_module("docgen.worker.flower")
    deadline = time.monotonic() + 60
    seen: dict[str, object] = {}
    while not seen and time.monotonic() < deadline:
        seen = _ping(flower.app, 1.0)
    assert [name for name in seen if name.startswith("docgen-")], (seen, cluster.logs())
    # Without docgen's settings (no key prefix) the same broker shows no docgen worker: what the unit avoids.
    bare = Celery("bare", broker=cluster.redis.url, set_as_current=False)
    assert _ping(bare, 2.0) == {}
