"""The Celery app for Flower (optional monitor): the same broker and settings the workers use.

``celery -A docgen.worker.flower flower --address=127.0.0.1`` (contrib/flower.service) reads
``broker_url`` from docgen's settings (``/etc/docgen/docgen.toml``, ``DOCGEN_BROKER_URL``,
``DOCGEN_CONFIG``) and takes docgen's Celery settings, so Flower sees the workers' queue and events
under the same Redis key prefix (``docgen:``) instead of an empty broker without it.
"""

from __future__ import annotations

from docgen import api

app = api.celery_app(api.load_settings())
