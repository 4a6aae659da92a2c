"""The repositories: each keeps one kind of record and returns plain dataclasses.

- ``accounts``: mediators and their sign-in sessions.
- ``cases``: cases, their participants and mediators; ``addresses``: participants'
  addresses, sealed under each person's own key.
- ``scheduling``: sessions and the registry of personal links; ``invites``: whether a
  link may be used.
- ``casefile``: the confidential items of a case, encrypted, every access audited; its
  kinds of item in ``items``, what it destroys (erasure, retention, left-over keys) in
  ``erasure``.
- ``journal``: every whiteboard operation of a session, encrypted, in order.
- ``shares``: how a session's documents are shared while it is not in memory.
- ``live``: what a live session needs to carry on on another node, fenced by a claim.
- ``notices``: the versioned legal texts.
- ``outcomes``: closing a case: its outcome and summary.
- ``outbox``: e-mail of a case, stored (encrypted) before it is sent, and its fate.
"""
