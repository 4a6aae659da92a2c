"""Retention policies per kind of data, the purge that applies them, and the GDPR art. 30 register.

One table (``DEFAULT_POLICIES``) says, for each category of data, how long it
is kept, from when, what happens after (delete, or shred: destroy the keys),
and the purpose, legal basis, data subjects, categories and recipients. The
purge and the register of processing activities are both generated from it, so
they cannot disagree. A JSON or TOML file (``PALABRE_RETENTION_FILE``) may
change the durations: ``{"chat": 7}`` or ``{"chat": {"days": 7}}``.

Cases under legal hold are skipped by the purge.
"""

from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from records.crypto.keystore import checkpoint
from records.errors import Invalid
from records.models import AuthSessionRow, CaseRow, InviteLinkRow
from records.service import Records
from records.stores.casefile import ItemKind
from records.stores.survey import month_of

logger = logging.getLogger(__name__)

SECURITY = (
    "AES-256-GCM encryption at rest with per-case keys wrapped by a key-encryption key kept "
    "outside the database; HMAC-chained consent and audit logs; access limited to the case's "
    "mediators and audited; TLS in transit; no audio or video recording"
)


@dataclass(frozen=True)
class Policy:
    category: str
    days: int | None  # None: kept while needed, reviewed by hand (not purged automatically)
    starts: str
    action: str  # "shred", "delete" or "review"
    purpose: str
    legal_basis: str
    data_subjects: str
    data_categories: str
    recipients: str


DEFAULT_POLICIES: tuple[Policy, ...] = (
    Policy(
        "case_file",
        5 * 365,
        "case closed",
        "shred",
        "conduct the mediation and keep its file (description, private notes, agreement)",
        "contract or pre-contractual steps (art. 6(1)(b)); public-interest task for "
        "court-ordered mediation (art. 6(1)(e)); legal claims limitation period (5 years, "
        "art. 2224 Code civil)",
        "parties, counsel, observers, mediators",
        "identity, contact details, case facts",
        "the case's mediators",
    ),
    Policy(
        "documents",
        365,
        "upload",
        "delete",
        "documents and whiteboard exports shared during sessions",
        "contract (art. 6(1)(b))",
        "parties, counsel",
        "documents provided by participants",
        "the case's mediators; the session's participants during the session",
    ),
    Policy(
        "chat",
        30,
        "message kept",
        "delete",
        "written messages kept by choice",
        "contract (art. 6(1)(b))",
        "session participants",
        "message contents",
        "the case's mediators",
    ),
    Policy(
        "invite_links",
        30,
        "link expiry",
        "delete",
        "personal session links",
        "contract (art. 6(1)(b))",
        "invited participants",
        "participant and session ids",
        "none",
    ),
    Policy(
        "auth_sessions",
        0,
        "sign-in expiry",
        "delete",
        "mediator sign-in sessions",
        "legitimate interest: security (art. 6(1)(f), art. 32)",
        "mediators",
        "session token hashes",
        "none",
    ),
    Policy(
        "consent_log",
        5 * 365,
        "entry",
        "delete",
        "prove consent and confidentiality undertakings",
        "legal obligation to demonstrate consent (art. 7(1)); legitimate interest (art. 6(1)(f))",
        "session participants",
        "participant id, purpose, decision, notice version and hash, language, mechanism, "
        "typed name, time",
        "the case's mediators; a court or the supervisory authority on request",
    ),
    Policy(
        "audit_log",
        365,
        "entry",
        "delete",
        "trace every access to case files",
        "security obligation (art. 32); legitimate interest (art. 6(1)(f))",
        "mediators, participants (as subjects)",
        "actor ids, actions, item ids, times",
        "the case's mediators; the data-protection officer",
    ),
    Policy(
        "requests_unanswered",
        90,
        "request received",
        "shred",
        "answer requests for a mediation sent from the public form",
        "steps taken at the data subject's request before a contract (art. 6(1)(b))",
        "requesters, the other parties they name",
        "identity, contact details, description of the dispute",
        "the organisation's mediators",
    ),
    Policy(
        "requests_declined",
        30,
        "request declined",
        "shred",
        "keep a declined request while its answer is sent and questions about it may come",
        "steps taken at the data subject's request before a contract (art. 6(1)(b))",
        "requesters, the other parties they name",
        "identity, contact details, description of the dispute",
        "the organisation's mediators",
    ),
    Policy(
        "mail",
        90,
        "message queued, once sent or failed and its session is past",
        "delete",
        "send invitations, reminders, notices, questionnaires and answers to requests by "
        "e-mail, and show the mediator what became of each",
        "contract or pre-contractual steps (art. 6(1)(b))",
        "participants and requesters with an e-mail address",
        "e-mail address, name, personal link, session time, the mail server's reply",
        "the organisation's outgoing mail server (SMTP); the recipient",
    ),
    Policy(
        "survey_ballots",
        60,
        "ballot drawn (counted in whole months)",
        "delete",
        "let each party answer the satisfaction questionnaire once",
        "legitimate interest: quality of the service (art. 6(1)(f))",
        "parties",
        "hash of a one-time ballot, mediation type, region, month (nothing names the party)",
        "none",
    ),
    Policy(
        "survey_answers",
        3 * 365,
        "month answered",
        "delete",
        "measure the quality of the service: anonymous answers on the process",
        "legitimate interest: quality of the service (art. 6(1)(f))",
        "parties (not identifiable: no person, case, session or link, no date finer than "
        "the month)",
        "answers on the process, a free-text comment, mediation type, region, month",
        "the organisation's mediators, as counts and comments of at least k answers",
    ),
    Policy(
        "accounts",
        None,
        "account closed",
        "review",
        "mediator accounts and sign-in; the calendar feed of their agenda",
        "contract (art. 6(1)(b))",
        "mediators",
        "name, email, password hash; calendar feed token hash, language, when created and "
        "last fetched (deleted when revoked or with the account)",
        "none; a feed's holder: the time and case public title of the mediator's sessions",
    ),
)


