"""A frozen text as a signed PDF: its pages, a signature page, and the organisation's seal.

:func:`render` lays the text out (DejaVu Serif from Debian's ``fonts-dejavu-core``,
embedded, so French reads right everywhere) and adds one page of signatures and evidence:
for each signer their typed name, their drawn signature (or the name typed again), when
(UTC and their local time), how they were identified, their browser, and for all of
them the SHA-256 of the frozen text (:func:`records.agreements.documents.text_sha256`),
which every page's footer also starts with. :func:`seal` then signs the file under the
organisation's certificate (pyHanko): a PAdES baseline B-B certification signature that
allows no change. B-T would add a time-stamp from a time-stamping authority; none is
configured, so the time in the signature is the server's own.

:func:`check` validates a sealed file against the organisation's certificate as the only
trust root: the signature must be intact, cover the whole file and chain to that
certificate. What a reader reads of the text pages, their footers (:func:`footer_text`)
aside, is the frozen text: :func:`expected_text`, both compared after
:func:`records.agreements.documents.normalise`.

Both do CPU work: callers in the event loop use :func:`seal_agreement` and
:func:`check_sealed` (a worker thread each); the ``*_sync`` forms are for the others.
"""

from __future__ import annotations

import asyncio
import functools
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from asn1crypto import x509 as asn1_x509
from fontTools.ttLib import TTFont
from fpdf import FPDF
from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from records.agreements.documents import BlockKind, Document, plain_text, text_sha256
from records.agreements.seal import OrganisationSeal

FONTS = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {
    ("serif", ""): "DejaVuSerif.ttf",
    ("serif", "B"): "DejaVuSerif-Bold.ttf",
    ("mono", ""): "DejaVuSansMono.ttf",
}
MAX_DRAWING_BYTES = 512 * 1024
MAX_DRAWING_SIDE = 2000
FIELD_NAME = "Cachet"

LABELS = {
    "fr": {
        "signatures": "Signatures et preuves",
        "hash": "Empreinte SHA-256 du texte signé",
        "pages": "Pages du texte",
        "signer": "Signataire",
        "signed_at": "Signé le",
        "local": "heure locale",
        "identified": "Identification",
        "email_code": "code à usage unique envoyé par courriel à",
        "mediator_code": "code communiqué par le médiateur en séance",
        "browser": "Navigateur",
        "typed": "Signature tapée",
        "drawn": "Signature tracée",
        "sealed": "Document scellé électroniquement par {org} (signature PAdES) le {at} UTC.",
        "page": "page",
    },
    "en": {
        "signatures": "Signatures and evidence",
        "hash": "SHA-256 of the signed text",
        "pages": "Pages of the text",
        "signer": "Signer",
        "signed_at": "Signed on",
        "local": "local time",
        "identified": "Identification",
        "email_code": "one-time code sent by e-mail to",
        "mediator_code": "code given by the mediator in session",
        "browser": "Browser",
        "typed": "Typed signature",
        "drawn": "Drawn signature",
        "sealed": "Document sealed electronically by {org} (PAdES signature) on {at} UTC.",
        "page": "page",
    },
}
IDENTIFICATIONS = ("email_code", "mediator_code")


