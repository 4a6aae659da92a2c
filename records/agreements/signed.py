"""A sealed agreement kept in the case file: one item of kind ``agreement``, encrypted.

The PDF is packed with what the case file shows of it (file name, which template, the
language, the SHA-256 of the frozen text and of the PDF, the number of text pages, when
it was sealed), and the whole is AES-GCM under the case key like everything the mediators
write (:mod:`records.stores.casefile`): what is at rest is not a PDF. The write is
audited by the case file; the item is listed among the case's files and goes with the
case (retention, erasure of the case).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from records.agreements.pdf import SealedAgreement
from records.errors import NotFound
from records.files.packing import pack_file, unpack_file
from records.stores.casefile import CaseFile, ItemInfo, ItemKind

MAGIC = b"PALABRE-SIGNED-AGREEMENT\x01"
MIME = "application/pdf"


@dataclass(frozen=True, slots=True)
class SignedMeta:
    name: str  # the file's name when downloaded
    template: str  # which kind of text (records.agreements.templates.KINDS)
    language: str
    text_sha256: str
    text_pages: int
    pages: int
    sealed_at: str  # ISO 8601, UTC
    size: int
    sha256: str  # of the PDF

    @property
    def mime(self) -> str:
        return MIME


def file_name(template: str, case_reference: str, sealed_at: datetime) -> str:
    """``mediated_agreement-2026-031-2026-12-07.pdf`` (the reference made safe for a name)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in case_reference)[:40]
    return f"{template}-{safe}-{sealed_at.astimezone(UTC):%Y-%m-%d}.pdf"


def pack(meta: SignedMeta, pdf: bytes) -> bytes:
    return pack_file(MAGIC, asdict(meta), pdf)


def unpack(blob: bytes) -> tuple[SignedMeta, bytes]:
    """The metadata and the PDF; ``ValueError`` if ``blob`` is not a packed agreement."""
    fields, data = unpack_file(MAGIC, blob, "signed agreement")
    try:
        return SignedMeta(**fields), data
    except TypeError as exc:
        raise ValueError("damaged signed agreement header") from exc


async def store_signed(
    casefile: CaseFile,
    case_id: str,
    sealed: SealedAgreement,
    *,
    template: str,
    language: str,
    case_reference: str,
    sealed_at: datetime,
    actor: str,
    via: str,
    session_id: str | None = None,
) -> ItemInfo:
    """Keep the sealed PDF in the case file, encrypted; the write is audited there."""
    meta = SignedMeta(
        name=file_name(template, case_reference, sealed_at), template=template,
        language=language, text_sha256=sealed.sha256, text_pages=sealed.text_pages,
        pages=sealed.pages, sealed_at=sealed_at.astimezone(UTC).isoformat(),
        size=len(sealed.pdf), sha256=hashlib.sha256(sealed.pdf).hexdigest(),
    )  # fmt: skip
    return await casefile.put_item(
        case_id, ItemKind.AGREEMENT, pack(meta, sealed.pdf), actor=actor, via=via,
        session_id=session_id,
    )  # fmt: skip


async def read_signed(
    casefile: CaseFile,
    case_id: str,
    item_id: str,
    *,
    actor: str,
    via: str,
    session_id: str | None = None,
) -> tuple[SignedMeta, bytes]:
    """A sealed agreement of the case and its PDF, for whoever may have it (the case's
    mediators, or a signer from their link: the caller decides); the read is audited
    under ``actor``. :class:`NotFound` for any item that is not one of the case's signed
    agreements (nothing else is decrypted)."""
    listed = await casefile.list_items(case_id, kinds={ItemKind.AGREEMENT})
    if item_id not in {i.id for i in listed}:
        raise NotFound("no such signed agreement in this case file")
    item = await casefile.get_item(
        item_id, actor=actor, via=via, session_id=session_id, case_id=case_id
    )
    return unpack(item.content)
