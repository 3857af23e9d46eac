"""Intake: the hot folder (``docgen watch``) and the deadline run (``docgen batch``).

Both take files from ``inbox/`` the same way (:mod:`.hotfolder`), run them
through ``pipeline.run_job`` and record every job in the ledger (:mod:`.ledger`).
"""
