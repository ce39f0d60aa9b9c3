"""`api_blueprint`, the REST blueprint every module declares its routes on, and the response
declarations routes share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from flask_openapi3.types import ResponseDict
from flask_openapi3.utils import parse_rule
from pydantic import BaseModel

from versehub.core.openapi import AUTHENTICATED, ErrorEnvelope

# Security of a route that needs a caller (bearer token or API key).
SIGNED_IN = AUTHENTICATED
# Security of a read open to anonymous callers, where a token or API key may still be sent.
OPTIONAL_AUTH: list[dict[str, list[str]]] = [{}, *AUTHENTICATED]
# Errors every route with credentials may answer, on top of the blueprint's 400/404/422/429/500.
AUTH_ERRORS: ResponseDict = {401: ErrorEnvelope, 403: ErrorEnvelope}
# Routes that take a body may answer 413 when it is over the blueprint's cap.
BODY_ERRORS: ResponseDict = {413: ErrorEnvelope}
# Writes that can meet a taken name, an illegal transition or a stale version.
CONFLICT: ResponseDict = {409: ErrorEnvelope}
# Conditional reads (If-None-Match).
NOT_MODIFIED: ResponseDict = {304: None}

ERROR_RESPONSES: dict[str, type[BaseModel]] = {
    "400": ErrorEnvelope,
    "404": ErrorEnvelope,
    "422": ErrorEnvelope,
    "429": ErrorEnvelope,
    "500": ErrorEnvelope,
}
AUTH_ERROR_RESPONSES: dict[str, type[BaseModel]] = {"401": ErrorEnvelope, "403": ErrorEnvelope}

LOCATION_HEADER: dict[str, Any] = {
    "description": "URL of the new resource.",
    "schema": {"type": "string"},
}

# The body cap of a blueprint that names none (core applies it before any body is read).
DEFAULT_MAX_BODY = 2 * 1024 * 1024


class ApiBlueprint(APIBlueprint):
    """An APIBlueprint whose every route is validated by `versehub.core.api.validated`.

    Registering a view that skipped `validated` fails at import: it would leave the request
    to flask-openapi3's own validation (before the guards) and let unknown query parameters
    through, two of the conventions every route shares.
    """

    max_content_length: int | None

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Flask's `add_url_rule`, refusing a view that is not `validated`."""
        if view_func is not None and not getattr(view_func, "__delay_validate_request__", False):
            name = getattr(view_func, "__qualname__", repr(view_func))
            raise TypeError(
                f"{self.name}: route {rule!r} ({name}) must be decorated with "
                "versehub.core.api.validated (innermost, after the guards)"
            )
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    def _collect_openapi_info(self, rule: str, func: Callable[..., Any], **kwargs: Any) -> Any:
        """flask-openapi3's collection, then: a `201` documents its `Location` header."""
        found = super()._collect_openapi_info(rule, func, **kwargs)
        item = self.paths.get(parse_rule(rule, url_prefix=self.url_prefix))
        operation = getattr(item, str(kwargs.get("method", "GET")).lower(), None)
        created = (operation.responses or {}).get("201") if operation is not None else None
        if created is not None:
            created.headers = {**(created.headers or {}), "Location": LOCATION_HEADER}
        return found


def api_blueprint(
    name: str,
    import_name: str,
    *,
    url_prefix: str,
    tag: Tag | None = None,
    authenticated: bool = False,
    max_body: int | None = DEFAULT_MAX_BODY,
) -> ApiBlueprint:
    """A REST blueprint whose routes all document the error envelope (and auth when needed).

    `tag` groups every route of the blueprint in the document; leave it out when each route
    names its own tags. `max_body` caps request bodies (bytes) before they are read.
    """
    responses: dict[str, type[BaseModel]] = dict(ERROR_RESPONSES)
    if authenticated:
        responses.update(AUTH_ERROR_RESPONSES)
    blueprint = ApiBlueprint(
        name,
        import_name,
        url_prefix=url_prefix,
        abp_tags=[tag] if tag is not None else [],
        abp_security=AUTHENTICATED if authenticated else None,
        abp_responses=responses,  # type: ignore[arg-type]
    )
    blueprint.max_content_length = max_body
    return blueprint
