"""Signing from the room: a template into the shared text, the text frozen, who signed.

Client-to-server (mediators only, each with an ack ``{"ok": ...}``):

* ``text:template`` {kind, language, timezone?}: the organisation's template of ``kind``
  (agreement_to_mediate, mediated_agreement, closing_record, court_report), filled from
  the case, is added at the end of the sender's room's text as their own update (checked
  and stored like any other; the room's other members get it as ``text:update``). Ack:
  ``seq``.
* ``text:freeze`` {kind, language}: the plenary's text as it stands is frozen for the
  case's parties and the sender (converted to headings and paragraphs, see
  :mod:`sessions.text_signing`). Ack: ``text_id``, ``sha256``; every member of the
  plenary gets ``text:frozen`` {room_id, text_id, sha256, kind, title}. Refused in a
  private meeting (``conflict``), for an empty text or a character the PDF cannot draw
  (``validation_error``), for a party or an observer (``forbidden``).

* ``text:to_sign`` {} (anyone in the room): the case's texts to sign (not withdrawn),
  ``texts`` [{text_id, kind, language, sha256, state, signed, total, sealed, my_signer_id,
  signed_by_me}]; a mediator's also carry ``case_id`` and ``signers`` [{signer_id,
  person_kind, person_id, name, role, has_email, signed}]; a participant sees only the
  texts they sign, an observer none.

Server-to-client, when a signature lands (from the signer's link or a mediator's page,
:mod:`server.rest.signing`), to every connection of the session the text was frozen in:

* ``text:signed`` {text_id, signer_id, person_id, name, role, state, signed, total}:
  mediators only (who signed);
* ``text:signing`` {text_id, signed, total, sealed}: everyone else (how many signed; once
  ``sealed``, the signed PDF can be downloaded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from errors import ErrorCode
from sessions.service import LiveSession
from signaling.errors import SignalingError
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.protocol import Ack, Empty, Payload, ok, parse

TemplateKind = Literal["agreement_to_mediate", "mediated_agreement", "closing_record",
                       "court_report"]  # fmt: skip
Language = Literal["fr", "en"]


class TextTemplate(Payload):
    kind: TemplateKind
    language: Language = "fr"
    timezone: Annotated[str, Field(max_length=64)] = "Europe/Paris"


class TextFreeze(Payload):
    kind: Literal["agreement_to_mediate", "mediated_agreement", "closing_record",
                  "court_report", "free"]  # fmt: skip
    language: Language = "fr"


MODELS: list[type[Payload]] = [TextTemplate, TextFreeze]


def _mediator(identity: Identity) -> None:
    if not identity.is_mediator:
        raise SignalingError(ErrorCode.FORBIDDEN, "only a mediator may do this")


class TextSigningEvents:
    """Mixed into :class:`signaling.namespace.SessionNamespace`."""

    hub: LiveHub

    def _identity(self, sid: str) -> Identity:
        raise NotImplementedError

    if TYPE_CHECKING:  # socketio.AsyncNamespace's, further down the namespace's bases

        async def emit(self, event: str, data: Any = None, to: Any = None) -> None: ...

    def _signing(self) -> Any:
        if self.hub.ports.signing is None or self.hub.ports.texts is None:
            raise SignalingError(ErrorCode.NOT_STORED, "texts cannot be signed here")
        return self.hub.ports.signing

    async def on_text_template(self, sid: str, data: Any) -> Ack:
        wanted = parse(TextTemplate, data)
        identity = self._identity(sid)
        _mediator(identity)
        signing = self._signing()
        self.hub.require_connected(identity, sid)
        document = await signing.template(
            identity.session_id, identity.key, wanted.kind, wanted.language, wanted.timezone
        )
        entry = await self.hub.call(
            identity,
            lambda s, k: s.insert_document(k, document),
            connection=sid,
            content_only=True,
        )
        return ok(seq=entry.seq)

    async def on_text_freeze(self, sid: str, data: Any) -> Ack:
        wanted = parse(TextFreeze, data)
        identity = self._identity(sid)
        _mediator(identity)
        signing = self._signing()
        read: Callable[[LiveSession, str], Any] = lambda s, k: s.text_to_freeze(k)  # noqa: E731
        room_id, document = await self.hub.read(identity, read, connection=sid)
        frozen = await signing.freeze(
            identity.session_id, identity.key, room_id, wanted.kind, wanted.language, document
        )
        members = await self.hub.read(
            identity, lambda s, k: s.room_members(k, room_id), connection=sid
        )
        sids = [c for key in members for c in self.hub.connections.of(identity.session_id, key)]
        payload = {
            "room_id": room_id, "text_id": frozen.text_id, "sha256": frozen.sha256,
            "kind": frozen.kind, "title": frozen.title,
        }  # fmt: skip
        if sids:
            await self.emit("text:frozen", payload, to=sids)
        return ok(text_id=frozen.text_id, sha256=frozen.sha256)

    async def on_text_to_sign(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        identity = self._identity(sid)
        signing = self._signing()
        self.hub.require_connected(identity, sid)
        return ok(texts=await signing.texts(identity.session_id, identity.key))

    async def announce_signature(
        self, session_id: str, who: dict[str, Any], progress: dict[str, Any]
    ) -> None:
        """A signature landed on a text frozen in ``session_id``: its mediators are told
        who (``who``: text_id, signer_id, person_id, name, role, state), the others how
        many (``progress``: text_id, signed, total, sealed)."""
        mediators: list[str] = []
        others: list[str] = []
        for sid, identity in self.hub.connections.in_session(session_id).items():
            (mediators if identity.is_mediator else others).append(sid)
        if mediators:
            await self.emit("text:signed", {**who, **progress}, to=mediators)
        if others:
            await self.emit("text:signing", progress, to=others)
