"""Persistence and compliance: models, migrations, encryption at rest, logs, retention.

Grouped by kind: ``crypto`` (encryption at rest and its keys), ``logs`` (the
tamper-evident audit and consent logs), ``stores`` (one repository per kind of record),
``files`` (what an uploaded file is, how it is packed), ``rights`` (retention and data
subjects' rights), ``anonymise`` (anonymised summaries and statistics). At the top:
``db`` and ``models`` (the engine and the tables), ``encoding``, ``errors``, ``migrate``
and ``service`` (opens them all on a database).
"""
