"""`validated`: the one request validator of REST routes (path, query, body, headers), run after
the guards."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar, get_type_hints

from flask import request
from pydantic import BaseModel, ValidationError

from versehub.core.errors import APIError, field_error
from versehub.core.validation import invalid, parse_body, parse_query

P = ParamSpec("P")
R = TypeVar("R")


def body_required(model: type[BaseModel]) -> bool:
    """False for a body model that documents itself as optional (`openapi_extra.required`)."""
    extra: dict[str, Any] = model.model_config.get("openapi_extra", {})  # type: ignore[assignment]
    return bool(extra.get("required", True))


def _model(value: dict[str, Any], model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise invalid(exc) from exc


def query_names(model: type[BaseModel] | None) -> frozenset[str]:
    """The query parameters `model` accepts: each field's name and its alias."""
    if model is None:
        return frozenset()
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(name)
        if field.alias:
            names.add(field.alias)
    return frozenset(names)


def refuse_unknown_query(known: frozenset[str]) -> None:
    """VAL_INVALID naming every query parameter the route does not take.

    A misspelt filter (`?catgory=x`) must not silently answer the unfiltered list.
    """
    unknown = [key for key in request.args if key not in known]
    if unknown:
        raise APIError(
            "VAL_INVALID",
            errors=[
                field_error(key, "Extra inputs are not permitted", "extra_forbidden")
                for key in unknown
            ],
        )


def validated(view: Callable[P, R]) -> Callable[P, R]:
    """Validate the view's `path`, `query`, `body` and `header` parameters right before it runs.

    flask-openapi3 documents the models from the annotations, but would validate them before
    every other decorator; marking the view `__delay_validate_request__` leaves validation to
    this innermost decorator, so rate limits and guards still run first (an anonymous caller
    gets AUTH_REQUIRED, not a validation error) and bodies and queries are read exactly as
    `parse_body` / `parse_query` read them (VAL_MALFORMED for a missing or non-JSON body,
    repeated query keys as lists). A query parameter the route does not declare is refused
    (VAL_INVALID naming it) on every route, with or without a query model.
    """
    hints = get_type_hints(view)
    path_model: type[BaseModel] | None = hints.get("path")
    query_model: type[BaseModel] | None = hints.get("query")
    body_model: type[BaseModel] | None = hints.get("body")
    header_model: type[BaseModel] | None = hints.get("header")
    known_query = query_names(query_model)

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if header_model is not None:
            kwargs["header"] = _model(dict(request.headers), header_model)
        if path_model is not None:
            values = {name: kwargs.pop(name) for name in path_model.model_fields if name in kwargs}
            kwargs["path"] = _model(values, path_model)
        refuse_unknown_query(known_query)
        if query_model is not None:
            kwargs["query"] = parse_query(query_model)
        if body_model is not None:
            if body_required(body_model) or request.content_length:
                kwargs["body"] = parse_body(body_model)
            else:
                kwargs["body"] = body_model()
        return view(*args, **kwargs)

    wrapper.__delay_validate_request__ = True  # type: ignore[attr-defined]
    return wrapper
