"""Client-visible errors of the HTTP edge and their one translation into responses."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import exc as sa_exc

from errors import CodedError, ErrorCode

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(CodedError):
    """A refusal decided at the HTTP edge itself (a header, a sign-in, a CSRF token...).

    Like every coded error it carries a code and a message, never a status: the status
    comes from :data:`HTTP_STATUS`, the same for every route.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message, code)


def error_body(code: ErrorCode, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code.value, "message": message}}


def error_response(status: int, code: ErrorCode, message: str) -> web.Response:
    response = web.json_response(error_body(code, message), status=status)
    return response


# The one table from a code to its HTTP status: whichever layer raised it, whichever route
# it reached. Every code has a row (tests/server/test_error_codes.py walks them).
HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.VALIDATION: 400,
    ErrorCode.BAD_SDP: 400,
    ErrorCode.UNSUPPORTED_CODEC: 400,
    ErrorCode.NOTHING_TO_UNDO: 400,
    ErrorCode.NOTHING_TO_REDO: 400,
    ErrorCode.BOARD_FULL: 400,
    ErrorCode.CHAT_FULL: 400,
    ErrorCode.NOT_STORED: 400,
    # who is asking: no credential, or one that does not authenticate anyone
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.BAD_CREDENTIALS: 401,
    ErrorCode.LINK_INVALID: 401,
    ErrorCode.CSRF: 403,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.ADMIN_REQUIRED: 403,
    ErrorCode.CONSENT_REQUIRED: 403,
    ErrorCode.NOT_IN_ROOM: 403,
    ErrorCode.ROOM_LOCKED: 403,
    ErrorCode.NOT_JOINED: 403,
    ErrorCode.PARTICIPANT_REMOVED: 403,
    ErrorCode.PARTICIPANT_DECLINED: 403,
    ErrorCode.DOWNLOAD_NOT_ALLOWED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INVALID_STATE: 409,
    ErrorCode.SETUP_DONE: 409,
    ErrorCode.DOCUMENTS_FULL: 409,
    ErrorCode.SESSION_STARTED: 409,
    # what was there and is no more: a link past its time or withdrawn, a session over,
    # an erased item. The same answer on the join page, consent, uploads and the socket.
    ErrorCode.LINK_EXPIRED: 410,
    ErrorCode.LINK_REVOKED: 410,
    ErrorCode.SESSION_CLOSED: 410,
    ErrorCode.SESSION_CANCELLED: 410,
    ErrorCode.SHREDDED: 410,
    ErrorCode.E2EE_UNSUPPORTED: 403,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.UNSUPPORTED_TYPE: 415,
    ErrorCode.EMPTY_FILE: 422,
    ErrorCode.BROKEN_FILE: 422,
    ErrorCode.FILE_TOO_COMPLEX: 422,
    ErrorCode.IMAGE_TOO_LARGE: 422,
    ErrorCode.THROTTLED: 429,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.OVER_BUDGET: 429,
    ErrorCode.UPLOAD_IN_PROGRESS: 429,
    # signing a frozen text
    ErrorCode.TEXT_CHANGED: 409,
    ErrorCode.TEXT_WITHDRAWN: 410,
    ErrorCode.ALREADY_SIGNED: 409,
    ErrorCode.MEDIATOR_SIGNS_LAST: 409,
    ErrorCode.CODE_WRONG: 403,
    ErrorCode.CODE_EXPIRED: 403,
    ErrorCode.SIGNER_LOCKED: 429,
    ErrorCode.CRYPTO: 500,
    ErrorCode.INTERNAL: 500,
    ErrorCode.SERVER_BUSY: 503,
    ErrorCode.SESSION_ELSEWHERE: 503,
    ErrorCode.SESSION_MOVING: 503,
    ErrorCode.KEY_UNAVAILABLE: 503,
    ErrorCode.SESSION_UNAVAILABLE: 503,
}

# aiohttp's own refusals (no route, wrong method, body too large) get a code too.
_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.NOT_AUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def coded_response(exc: CodedError) -> web.Response:
    """The JSON error response for ``exc``: its code, its message, the table's status."""
    return error_response(HTTP_STATUS[exc.code], exc.code, exc.message)


def log_unexpected(request: web.Request, exc: BaseException) -> None:
    """The exception's type, the route and where it was raised; never its message (a
    database error's may quote what was sent), the parameters or the body."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "-"
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error(
        "unhandled %s.%s on %s %s\n%s",
        type(exc).__module__, type(exc).__qualname__, request.method, route, frames,
    )  # fmt: skip


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached (an outage, a restart, a
    full pool), not that the request was wrong: the client may try again."""
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        # the driver's own connection errors come through as the base class
        return exc.connection_invalidated or type(exc) is sa_exc.DBAPIError
    return False


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The one place where exceptions become JSON error responses for /api and /healthz."""
    is_api = request.path.startswith("/api/")
    try:
        return await handler(request)
    except CodedError as exc:
        if exc.code is ErrorCode.INTERNAL and not isinstance(exc, ApiError):
            log_unexpected(request, exc)  # not raised on purpose: its message stays here
            return error_response(500, ErrorCode.INTERNAL, "internal error")
        return coded_response(exc)
    except web.HTTPException as exc:
        if not is_api or exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, ErrorCode.BAD_REQUEST)
        message = "request body too large" if exc.status == 413 else exc.reason
        response = error_response(exc.status, code, message)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception as exc:
        if database_unavailable(exc):
            resource = request.match_info.route.resource
            logger.warning(
                "database unavailable (%s) on %s %s", type(exc).__qualname__, request.method,
                resource.canonical if resource is not None else "-",
            )  # fmt: skip
            return error_response(503, ErrorCode.SERVER_BUSY, "the service is unavailable: retry")
        log_unexpected(request, exc)
        if not is_api:
            return web.Response(status=500, text="internal error")
        return error_response(500, ErrorCode.INTERNAL, "internal error")
