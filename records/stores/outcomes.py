"""Closing a case: its outcome, sessions, parties, referral, region and summary.

The structured part is a plain row (``case_outcomes``: codes and numbers, no
names); the free-text summary and the names of organisations involved are an
encrypted case-file item (``closing_summary``, JSON). The mediator's review of
the anonymised summary is kept as a list of edits (offsets and replacement
ids, never text) replayed on the anonymiser's result while it is under review.
Confirming stores the rendered export document in the same encrypted item:
from then on every export is that document, byte for byte, whatever happens
to the case's names (an erased participant no longer has a name to replace,
so re-running the anonymiser would undo their anonymisation). Closing again
(a correction) or editing the review again drops it.
The mediator's decisions about suggestions (people and places the case does
not list, found by rules) are kept in the same encrypted item, keyed by the
suggestion's kind and text: they hold for the case, across corrections of
the closing, until the case is erased.
Only the case's mediators reach any of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import extract, select

from records.anonymise.geography import departement
from records.anonymise.stats import OTHER, CaseRecord
from records.anonymise.summaries import DECISIONS
from records.db import Database
from records.errors import Conflict, Invalid, NotFound
from records.models import CaseMediatorRow, CaseOutcomeRow, CaseRow, SessionRow, utcnow
from records.stores.casefile import CaseFile, ItemKind
from records.stores.cases import MediationType, require_case_mediator

MAX_EDITS = 500
MAX_DECISIONS = 500
OTHER_TYPE = "other_type"  # how the mediation type "other" is counted in statistics


class Outcome(StrEnum):
    FULL_AGREEMENT = "full_agreement"
    PARTIAL_AGREEMENT = "partial_agreement"
    NO_AGREEMENT = "no_agreement"
    STOPPED_BY_PARTY = "stopped_by_party"
    STOPPED_BY_MEDIATOR = "stopped_by_mediator"

    @property
    def agreement(self) -> bool:
        return self in (Outcome.FULL_AGREEMENT, Outcome.PARTIAL_AGREEMENT)


class Referral(StrEnum):
    VOLUNTARY = "voluntary"
    COURT_ORDERED = "court_ordered"
    CONTRACTUAL = "contractual_clause"


class PartyKind(StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"
    ASSOCIATION = "association"
    PUBLIC_BODY = "public_body"


@dataclass(frozen=True)
class Closing:
    """What the mediator enters when closing a case."""

    outcome: Outcome
    referral: Referral
    party_kinds: tuple[PartyKind, ...]
    departement: str
    session_minutes: tuple[int, ...]
    language: str
    summary: str
    organisations: tuple[str, ...] = ()
    court_reference: str | None = None


@dataclass(frozen=True)
class CaseOutcome:
    case_id: str
    reference: str
    mediation_type: MediationType
    outcome: Outcome
    referral: Referral
    party_kinds: tuple[PartyKind, ...]
    departement: str
    region: str
    session_minutes: tuple[int, ...]
    court_reference: str | None
    language: str
    opened_at: datetime
    closed_at: datetime
    closed_by: str
    edits: tuple[dict[str, Any], ...]
    confirmed_at: datetime | None

    @property
    def judicial(self) -> bool:
        return (
            self.referral is Referral.COURT_ORDERED or self.mediation_type is MediationType.JUDICIAL
        )

    @property
    def duration_days(self) -> int:
        return max(0, (self.closed_at - self.opened_at).days)

    def record(self) -> CaseRecord:
        # the type "other" would be confused with the statistics' merged "other" bucket
        kind = self.mediation_type.value
        return CaseRecord(
            mediation_type=OTHER_TYPE if kind == OTHER else kind,
            outcome=self.outcome.value,
            referral=self.referral.value,
            sessions=len(self.session_minutes),
            duration_days=self.duration_days,
            region=self.region,
        )


@dataclass(frozen=True)
class SummaryText:
    summary: str
    organisations: tuple[str, ...]
    decisions: dict[str, str]  # suggestion key -> "accept" | "reject"


@dataclass(frozen=True)
class Confirmation:
    """What the mediator confirmed: the summary as reviewed and its rendered export."""

    summary: str
    document: dict[str, Any]


def _outcome(row: CaseOutcomeRow, case: CaseRow) -> CaseOutcome:
    return CaseOutcome(
        case_id=row.case_id, reference=case.reference,
        mediation_type=MediationType(case.mediation_type), outcome=Outcome(row.outcome),
        referral=Referral(row.referral),
        party_kinds=tuple(PartyKind(k) for k in row.party_kinds.split(",") if k),
        departement=row.departement, region=row.region,
        session_minutes=tuple(json.loads(row.session_minutes)),
        court_reference=row.court_reference, language=row.language,
        opened_at=case.created_at, closed_at=row.closed_at, closed_by=row.closed_by,
        edits=tuple(json.loads(row.review)), confirmed_at=row.confirmed_at,
    )  # fmt: skip


def _decisions(data: dict[str, Any]) -> dict[str, str]:
    stored = data.get("decisions")
    if not isinstance(stored, dict):
        return {}
    return {str(k): str(v) for k, v in stored.items() if v in DECISIONS}


def check_edits(edits: list[dict[str, Any]]) -> None:
    """Edits are ``{"op": "redact", "start", "end"}`` or ``{"op": "revert"|"restore", "id"}``."""
    if len(edits) > MAX_EDITS:
        raise Invalid(f"at most {MAX_EDITS} edits")
    for edit in edits:
        op = edit.get("op")
        if op == "redact":
            ok = set(edit) == {"op", "start", "end"} and all(
                isinstance(edit[k], int) and not isinstance(edit[k], bool) for k in ("start", "end")
            )
        elif op in ("revert", "restore"):
            ok = set(edit) == {"op", "id"} and isinstance(edit["id"], str) and len(edit["id"]) < 16
        else:
            ok = False
        if not ok:
            raise Invalid("malformed review edit")


class OutcomeStore:
    def __init__(self, db: Database, casefile: CaseFile) -> None:
        self._db = db
        self._casefile = casefile

    async def session_minutes(self, case_id: str, mediator_id: str) -> list[int]:
        """Lengths of the case's sessions that were not cancelled, in order (the pre-fill)."""
        async with self._db.transaction() as s:
            await require_case_mediator(s, case_id, mediator_id)
            rows = await s.scalars(
                select(SessionRow)
                .where(SessionRow.case_id == case_id, SessionRow.status != "cancelled")
                .order_by(SessionRow.starts_at)
            )
            return [r.duration_minutes for r in rows]

    async def close_case(
        self, case_id: str, mediator_id: str, closing: Closing, *, via: str
    ) -> CaseOutcome:
        """Close (or correct the closing of) a case; the summary must then be reviewed again.

        The one way a case closes: its status, the start of its retention period (the
        first closing only) and the ``case.close`` audit entry, with the outcome."""
        try:
            dept = departement(closing.departement)
        except ValueError:
            raise Invalid("unknown département") from None
        actor = f"mediator:{mediator_id}"
        async with self._db.transaction() as s:
            await require_case_mediator(s, case_id, mediator_id)
            closed_before = await s.get(CaseOutcomeRow, case_id) is not None
        # a correction keeps the decisions about suggestions: they hold for the case
        decisions = (
            _decisions(await self._summary_data(case_id, mediator_id, via)) if closed_before else {}
        )
        content = json.dumps(
            {
                "summary": closing.summary,
                "organisations": list(closing.organisations),
                "decisions": decisions,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        async with self._db.transaction() as s:
            case = await require_case_mediator(s, case_id, mediator_id)
            row = await s.get(CaseOutcomeRow, case_id)
            now = utcnow()
            info = await self._casefile.put_item_in(
                s, case_id, ItemKind.CLOSING_SUMMARY, content, actor=actor, via=via,
                item_id=row.summary_item_id if row is not None else None,
            )  # fmt: skip
            if row is None:
                row = CaseOutcomeRow(case_id=case_id, closed_at=now, review="[]")
                s.add(row)
            row.outcome = closing.outcome.value
            row.referral = closing.referral.value
            row.party_kinds = ",".join(dict.fromkeys(k.value for k in closing.party_kinds))
            row.departement = dept.code
            row.region = dept.region
            row.session_minutes = json.dumps(list(closing.session_minutes))
            row.court_reference = closing.court_reference
            row.language = closing.language
            row.summary_item_id = info.id
            row.closed_by = mediator_id
            row.review = "[]"
            row.confirmed_at = None
            case.status = "closed"
            if case.closed_at is None:
                case.closed_at = now
                await self._casefile.audit.append_in(
                    s, actor=actor, action="case.close", case_id=case_id, via=via
                )
            await s.flush()
            return _outcome(row, case)

    async def get_outcome(self, case_id: str, mediator_id: str) -> CaseOutcome:
        async with self._db.transaction() as s:
            case = await require_case_mediator(s, case_id, mediator_id)
            row = await s.get(CaseOutcomeRow, case_id)
            if row is None:
                raise NotFound("this case is not closed")
            return _outcome(row, case)

    async def _summary_data(self, case_id: str, mediator_id: str, via: str) -> dict[str, Any]:
        items = await self._casefile.read_items(
            case_id, kinds={ItemKind.CLOSING_SUMMARY}, actor=f"mediator:{mediator_id}", via=via
        )
        if not items:
            return {"summary": "", "organisations": []}
        data: dict[str, Any] = json.loads(items[-1].text)
        return data

    async def get_summary(self, case_id: str, mediator_id: str, *, via: str) -> SummaryText:
        """The decrypted summary and organisations (an audited read)."""
        await self.get_outcome(case_id, mediator_id)
        data = await self._summary_data(case_id, mediator_id, via)
        return SummaryText(
            str(data["summary"]), tuple(str(o) for o in data["organisations"]), _decisions(data)
        )

    async def get_confirmed(
        self, case_id: str, mediator_id: str, *, via: str
    ) -> dict[str, Any] | None:
        """The export document stored at confirmation, or ``None`` if there is none.

        A review confirmed before documents were stored has none either: it must
        be confirmed again rather than rendered afresh with today's names.
        """
        outcome = await self.get_outcome(case_id, mediator_id)
        if outcome.confirmed_at is None:
            return None
        document = (await self._summary_data(case_id, mediator_id, via)).get("confirmed")
        return document if isinstance(document, dict) else None

    async def set_review(
        self,
        case_id: str,
        mediator_id: str,
        edits: list[dict[str, Any]],
        *,
        confirmation: Confirmation | None = None,
        via: str,
    ) -> CaseOutcome:
        """Keep the edits; with a ``confirmation``, store its document for every export.

        ``Conflict`` if the summary changed since it was reviewed (a correction
        of the closing in between): what was confirmed is not what is stored.
        """
        check_edits(edits)
        await self.get_outcome(case_id, mediator_id)
        data = await self._summary_data(case_id, mediator_id, via)
        if confirmation is not None and confirmation.summary != data["summary"]:
            raise Conflict("the summary changed while it was reviewed: review it again")
        had_document = "confirmed" in data
        data.pop("confirmed", None)
        if confirmation is not None:
            data["confirmed"] = confirmation.document
        async with self._db.transaction() as s:
            case = await require_case_mediator(s, case_id, mediator_id)
            row = await s.get(CaseOutcomeRow, case_id)
            if row is None:
                raise NotFound("this case is not closed")
            if confirmation is not None or had_document:
                info = await self._casefile.put_item_in(
                    s, case_id, ItemKind.CLOSING_SUMMARY,
                    json.dumps(data, ensure_ascii=False).encode("utf-8"),
                    actor=f"mediator:{mediator_id}", via=via, item_id=row.summary_item_id,
                )  # fmt: skip
                row.summary_item_id = info.id
            row.review = json.dumps(edits)
            row.confirmed_at = utcnow() if confirmation is not None else None
            await s.flush()
            return _outcome(row, case)

    async def set_decision(
        self, case_id: str, mediator_id: str, key: str, decision: str, *, via: str
    ) -> CaseOutcome:
        """Remember the mediator's decision about a suggestion, for the whole case.

        The review changes with it, so a confirmed document is withdrawn: the
        summary must be confirmed again before it is exported.
        """
        if decision not in DECISIONS:
            raise Invalid("a decision is 'accept' or 'reject'")
        if not key or len(key) > 1000:
            raise Invalid("malformed suggestion")
        await self.get_outcome(case_id, mediator_id)
        data = await self._summary_data(case_id, mediator_id, via)
        decisions = _decisions(data)
        if key not in decisions and len(decisions) >= MAX_DECISIONS:
            raise Invalid(f"at most {MAX_DECISIONS} decisions per case")
        decisions[key] = decision
        data["decisions"] = decisions
        data.pop("confirmed", None)
        async with self._db.transaction() as s:
            case = await require_case_mediator(s, case_id, mediator_id)
            row = await s.get(CaseOutcomeRow, case_id)
            if row is None:
                raise NotFound("this case is not closed")
            info = await self._casefile.put_item_in(
                s, case_id, ItemKind.CLOSING_SUMMARY,
                json.dumps(data, ensure_ascii=False).encode("utf-8"),
                actor=f"mediator:{mediator_id}", via=via, item_id=row.summary_item_id,
            )  # fmt: skip
            row.summary_item_id = info.id
            row.confirmed_at = None
            await s.flush()
            return _outcome(row, case)

    async def list_closed(
        self,
        mediator_id: str,
        *,
        year: int | None = None,
        mediation_type: MediationType | None = None,
    ) -> list[CaseOutcome]:
        """The closed cases of this mediator (lead or co-mediator), optionally filtered."""
        async with self._db.transaction() as s:
            query = (
                select(CaseOutcomeRow, CaseRow)
                .join(CaseRow, CaseRow.id == CaseOutcomeRow.case_id)
                .join(CaseMediatorRow, CaseMediatorRow.case_id == CaseRow.id)
                .where(CaseMediatorRow.mediator_id == mediator_id)
                .order_by(CaseOutcomeRow.closed_at, CaseRow.id)
            )
            if year is not None:
                query = query.where(extract("year", CaseOutcomeRow.closed_at) == year)
            if mediation_type is not None:
                query = query.where(CaseRow.mediation_type == mediation_type.value)
            return [_outcome(o, c) for o, c in await s.execute(query)]
