"""Shared factories for records-level tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from records.db import Database
from records.stores.accounts import AccountStore, Mediator
from records.stores.cases import (
    Case,
    CaseStore,
    MediationType,
    NewCase,
    NewParticipant,
    ParticipantRole,
)
from records.stores.scheduling import ScheduledSession, ScheduleStore


async def make_mediator(db: Database, email: str = "anne@example.org") -> Mediator:
    return await AccountStore(db).create_mediator(email, email.split("@")[0].title(), "x-hash")


async def make_case(
    db: Database,
    mediator: Mediator,
    co_ids: list[str] | None = None,
    store: CaseStore | None = None,
) -> Case:
    """A case; its description and its participants' addresses are stored only with a
    ``store`` that has the keys (``records.cases``)."""
    store = store or CaseStore(db)
    sealed = store.encrypts
    return await store.create_case(
        mediator.id,
        NewCase(
            reference="2026-014",
            title="Dupont / Durand — mur mitoyen",
            public_title="Médiation de voisinage",
            mediation_type=MediationType.NEIGHBOURHOOD,
            description="Confidential description" if sealed else "",
            participants=[
                NewParticipant(
                    "Jeanne Dupont", ParticipantRole.PARTY, "jeanne@example.org" if sealed else None
                ),
                NewParticipant("Marc Durand", ParticipantRole.PARTY, None),
                NewParticipant(
                    "Me Paul Girard",
                    ParticipantRole.COUNSEL,
                    "girard@example.org" if sealed else None,
                ),
            ],
            co_mediator_ids=co_ids or [],
        ),
    )


async def make_session(
    db: Database, case: Case, mediator: Mediator, starts_in: timedelta = timedelta(days=2)
) -> ScheduledSession:
    return await ScheduleStore(db).schedule_session(
        case.id, mediator.id, datetime.now(UTC) + starts_in, "Europe/Paris", 90
    )
