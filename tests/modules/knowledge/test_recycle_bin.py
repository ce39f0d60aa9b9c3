"""The recycle bin: deleting hides an entry everywhere; its author or an editor restores it within
the retention; admins purge at once; the hourly job purges what has expired."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.conftest import AppFactory
from tests.modules.accounts.support import assert_error, bearer, tokens_for
from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.test_api import ENTRIES, create, published
from tests.modules.knowledge.test_graphql import data_of, error_of, gql
from versehub.core.db import utcnow
from versehub.core.events import get_bus
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry, EntryRevision
from versehub.modules.knowledge.tasks import PURGE_BIN_TASK

BIN = "/api/v1/recycle-bin"
Headers = dict[str, str]


@pytest.fixture
def admin(client: FlaskClient, people: People) -> Headers:
    """`adam` (admin) signed in."""
    return bearer(tokens_for(client, "adam")["access_token"])


def _revisions(app: Flask, entry_id: int) -> int:
    with app.app_context():
        count = select(func.count()).select_from(EntryRevision)
        return int(db.session.scalar(count.where(EntryRevision.entry_id == entry_id)) or 0)


def _exists(app: Flask, entry_id: int) -> bool:
    with app.app_context():
        return db.session.get(Entry, entry_id) is not None


def _age(app: Flask, entry_id: int, days: float) -> None:
    """Pretend the entry was deleted `days` ago."""
    with app.app_context():
        stamp = utcnow() - timedelta(days=days)
        db.session.execute(update(Entry).where(Entry.id == entry_id).values(deleted_at=stamp))
        db.session.commit()


def _events(app: Flask) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    with app.app_context():
        get_bus().subscribe("entry.*", lambda name, payload: seen.append((name, payload)))
    return seen


def test_a_deleted_entry_disappears_from_every_read(
    app: Flask, client: FlaskClient, author: Headers, editor: Headers
) -> None:
    entry_id = published(client, author, editor, title="Captions in cinemas", tags=["cinema"])
    url = f"{ENTRIES}/{entry_id}"
    client.patch(url, json={"summary": "Open captions"}, headers=author)
    assert client.get(f"{ENTRIES}?q=cinemas").get_json()["data"]["items"]  # warm the caches
    assert client.delete(url, headers=author).status_code == 200
    for headers in ({}, author, editor):
        assert_error(client.get(url, headers=headers), 404, "RES_NOT_FOUND")
        for path in (ENTRIES, f"{ENTRIES}?q=cinemas", "/api/v1/search?q=cinemas"):
            assert client.get(path, headers=headers).get_json()["data"]["items"] == [], path
        listed = client.get(f"{ENTRIES}?status=published&tag=cinema", headers=headers)
        assert listed.get_json()["data"]["items"] == []
    assert_error(client.get(f"{url}/revisions", headers=author), 404, "RES_NOT_FOUND")
    patch = client.patch(url, json={"title": "Back?"}, headers=author)
    assert_error(patch, 404, "RES_NOT_FOUND")
    move = client.post(f"{url}/transitions", json={"to": "archived"}, headers=editor)
    assert_error(move, 404, "RES_NOT_FOUND")
    assert_error(client.delete(url, headers=editor), 404, "RES_NOT_FOUND")
    query = '{ entries { edges { node { id } } } entry(slug: "captions-in-cinemas") { id } }'
    answer = gql(client, query, editor)
    assert error_of(answer)["extensions"]["code"] == "RES_NOT_FOUND"
    assert answer["data"]["entries"]["edges"] == []
    listing = gql(client, '{ entries(filter: {search: "cinemas"}) { edges { node { id } } } }')
    assert data_of(listing)["entries"]["edges"] == []
    # The revisions wait with the entry until it is purged.
    assert _revisions(app, entry_id) == 2


def test_the_bin_lists_own_items_for_authors_and_all_for_editors(
    client: FlaskClient, author: Headers, member: Headers, editor: Headers
) -> None:
    mine = create(client, author, title="Mine")
    theirs = create(client, member, title="Theirs")
    before = utcnow()
    client.delete(f"{ENTRIES}/{mine['id']}", headers=author)
    client.delete(f"{ENTRIES}/{theirs['id']}", headers=member)
    own = client.get(BIN, headers=author).get_json()["data"]
    assert [item["title"] for item in own["items"]] == ["Mine"]
    assert own["pagination"] == {
        "page": 1,
        "per_page": 20,
        "total": 1,
        "pages": 1,
        "has_more": False,
        "next_cursor": None,
    }
    item = own["items"][0]
    assert (item["status"], item["version"], item["author_username"]) == ("draft", 2, "aurora")
    deleted = datetime.fromisoformat(item["deleted_at"])
    assert before <= deleted <= utcnow()
    assert datetime.fromisoformat(item["purge_at"]) == deleted + timedelta(days=30)
    everything = client.get(f"{BIN}?per_page=1", headers=editor).get_json()["data"]
    assert [i["title"] for i in everything["items"]] == ["Theirs"]  # most recently deleted first
    assert everything["pagination"]["has_more"] is True
    assert_error(client.get(BIN), 401, "AUTH_REQUIRED")
    assert_error(client.get(f"{BIN}?per_page=0", headers=author), 422, "VAL_INVALID")


def test_the_author_restores_into_the_state_it_had(
    app: Flask, client: FlaskClient, author: Headers, member: Headers, editor: Headers
) -> None:
    entry_id = published(client, author, editor, title="Relay services")
    url = f"{ENTRIES}/{entry_id}"
    client.delete(url, headers=author)
    seen = _events(app)
    restore = f"{BIN}/{entry_id}/restore"
    assert_error(client.post(restore, headers=member), 404, "RES_NOT_FOUND")
    assert_error(client.post(restore, json={"version": 3}, headers=author), 409, "RES_CONFLICT")
    answer = client.post(restore, json={"version": 4}, headers=author)
    assert answer.status_code == 200, answer.get_json()
    entry = answer.get_json()["data"]["entry"]
    assert (entry["status"], entry["slug"], entry["version"]) == ("published", "relay-services", 5)
    assert answer.headers["ETag"] == f'"e{entry_id}-v5"'
    assert client.get(url).status_code == 200  # public again
    assert [i["id"] for i in client.get(ENTRIES).get_json()["data"]["items"]] == [entry_id]
    assert len(client.get(f"{url}/revisions", headers=author).get_json()["data"]["items"]) == 1
    assert [name for name, _ in seen] == ["entry.restored"]
    assert_error(client.post(restore, headers=author), 404, "RES_NOT_FOUND")  # not binned now


def test_an_editor_restores_anyones_entry(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    entry_id = create(client, author)["id"]
    client.delete(f"{ENTRIES}/{entry_id}", headers=author)
    answer = client.post(f"{BIN}/{entry_id}/restore", headers=editor)
    assert answer.status_code == 200, answer.get_json()
    assert client.get(f"{ENTRIES}/{entry_id}", headers=author).status_code == 200


def test_nothing_is_restorable_after_the_retention(
    app: Flask, client: FlaskClient, author: Headers
) -> None:
    entry_id = create(client, author)["id"]
    client.delete(f"{ENTRIES}/{entry_id}", headers=author)
    _age(app, entry_id, 30.01)
    assert client.get(BIN, headers=author).get_json()["data"]["items"] == []
    answer = client.post(f"{BIN}/{entry_id}/restore", headers=author)
    assert_error(answer, 404, "RES_NOT_FOUND")


def test_admins_purge_at_once(
    app: Flask, client: FlaskClient, author: Headers, editor: Headers, admin: Headers
) -> None:
    entry_id = create(client, author)["id"]
    purge = f"{BIN}/{entry_id}"
    assert_error(client.delete(purge, headers=admin), 404, "RES_NOT_FOUND")  # not in the bin
    client.delete(f"{ENTRIES}/{entry_id}", headers=author)
    for headers in (author, editor):
        assert_error(client.delete(purge, headers=headers), 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    seen = _events(app)
    assert client.delete(purge, headers=admin).status_code == 200
    assert not _exists(app, entry_id)
    assert _revisions(app, entry_id) == 0
    assert [name for name, _ in seen] == ["entry.purged"]
    assert_error(client.delete(purge, headers=admin), 404, "RES_NOT_FOUND")


def test_the_hourly_job_purges_what_has_expired(
    app: Flask, client: FlaskClient, author: Headers
) -> None:
    expired, waiting, live = (create(client, author, title=t)["id"] for t in ("A", "B", "C"))
    for entry_id in (expired, waiting):
        client.delete(f"{ENTRIES}/{entry_id}", headers=author)
    _age(app, expired, 31)
    _age(app, waiting, 29)
    celery_app = app.extensions["celery"]
    assert celery_app.conf.beat_schedule[PURGE_BIN_TASK]["task"] == PURGE_BIN_TASK
    # The registered task, run as the worker runs it (its own app context and transaction).
    assert celery_app.tasks[PURGE_BIN_TASK]() == {"purged": 1}
    assert [_exists(app, i) for i in (expired, waiting, live)] == [False, True, True]
    assert _revisions(app, expired) == 0
    assert _revisions(app, waiting) == 1


def test_the_retention_is_a_setting(make_app: AppFactory, people: People) -> None:
    app = make_app(recycle_bin_days=2)
    client = app.test_client()
    author = bearer(tokens_for(client, "aurora")["access_token"])
    entry_id = create(client, author)["id"]
    client.delete(f"{ENTRIES}/{entry_id}", headers=author)
    item = client.get(BIN, headers=author).get_json()["data"]["items"][0]
    purge_at = datetime.fromisoformat(item["purge_at"])
    assert purge_at == datetime.fromisoformat(item["deleted_at"]) + timedelta(days=2)
    _age(app, entry_id, 2.5)
    assert app.extensions["celery"].tasks[PURGE_BIN_TASK]() == {"purged": 1}


def test_a_binned_entry_keeps_its_slug_until_purged(
    client: FlaskClient, author: Headers, admin: Headers
) -> None:
    entry_id = create(client, author, title="Hearing loops")["id"]
    client.delete(f"{ENTRIES}/{entry_id}", headers=author)
    taken = client.post(
        ENTRIES, json={"title": "X", "content": "Y.", "slug": "hearing-loops"}, headers=author
    )
    assert_error(taken, 409, "RES_ALREADY_EXISTS")
    assert create(client, author, title="Hearing loops")["slug"] == "hearing-loops-2"
    client.delete(f"{BIN}/{entry_id}", headers=admin)
    again = create(client, author, title="Again", slug="hearing-loops")
    assert again["slug"] == "hearing-loops"


RESTORE = """mutation($id: ID!, $version: Int) {
  restoreDeletedEntry(id: $id, version: $version) { id status version } }"""
DELETE = "mutation($id: ID!) { deleteEntry(id: $id) }"


def test_delete_and_restore_over_graphql(
    client: FlaskClient, author: Headers, member: Headers
) -> None:
    entry_id = str(create(client, author)["id"])
    assert data_of(gql(client, DELETE, author, id=entry_id))["deleteEntry"] == entry_id
    assert client.get(f"{ENTRIES}/{entry_id}", headers=author).status_code == 404
    hidden = error_of(gql(client, RESTORE, member, id=entry_id))
    assert hidden["extensions"]["code"] == "RES_NOT_FOUND"
    stale = error_of(gql(client, RESTORE, author, id=entry_id, version=1))
    assert stale["extensions"]["code"] == "RES_CONFLICT"
    restored = data_of(gql(client, RESTORE, author, id=entry_id, version=2))
    assert restored["restoreDeletedEntry"] == {"id": entry_id, "status": "DRAFT", "version": 3}


def test_operators_list_and_purge_the_bin_from_the_cli(
    app: Flask, client: FlaskClient, author: Headers
) -> None:
    old, recent, live = (create(client, author, title=t)["id"] for t in ("Old", "Recent", "Live"))
    for entry_id in (old, recent):
        client.delete(f"{ENTRIES}/{entry_id}", headers=author)
    _age(app, old, 40)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["entries", "bin"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == ["id", "deleted", "at", "purge", "at", "state", "title"]
    assert "Recent" in lines[1]
    assert lines[2].endswith("Old (expired)")
    assert lines[-1] == "2 in the recycle bin"
    assert runner.invoke(args=["entries", "purge"]).exit_code == 2  # nothing named
    missing = runner.invoke(args=["entries", "purge", str(live)])
    assert missing.exit_code == 1
    assert "No such entry in the recycle bin" in missing.output
    expired = runner.invoke(args=["entries", "purge", "--expired"])
    assert expired.output.strip() == "purged 1 expired entries"
    one = runner.invoke(args=["entries", "purge", str(recent)])
    assert one.output.strip() == f"purged entry {recent}"
    assert [_exists(app, i) for i in (old, recent, live)] == [False, False, True]
