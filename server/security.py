"""Security middlewares: forwarded headers, CSRF double-submit, headers on every response."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from errors import ErrorCode
from server.errors import ApiError, Handler

CSRF_COOKIE = "palabre_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def content_security_policy(public_url: str, script_hashes: Sequence[str] = ()) -> str:
    """The pages' policy: everything from Palabre itself, and the Socket.IO websocket
    only to Palabre's own address (``wss://`` under an ``https://`` public URL);
    ``script_hashes``: the inline scripts allowed by their hash (the pages' import maps)."""
    parts = urlsplit(public_url)
    websocket = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *script_hashes]),
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            f"connect-src 'self' {websocket}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _values(request: web.Request, name: str) -> list[str]:
    return [v.strip() for v in ",".join(request.headers.getall(name, [])).split(",")]


def forwarded_client(request: web.Request, hops: int) -> str | None:
    """The client address as the outermost of ``hops`` trusted proxies saw it.

    Each proxy appends the address it received the request from, so the
    right-most ``hops`` entries are the proxies' own; everything to their left
    was written by the client and proves nothing. With fewer entries than
    trusted hops, or not an IP address there: None (keep the peer's address).
    """
    values = _values(request, "X-Forwarded-For")
    if len(values) < hops:
        return None
    try:
        return str(ipaddress.ip_address(values[-hops]))
    except ValueError:
        return None


def forwarded_middleware(trust: bool, hops: int = 1) -> Middleware:
    """Honours X-Forwarded-Proto/Host/For only when Palabre sits behind trusted proxies.

    Proto and Host: the right-most value, the one the proxy next to Palabre
    wrote (a client's own value sits to its left). For: see forwarded_client.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if trust:
            changes: dict[str, str] = {}
            proto = _values(request, "X-Forwarded-Proto")[-1]
            if proto in {"http", "https"}:
                changes["scheme"] = proto
            host = _values(request, "X-Forwarded-Host")[-1]
            if host:
                changes["host"] = host
            remote = forwarded_client(request, hops)
            if remote:
                changes["remote"] = remote
            if changes:
                request = request.clone(**changes)  # type: ignore[arg-type]
        return await handler(request)

    return middleware


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csrf_middleware(public_url: str, secure: bool) -> Middleware:
    """Double-submit token for every state-changing API call, plus an Origin check."""
    allowed_origin = _origin(public_url)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in UNSAFE and request.path.startswith("/api/"):
            origin = request.headers.get("Origin")
            own = f"{request.scheme}://{request.host}"
            if origin is not None and origin not in {allowed_origin, own}:
                raise ApiError(ErrorCode.CSRF, "cross-site request refused")
            cookie = request.cookies.get(CSRF_COOKIE, "")
            header = request.headers.get(CSRF_HEADER, "")
            if not cookie or not hmac.compare_digest(cookie.encode(), header.encode()):
                raise ApiError(ErrorCode.CSRF, "missing or wrong CSRF token")
        response = await handler(request)
        if CSRF_COOKIE not in request.cookies and not response.prepared:
            response.set_cookie(
                CSRF_COOKIE,
                secrets.token_urlsafe(24),
                path="/",
                samesite="Strict",
                secure=secure,
                httponly=False,  # the page reads it to echo it in the header
            )
        return response

    return middleware


def headers_middleware(
    https: bool, public_url: str, script_hashes: Sequence[str] = ()
) -> Middleware:
    csp = content_security_policy(public_url, script_hashes)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _secure_headers(exc, request, https, csp)
            raise
        _secure_headers(response, request, https, csp)
        return response

    return middleware


def _secure_headers(
    response: web.StreamResponse, request: web.Request, https: bool, csp: str
) -> None:
    if response.prepared:
        return
    h = response.headers
    h.setdefault("Content-Security-Policy", csp)
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Frame-Options"] = "DENY"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self)"
    if request.path.startswith("/api/") or request.path.startswith("/join"):
        h["Cache-Control"] = "no-store"
    if https:
        h["Strict-Transport-Security"] = "max-age=31536000"