def load_policies(path: Path | None) -> tuple[Policy, ...]:
    """Defaults, with durations from ``path`` (JSON or TOML) where given; bad files fail loudly."""
    if path is None:
        return DEFAULT_POLICIES
    raw = path.read_bytes()
    try:
        doc: Any = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"retention file {path}: cannot parse: {exc}") from None
    if not isinstance(doc, dict):
        raise Invalid(f"retention file {path}: expected a table of categories")
    by_name = {p.category: p for p in DEFAULT_POLICIES}
    out = dict(by_name)
    for name, value in doc.items():
        if name not in by_name:
            raise Invalid(f"retention file {path}: unknown category {name!r}")
        days = value.get("days") if isinstance(value, dict) else value
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 36500:
            raise Invalid(f"retention file {path}: {name}: days must be an int in 0..36500")
        if by_name[name].days is None:
            raise Invalid(f"retention file {path}: {name} is reviewed by hand, not purged")
        out[name] = replace(by_name[name], days=days)
    return tuple(out.values())


def days_of(policies: tuple[Policy, ...], category: str) -> int | None:
    """How many days a category is kept (None: reviewed by hand, or no such category)."""
    return next((p.days for p in policies if p.category == category), None)


def _cutoff(policies: tuple[Policy, ...], category: str, now: datetime) -> datetime | None:
    for p in policies:
        if p.category == category and p.days is not None:
            return now - timedelta(days=p.days)
    return None


async def purge(records: Records, policies: tuple[Policy, ...], now: datetime) -> dict[str, int]:
    """Delete or shred what is past retention; idempotent; returns counts per category."""
    counts: dict[str, int] = {}
    db = records.db
    cut = _cutoff(policies, "case_file", now)
    if cut is not None:
        async with db.transaction() as s:
            ids = list(
                await s.scalars(
                    select(CaseRow.id).where(
                        CaseRow.closed_at.is_not(None),
                        CaseRow.closed_at < cut,
                        CaseRow.legal_hold.is_(False),
                    )
                )
            )
        for case_id in ids:
            await records.casefile.shred_case(case_id, actor="system", via="purge")
            await records.journal.drop_case(case_id)
            await records.texts.drop_case(case_id)
            async with db.transaction() as s:
                await s.execute(delete(CaseRow).where(CaseRow.id == case_id))
        counts["case_file"] = len(ids)
    for category, kinds in (
        ("documents", {ItemKind.DOCUMENT, ItemKind.WHITEBOARD_EXPORT}),
        ("chat", {ItemKind.CHAT}),
    ):
        cut = _cutoff(policies, category, now)
        if cut is not None:
            counts[category] = await records.casefile.drop_items_older_than(kinds, cut)
    # a document's own key left behind by a failed write or deletion
    counts["orphan_keys"] = await records.casefile.shred_orphan_keys()
    for category, table, column in (
        ("invite_links", InviteLinkRow, InviteLinkRow.expires_at),
        ("auth_sessions", AuthSessionRow, AuthSessionRow.expires_at),
    ):
        cut = _cutoff(policies, category, now)
        if cut is not None:
            async with db.transaction() as s:
                result = await s.execute(delete(table).where(column < cut))
            counts[category] = int(getattr(result, "rowcount", 0) or 0)
    counts.update(
        await records.requests.purge(
            now,
            _cutoff(policies, "requests_unanswered", now),
            _cutoff(policies, "requests_declined", now),
        )
    )
    cut = _cutoff(policies, "mail", now)
    if cut is not None:
        counts["mail"] = await records.outbox.purge_before(cut)
    for category, purge_months in (
        ("survey_ballots", records.survey.purge_ballots_before),
        ("survey_answers", records.survey.purge_answers_before),
    ):
        cut = _cutoff(policies, category, now)
        if cut is not None:
            counts[category] = await purge_months(month_of(cut))
    for category, log in (("consent_log", records.consent), ("audit_log", records.audit)):
        cut = _cutoff(policies, category, now)
        if cut is not None:
            async with db.transaction() as s:
                counts[category] = (await log.purge_before(s, cut)).deleted
    async with db.transaction() as s:
        await records.audit.append_in(
            s, actor="system", action="retention.purge", detail=dict(counts), via="purge"
        )
    await checkpoint(db)
    logger.info("purge: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def register(policies: tuple[Policy, ...], controller: str) -> dict[str, Any]:
    """The register of processing activities (GDPR art. 30(1)) as a JSON-able dict."""
    return {
        "format": "palabre-art30-register",
        "version": 1,
        "controller": controller,
        "transfers_outside_eu": "none",
        "security_measures": SECURITY,
        "activities": [{**asdict(p), "retention": _retention_text(p)} for p in policies],
    }


def _retention_text(p: Policy) -> str:
    if p.days is None:
        return f"kept while needed, reviewed by hand after {p.starts}"
    return f"{p.days} days after {p.starts}, then {p.action}"


def register_markdown(policies: tuple[Policy, ...], controller: str) -> str:
    reg = register(policies, controller)
    lines = [
        "# Register of processing activities (GDPR art. 30)",
        "",
        f"Controller: {controller}  ",
        "Transfers outside the EU: none  ",
        f"Security measures: {SECURITY}",
        "",
        "| Category | Purpose | Legal basis | Data subjects | Data | Recipients | Retention |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in reg["activities"]:
        cells = [a["category"], a["purpose"], a["legal_basis"], a["data_subjects"],
                 a["data_categories"], a["recipients"], a["retention"]]  # fmt: skip
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
