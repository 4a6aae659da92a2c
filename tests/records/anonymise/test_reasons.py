"""Every reason a suggestion can carry is named in both catalogues of the review screen."""

from __future__ import annotations

import pytest

from records.anonymise.model import Reason
from tests.frontend.test_catalogue import catalogue


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_reason_has_a_label(language: str) -> None:
    keys = {key.removeprefix("reason.") for key in catalogue(language) if key.startswith("reason.")}
    assert {r.value for r in Reason} <= keys
