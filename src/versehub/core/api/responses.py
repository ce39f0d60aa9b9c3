"""Answers whose shape is a convention of the API: lists and 201 Created."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Response, url_for

from versehub.core.api.pages import Page
from versehub.core.envelope import envelope, list_envelope

T = TypeVar("T")


def list_answer(page: Page[T], present: Callable[[T], Any]) -> Response:
    """The list envelope of a counted page, each item as `present` shows it."""
    return list_envelope([present(item) for item in page.items], page.pagination())


def location(endpoint: str, **values: Any) -> dict[str, str]:
    """The `Location` header naming the URL of `endpoint` with `values` (a new resource)."""
    return {"Location": url_for(endpoint, **values)}


def created(
    data: Any,
    *,
    endpoint: str,
    values: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Response:
    """A 201 envelope whose `Location` is the URL of `endpoint` (the new resource) with `values`."""
    return envelope(
        data,
        status=201,
        message=message,
        headers={**(headers or {}), **location(endpoint, **values)},
    )
