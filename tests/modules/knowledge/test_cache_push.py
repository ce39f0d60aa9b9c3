"""The response cache without Redis: no SQL on a hit, and every process sees every write.

Two apps on one database stand for two processes (gunicorn workers, the CLI, a job worker): each
has its own in-process cache, and the change bus tells the other one what was written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import bearer, tokens_for
from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.test_api import ENTRIES, published
from tests.sql import sql_statements
from versehub.core.changes import current_bus
from versehub.extensions import db
from versehub.modules.knowledge.models import Category, Entry

Headers = dict[str, str]
AppFactory = Callable[..., Flask]
LIST = f"{ENTRIES}?per_page=20"


def get(client: FlaskClient, url: str, headers: Headers) -> Any:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response


def titles(response: Any) -> list[str]:
    return [item["title"] for item in response.get_json()["data"]["items"]]


def until_titles(client: FlaskClient, headers: Headers, expected: list[str]) -> Any:
    """The list until it shows `expected` (PostgreSQL's NOTIFY arrives on a thread, in ms)."""
    deadline = time.monotonic() + 5
    while True:
        response = get(client, LIST, headers)
        if titles(response) == expected or time.monotonic() > deadline:
            return response
        time.sleep(0.01)


def test_a_cache_hit_authenticated_list_runs_no_sql(
    app: Flask, client: FlaskClient, author: Headers, editor: Headers
) -> None:
    published(client, author, editor, title="Cached")
    assert get(client, LIST, author).headers["X-Cache"] == "miss"
    with sql_statements(app) as seen:
        response = get(client, LIST, author)
    assert response.headers["X-Cache"] == "hit"
    assert titles(response) == ["Cached"]
    assert seen == []


def test_a_write_in_one_process_is_seen_by_the_other_at_once(
    app: Flask, client: FlaskClient, make_app: AppFactory, author: Headers, editor: Headers
) -> None:
    other = make_app().test_client()
    entry_id = published(client, author, editor, title="Before")
    for reader in (client, other):
        get(reader, LIST, author)
        assert get(reader, LIST, author).headers["X-Cache"] == "hit"
    response = client.patch(f"{ENTRIES}/{entry_id}", json={"title": "After"}, headers=author)
    assert response.status_code == 200
    fresh = until_titles(other, author, ["After"])
    assert (fresh.headers["X-Cache"], titles(fresh)) == ("miss", ["After"])
    assert get(other, LIST, author).headers["X-Cache"] == "hit"


def test_a_write_outside_any_request_reaches_the_other_process(
    app: Flask, client: FlaskClient, make_app: AppFactory, author: Headers, editor: Headers
) -> None:
    # A CLI command or a job writes through the session, with no entry.* event in the reader.
    entry_id = published(client, author, editor, title="Before")
    other = make_app()
    get(other.test_client(), LIST, author)
    with app.app_context():
        db.session.get_one(Entry, entry_id).title = "Renamed by a job"
        db.session.commit()
    assert titles(until_titles(other.test_client(), author, ["Renamed by a job"])) == [
        "Renamed by a job"
    ]


def test_a_category_change_invalidates_lists(
    app: Flask, client: FlaskClient, people: People, author: Headers, editor: Headers
) -> None:
    with app.app_context():
        category = Category(
            name="Interpreting", slug="interpreting", colour="#1d4ed8", text_colour="#ffffff"
        )
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    published(client, author, editor, title="Filed", category="interpreting")
    get(client, LIST, author)
    assert get(client, LIST, author).headers["X-Cache"] == "hit"
    with app.app_context():
        db.session.get_one(Category, category_id).name = "Sign interpreting"
        db.session.commit()
    assert get(client, LIST, author).headers["X-Cache"] == "miss"


def test_while_the_bus_is_not_listening_answers_are_not_cached(
    app: Flask, client: FlaskClient, author: Headers, editor: Headers
) -> None:
    published(client, author, editor)
    get(client, LIST, author)
    with app.app_context():
        bus = current_bus()
        bus.lost("test: listener away")
        # SQLite checks on each request and is back at once; a listener thread needs its delay.
        if bus.backend_name == "postgresql":
            assert get(client, LIST, author).headers["X-Cache"] == "bypass"


def test_without_the_bus_a_process_local_cache_is_bypassed(
    make_app: AppFactory, people: People
) -> None:
    app = make_app(change_bus="off")
    client = app.test_client()
    headers = bearer(tokens_for(client, "aurora")["access_token"])
    for _ in range(2):
        assert get(client, LIST, headers).headers["X-Cache"] == "bypass"
