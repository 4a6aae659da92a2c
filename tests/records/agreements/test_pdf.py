"""The signed agreement's PDF: it reads as the frozen text, and its seal holds (or breaks)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw

from records.agreements.documents import fill, normalise, text_sha256
from records.agreements.pdf import (
    SealedAgreement,
    SignatureEvidence,
    Unrenderable,
    check_sealed,
    check_sync,
    missing_glyphs,
    seal_agreement,
    seal_agreement_sync,
)
from records.agreements.seal import OrganisationSeal, load_or_create_seal
from records.agreements.templates import default_text
from tests.records.agreements.pdftext import all_text, text_pages

SEALED_AT = datetime(2026, 12, 7, 15, 4, 5, tzinfo=UTC)
VALUES = {
    "organisation": "Association Médiation & Dialogue",
    "case_reference": "2026-031",
    "parties": "Jeanne Martin et Éloïse Dupré-Lefèvre",
    "counsel": "Me Paul Girard",
    "mediator": "Anne Médiatrice",
    "date": "7 décembre 2026",
    "fees": "240 € TTC par séance, partagés à parts égales",
}


def drawn_signature() -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (150, 70), (290, 15)], fill="navy", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


SIGNERS = [
    SignatureEvidence(
        "Jeanne Martin", datetime(2026, 12, 7, 14, 58, tzinfo=UTC), "Europe/Paris",
        "email_code", "j•••@example.org", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
        drawn_signature(),
    ),
    SignatureEvidence(
        "Éloïse Dupré-Lefèvre", datetime(2026, 12, 7, 15, 1, tzinfo=UTC), "America/Martinique",
        "mediator_code", "", "Mozilla/5.0 (iPhone) Safari/605.1",
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> OrganisationSeal:
    return load_or_create_seal(VALUES["organisation"], tmp_path_factory.mktemp("org"))


def sealed(seal: OrganisationSeal, kind: str = "agreement_to_mediate", language: str = "fr"
           ) -> tuple[SealedAgreement, str]:  # fmt: skip
    document = fill(default_text(kind, language), VALUES)
    out = seal_agreement_sync(
        document, SIGNERS, seal, language=language, case_reference="2026-031",
        sealed_at=SEALED_AT,
    )  # fmt: skip
    assert out.sha256 == text_sha256(document)
    return out, " ".join(b.text for b in document)


@pytest.fixture(scope="module")
def fr(seal: OrganisationSeal) -> tuple[SealedAgreement, str]:
    """The agreement to mediate in French, sealed once for the tests that only read it."""
    return sealed(seal)


@pytest.mark.parametrize(
    ("kind", "language"), [("agreement_to_mediate", "fr"), ("mediated_agreement", "en")]
)
def test_the_text_pages_read_exactly_as_the_frozen_text(
    seal: OrganisationSeal, kind: str, language: str
) -> None:
    out, frozen = sealed(seal, kind, language)
    read = text_pages(out.pdf, out.text_pages, out.sha256, "2026-031", language)
    assert normalise(read) == normalise(frozen)
    assert "Éloïse Dupré-Lefèvre" in read  # accents as they are, not look-alikes
    assert ("240 €" in read) == ("240 €" in frozen)
    assert out.pages == out.text_pages + 1  # then the signature page


def test_a_changed_word_does_not_read_as_the_frozen_text(fr: tuple[SealedAgreement, str]) -> None:
    out, frozen = fr
    read = text_pages(out.pdf, out.text_pages, out.sha256, "2026-031", "fr")
    assert normalise(read) != normalise(frozen.replace("Dupré", "Dupre", 1))
    assert normalise(read) != normalise(frozen + " fin")


def test_the_signature_page_holds_the_evidence(
    seal: OrganisationSeal, fr: tuple[SealedAgreement, str]
) -> None:
    out, _ = fr
    evidence = normalise(all_text(out.pdf).split("Signatures et preuves", 1)[1])
    assert out.sha256 in evidence
    for expected in (
        "Signataire : Jeanne Martin",
        "2026-12-07 14:58:00 UTC (heure locale : 2026-12-07 15:58:00 Europe/Paris)",
        "code à usage unique envoyé par courriel à j•••@example.org",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
        "Signature tracée",
        "Signataire : Éloïse Dupré-Lefèvre",
        "2026-12-07 11:01:00 America/Martinique",
        "code communiqué par le médiateur en séance",
        "Signature tapée",
    ):
        assert expected in evidence, expected


def test_the_seal_validates_against_the_organisation_certificate(
    seal: OrganisationSeal, fr: tuple[SealedAgreement, str]
) -> None:
    out, _ = fr
    check = check_sync(out.pdf, seal.certificate())
    assert check.ok, check
    assert b"/ETSI.CAdES.detached" in out.pdf  # PAdES


def _signed_range(pdf: bytes) -> tuple[int, int, int, int]:
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert len(found) == 1
    a, b, c, d = (int(x) for x in found[0])
    return a, b, c, d


@pytest.mark.parametrize("where", ["text", "start", "end", "signature"])
def test_one_changed_byte_breaks_the_seal(
    seal: OrganisationSeal, fr: tuple[SealedAgreement, str], where: str
) -> None:
    out, _ = fr
    start, length, second, second_length = _signed_range(out.pdf)
    assert start == 0 and second + second_length == len(out.pdf)  # the whole file is signed
    data = bytearray(out.pdf)
    if where == "text":  # a byte of the page content, well inside the first signed range
        at = out.pdf.index(b"stream", 200) + 40
    elif where == "start":
        at = 9  # the header's comment line
    elif where == "end":
        at = len(out.pdf) - 3
    else:  # inside the signature value itself
        at = length + 200
    data[at] ^= 0x01
    check = check_sync(bytes(data), seal.certificate())
    assert not check.ok


def test_bytes_added_after_the_seal_are_not_covered(
    seal: OrganisationSeal, fr: tuple[SealedAgreement, str]
) -> None:
    out, _ = fr
    assert not check_sync(out.pdf + b"\n% added\n", seal.certificate()).ok


def test_another_certificate_does_not_validate_as_the_organisation(
    seal: OrganisationSeal, tmp_path: Path
) -> None:
    other = load_or_create_seal(VALUES["organisation"], tmp_path)  # same name, other key
    out, _ = sealed(other)
    assert check_sync(out.pdf, other.certificate()).ok
    check = check_sync(out.pdf, seal.certificate())
    assert check.intact and not check.trusted and not check.ok


async def test_sealing_and_checking_run_off_the_event_loop(seal: OrganisationSeal) -> None:
    document = fill(default_text("closing_record", "en"), VALUES)
    out = await seal_agreement(
        document, SIGNERS[:1], seal, language="en", case_reference="2026-031",
        sealed_at=SEALED_AT,
    )  # fmt: skip
    assert (await check_sealed(out.pdf, seal.certificate())).ok


def test_a_drawing_that_is_not_a_png_is_refused(seal: OrganisationSeal) -> None:
    bad = SignatureEvidence("X", SEALED_AT, "UTC", "mediator_code", drawing_png=b"GIF89a...")
    with pytest.raises(ValueError, match="PNG"):
        seal_agreement_sync(fill("# T\n\nx", {}), [bad], seal, language="fr",
                            case_reference="r", sealed_at=SEALED_AT)  # fmt: skip


def _issued_seal(folder: Path) -> tuple[OrganisationSeal, x509.Certificate]:
    """A seal issued by a (test) certification authority, its file holding the chain."""
    now = datetime.now(UTC)

    def issue(
        subject: str, public: Any, issuer: str, key: ec.EllipticCurvePrivateKey, ca: bool
    ) -> x509.Certificate:
        usage = dict.fromkeys(
            ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"],
            False,
        )  # fmt: skip
        usage.update(key_cert_sign=ca, crl_sign=ca, digital_signature=not ca,
                     content_commitment=not ca)  # fmt: skip
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(**usage), critical=True)
            .sign(key, hashes.SHA256())
        )

    ca_key, seal_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = issue("Test CA", ca_key.public_key(), "Test CA", ca_key, True)
    leaf = issue("Org seal", seal_key.public_key(), "Test CA", ca_key, False)
    folder.mkdir()
    cert_path, key_path = folder / "chain.pem", folder / "key.pem"
    pem = serialization.Encoding.PEM
    cert_path.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_path.write_bytes(seal_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    key_path.chmod(0o600)
    return load_or_create_seal("Org", folder, cert=cert_path, key=key_path), ca


def test_a_seal_issued_by_an_authority_validates_against_it_and_itself(tmp_path: Path) -> None:
    seal, ca = _issued_seal(tmp_path / "issued")
    assert not seal.self_signed and len(seal.chain()) == 2
    out, _ = sealed(seal)
    assert check_sync(out.pdf, seal.certificate()).ok
    root = asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))
    assert check_sync(out.pdf, root).ok  # the chain travels in the signature


def test_a_long_text_over_several_pages_still_reads_as_frozen(seal: OrganisationSeal) -> None:
    clauses = "\n\n".join(
        f"## Article {n}\n\nLa partie n° {n} s’engage à verser {n * 10} € avant le "
        f"{n} août, « sans réserve » ; l’autre partie accepte, à l’exclusion de toute "
        "autre prétention née du différend, et renonce à toute action à ce titre."
        for n in range(1, 41)
    )
    document = fill(f"# Protocole d’accord\n\n{clauses}", {})
    out = seal_agreement_sync(
        document, SIGNERS, seal, language="fr", case_reference="2026-031", sealed_at=SEALED_AT
    )
    assert out.text_pages >= 3
    read = text_pages(out.pdf, out.text_pages, out.sha256, "2026-031", "fr")
    assert normalise(read) == normalise(" ".join(b.text for b in document))
    assert check_sync(out.pdf, seal.certificate()).ok


def test_a_text_the_fonts_cannot_draw_is_refused_not_sealed_wrong(seal: OrganisationSeal) -> None:
    assert missing_glyphs("Éloïse « Dupré » — 240 € ; œuvre", "ẞ İ ł ő ș ț ğ") == ""
    assert missing_glyphs("Li 李 et 😀 puis 李") == "李😀"
    document = fill("# Accord\n\nEntre {{parties}}.", {"parties": "李雷"})
    with pytest.raises(Unrenderable) as caught:
        seal_agreement_sync(document, [], seal, language="fr", case_reference="r",
                            sealed_at=SEALED_AT)  # fmt: skip
    assert caught.value.missing == "李雷"
    odd = SignatureEvidence("Jeanne", SEALED_AT, "UTC", "mediator_code", user_agent="UA 李")
    out = seal_agreement_sync(fill("# T\n\nx", {}), [odd], seal, language="fr",
                              case_reference="r", sealed_at=SEALED_AT)  # fmt: skip
    assert "UA \ufffd" in all_text(out.pdf)  # evidence kept, what cannot be drawn marked
