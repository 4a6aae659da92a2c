"""Consent policy: what a participant agrees to, against which text, and what it allows.

Every text is a versioned notice of the notices store (:mod:`records.stores.notices`) and every
decision an entry of the consent log (:mod:`records.logs.consent`); this module says which:

* ``PURPOSES``: before taking part, a participant agrees to two things, each against
  its own text: taking part under confidentiality (``mediation``, the confidentiality
  undertaking) and the processing of their personal data (``privacy``). Consent holds
  while both are given against the current version of the text in the language read.
* ``OBSERVER_PURPOSE``: each party's agreement to the presence of the case's observers,
  given with the confidentiality undertaking. Whether an observer may be let in is the
  live session's rule (:meth:`sessions.service.LiveSession.admit`); this says whether
  every party agreed.
* ``CHAT_PURPOSE``: agreement to keep the session's chat in the case file, against the
  ``chat_retention`` text; refusing after agreeing is a withdrawal.

Mediators are bound by their own professional undertaking and give none of these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from records.logs.consent import ConsentLog, Decision
from records.stores.notices import LANGUAGES, Language, NoticeKind, NoticeText, NoticeTexts

#: purpose in the consent log -> kind of the text it is given against
PURPOSES: Mapping[str, NoticeKind] = {"mediation": "confidentiality", "privacy": "privacy"}
OBSERVER_PURPOSE = "observer_presence"
OBSERVER_TEXT: NoticeKind = "confidentiality"
CHAT_PURPOSE = "chat_retention"
CHAT_TEXT: NoticeKind = "chat_retention"


def language(raw: str) -> Language:
    """A language the texts exist in (the first one, French, for anything else)."""
    for lang in LANGUAGES:
        if raw == lang:
            return lang
    return LANGUAGES[0]


class ConsentPolicy:
    def __init__(self, consent: ConsentLog, notices: NoticeTexts) -> None:
        self._consent = consent
        self._notices = notices

    async def current_versions(self) -> dict[tuple[str, str], int]:
        """The current version of each text a participant agrees to, per language."""
        return {
            (kind, lang): (await self._notices.current(kind, lang)).version
            for kind in PURPOSES.values()
            for lang in LANGUAGES
        }

    async def version(self) -> str:
        """One string naming every current text (it changes when any is published again)."""
        versions = await self.current_versions()
        return ".".join(f"{k[0][0]}{k[1]}{v}" for k, v in sorted(versions.items()))

    async def has_consent(self, session_id: str, participant_id: str) -> bool:
        """Both purposes given, not withdrawn, against the current text in the language read."""
        current = await self._consent.current(session_id, participant_id)
        versions = await self.current_versions()
        for purpose, kind in PURPOSES.items():
            entry = current.get(purpose)
            if entry is None or entry.decision != "given":
                return False
            if versions.get((kind, entry.language)) != entry.text_version:
                return False
        return True

    async def observers_agreed(self, session_id: str, party_ids: Iterable[str]) -> bool:
        """Every one of the session's parties agreed to the presence of observers."""
        for pid in party_ids:
            entry = (await self._consent.current(session_id, pid)).get(OBSERVER_PURPOSE)
            if entry is None or entry.decision != "given":
                return False
        return True

    async def withdraw(self, session_id: str, participant_id: str, user_agent: str) -> None:
        """Withdraw everything given (a new entry for each, on the text it was given on)."""
        current = await self._consent.current(session_id, participant_id)
        for purpose, entry in current.items():
            if entry.decision == "given":
                await self._consent.record(
                    session_id=session_id,
                    participant_id=participant_id,
                    purpose=purpose,
                    decision="withdrawn",
                    text_version=entry.text_version,
                    text_sha256=entry.text_sha256,
                    language=entry.language,
                    mechanism={"form": "room-withdraw-button", "user_agent": user_agent[:200]},
                    typed_name=None,
                )

    async def chat_notice(self, lang: str) -> NoticeText:
        """The current text a participant agrees to when the chat is to be kept."""
        return await self._notices.current(CHAT_TEXT, language(lang))

    async def record_chat_agreement(
        self, session_id: str, participant_id: str, agreed: bool, lang: str, user_agent: str
    ) -> None:
        """Agreement to keep the chat, on the current text; refusing after agreeing is a
        withdrawal, refusing first a decline."""
        notice = await self.chat_notice(lang)
        before = (await self._consent.current(session_id, participant_id)).get(CHAT_PURPOSE)
        refused: Decision = (
            "withdrawn" if before is not None and before.decision == "given" else "declined"
        )
        await self._consent.record(
            session_id=session_id,
            participant_id=participant_id,
            purpose=CHAT_PURPOSE,
            decision="given" if agreed else refused,
            text_version=notice.version,
            text_sha256=notice.sha256,
            language=notice.language,
            mechanism={"form": "room-chat-keep", "user_agent": user_agent[:200]},
            typed_name=None,
        )
