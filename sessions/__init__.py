"""The live-session domain, free of transport: lobby, roles, rooms, whiteboard, chat.

Modules, lowest first:

- ``errors``: :class:`SessionError` and subclasses, each with a client-visible code.
- ``events``: what calls hand back (audit events, notifications, kicks, room changes).
- ``roles``, ``permissions``: the roles and the permission matrix (data).
- ``lobby``: participants' state machine, consent gate, connections, grace period.
- ``rooms``: plenary and private meetings, who is in which, whether a room is live.
- ``text``: plain-text sanitising shared by chat, whiteboard and titles.
- ``whiteboard``: client operations, the ordered log, boards, their SVG and PNG exports.
- ``chat``, ``documents``: chat per room and retention; shared documents, follow-me.
- ``durable``: what of a live session outlives its process (stored as it changes, resumed
  by whichever node takes the session next).
- ``outcome``, ``core``, ``collab``, ``service``: the ``LiveSession`` facade (who sees and
  hears whom: ``core``'s media room; what may be sent: ``service``'s media gate).

Nothing here does I/O or reads the clock except through an injected ``Clock``.
"""
