"""The named-entity pipelines are loaded once per test session (a few seconds)."""

from __future__ import annotations

import pytest

from records.anonymise import pipelines


@pytest.fixture(scope="session", autouse=True)
def entity_pipelines() -> None:
    """Load both pipelines before the first test that anonymises, once for the session."""
    pipelines.load("fr")
    pipelines.load("en")
