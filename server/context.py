"""The services the app factory builds, and how a handler reaches them."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from errors import ErrorCode
from records.agreements.seal import OrganisationSeal
from records.db import Database
from records.service import Records
from records.stores.accounts import AccountStore, Mediator
from records.stores.cases import CaseStore
from records.stores.scheduling import ScheduleStore
from server.config import Config
from server.errors import ApiError
from server.invites.links import LinkService
from server.invites.request_withdrawal import WithdrawalTokens
from server.invites.survey_links import SurveyLinks
from server.mail.notify import Notifier
from server.mail.worker import MailWorker
from server.passwords import PasswordHashing
from server.throttle import Throttle

SESSION_COOKIE = "palabre_session"


@dataclass
class SetupState:
    """The one-time code that guards creating the first account on a fresh database."""

    code: str | None


@dataclass(frozen=True)
class Services:
    config: Config
    db: Database
    accounts: AccountStore
    cases: CaseStore
    schedule: ScheduleStore
    links: LinkService
    throttle: Throttle
    hashing: PasswordHashing
    setup: SetupState
    records: Records
    mail: MailWorker | None = None  # None: no SMTP server configured, mail waits
    surveys: SurveyLinks | None = None  # the questionnaire's own links (by e-mail)
    withdrawals: WithdrawalTokens | None = None  # a requester's way to withdraw a request
    notifier: Notifier | None = None  # what invited participants are told (set by the app)
    seal: OrganisationSeal | None = None  # what signed agreements are sealed with


SERVICES = web.AppKey("services", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


async def current_mediator(request: web.Request) -> Mediator | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    return await services(request).accounts.get_auth_session(token)


async def require_mediator(request: web.Request) -> Mediator:
    mediator = await current_mediator(request)
    if mediator is None:
        raise ApiError(ErrorCode.NOT_AUTHENTICATED, "please sign in")
    return mediator


async def require_admin(request: web.Request) -> Mediator:
    """The one rule for what changes the whole organisation: administrators only.

    Routes declare it (``api.add(..., admin=True)``); the route registry calls it.
    """
    mediator = await require_mediator(request)
    if not mediator.is_admin:
        raise ApiError(ErrorCode.ADMIN_REQUIRED, "only an organisation administrator may do this")
    return mediator
