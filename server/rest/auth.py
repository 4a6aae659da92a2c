"""Sign-in, sign-out, the current mediator, and the one-time setup of the first account."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from aiohttp import web
from pydantic import Field, StringConstraints

from errors import ErrorCode
from records.stores.accounts import Mediator
from server.context import SESSION_COOKIE, current_mediator, require_mediator, services
from server.errors import ApiError
from server.passwords import MAX_LENGTH, HashingBusy, check_policy
from server.rest.api import Api, Out, Strict, reply
from server.rest.fields import FILLED_LINE, Email, Name
from server.throttle import Attempt, TooManyAttempts

logger = logging.getLogger(__name__)

Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]


class LoginIn(Strict):
    email: Email
    password: Password


class SetupIn(Strict):
    code: Annotated[str, StringConstraints(max_length=64, pattern=FILLED_LINE)]
    email: Email
    display_name: Name
    password: Password


class MeOut(Out):
    id: str
    email: str
    display_name: str
    is_admin: bool = Field(
        description="An organisation administrator: may publish the legal texts and change "
        "organisation settings"
    )


class SetupOut(Out):
    needed: bool


def _me(m: Mediator) -> MeOut:
    return MeOut(id=m.id, email=m.email, display_name=m.display_name, is_admin=m.is_admin)


async def _sign_in(request: web.Request, mediator: Mediator, status: int = 200) -> web.Response:
    svc = services(request)
    token = await svc.accounts.create_auth_session(mediator.id, svc.config.session_lifetime)
    response = reply(_me(mediator), status)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=svc.config.secure_cookies,
        max_age=int(svc.config.session_lifetime.total_seconds()),
    )
    return response


async def get_me(request: web.Request) -> web.Response:
    return reply(_me(await require_mediator(request)))


async def _begin(request: web.Request, account: str, *, account_wide: bool = True) -> Attempt:
    """Reserves the attempt before anything is checked (counted before the password is)."""
    try:
        return await services(request).throttle.begin(
            account, request.remote or "unknown", account_wide=account_wide
        )
    except TooManyAttempts as exc:
        raise ApiError(
            ErrorCode.THROTTLED,
            f"too many failed attempts; try again in {exc.retry_after} seconds",
        ) from exc


_BUSY = "too many sign-ins at once; try again in a few seconds"


async def login(request: web.Request, body: LoginIn) -> web.Response:
    svc = services(request)
    attempt = await _begin(request, body.email)
    try:
        creds = await svc.accounts.get_credentials(body.email)
        ok = await svc.hashing.verify(creds.password_hash if creds else None, body.password)
    except HashingBusy as exc:
        await svc.throttle.release(attempt)
        raise ApiError(ErrorCode.THROTTLED, _BUSY) from exc
    if creds is None or not ok:
        logger.info("sign-in refused")
        raise ApiError(ErrorCode.BAD_CREDENTIALS, "wrong email or password")
    await svc.throttle.succeeded(attempt)
    logger.info("mediator %s signed in", creds.mediator.id)
    return await _sign_in(request, creds.mediator)


async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await services(request).accounts.delete_auth_session(token)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def get_setup(request: web.Request) -> web.Response:
    svc = services(request)
    needed = svc.setup.code is not None and await svc.accounts.count_mediators() == 0
    return reply(SetupOut(needed=needed))


async def setup(request: web.Request, body: SetupIn) -> web.Response:
    svc = services(request)
    code = svc.setup.code
    if code is None or await current_mediator(request) is not None:
        raise ApiError(ErrorCode.SETUP_DONE, "setup is already done; please sign in")
    attempt = await _begin(request, "setup code", account_wide=False)
    if not hmac.compare_digest(code.encode(), body.code.strip().upper().encode()):
        raise ApiError(ErrorCode.FORBIDDEN, "wrong setup code (printed by `make run`)")
    await svc.throttle.succeeded(attempt)
    reason = check_policy(body.password)
    if reason:
        raise ApiError(ErrorCode.VALIDATION, reason)
    try:
        password_hash = await svc.hashing.hash(body.password)
    except HashingBusy as exc:
        raise ApiError(ErrorCode.THROTTLED, _BUSY) from exc
    mediator = await svc.accounts.create_first_mediator(
        body.email, body.display_name, password_hash
    )
    svc.setup.code = None
    logger.info("first mediator account created through the setup page")
    return await _sign_in(request, mediator, 201)


def register_routes(api: Api) -> None:
    tag = "auth"
    api.add("GET", "/api/me", get_me, summary="The signed-in mediator", tag=tag, response=MeOut)
    api.add(
        "POST", "/api/login", login, summary="Sign in", tag=tag, body=LoginIn,
        response=MeOut, auth=False,
    )  # fmt: skip
    api.add("POST", "/api/logout", logout, summary="Sign out", tag=tag, status=204, auth=False)
    api.add(
        "GET", "/api/setup", get_setup, summary="Whether first-run setup is open", tag=tag,
        response=SetupOut, auth=False,
    )  # fmt: skip
    api.add(
        "POST", "/api/setup", setup, summary="Create the first mediator account", tag=tag,
        body=SetupIn, response=MeOut, status=201, auth=False,
    )  # fmt: skip
