"""Every reason a suggestion can carry is named in both catalogues of the review screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from records.anonymise.model import Reason

I18N = Path(__file__).resolve().parents[3] / "frontend" / "static" / "js" / "i18n"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_reason_has_a_label(language: str) -> None:
    catalogue = (I18N / f"{language}.js").read_text("utf-8")
    keys = set(re.findall(r'"reason\.([a-z_]+)"\s*:', catalogue))
    assert {r.value for r in Reason} <= keys
