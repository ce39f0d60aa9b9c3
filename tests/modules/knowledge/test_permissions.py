"""Who reads and edits which entries; hidden entries are RES_NOT_FOUND, never 403."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, write
from versehub.core.auth import Principal
from versehub.core.errors import APIError
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import EntryUpdate, ListQuery
from versehub.modules.knowledge.service import entries, revisions, search

VIEWERS = ("anonymous", "member", "author", "editor", "admin")
# kind of entry -> the viewers who may read it
READERS = {
    "draft": {"author", "editor", "admin"},
    "published": set(VIEWERS),
    "private": {"author", "editor", "admin"},
}
EDITORS = {"author", "editor", "admin"}


def _viewer(people: People, name: str) -> Principal | None:
    return None if name == "anonymous" else getattr(people, name)


def _entries(people: People) -> dict[str, Entry]:
    made = {
        "draft": write(people.author, title="Draft"),
        "published": publish(write(people.author, title="Published"), people.editor),
        "private": publish(write(people.author, title="Private", is_public=False), people.editor),
    }
    return made


@pytest.mark.parametrize("viewer_name", VIEWERS)
def test_read_matrix(ctx: Flask, people: People, viewer_name: str) -> None:
    made = _entries(people)
    viewer = _viewer(people, viewer_name)
    for kind, entry in made.items():
        if viewer_name in READERS[kind]:
            assert entries.get(entry_id=entry.id, viewer=viewer).id == entry.id
            assert entries.get_by_slug(slug=entry.slug, viewer=viewer).id == entry.id
        else:
            with pytest.raises(APIError) as caught:
                entries.get(entry_id=entry.id, viewer=viewer)
            assert caught.value.code == "RES_NOT_FOUND", (kind, viewer_name)
    listed = {e.title for e in search.list_(query=ListQuery(), viewer=viewer).items}
    expected = {e.title for k, e in made.items() if viewer_name in READERS[k]}
    assert listed == expected


@pytest.mark.parametrize("viewer_name", VIEWERS)
def test_edit_matrix(ctx: Flask, people: People, viewer_name: str) -> None:
    made = _entries(people)
    viewer = _viewer(people, viewer_name)
    for kind, entry in made.items():
        change = EntryUpdate(summary=f"by {viewer_name}")
        if viewer_name in EDITORS:
            entries.update(entry_id=entry.id, data=change, viewer=viewer)
            assert revisions.list_(entry_id=entry.id, viewer=viewer)[0].number == 2
            continue
        with pytest.raises(APIError) as caught:
            entries.update(entry_id=entry.id, data=change, viewer=viewer)
        if viewer_name not in READERS[kind]:
            expected = "RES_NOT_FOUND"
        else:
            expected = "AUTH_REQUIRED" if viewer is None else "AUTH_INSUFFICIENT_PERMISSIONS"
        assert caught.value.code == expected, (kind, viewer_name)


def test_members_cannot_delete_or_see_history_of_others(ctx: Flask, people: People) -> None:
    entry = publish(write(people.author), people.editor)
    for attempt in (
        lambda: entries.delete(entry_id=entry.id, viewer=people.member),
        lambda: revisions.list_(entry_id=entry.id, viewer=people.member),
    ):
        with pytest.raises(APIError) as caught:
            attempt()
        assert caught.value.code == "AUTH_INSUFFICIENT_PERMISSIONS"
    entries.delete(entry_id=entry.id, viewer=people.admin)