class Unrenderable(ValueError):
    """A text holds characters the PDF's fonts cannot draw: its PDF would not read as it."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"the PDF's fonts cannot draw: {' '.join(sorted(missing))}")
        self.missing = missing


@functools.cache
def _drawable() -> frozenset[int]:
    """The characters both text fonts (regular and bold) draw."""
    sets = []
    for style in ("", "B"):
        with TTFont(str(FONTS / FONT_FILES["serif", style]), lazy=True) as font:
            sets.append(frozenset(font.getBestCmap()))
    return sets[0] & sets[1]


def missing_glyphs(*texts: str) -> str:
    """The characters of ``texts`` the PDF cannot draw (white space aside), in order of
    first appearance: a text to be signed must have none (check it before freezing)."""
    drawable = _drawable()
    seen = dict.fromkeys(c for t in texts for c in t if not c.isspace() and ord(c) not in drawable)
    return "".join(seen)


def _drawn(text: str) -> str:
    """Evidence as the signing flow recorded it (a browser's name): what cannot be drawn
    is shown as U+FFFD rather than silently dropped."""
    missing = set(missing_glyphs(text))
    return "".join("\ufffd" if c in missing else c for c in text)


@dataclass(frozen=True)
class SignatureEvidence:
    """One signer's signature and how it was given (the signing flow's record of it)."""

    name: str
    signed_at: datetime  # aware
    timezone: str  # the signer's, e.g. "Europe/Paris"
    identified_by: str  # "email_code" or "mediator_code"
    identified_to: str = ""  # the masked address the code went to (email_code)
    user_agent: str = ""
    drawing_png: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.identified_by not in IDENTIFICATIONS:
            raise ValueError(f"identified_by must be one of {IDENTIFICATIONS}")
        if self.signed_at.tzinfo is None:
            raise ValueError("signed_at must be an aware datetime")


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    text_pages: int  # the first pages hold the text; then the signature page(s)
    pages: int
    sha256: str  # of the frozen text


@dataclass(frozen=True)
class SealCheck:
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file


def footer_text(
    sha256: str, case_reference: str, page: int, pages: int | str, language: str
) -> str:
    """What every page ends with: the case, the text's digest (first 16 hex digits), the page."""
    return f"{case_reference} · SHA-256 {sha256[:16]} · {LABELS[language]['page']} {page}/{pages}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _drawing(png: bytes) -> io.BytesIO:
    """The drawn signature re-encoded from its pixels (nothing else of the upload is kept);
    ``ValueError`` for anything that is not a reasonable PNG."""
    if len(png) > MAX_DRAWING_BYTES:
        raise ValueError("the drawn signature is too large")
    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            if max(image.size) > MAX_DRAWING_SIDE:
                raise ValueError("the drawn signature is too large")
            pixels = image.convert("RGBA")
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError("the drawn signature is not a PNG image") from exc
    flat = Image.new("RGB", pixels.size, "white")
    flat.paste(pixels, mask=pixels.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="PNG")
    out.seek(0)
    return out


class _Pages(FPDF):
    def __init__(self, footer: tuple[str, str, str]) -> None:
        super().__init__(format="A4")
        self._footer = footer

    def footer(self) -> None:
        sha, reference, language = self._footer
        self.set_y(-14)
        self.set_font("serif", "", 8)
        text = footer_text(sha, reference, self.page_no(), self.str_alias_nb_pages, language)
        self.cell(0, 6, text, align="C")


