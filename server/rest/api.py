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
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic.json_schema import GenerateJsonSchema

from errors import ErrorCode
from server.context import require_admin
from server.errors import ApiError
from server.rest.fields import ID, RequestSchema, check_text, is_id

M = TypeVar("M", bound=BaseModel)
Q = TypeVar("Q", bound="Query")
RouteHandler = Callable[..., Awaitable[web.StreamResponse]]

_PARAM = re.compile(r"{(\w+)}")


class Strict(BaseModel):
    """Base of every request body: unknown fields, loose types and control characters
    are refused (:mod:`server.rest.fields`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        check_text(value)
        return value


class Query(BaseModel):
    """Base of the query parameters of a route: each is a string on the wire, converted
    (``"2026"`` is an integer); parameters the route does not know are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        check_text(value)
        return value


class Out(BaseModel):
    """Base of every response body."""


class FieldErrorOut(Out):
    field: str
    reason: str
    message: str


class ErrorDetail(Out):
    code: str
    message: str
    # a form refused field by field (the public request form): what each field is refused for
    fields: list[FieldErrorOut] | None = None


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
    query: type[Query] | None
    response: type[Out] | None
    status: int
    auth: bool
    admin: bool  # changes the whole organisation: administrators only
    produces: str
    also_produces: tuple[str, ...]  # other types of the success response (?format=...)
    consumes: str | None  # a raw (non-JSON) request body of this type


_FRIENDLY = {
    "string_pattern_mismatch": "not in the expected form (blank, or a control character)",
}


def describe_validation_error(exc: ValidationError) -> str:
    """Field paths and reasons, never the rejected values (they may be personal data)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        message = _FRIENDLY.get(err["type"], err["msg"])
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def path_ids(request: web.Request) -> None:
    """Every path parameter of an API route is an id: anything else is refused here."""
    for name, value in request.match_info.items():
        if not is_id(value):
            raise ApiError(ErrorCode.VALIDATION, f"{name}: not an id")


def read_query(request: web.Request, model: type[Q]) -> Q:
    try:
        return model.model_validate(dict(request.query.items()))
    except ValidationError as exc:
        raise ApiError(ErrorCode.VALIDATION, describe_validation_error(exc)) from exc


async def read_body(request: web.Request, model: type[M]) -> M:
    if request.content_type != "application/json":
        raise ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send application/json")
    raw = await request.read()
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(ErrorCode.INVALID_JSON, "malformed JSON") from exc
        raise ApiError(ErrorCode.VALIDATION, describe_validation_error(exc)) from exc


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
        query: type[Query] | None = None,
        response: type[Out] | None = None,
        status: int = 200,
        auth: bool = True,
        admin: bool = False,
        produces: str = "application/json",
        also_produces: tuple[str, ...] = (),
        consumes: str | None = None,
    ) -> None:
        self.routes.append(
            Route(
                method, path, handler, summary, tag, body, query, response, status,
                auth or admin, admin, produces, also_produces, consumes,
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
            request = issubclass(model, Strict)
            schema = model.model_json_schema(
                ref_template="#/components/schemas/{model}",
                schema_generator=RequestSchema if request else GenerateJsonSchema,
                mode="validation" if request else "serialization",
            )
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
                    {"name": p, "in": "path", "required": True, "schema": _ID_SCHEMA}
                    for p in _PARAM.findall(r.path)
                ]
                + _query_parameters(r.query),
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
                content = {r.produces: {"schema": ref(r.response) if r.response else {}}}
                for other in r.also_produces:
                    content[other] = {"schema": {}}
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


_ID_SCHEMA = {"type": "string", "pattern": ID}


def _query_parameters(model: type[Query] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(schema_generator=RequestSchema)
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in {"title", "description"}}
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        description = model.model_fields[name].description
        if description:
            param["description"] = description
        param["schema"] = prop
        out.append(param)
    return out


def _bind(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    body_model = route.body

    query_model = route.query

    async def handle(request: web.Request) -> web.StreamResponse:
        path_ids(request)
        if route.admin:
            await require_admin(request)
        kwargs: dict[str, Any] = {}
        if query_model is not None:
            kwargs["query"] = read_query(request, query_model)
        if body_model is not None:
            kwargs["body"] = await read_body(request, body_model)
        return await route.handler(request, **kwargs)

    handle.__name__ = route.handler.__name__
    return handle
