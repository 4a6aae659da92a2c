"""Whiteboard, chat and shared-document events of the ``/session`` namespace.

Client-to-server, each with an ack ``{"ok": ...}``:

* whiteboard: ``wb:op`` {op, room_id?} (ack: its seq; the logged entry reaches
  everyone in the room, the author included, as ``wb:op``; stored encrypted
  before anyone sees it), ``wb:sync`` {since?} (ack: a snapshot, or the
  operations after ``since``, and ``history`` {undo, redo}: how many steps the
  asker may undo and redo once those are applied), ``wb:copy`` {from_room} (mediators);
  ``wb:show`` {} (bring the room to its board, as ``wb:shown`` to the others);
* chat: ``chat:send`` {text, room_id} (refused if the sender has moved since),
  ``chat:history`` {since?}, ``chat:keep`` {enabled} (mediators), ``chat:notice``
  {language} (the text agreed to),
  ``chat:agree`` {agreed, language} (written to the consent log);
* documents: ``doc:list`` {}, ``doc:withdraw`` {doc_id, keep?}, ``doc:reshare``
  {doc_id, visibility} (its owner: shared again in their current room),
  ``doc:download`` {doc_id, allowed} (mediators), ``doc:present`` {doc_id, page, zoom},
  ``doc:stop`` {}, ``doc:follow`` {following}. Uploading is HTTP
  (``server/rest/documents.py``).

Every event concerns the sender's current room; the domain addresses every
notification to that room's members only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sessions.documents import Visibility
from sessions.service import LiveSession
from signaling.collab_protocol import (
    ChatAgree,
    ChatHistory,
    ChatKeep,
    ChatNotice,
    ChatSend,
    DocDownload,
    DocFollow,
    DocPresent,
    DocReshare,
    DocWithdraw,
    WbCopy,
    WbOp,
    WbSync,
)
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.ports import HubPorts
from signaling.protocol import Ack, Empty, ok, parse


class CollabEvents:
    """Mixed into :class:`signaling.namespace.SessionNamespace`."""

    hub: LiveHub
    _ports: HubPorts

    def _identity(self, sid: str) -> Identity:
        raise NotImplementedError

    async def _do(self, sid: str, action: Callable[[LiveSession, str], Any]) -> Any:
        raise NotImplementedError

    # -- whiteboard ----------------------------------------------------------------

    async def on_wb_op(self, sid: str, data: Any) -> Ack:
        payload = parse(WbOp, data)
        entry = await self.hub.call(
            self._identity(sid),
            lambda s, k: s.wb_submit(k, payload.op, payload.room_id),
            connection=sid,
            content_only=True,
        )
        return ok(seq=entry.seq)  # the entry reaches the author too, as wb:op

    async def on_wb_sync(self, sid: str, data: Any) -> Ack:
        since = parse(WbSync, data).since
        sync = await self._do(sid, lambda s, k: s.wb_sync(k, since))
        return ok(
            room_id=sync.room_id,
            snapshot=None if sync.snapshot is None else sync.snapshot.to_wire(),
            ops=[entry.to_wire() for entry in sync.ops],
            history={"undo": sync.history[0], "redo": sync.history[1]},
        )

    async def on_wb_show(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        await self._do(sid, lambda s, k: s.show_board(k))
        return ok()

    async def on_wb_copy(self, sid: str, data: Any) -> Ack:
        source = parse(WbCopy, data).from_room
        entry = await self.hub.call(
            self._identity(sid), lambda s, k: s.copy_board(k, source), connection=sid,
            content_only=True,
        )  # fmt: skip
        return ok(seq=entry.seq)

    # -- chat ------------------------------------------------------------------------

    async def on_chat_send(self, sid: str, data: Any) -> Ack:
        wanted = parse(ChatSend, data)
        message = await self.hub.call(
            self._identity(sid),
            lambda s, k: s.chat_send(k, wanted.text, wanted.room_id),
            connection=sid,
            content_only=True,
        )
        return ok(message=message.to_wire())

    async def on_chat_history(self, sid: str, data: Any) -> Ack:
        since = parse(ChatHistory, data).since
        return ok(
            **await self.hub.read(
                self._identity(sid),
                lambda s, k: {
                    "messages": [m.to_wire() for m in s.chat_history(k, since)],
                    "keep_enabled": s.chat_log.keep_enabled,
                    "agreed": s.chat_log.agreed(k),
                },
                connection=sid,
            )
        )

    async def on_chat_keep(self, sid: str, data: Any) -> Ack:
        enabled = parse(ChatKeep, data).enabled
        await self._do(sid, lambda s, k: s.set_chat_keep(k, enabled))
        return ok(enabled=enabled)

    async def on_chat_notice(self, sid: str, data: Any) -> Ack:
        notice = await self._ports.consent.chat_keep_notice(parse(ChatNotice, data).language)
        return ok(
            language=notice.language, version=notice.version, sha256=notice.sha256,
            body=notice.body,
        )  # fmt: skip

    async def on_chat_agree(self, sid: str, data: Any) -> Ack:
        wanted = parse(ChatAgree, data)
        identity = self._identity(sid)
        self.hub.require_connected(identity, sid)
        await self._ports.consent.record_chat_agreement(
            identity.session_id, identity.key, wanted.agreed, wanted.language, "socket"
        )
        kept = await self._do(sid, lambda s, k: s.agree_chat_keep(k, wanted.agreed))
        return ok(kept=kept)

    # -- shared documents ------------------------------------------------------------

    async def on_doc_list(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        identity = self._identity(sid)

        def listing(s: LiveSession, k: str) -> dict[str, Any]:
            room = s.room_of(k)
            shown = None if room is None else s.documents.presentation(room)
            return {
                "documents": [d.to_wire() for d in s.documents_for(k)],
                "presentation": None if shown is None else shown.to_wire(),
            }

        return ok(**await self.hub.read(identity, listing, connection=sid))

    async def on_doc_withdraw(self, sid: str, data: Any) -> Ack:
        wanted = parse(DocWithdraw, data)
        await self._do(sid, lambda s, k: s.withdraw_document(k, wanted.doc_id, wanted.keep))
        return ok()

    async def on_doc_reshare(self, sid: str, data: Any) -> Ack:
        wanted = parse(DocReshare, data)
        visibility = Visibility(wanted.visibility)
        doc = await self._do(sid, lambda s, k: s.reshare_document(k, wanted.doc_id, visibility))
        return ok(document=doc.to_wire())

    async def on_doc_download(self, sid: str, data: Any) -> Ack:
        wanted = parse(DocDownload, data)
        doc = await self._do(
            sid, lambda s, k: s.set_document_download(k, wanted.doc_id, wanted.allowed)
        )
        return ok(document=doc.to_wire())

    async def on_doc_present(self, sid: str, data: Any) -> Ack:
        wanted = parse(DocPresent, data)
        shown = await self._do(
            sid, lambda s, k: s.present(k, wanted.doc_id, wanted.page, wanted.zoom)
        )
        return ok(presentation=shown.to_wire())

    async def on_doc_stop(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        await self._do(sid, lambda s, k: s.stop_presenting(k))
        return ok()

    async def on_doc_follow(self, sid: str, data: Any) -> Ack:
        following = parse(DocFollow, data).following
        shown = await self._do(sid, lambda s, k: s.follow(k, following))
        return ok(presentation=None if shown is None else shown.to_wire())
