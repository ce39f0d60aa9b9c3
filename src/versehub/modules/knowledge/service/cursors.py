"""Opaque, tamper-evident keyset cursors: (sort, key, id) signed with the app secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from versehub.core.errors import APIError, field_error

# The salt keeps cursors from being confused with other signed values of the same app.
SALT = "versehub.knowledge.cursor.v1"
KeyValue = str | float | datetime


@dataclass(frozen=True)
class Cursor:
    """Where the previous page stopped: the sort's key value and the row id."""

    sort: str
    key: KeyValue
    id: int


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _invalid(message: str) -> APIError:
    return APIError("VAL_INVALID", errors=[field_error("cursor", message)])


def encode(cursor: Cursor) -> str:
    """The signed, URL-safe text of a cursor."""
    key: Any = cursor.key
    kind = "t" if isinstance(key, datetime) else "f" if isinstance(key, float) else "s"
    value = key.isoformat() if isinstance(key, datetime) else key
    return str(_serializer().dumps([cursor.sort, kind, value, cursor.id]))


def decode(token: str, *, sort: str) -> Cursor:
    """The cursor in `token`; VAL_INVALID (field `cursor`) when tampered, foreign or mismatched."""
    try:
        data = _serializer().loads(token)
        got_sort, kind, value, row_id = data
        key: KeyValue
        if kind == "t":
            key = datetime.fromisoformat(value)
        elif kind == "f":
            key = float(value)
        else:
            key = str(value)
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            raise TypeError("row id")
    except (BadData, ValueError, TypeError) as exc:
        # Signature checked first: a tampered cursor never reaches the parsing above.
        raise _invalid("Invalid or expired cursor") from exc
    if got_sort != sort:
        raise _invalid("This cursor belongs to a different sort order")
    return Cursor(sort=sort, key=key, id=row_id)
