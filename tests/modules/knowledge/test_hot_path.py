"""The hot path: a cached list answer needs no SQL statement, whoever asks, with limits on."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.modules.knowledge.test_api import ENTRIES, published
from tests.sql import sql_statements

Headers = dict[str, str]
LIST = f"{ENTRIES}?per_page=20"


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """Production's request path: rate limits and bans on (the default limit never refuses)."""
    return make_app(rate_limits_enabled=True, rate_limit_default="100000/minute")


@pytest.mark.parametrize("caller", ["anonymous", "bearer"])
def test_a_cache_hit_runs_no_sql_statement(
    app: Flask, client: FlaskClient, author: Headers, editor: Headers, caller: str
) -> None:
    published(client, author, editor)
    headers = author if caller == "bearer" else {}
    first = client.get(LIST, headers=headers)
    assert first.status_code == 200
    assert first.headers["X-Cache"] == "miss"
    with sql_statements(app) as statements:
        second = client.get(LIST, headers=headers)
    assert second.status_code == 200
    assert second.headers["X-Cache"] == "hit"
    assert "X-RateLimit-Remaining" in second.headers  # the limiter ran
    assert second.get_json() == first.get_json()
    assert statements == []
