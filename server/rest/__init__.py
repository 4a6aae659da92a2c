"""The REST API under ``/api``: one module per area, and what they share.

Areas (each has a ``register_routes(api)``): ``auth`` (accounts, sign-in), ``cases``,
``sessions`` (scheduling, personal links), ``join`` (what a link opens), ``consent``,
``records`` (notes, summaries, the case file), ``practice`` (the mediator's practice),
``documents`` (shared in a session), ``board`` (whiteboard exports), ``mail`` (e-mail
of a case: invitations, the outbox), ``survey`` (the satisfaction survey), ``agenda``
(a mediator's sessions across their cases, and its calendar feed), ``templates`` (the
templates of the agreement texts), ``requests`` (requests for a mediation from the
public, and their queue), ``signing`` (texts frozen for signing, signed from each
signer's link, sealed).

Shared by all of them, and only these: ``api`` (the route registry: validation and the
OpenAPI document), ``fields`` (the rules every string sent must follow) and ``shared``
(who is asking, the audit channel, serving a stored file, a session's shape). No area
module imports another one.
"""

from __future__ import annotations

from server.rest import (
    agenda,
    auth,
    board,
    cases,
    consent,
    documents,
    join,
    mail,
    practice,
    records,
    requests,
    sessions,
    signing,
    survey,
    templates,
)
from server.rest.api import Api

AREAS = (
    auth, cases, sessions, join, consent, records, practice, documents, board, mail, survey,
    agenda, templates, requests, signing,
)  # fmt: skip


def register_routes(api: Api) -> None:
    """Every area's routes, in the order the OpenAPI document lists them."""
    for area in AREAS:
        area.register_routes(api)
