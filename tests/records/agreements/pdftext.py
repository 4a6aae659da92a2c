"""What a reader reads of a sealed agreement's text pages (pypdf), footers aside."""

from __future__ import annotations

import io

from pypdf import PdfReader

from records.agreements.pdf import footer_text


def text_pages(pdf: bytes, text_pages: int, sha256: str, reference: str, language: str) -> str:
    """The text of the first ``text_pages`` pages; each must end with its own footer, which
    is taken off (nothing else is)."""
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    out = []
    for number, page in enumerate(reader.pages[:text_pages], start=1):
        text = page.extract_text().rstrip()
        footer = footer_text(sha256, reference, number, total, language)
        assert text.endswith(footer), f"page {number} does not end with its footer"
        out.append(text.removesuffix(footer))
    return "\n".join(out)


def all_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
