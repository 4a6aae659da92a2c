"""Whether an invite link may be used, decided once (records/stores/invites.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from errors import ErrorCode
from records.stores.cases import ParticipantRole
from records.stores.invites import (
    LinkClaims,
    LinkRefused,
    LinkStatus,
    link_status,
    presented_status,
    require_usable,
)
from records.stores.scheduling import InviteLink, JoinInfo, ScheduledSession

NOW = datetime(2030, 3, 14, 16, 0, tzinfo=UTC)
SESSION = ScheduledSession("s1", "c1", NOW - timedelta(hours=1), "Europe/Paris", 90, "open")
LINK = InviteLink(
    "j1", "s1", "p1", ParticipantRole.PARTY, NOW - timedelta(days=1), NOW + timedelta(hours=2),
    None,
)  # fmt: skip
INFO = JoinInfo(LINK, "Jeanne", "Médiation", ["Anne"], "anne@example.org", SESSION, [])
CLAIMS = LinkClaims("j1", "s1", "p1", "party", int(LINK.expires_at.timestamp()))


def test_a_link_is_active_until_its_time() -> None:
    assert link_status(LINK, SESSION, NOW) is LinkStatus.ACTIVE
    assert link_status(LINK, SESSION, LINK.expires_at) is LinkStatus.EXPIRED


def test_withdrawn_comes_before_past_its_time_and_both_before_session_over() -> None:
    revoked = dataclasses.replace(LINK, revoked_at=NOW - timedelta(hours=1))
    ended = dataclasses.replace(SESSION, status="ended")
    assert link_status(revoked, ended, LINK.expires_at) is LinkStatus.REVOKED
    assert link_status(LINK, ended, LINK.expires_at) is LinkStatus.EXPIRED
    assert link_status(LINK, ended, NOW) is LinkStatus.SESSION_CLOSED


def test_a_presented_link_must_be_the_one_the_registry_holds() -> None:
    assert presented_status(CLAIMS, INFO, NOW) is LinkStatus.ACTIVE
    for changed in ({"role": "observer"}, {"participant_id": "p2"}, {"session_id": "s2"}):
        assert presented_status(dataclasses.replace(CLAIMS, **changed), INFO, NOW) is (
            LinkStatus.INVALID
        )
    # unknown to the registry (erased with its case): expired if its time is past
    assert presented_status(CLAIMS, None, NOW) is LinkStatus.INVALID
    assert presented_status(CLAIMS, None, LINK.expires_at) is LinkStatus.EXPIRED


def test_a_refusal_names_whom_to_ask_only_for_a_genuine_link() -> None:
    assert require_usable(CLAIMS, INFO, NOW) is INFO
    with pytest.raises(LinkRefused) as expired:
        require_usable(CLAIMS, INFO, LINK.expires_at + timedelta(seconds=1))
    assert (expired.value.code, expired.value.contact) == (
        ErrorCode.LINK_EXPIRED,
        "anne@example.org",
    )
    with pytest.raises(LinkRefused) as forged:
        require_usable(dataclasses.replace(CLAIMS, role="counsel"), INFO, NOW)
    assert (forged.value.code, forged.value.contact) == (ErrorCode.LINK_INVALID, "")
