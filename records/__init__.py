"""Persistence and compliance: models, migrations, encryption at rest, logs, retention."""
