"""Telling a live session's room that a signature landed on a text frozen there.

The mediators connected to the session learn who signed (``text:signed``), everyone else
how many have (``text:signing``), and all of them when the signed PDF is ready. The
sessions told are the case's sessions live on this node (a session live on another node
of a deployment is not told: its banner catches up at the next ``text:to_sign``).
"""

from __future__ import annotations

import logging

from aiohttp import web

from records.agreements.signing import FrozenText, Signer
from records.stores.cases import Case
from server.context import services
from server.realtime import NAMESPACE_KEY

logger = logging.getLogger(__name__)


async def announce_signature(
    request: web.Request, case: Case, text: FrozenText, signer: Signer, session_id: str | None
) -> None:
    """Tells the session(s) the text belongs to that ``signer`` signed (never fails)."""
    try:
        namespace = request.app[NAMESPACE_KEY]
        live = {s.session_id for s in namespace.hub.live_sessions()}
        sessions = {session_id} & live if session_id else set()
        if live and case.mediators:  # the case's sessions live on this node
            schedule = services(request).schedule
            ours = await schedule.list_sessions(case.id, case.mediators[0].id)
            sessions |= {s.id for s in ours} & live
        if not sessions:
            return
        names = {p.id: (p.display_name, p.role.value) for p in case.participants}
        names.update({m.id: (m.display_name, "mediator") for m in case.mediators})
        name, role = names.get(signer.person_id, ("", ""))
        signed = sum(1 for s in text.signers if s.signed_at is not None)
        progress = {"text_id": text.id, "signed": signed, "total": len(text.signers),
                    "sealed": text.sealed_item_id is not None}  # fmt: skip
        who = {"signer_id": signer.id, "person_id": signer.person_id, "name": name,
               "role": role, "state": text.state.value}  # fmt: skip
        for session in sessions:
            await namespace.announce_signature(session, who, progress)
    except Exception:
        logger.exception("case %s: a signature could not be announced to the room", case.id)