def render(
    document: Document,
    signatures: list[SignatureEvidence],
    *,
    language: str,
    organisation: str,
    case_reference: str,
    sealed_at: datetime,
) -> Rendered:
    """The PDF of the frozen text and its signature page (not sealed yet)."""
    if language not in LABELS:
        raise ValueError("language must be fr or en")
    labels = LABELS[language]
    missing = missing_glyphs(*(b.text for b in document), *(e.name for e in signatures),
                             organisation, case_reference)  # fmt: skip
    if missing:
        raise Unrenderable(missing)
    sha = text_sha256(document)
    # the drawings are checked before the fonts are opened (fpdf2 closes them at output)
    drawings = [None if e.drawing_png is None else _drawing(e.drawing_png) for e in signatures]
    pdf = _Pages((sha, case_reference, language))
    for (family, style), name in FONT_FILES.items():
        pdf.add_font(family, style, str(FONTS / name))
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=24)
    pdf.set_creation_date(sealed_at.astimezone(UTC))
    pdf.set_creator("Palabre")
    pdf.set_lang(language)
    title = next((b.text for b in document if b.kind is BlockKind.TITLE), "")
    pdf.set_title(title)
    pdf.add_page()
    for block in document:
        if block.kind is BlockKind.TITLE:
            pdf.set_font("serif", "B", 16)
            pdf.multi_cell(0, 8, block.text, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        elif block.kind is BlockKind.HEADING:
            if pdf.get_y() > pdf.h - 50:  # a heading is not left alone at the foot of a page
                pdf.add_page()
            pdf.ln(2)
            pdf.set_font("serif", "B", 12)
            pdf.multi_cell(0, 6.5, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        else:
            pdf.set_font("serif", "", 11)
            pdf.multi_cell(0, 5.6, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
    text_pages = pdf.page_no()

    pdf.add_page()
    pdf.set_font("serif", "B", 14)
    pdf.multi_cell(0, 8, labels["signatures"], align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("serif", "", 10)
    colon = " :" if language == "fr" else ":"
    pdf.multi_cell(0, 5, f"{labels['hash']}{colon}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("mono", "", 9)
    pdf.multi_cell(0, 5, sha, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif", "", 10)
    span = f"1–{text_pages}" if text_pages > 1 else "1"
    pdf.multi_cell(0, 5, f"{labels['pages']}{colon} {span}", align="L", new_x="LMARGIN",
                   new_y="NEXT")  # fmt: skip
    for evidence, drawing in zip(signatures, drawings, strict=True):
        if pdf.get_y() > pdf.h - 80:
            pdf.add_page()
        pdf.ln(5)
        pdf.set_draw_color(160, 160, 160)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(3)
        pdf.set_font("serif", "B", 11)
        pdf.multi_cell(0, 6, f"{labels['signer']}{colon} {evidence.name}",
                       align="L", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.set_font("serif", "", 10)
        utc = evidence.signed_at.astimezone(UTC)
        local = evidence.signed_at.astimezone(_zone(evidence.timezone))
        lines = [
            f"{labels['signed_at']}{colon} {utc:%Y-%m-%d %H:%M:%S} UTC "
            f"({labels['local']}{colon} {local:%Y-%m-%d %H:%M:%S} {evidence.timezone})",
            f"{labels['identified']}{colon} {labels[evidence.identified_by]}"
            + (f" {_drawn(evidence.identified_to)}" if evidence.identified_to else ""),
            f"{labels['browser']}{colon} {_drawn(evidence.user_agent) or '—'}",
        ]
        for line in lines:
            pdf.multi_cell(0, 5, line, align="L", new_x="LMARGIN", new_y="NEXT")
        if drawing is not None:
            pdf.multi_cell(0, 5, f"{labels['drawn']}{colon}", align="L", new_x="LMARGIN",
                           new_y="NEXT")  # fmt: skip
            pdf.image(drawing, x=pdf.l_margin, h=22, keep_aspect_ratio=True)
        else:
            pdf.multi_cell(0, 5, f"{labels['typed']}{colon}", align="L", new_x="LMARGIN",
                           new_y="NEXT")  # fmt: skip
            pdf.set_font("serif", "B", 16)
            pdf.multi_cell(0, 10, evidence.name, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("serif", "", 9)
    at = f"{sealed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}"
    pdf.multi_cell(0, 5, labels["sealed"].format(org=organisation, at=at),
                   align="L", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    data = bytes(pdf.output())
    return Rendered(data, text_pages, pdf.page_no(), sha)


def seal_sync(pdf: bytes, seal: OrganisationSeal, *, reason: str = "") -> bytes:
    """The PDF signed under the organisation's certificate: PAdES B-B, a certification
    signature that permits no later change."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason or None,
        name=seal.organisation,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    out = signers.sign_pdf(writer, meta, signer=seal.signer())
    return bytes(out.getvalue())


@dataclass(frozen=True)
class SealedAgreement:
    pdf: bytes
    sha256: str  # of the frozen text
    text_pages: int
    pages: int


def seal_agreement_sync(
    document: Document,
    signatures: list[SignatureEvidence],
    seal: OrganisationSeal,
    *,
    language: str,
    case_reference: str,
    sealed_at: datetime,
) -> SealedAgreement:
    rendered = render(
        document, signatures, language=language, organisation=seal.organisation,
        case_reference=case_reference, sealed_at=sealed_at,
    )  # fmt: skip
    reason = f"{case_reference} — SHA-256 {rendered.sha256}"
    sealed = seal_sync(rendered.pdf, seal, reason=reason)
    return SealedAgreement(sealed, rendered.sha256, rendered.text_pages, rendered.pages)


async def seal_agreement(
    document: Document,
    signatures: list[SignatureEvidence],
    seal: OrganisationSeal,
    *,
    language: str,
    case_reference: str,
    sealed_at: datetime,
) -> SealedAgreement:
    """:func:`seal_agreement_sync` in a worker thread (rendering and signing take CPU)."""
    return await asyncio.to_thread(
        seal_agreement_sync, document, signatures, seal, language=language,
        case_reference=case_reference, sealed_at=sealed_at,
    )  # fmt: skip


def check_sync(pdf: bytes, trusted: asn1_x509.Certificate) -> SealCheck:
    """Whether ``pdf`` carries exactly one signature, intact, covering the whole file,
    made with a certificate that chains to ``trusted`` (the only trust root)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        found = reader.embedded_signatures
        if len(found) != 1:
            return SealCheck(False, False, False, False, f"{len(found)} signatures")
        context = ValidationContext(trust_roots=[trusted], allow_fetching=False)
        status = validate_pdf_signature(found[0], context)
    except Exception as exc:  # a damaged file: not a valid seal, whatever went wrong
        return SealCheck(False, False, False, False, type(exc).__name__)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    return SealCheck(bool(status.intact), bool(status.valid), bool(status.trusted), whole,
                     status.summary())  # fmt: skip


async def check_sealed(pdf: bytes, trusted: asn1_x509.Certificate) -> SealCheck:
    return await asyncio.to_thread(check_sync, pdf, trusted)


def expected_text(document: Document) -> str:
    """What the text pages read as, before :func:`~documents.normalise`."""
    return plain_text(document)
