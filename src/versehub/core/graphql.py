"""GraphQL at /graphql (Strawberry, sync view): one schema merged from the modules' types.

Modules contribute `Module(graphql_query=..., graphql_mutation=...)` strawberry types; their
fields are merged into `Query` and `Mutation`. Resolvers call the same service functions as REST
and find the caller in `info.context.principal` (the same resolution: session, bearer, API key).
APIErrors keep their code in `extensions.code`; anything unexpected is masked and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import strawberry
import structlog
from cross_web import HTTPException
from flask import Flask, Request, Response, current_app, g, jsonify
from flask import request as flask_request
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.flask.views import GraphQLView
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from versehub.core.auth import Principal, current_principal
from versehub.core.errors import APIError
from versehub.core.graphql_limits import LimitRules, limits_rule
from versehub.core.module_access import module_access_rule
from versehub.core.modules import Module, get_registry
from versehub.core.outages import database_unavailable, is_connection_failure
from versehub.core.validation import loads_json, malformed_json
from versehub.settings import Settings
from versehub.version import package_version

log = structlog.get_logger(__name__)

SCHEMA_KEY = "versehub.graphql_schema"


@dataclass
class GraphQLContext:
    """What resolvers get as `info.context`."""

    request: Request
    response: Response
    # Request-scoped batch loaders, created on first use by the resolvers that need them.
    loaders: dict[str, Any] = field(default_factory=dict)

    @property
    def principal(self) -> Principal | None:
        """The caller (resolved once per request; bad credentials raise APIError)."""
        return current_principal()


@strawberry.type(description="The API itself.")
class ApiInfo:
    """Facts every client may ask for."""

    version: str = strawberry.field(description="Version of VerseHub.")


def _api_info() -> ApiInfo:
    return ApiInfo(version=package_version())


@strawberry.type
class CoreQuery:
    """Fields core provides whatever modules are enabled."""

    api: ApiInfo = strawberry.field(resolver=_api_info, description="The API version.")


def _unexpected(error: GraphQLError) -> bool:
    # Mask only real bugs: validation, limit and domain (APIError) errors carry useful text.
    original = error.original_error
    return original is not None and not isinstance(original, APIError | GraphQLError)


class LogUnexpected(SchemaExtension):
    """Log unexpected resolver errors once, with the request id, before they are masked."""

    def on_execute(self) -> Any:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            if _unexpected(error):
                log.error(
                    "graphql_unexpected_error",
                    path=error.path,
                    error_type=type(error.original_error).__name__,
                    exc_info=error.original_error,
                )


def root_field_owners(
    modules: list[Module], config: StrawberryConfig
) -> dict[tuple[str, str], str]:
    """(root type, GraphQL field name) -> the module that contributed the field."""
    owners: dict[tuple[str, str], str] = {}
    for module in modules:
        for root, contributed in (
            ("Query", module.graphql_query),
            ("Mutation", module.graphql_mutation),
        ):
            if contributed is None:
                continue
            for field_ in contributed.__strawberry_definition__.fields:  # type: ignore[attr-defined]
                owners[(root, config.name_converter.get_graphql_name(field_))] = module.name
    return owners


class DatabaseOutages(SchemaExtension):
    """Resolver errors that are database connection failures: SYS_SERVICE_UNAVAILABLE with
    Retry-After, logged once per interval (core.outages), never masked as unexpected."""

    def on_execute(self) -> Any:
        yield
        errors = getattr(self.execution_context.result, "errors", None) or []
        for index, error in enumerate(errors):
            original = error.original_error
            if original is None or not is_connection_failure(original):
                continue
            unavailable = database_unavailable(original, where="graphql")
            errors[index] = GraphQLError(
                unavailable.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=unavailable,
                extensions=unavailable.extensions,
            )
            self.execution_context.context.response.headers.update(unavailable.headers)


def build_schema(app: Flask, settings: Settings) -> strawberry.Schema:
    """Merge the enabled modules' types into one schema with VerseHub's limits."""
    with app.app_context():
        modules = get_registry().enabled
    queries = [CoreQuery, *(m.graphql_query for m in modules if m.graphql_query)]
    mutations = [m.graphql_mutation for m in modules if m.graphql_mutation]
    # Depth (introspection included), aliases and cost in one memoised walk, each with a code.
    limits = limits_rule(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_cost=settings.graphql_max_cost,
    )
    config = StrawberryConfig(
        batching_config={"max_operations": settings.graphql_max_batch},
        disable_field_suggestions=settings.is_production,
    )
    # Each module's root fields answer only to callers who may use that module.
    access_rule = module_access_rule(root_field_owners(modules, config))
    # Factories, not instances: Strawberry builds fresh extensions for every request.
    extensions: list[Any] = [
        # Token limit first: it rejects oversized documents while parsing.
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: LimitRules(limits),
        lambda: AddValidationRules([access_rule]),
        LogUnexpected,
        DatabaseOutages,  # after LogUnexpected: hooks unwind in reverse, so this converts first
        lambda: MaskErrors(should_mask_error=_unexpected, error_message="Unexpected error."),
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=merge_types("Query", tuple(queries)),
        mutation=merge_types("Mutation", tuple(mutations)) if mutations else None,
        extensions=extensions,
        config=config,
    )


class VerseHubGraphQLView(GraphQLView[GraphQLContext, None]):
    """Strawberry's sync Flask view with our context."""

    def get_context(self, request: Request, response: Response) -> GraphQLContext:
        return GraphQLContext(request=request, response=response)

    def decode_json(self, data: str | bytes) -> object:
        """The body decoded with the same nesting cap as REST (VAL_MALFORMED beyond it)."""
        try:
            return loads_json(data)
        except ValueError as exc:
            raise malformed_json(exc) from exc

    def dispatch_request(self) -> Any:
        """Transport errors (bad JSON, too many batched operations) as GraphQL-shaped JSON.

        The caller is resolved before anything runs, as on REST: credentials that are sent but
        bad (expired token, unknown API key) fail the whole request with their status (401),
        even when the operation itself would not have needed a caller.
        """
        try:
            current_principal()
            return self.run(request=flask_request)
        except APIError as exc:
            return _transport_error(exc.message, exc.status, exc.extensions, exc.headers)
        except HTTPException as exc:
            return _transport_error(exc.reason, exc.status_code, {"code": "BAD_REQUEST"})
        except Exception as exc:
            if not is_connection_failure(exc):
                raise
            # The caller could not be resolved: the database is down (503, Retry-After).
            error = database_unavailable(exc, where="graphql")
            return _transport_error(error.message, error.status, error.extensions, error.headers)


def _transport_error(
    message: str, status: int, extensions: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    response = jsonify({"errors": [{"message": message, "extensions": extensions}]})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def graphql_view() -> Any:
    """POST /graphql: the schema is built on first use (after every module has loaded)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    view = app.extensions.get(SCHEMA_KEY)
    if view is None:
        schema = build_schema(app, app.extensions["versehub.settings"])
        view = VerseHubGraphQLView.as_view(
            "graphql_inner", schema=schema, graphql_ide=None, allow_queries_via_get=False
        )
        app.extensions[SCHEMA_KEY] = view
    g.graphql = True
    return view()


def register_graphql(app: Flask) -> None:
    """Serve /graphql (POST, JSON)."""
    # Strawberry logs every error with the whole query at ERROR; limit and validation errors are
    # the client's, and unexpected ones are logged by LogUnexpected with the request id.
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
    app.add_url_rule("/graphql", "graphql", graphql_view, methods=["POST"])
