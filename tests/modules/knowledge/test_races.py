"""Racing creates: two requests at the same moment, in real threads, on the real databases.

A barrier holds each request just before its first statement on the contested table, so both
have done every check before either writes: the interleaving that lost races in production.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from tests.modules.accounts.support import bearer, tokens_for
from tests.modules.knowledge.conftest import Headers, People
from versehub.extensions import db
from versehub.modules.knowledge.models import Category, Entry, Tag

ROUNDS = 3
WAIT = 10.0  # seconds a request waits at the barrier for the other one


@pytest.fixture
def admin_headers(client: FlaskClient, people: People) -> Headers:
    """`adam` (admin) signed in: a second person who may create categories."""
    return bearer(tokens_for(client, "adam")["access_token"])


@contextmanager
def meeting_before(app: Flask, table: str) -> Iterator[None]:
    """Hold each thread at its first statement naming `table` until two threads are there."""
    pattern = re.compile(rf"\b{table}\b", re.IGNORECASE)
    barrier = threading.Barrier(2, timeout=WAIT)
    met = threading.local()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if getattr(met, "done", False) or not pattern.search(statement):
            return
        met.done = True
        # A broken barrier: the other request never got here, so this one goes on alone.
        with suppress(threading.BrokenBarrierError):
            barrier.wait()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)


def together(app: Flask, *calls: Callable[[], tuple[int, dict[str, Any]]]) -> list[Any]:
    """Run the calls in threads at once; their (status, body) answers in order."""
    answers: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def post(app: Flask, url: str, body: dict[str, Any], headers: Headers) -> Callable[[], Any]:
    """A POST through a client of its own (one per thread)."""

    def call() -> tuple[int, dict[str, Any]]:
        response = app.test_client().post(url, json=body, headers=headers)
        return response.status_code, response.get_json()

    return call


@pytest.mark.parametrize("same_title", [True, False])
def test_racing_entries_with_the_same_new_tag_are_both_created(
    app: Flask, author: Headers, member: Headers, same_title: bool
) -> None:
    for round_ in range(ROUNDS):
        tag = f"brand-new-{round_}"
        bodies = [
            {
                "title": "Racing" if same_title else f"Racing {who}",
                "content": "Text.",
                "tags": [tag],
            }
            for who in ("a", "b")
        ]
        with meeting_before(app, "tags"):
            answers = together(
                app,
                post(app, "/api/v1/entries", bodies[0], author),
                post(app, "/api/v1/entries", bodies[1], member),
            )
        assert [status for status, _ in answers] == [201, 201], answers
        slugs = {body["data"]["entry"]["slug"] for _, body in answers}
        assert len(slugs) == 2
        with app.app_context():
            assert db.session.scalar(select(func.count()).where(Tag.name == tag)) == 1
            carrying = db.session.scalars(select(Entry).where(Entry.tags.any(Tag.name == tag)))
            assert len(list(carrying)) == 2


def test_racing_categories_with_the_same_name_one_is_409(
    app: Flask, editor: Headers, admin_headers: Headers
) -> None:
    for round_ in range(ROUNDS):
        body = {"name": f"Deaf history {round_}", "colour": "#1f6feb"}
        with meeting_before(app, "categories"):
            answers = together(
                app,
                post(app, "/api/v1/categories", body, editor),
                post(app, "/api/v1/categories", body, admin_headers),
            )
        statuses = sorted(status for status, _ in answers)
        assert statuses == [201, 409], answers
        (refused,) = [answer for status, answer in answers if status == 409]
        assert refused["error"]["code"] == "RES_ALREADY_EXISTS"
        assert refused["error"]["errors"][0]["field"] == "name"
        with app.app_context():
            named = select(func.count()).where(Category.name == body["name"])
            assert db.session.scalar(named) == 1
