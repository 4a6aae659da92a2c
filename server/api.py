"""A small route registry: validates JSON bodies at the edge and describes every route.

Each route module calls ``api.add(...)`` with its pydantic models; the same
declarations drive validation and the OpenAPI document at /api/openapi.json.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from records.errors import ErrorCode
from server.context import require_admin
from server.errors import ApiError

M = TypeVar("M", bound=BaseModel)
RouteHandler = Callable[..., Awaitable[web.StreamResponse]]

_PARAM = re.compile(r"{(\w+)}")


class Strict(BaseModel):
    """Base of every request body: unknown fields and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class Out(BaseModel):
    """Base of every response body."""


class ErrorDetail(Out):
    code: str
    message: str


class ErrorOut(Out):
    error: ErrorDetail


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: RouteHandler
    summary: str
    tag: str
    body: type[Strict] | None
    response: type[Out] | None
    status: int
    auth: bool
    admin: bool  # changes the whole organisation: administrators only
    produces: str
    consumes: str | None  # a raw (non-JSON) request body of this type


def describe_validation_error(exc: ValidationError) -> str:
    """Field paths and reasons, never the rejected values (they may be personal data)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


async def read_body(request: web.Request, model: type[M]) -> M:
    if request.content_type != "application/json":
        raise ApiError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send application/json")
    raw = await request.read()
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(400, ErrorCode.INVALID_JSON, "malformed JSON") from exc
        raise ApiError(400, ErrorCode.VALIDATION, describe_validation_error(exc)) from exc


def reply(model: Out, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


class Api:
    def __init__(self, title: str, version: str) -> None:
        self.title = title
        self.version = version
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        path: str,
        handler: RouteHandler,
        *,
        summary: str,
        tag: str,
        body: type[Strict] | None = None,
        response: type[Out] | None = None,
        status: int = 200,
        auth: bool = True,
        admin: bool = False,
        produces: str = "application/json",
        consumes: str | None = None,
    ) -> None:
        self.routes.append(
            Route(
                method, path, handler, summary, tag, body, response, status, auth or admin,
                admin, produces, consumes,
            )
        )  # fmt: skip

    def register(self, app: web.Application) -> None:
        for route in self.routes:
            app.router.add_route(route.method, route.path, _bind(route))
        app.router.add_get("/api/openapi.json", self._serve_openapi)

    async def _serve_openapi(self, request: web.Request) -> web.Response:
        return web.json_response(self.openapi())

    def openapi(self) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        schemas: dict[str, Any] = {}

        def ref(model: type[BaseModel]) -> dict[str, str]:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        error = {"application/json": {"schema": ref(ErrorOut)}}
        for r in self.routes:
            op: dict[str, Any] = {
                "summary": r.summary,
                "tags": [r.tag],
                "operationId": r.handler.__name__,
                "parameters": [
                    {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                    for p in _PARAM.findall(r.path)
                ],
                "responses": {
                    "400": {"description": "invalid request", "content": error},
                    "404": {"description": "not found", "content": error},
                    "default": {"description": "any other refusal", "content": error},
                },
            }
            if r.body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(r.body)}},
                }
                op["responses"]["413"] = {"description": "body too large", "content": error}
                op["responses"]["415"] = {"description": "not JSON", "content": error}
            if r.consumes is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {r.consumes: {"schema": {"type": "string", "format": "binary"}}},
                }
                op["responses"]["413"] = {"description": "body too large", "content": error}
                op["responses"]["415"] = {"description": "type refused", "content": error}
            if r.method in {"POST", "PUT", "PATCH", "DELETE"}:
                op["responses"]["403"] = {"description": "CSRF check failed", "content": error}
            if r.auth:
                op["security"] = [{"cookie": []}]
                op["responses"]["401"] = {"description": "not signed in", "content": error}
            if r.admin:
                op["responses"]["403"] = {
                    "description": "CSRF check failed, or not an organisation administrator",
                    "content": error,
                }
            if r.status == 204:
                op["responses"]["204"] = {"description": "done"}
            else:
                if r.response is not None:
                    content = {r.produces: {"schema": ref(r.response)}}
                else:
                    content = {r.produces: {"schema": {"type": "string"}}}
                op["responses"][str(r.status)] = {"description": "success", "content": content}
            paths.setdefault(r.path, {})[r.method.lower()] = op
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "cookie": {"type": "apiKey", "in": "cookie", "name": "palabre_session"}
                },
            },
        }


def _bind(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    body_model = route.body

    async def handle(request: web.Request) -> web.StreamResponse:
        if route.admin:
            await require_admin(request)
        if body_model is None:
            return await route.handler(request)
        return await route.handler(request, await read_body(request, body_model))

    handle.__name__ = route.handler.__name__
    return handle
