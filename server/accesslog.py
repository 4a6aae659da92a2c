"""The access log: one line per request that names the route, never what was sent.

The request line is not logged: a path can carry anything a client typed (an
e-mail in place of an id), a query string a file's name. The line holds the
method, the matched route's pattern (``/api/cases/{case_id}``), the status,
the size and the time; no client address, user agent or referrer.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger


def route_of(request: web.BaseRequest) -> str:
    """The pattern of the route ``request`` matched, or ``-``."""
    match_info = getattr(request, "match_info", None)
    resource = match_info.route.resource if match_info is not None else None
    return resource.canonical if resource is not None else "-"


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.6f",
            request.method,
            route_of(request),
            response.status,
            response.body_length,
            time,
        )
