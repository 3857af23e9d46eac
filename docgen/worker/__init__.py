"""docgen worker: Celery workers past one machine (Redis broker, PostgreSQL ledger), over docgen.api."""
