"""Data-subject rights: access/portability export and erasure on request.

The export holds what the person provided (documents, kept chat), what they
drew and wrote on the sessions' whiteboards (their own operations, from the
board journal), their participant record, their invitations and their
consent history; never other parties' statements, the mediator's
description, private notes or the agreement (GDPR art. 15(4), 20(4)).
Erasure destroys the keys of what they provided (their own key and each of
their documents' keys, which also seals their address for good), removes
their contact data and links, and keeps — saying why — what a legal hold or obligation needs,
and what stays part of the sessions' joint boards.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from typing import Any

from sqlalchemy import delete, select

from records.crypto.keystore import checkpoint
from records.errors import NotFound
from records.logs.chain import utc_iso
from records.logs.consent import Personal
from records.models import CaseRow, InviteLinkRow, ParticipantRow, SessionRow
from records.service import Records
from records.stores.casefile import MEDIATOR_KINDS, ItemKind
from records.stores.scheduling import participant_key

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "palabre-subject-export"
EXPORT_VERSION = 1
PORTABLE_KINDS = {k for k in ItemKind if k not in MEDIATOR_KINDS}
ERASED_NAME = "[erased]"


async def _participant(records: Records, participant_id: str) -> tuple[ParticipantRow, CaseRow]:
    async with records.db.transaction() as s:
        p = await s.get(ParticipantRow, participant_id)
        case = None if p is None else await s.get(CaseRow, p.case_id)
        if p is None or case is None:
            raise NotFound("no such participant")
        return p, case


async def export_subject(
    records: Records, participant_id: str, *, actor: str, via: str
) -> dict[str, Any]:
    """A versioned JSON-able document of what this person provided, and their consents."""
    p, case = await _participant(records, participant_id)
    email = (await records.cases.get_participant(case.id, participant_id)).email
    items = await records.casefile.read_items(
        case.id, kinds=PORTABLE_KINDS, provided_by=participant_id, actor=actor, via=via
    )
    async with records.db.transaction() as s:
        links = (
            await s.execute(
                select(InviteLinkRow, SessionRow)
                .join(SessionRow, SessionRow.id == InviteLinkRow.session_id)
                .where(InviteLinkRow.participant_id == participant_id)
                .order_by(InviteLinkRow.issued_at)
            )
        ).all()
    consents = await records.consent.history(participant_id, decrypt=True)
    drawn = await _drawn(records, case.id, participant_id)
    doc: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "generated_at": utc_iso(records.clock()),
        "controller": "the mediator of case " + case.reference,
        "participant": {
            "id": p.id,
            "display_name": p.display_name,
            "email": email,
            "role": p.role,
            "erased_at": p.erased_at and utc_iso(p.erased_at),
        },
        "case": {"reference": case.reference, "public_title": case.public_title},
        "invitations": [
            {
                "session_starts_at": utc_iso(sess.starts_at),
                "issued_at": utc_iso(link.issued_at),
                "expires_at": utc_iso(link.expires_at),
                "revoked_at": link.revoked_at and utc_iso(link.revoked_at),
            }
            for link, sess in links
        ],
        "provided": [
            _item(i.info.kind, i.info.id, i.info.version, i.info.created_at, i.content)
            for i in items
        ],
        "whiteboard": drawn,
        "consents": [
            {
                "at": utc_iso(c.at),
                "session_id": c.session_id,
                "purpose": c.purpose,
                "decision": c.decision,
                "text_version": c.text_version,
                "text_sha256": c.text_sha256,
                "language": c.language,
                "mechanism": c.mechanism,
                "typed_name": c.typed_name,
                # "erased": the typed name and the browser string were destroyed with the
                # person's key; the decision itself is still proven
                "personal_data": c.personal.value,
            }
            for c in consents
        ],
        "excluded": "other participants' statements, the mediators' description, private "
        "notes and agreement drafts (GDPR art. 15(4) and 20(4))",
    }
    await records.audit.append(
        actor=actor, action="subject.export", case_id=case.id, session_id=None,
        subject=f"participant:{participant_id}",
        detail={"items": len(items), "consents": len(consents), "board_ops": len(drawn)},
        via=via,
    )  # fmt: skip
    return doc


async def _drawn(records: Records, case_id: str, participant_id: str) -> list[dict[str, Any]]:
    """The person's own operations on the case's boards (what they drew, wrote, moved, erased)."""
    author = participant_key(participant_id)
    out = []
    for session_id, room_id, entry in await records.journal.load_case(case_id):
        try:
            logged = entry.data()
        except ValueError:
            logger.warning("board journal: an operation of a case is not JSON")
            continue
        if isinstance(logged, dict) and logged.get("author") == author:
            out.append(
                {"session_id": session_id, "room_id": room_id, "seq": entry.seq,
                 "op": logged.get("op")}
            )  # fmt: skip
    return out


def _item(kind: str, item_id: str, version: int, at: Any, content: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item_id, "kind": kind, "version": version,
                           "created_at": utc_iso(at)}  # fmt: skip
    try:
        out["text"] = content.decode("utf-8")
    except UnicodeDecodeError:
        out["base64"] = base64.b64encode(content).decode("ascii")
    return out


def export_html(doc: dict[str, Any]) -> str:
    """A readable page of an export; every value escaped."""

    def e(value: Any) -> str:
        return html.escape("" if value is None else str(value), quote=True)

    part = doc["participant"]
    rows = []
    for key in ("display_name", "email", "role", "id"):
        rows.append(f"<tr><th>{e(key)}</th><td>{e(part.get(key))}</td></tr>")
    provided = (
        "".join(
            f"<li><strong>{e(i['kind'])}</strong> ({e(i['created_at'])}): "
            f"<pre>{e(i.get('text', '[binary, see the JSON export]'))}</pre></li>"
            for i in doc["provided"]
        )
        or "<li>—</li>"
    )

    def typed(c: dict[str, Any]) -> str:
        if c.get("personal_data") == Personal.ERASED.value:
            return ERASED_NAME
        return "—" if c["typed_name"] is None else str(c["typed_name"])

    consents = "".join(
        f"<tr><td>{e(c['at'])}</td><td>{e(c['purpose'])}</td><td>{e(c['decision'])}</td>"
        f"<td>{e(c['text_version'])} / {e(c['text_sha256'][:12])}…</td><td>{e(c['language'])}</td>"
        f"<td>{e(typed(c))}</td>"
        f"<td>{e(', '.join(f'{k}={v}' for k, v in c['mechanism'].items()))}</td></tr>"
        for c in doc["consents"]
    )
    drawn = (
        "".join(
            f"<li>{e(d['session_id'])} / {e(d['room_id'])} #{e(d['seq'])}: "
            f"<pre>{e(json.dumps(d['op'], ensure_ascii=False))}</pre></li>"
            for d in doc["whiteboard"]
        )
        or "<li>—</li>"
    )
    invitations = (
        "".join(
            f"<li>{e(i['session_starts_at'])} (issued {e(i['issued_at'])})</li>"
            for i in doc["invitations"]
        )
        or "<li>—</li>"
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>Personal data export — {e(part.get('display_name'))}</title>"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}"
        "td,th{border:1px solid #ccc;padding:.3em;text-align:left}"
        "table{border-collapse:collapse}pre{white-space:pre-wrap}</style></head><body>"
        f"<h1>Personal data export</h1><p>Format {e(doc['format'])} v{e(doc['version'])}, "
        f"generated {e(doc['generated_at'])}. Case {e(doc['case']['reference'])}.</p>"
        f"<h2>You</h2><table>{''.join(rows)}</table>"
        f"<h2>Invitations</h2><ul>{invitations}</ul>"
        f"<h2>What you provided</h2><ul>{provided}</ul>"
        f"<h2>What you drew and wrote on the whiteboards</h2><ul>{drawn}</ul>"
        "<h2>Consent history</h2><table><tr><th>time (UTC)</th><th>purpose</th>"
        "<th>decision</th><th>text version / SHA-256</th><th>language</th><th>typed name</th>"
        "<th>how</th></tr>"
        f"{consents}</table><p>Not included: {e(doc['excluded'])}.</p></body></html>"
    )


CONSENT_KEPT = (
    "consent log entries, pseudonymous: participant id, session, purpose, decision, version "
    "and SHA-256 of the text shown, language, form and time"
)
CONSENT_WHY = (
    "legal obligation to prove consent (GDPR art. 7(1)); the name the person typed and their "
    "browser string were stored encrypted under the person's own key, which is destroyed, and "
    "the encrypted copy deleted: the entries keep only its SHA-256 digest, so that the log's "
    "chain still verifies; kept for the consent-log retention period, then purged"
)
CONSENT_HELD = (
    "consent log entries, with the name the person typed and their browser string encrypted "
    "under the person's own key"
)


async def erase_subject(
    records: Records, participant_id: str, *, actor: str, via: str
) -> dict[str, Any]:
    """Erase this person's data except what must be kept; says what was kept and why."""
    _p, case = await _participant(records, participant_id)
    # entries from before 0007 (name in clear) are sealed first, if the start did not
    await records.consent.seal_legacy(records.audit)
    kept: list[dict[str, str]] = [
        {"what": "audit log entries (identifiers only, no content)",
         "why": "security and accountability (GDPR art. 5(2), 32); kept for the audit-log "
                "retention period"},
        {"what": "a pseudonymous participant record (id and role)",
         "why": "the logs above refer to it; name and contact details are removed"},
        {"what": "what the person drew or wrote on the sessions' shared whiteboards",
         "why": "it is part of the joint boards of the sessions, kept encrypted under the "
                "case's key with the case file and deleted with it at the end of its "
                "retention period; it names the person only by their pseudonymous id"},
    ]  # fmt: skip
    erased: list[str] = []
    if case.legal_hold:
        kept[:0] = [
            {"what": "what the person provided (documents, chat, whiteboard)",
             "why": "the case is under legal hold"},
            {"what": CONSENT_HELD,
             "why": "legal obligation to prove consent (GDPR art. 7(1)); the case is under "
                    "legal hold, so the person's key is kept; kept for the consent-log "
                    "retention period, then purged"},
        ]  # fmt: skip
    else:
        count = await records.casefile.shred_participant(
            case.id, participant_id, actor=actor, via=via
        )
        erased.append(f"{count} item(s) provided by the person (data key destroyed)")
        kept.insert(0, {"what": CONSENT_KEPT, "why": CONSENT_WHY})
    async with records.db.transaction() as s:
        row = await s.get(ParticipantRow, participant_id, with_for_update=True)
        assert row is not None
        links = await s.execute(
            delete(InviteLinkRow).where(InviteLinkRow.participant_id == participant_id)
        )
        row.display_name, row.email, row.erased_at = ERASED_NAME, None, records.clock()
        row.email_sealed = row.contact_key_id = None  # the sealed address too
        erased.append("name and email address")
        erased.append(f"{int(getattr(links, 'rowcount', 0) or 0)} personal link(s)")
        if not case.legal_hold:
            consent = await records.consent.erase_personal(s, participant_id)
            erased.append(
                f"the typed name and browser string of {consent.sealed} consent log "
                "entr(y/ies) (key destroyed, encrypted copy deleted)"
            )
            if consent.clear:
                kept.insert(1, {
                    "what": f"{consent.clear} consent log entr(y/ies) written before migration "
                            "0007 with the typed name and browser string in clear",
                    "why": "the consent log's chain does not verify, so they were not "
                           "encrypted (that would sign over the tampering): have the log "
                           "checked (palabre records verify), then erase again",
                })  # fmt: skip
        await records.audit.append_in(
            s, actor=actor, action="subject.erase", case_id=case.id,
            subject=f"participant:{participant_id}",
            detail={"legal_hold": case.legal_hold}, via=via,
        )  # fmt: skip
    # the live sessions' stored state names the person's key: none of it comes back
    await records.live.drop_case(case.id)
    await checkpoint(records.db)
    logger.info("erased participant %s of case %s", participant_id, case.id)
    return {"participant_id": participant_id, "erased": erased, "kept": kept}
