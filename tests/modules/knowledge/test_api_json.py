"""Answers written by orjson (core.validation.CappedJSONProvider) hold the JSON the standard
library would write: the same values, keys in the same order, and the same text when ASCII."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask.testing import FlaskClient
from markupsafe import Markup

from tests.modules.knowledge.test_api import ENTRIES, published
from versehub.core.validation import CappedJSONProvider

Headers = dict[str, str]


class StdlibProvider(CappedJSONProvider):
    """The same provider writing responses with the standard library, as Flask does."""

    response = DefaultJSONProvider.response


def ordered(body: bytes) -> Any:
    """The JSON value with every object as a list of pairs (key order counts)."""
    return json.loads(body, object_pairs_hook=list)


def test_real_answers_are_the_same_json_as_the_standard_librarys(
    app: Flask, client: FlaskClient, author: Headers, editor: Headers
) -> None:
    entry_id = published(
        client,
        author,
        editor,
        title="Déjà vu — “signs” in Ελληνικά",
        content="# Sign names\n\nÜber 10 % of the café\u2019s signs: 手話 and \U0001f91f.",
        tags=["Access", "Größe"],
    )
    paths = [
        f"{ENTRIES}?per_page=20",
        f"{ENTRIES}/{entry_id}",
        f"{ENTRIES}/{entry_id}/revisions",
        "/api/v1/search?q=signs",
        "/api/v1/categories",
        "/api/v1/tags",
        f"{ENTRIES}/999999",  # an error envelope
        f"{ENTRIES}?per_page=0",  # a validation error
        "/health/live",
    ]
    assert isinstance(app.json, CappedJSONProvider)
    fast = app.json
    stdlib = StdlibProvider(app)
    for path in paths:
        app.json = fast
        ours = client.get(path, headers=author)
        app.json = stdlib
        theirs = client.get(path, headers=author)
        app.json = fast
        assert ours.status_code == theirs.status_code, path
        assert ours.mimetype == theirs.mimetype == "application/json", path
        assert ordered(ours.data) == ordered(theirs.data), path
        assert ours.data.endswith(b"\n"), path
        if theirs.data.isascii() and ours.data.isascii():
            assert ours.data == theirs.data, path
    detail = client.get(f"{ENTRIES}/{entry_id}", headers=author)
    assert "Déjà vu — “signs”".encode() in detail.data  # UTF-8, not \u escapes


class Colour:
    """Has no JSON form: both writers refuse it."""


@pytest.mark.parametrize(
    "value",
    [
        {"when": datetime(2026, 12, 7, 19, 30, tzinfo=UTC)},
        {"day": date(2026, 12, 7)},
        {"id": UUID("12345678-1234-5678-1234-567812345678")},
        {"price": Decimal("10.50")},
        {"big": 2**70, "small": -(2**63)},
        {1: "int key", None: "none key", 2.5: "float key"},
        [1.5, 0.1, 1e16, 2.0, -0.0, "\u2028", "\x1f", "é"],
        {"nested": ({"tuple": (1, 2)},)},
        Markup("<b>safe</b>"),
    ],
    ids=[
        "datetime",
        "date",
        "uuid",
        "decimal",
        "big-int",
        "non-str-keys",
        "floats",
        "tuple",
        "markup",
    ],
)
def test_values_of_every_kind_are_written_as_flask_writes_them(app: Flask, value: Any) -> None:
    with app.app_context():
        ours = CappedJSONProvider(app).response(value).data
        theirs = StdlibProvider(app).response(value).data
    assert ordered(ours) == ordered(theirs)


def test_what_neither_can_write_is_refused(app: Flask) -> None:
    with app.app_context(), pytest.raises(TypeError):
        CappedJSONProvider(app).response({"colour": Colour()})
