"""Revision pages: the list, one revision's diff (inline or side by side) and restoring."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, write
from tests.modules.knowledge.web_support import added, entry_row, post, removed, signed_in
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.knowledge.models import EntryRevision
from versehub.modules.knowledge.schemas import EntryUpdate
from versehub.modules.knowledge.service import entries


def _history(app: Flask, people: People, edits: int = 1) -> str:
    """An entry by the author with `edits` saved edits; its slug."""
    with app.app_context():
        entry = write(people.author, content="First line.\nSecond line.")
        for n in range(edits):
            entries.update(
                entry_id=entry.id,
                data=EntryUpdate(content=f"First line.\nChanged line {n}.", version=entry.version),
                viewer=people.author,
            )
        return entry.slug


def _revision_count(app: Flask, slug: str) -> int:
    entry = entry_row(app, slug=slug)
    assert entry is not None
    with app.app_context():
        return len(db.session.scalars(select(EntryRevision).filter_by(entry_id=entry.id)).all())


def _density(app: Flask, username: str, density: int) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(username=username)).one()
        user.visual_density = density
        db.session.commit()


def test_revision_list_shows_number_author_date_and_summary(
    app: Flask, client: FlaskClient, people: People
) -> None:
    slug = _history(app, people)
    signed_in(client, "aurora")
    html = client.get(f"/entries/{slug}/revisions").get_data(as_text=True)
    assert "2 revisions, newest first" in html
    assert f'href="/entries/{slug}/revisions/2"' in html
    assert f'href="/entries/{slug}/revisions/1"' in html
    assert html.count("<td>aurora</td>") == 2
    assert "Created" in html
    assert "Changed text" in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', html)


def test_revision_list_is_paginated(app: Flask, client: FlaskClient, people: People) -> None:
    slug = _history(app, people, edits=21)
    signed_in(client, "aurora")
    first = client.get(f"/entries/{slug}/revisions").get_data(as_text=True)
    assert "page 1 of 2" in first
    assert "Revision 22<" in first
    assert "Revision 3<" in first
    assert "Revision 2<" not in first
    assert f'href="/entries/{slug}/revisions?page=2"' in first
    second = client.get(f"/entries/{slug}/revisions?page=2").get_data(as_text=True)
    assert "Revision 2<" in second
    assert "Revision 1<" in second
    assert "Revision 22" not in second
    for bad in ("3", "0", "abc", "-1", "9999999999"):
        assert client.get(f"/entries/{slug}/revisions?page={bad}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/revisions/3",
        "/revisions/0",
        "/revisions/2?against=9",
        "/revisions/2?against=x",
        "/revisions/2?against=0",
    ],
)
def test_out_of_range_revisions_are_404(
    app: Flask, client: FlaskClient, people: People, path: str
) -> None:
    slug = _history(app, people)
    signed_in(client, "aurora")
    response = client.get(f"/entries/{slug}{path}")
    assert response.status_code == 404
    assert "There is no page at this address" in response.get_data(as_text=True)


def test_revisions_of_hidden_or_read_only_entries_are_404(
    app: Flask, client: FlaskClient, people: People
) -> None:
    slug = _history(app, people)
    with app.app_context():
        public = publish(write(people.author, title="Open to all"), people.editor).slug
    assert client.get(f"/entries/{slug}/revisions").status_code == 302  # sign in first
    signed_in(client, "milo")
    for path in (
        f"/entries/{slug}/revisions",
        f"/entries/{slug}/revisions/1",
        f"/entries/{public}/revisions",
        f"/entries/{public}/revisions/1",
        "/entries/missing/revisions",
    ):
        assert client.get(path).status_code == 404, path
    restore = post(client, f"/entries/{public}/revisions/1/restore", {"version": "3"})
    assert restore.status_code == 404


def test_inline_diff_marks_additions_and_removals_in_words(
    app: Flask, client: FlaskClient, people: People
) -> None:
    slug = _history(app, people)
    signed_in(client, "aurora")
    html = client.get(f"/entries/{slug}/revisions/2").get_data(as_text=True)
    assert "Changes from revision 1 to revision 2" in html
    assert '<ol class="diff diff--inline"' in html
    assert "diff--split" not in html
    assert removed("Second line.") in html
    assert added("Changed line 0.") in html
    assert "1 line added, 1 removed" in html
    first = client.get(f"/entries/{slug}/revisions/1").get_data(as_text=True)
    assert "Everything in revision 1 (the first)" in first
    assert added("First line.") in first


def test_wide_layouts_get_a_side_by_side_diff_against_any_revision(
    app: Flask, client: FlaskClient, people: People
) -> None:
    slug = _history(app, people, edits=2)
    _density(app, "aurora", 4)
    signed_in(client, "aurora")
    html = client.get(f"/entries/{slug}/revisions/3?against=1").get_data(as_text=True)
    assert "Changes from revision 1 to revision 3" in html
    assert '<table class="diff diff--split">' in html
    assert '<th scope="col">Revision 1</th><th scope="col">Revision 3</th>' in html
    assert added("Changed line 1.") in html


def test_restore_brings_back_an_old_revision(
    app: Flask, client: FlaskClient, people: People
) -> None:
    slug = _history(app, people)
    signed_in(client, "aurora")
    page = client.get(f"/entries/{slug}/revisions/1").get_data(as_text=True)
    assert "Restore revision 1" in page
    assert "Restore revision" not in client.get(f"/entries/{slug}/revisions/2").get_data(
        as_text=True
    )
    response = post(client, f"/entries/{slug}/revisions/1/restore", {"version": "2"})
    assert response.status_code == 303
    assert "Revision 1 restored" in client.get(response.headers["Location"]).get_data(as_text=True)
    entry = entry_row(app, slug=slug)
    assert entry is not None
    assert entry.content == "First line.\nSecond line."
    assert _revision_count(app, slug) == 3
    assert "Restored revision 1" in client.get(f"/entries/{slug}/revisions").get_data(as_text=True)


def test_restore_refuses_a_stale_page_and_a_missing_token(
    app: Flask, client: FlaskClient, people: People
) -> None:
    slug = _history(app, people)
    signed_in(client, "aurora")
    stale = post(client, f"/entries/{slug}/revisions/1/restore", {"version": "1"})
    assert stale.status_code == 303
    assert "nothing was restored" in client.get(stale.headers["Location"]).get_data(as_text=True)
    garbage = post(client, f"/entries/{slug}/revisions/1/restore", {"version": "<b>"})
    assert garbage.status_code == 303
    no_token = client.post(f"/entries/{slug}/revisions/1/restore", data={"version": "2"})
    assert no_token.status_code == 400
    assert _revision_count(app, slug) == 2
    assert post(client, f"/entries/{slug}/revisions/7/restore", {"version": "2"}).status_code == 404


def test_revision_list_at_density_1_is_a_list(
    app: Flask, client: FlaskClient, people: People
) -> None:
    slug = _history(app, people)
    _density(app, "aurora", 1)
    signed_in(client, "aurora")
    html = client.get(f"/entries/{slug}/revisions").get_data(as_text=True)
    assert "<table" not in html
    assert '<ol class="revision-list"' in html
    assert "Changed text, by aurora," in html
