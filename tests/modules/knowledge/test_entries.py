"""Creating, updating and deleting entries; slugs; revisions and restore; events after commit."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import BODY, write
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry, EntryRevision
from versehub.modules.knowledge.schemas import CategoryCreate, EntryUpdate
from versehub.modules.knowledge.service import categories, entries, revisions


def test_create_stores_rendering_levels_and_first_revision(ctx: Flask, people: People) -> None:
    entry = write(people.author, tags=["Sign Language", "captions"], summary="Basics")
    db.session.expire_all()
    stored = db.session.get(Entry, entry.id)
    assert stored is not None
    assert (stored.slug, stored.status, stored.version) == ("sign-language-basics", "draft", 1)
    assert stored.content == BODY
    assert stored.content_html.startswith("<p>Deaf people")
    assert 1 <= stored.reading_level <= 5
    assert stored.tag_names == ["captions", "sign-language"]
    assert stored.author_id == people.author.user_id
    history = revisions.list_(entry_id=entry.id, viewer=people.author)
    assert [r.number for r in history] == [1]
    assert history[0].changed_fields == ["title", "content", "summary", "tags"]


def test_anonymous_cannot_create(ctx: Flask) -> None:
    with pytest.raises(APIError) as caught:
        write(None)  # type: ignore[arg-type]
    assert caught.value.code == "AUTH_REQUIRED"


def test_slug_is_stable_and_collisions_get_suffixes(ctx: Flask, people: People) -> None:
    first = write(people.author, title="Café Signs!")
    second = write(people.author, title="café signs")
    third = write(people.member, title="CAFÉ   SIGNS")
    assert [first.slug, second.slug, third.slug] == ["café-signs", "café-signs-2", "café-signs-3"]
    entries.update(entry_id=first.id, data=EntryUpdate(title="A new title"), viewer=people.author)
    assert first.slug == "café-signs"
    assert write(people.author, title="!!!").slug == "entry"


def test_explicit_slug_collision_is_already_exists(ctx: Flask, people: People) -> None:
    write(people.author, title="One", slug="my-slug")
    with pytest.raises(APIError) as caught:
        write(people.author, title="Two", slug="My Slug")
    assert caught.value.code == "RES_ALREADY_EXISTS"
    assert caught.value.errors[0]["field"] == "slug"


def test_update_records_changed_fields_and_bumps_version(ctx: Flask, people: People) -> None:
    entry = write(people.author)
    entries.update(
        entry_id=entry.id,
        data=EntryUpdate(content="New *text*.", tags=["x"], version=1),
        viewer=people.author,
    )
    assert entry.version == 2
    assert entry.content_html == "<p>New <em>text</em>.</p>\n"
    latest = revisions.list_(entry_id=entry.id, viewer=people.author)[0]
    assert (latest.number, latest.changed_fields) == (2, ["content", "tags"])
    assert latest.snapshot["content"] == "New *text*."
    assert latest.user_id == people.author.user_id


def test_visibility_only_change_stores_no_revision(ctx: Flask, people: People) -> None:
    entry = write(people.author)
    entries.update(entry_id=entry.id, data=EntryUpdate(is_public=False), viewer=people.author)
    assert entry.version == 2
    assert len(revisions.list_(entry_id=entry.id, viewer=people.author)) == 1


def test_stale_version_is_conflict(ctx: Flask, people: People) -> None:
    entry = write(people.author)
    with pytest.raises(APIError) as caught:
        entries.update(
            entry_id=entry.id, data=EntryUpdate(title="x", version=7), viewer=people.author
        )
    assert caught.value.code == "RES_CONFLICT"


def test_concurrent_update_is_conflict(app: Flask, people: People) -> None:
    with app.app_context():
        entry_id = write(people.author).id
    with app.app_context():
        mine = db.session.get(Entry, entry_id)
        assert mine is not None
        mine.title = "loaded before the other writer"
        with app.app_context():  # a second session commits first
            entries.update(
                entry_id=entry_id, data=EntryUpdate(title="theirs"), viewer=people.editor
            )
        with pytest.raises(APIError) as caught:
            entries.update(entry_id=entry_id, data=EntryUpdate(title="mine"), viewer=people.author)
        assert caught.value.code == "RES_CONFLICT"


def test_restore_is_a_new_revision(ctx: Flask, people: People) -> None:
    categories.create(data=CategoryCreate(name="Health", colour="#1f6feb"), viewer=people.editor)
    entry = write(people.author, title="First", category="health")
    entries.update(
        entry_id=entry.id,
        data=EntryUpdate(title="Second", content="Changed.", category=None),
        viewer=people.author,
    )
    restored = entries.restore_revision(
        entry_id=entry.id, number=1, viewer=people.editor, expected_version=2
    )
    assert (restored.title, restored.content, restored.version) == ("First", BODY, 3)
    assert restored.category is not None
    assert restored.category.slug == "health"
    latest = revisions.list_(entry_id=entry.id, viewer=people.author)[0]
    assert (latest.number, latest.restored_from) == (3, 1)
    assert set(latest.changed_fields) == {"title", "content", "category"}
    assert (
        revisions.get(entry_id=entry.id, number=2, viewer=people.author).snapshot["title"]
        == "Second"
    )
    with pytest.raises(APIError, match="RES_NOT_FOUND"):
        revisions.get(entry_id=entry.id, number=99, viewer=people.author)


def test_events_are_published_after_commit(
    ctx: Flask, people: People, published_events: list[tuple[str, dict[str, Any]]]
) -> None:
    entry = write(people.author)
    entries.update(entry_id=entry.id, data=EntryUpdate(title="Renamed"), viewer=people.author)
    entries.change_status(entry_id=entry.id, to="in_review", viewer=people.author)
    entries.change_status(entry_id=entry.id, to="published", viewer=people.editor)
    entries.delete(entry_id=entry.id, viewer=people.editor)
    names = [name for name, _ in published_events]
    assert names == [
        "entry.created",
        "entry.updated",
        "entry.updated",
        "entry.published",
        "entry.deleted",
    ]
    assert published_events[0][1]["entry_id"] == entry.id
    assert published_events[3][1]["status"] == "published"


def test_delete_moves_to_the_recycle_bin_and_keeps_revisions(ctx: Flask, people: People) -> None:
    entry = write(people.author)
    entries.delete(entry_id=entry.id, viewer=people.author, expected_version=1)
    binned = db.session.get(Entry, entry.id)
    assert binned is not None
    assert (binned.deleted_by_id, binned.status, binned.version) == (
        people.author.user_id,
        "draft",
        2,
    )
    assert binned.deleted_at is not None
    count = select(func.count()).select_from(EntryRevision)
    assert db.session.scalar(count) == 1
    with pytest.raises(APIError, match="RES_NOT_FOUND"):
        entries.get(entry_id=entry.id, viewer=people.editor)


def test_sign_videos_come_from_providers(ctx: Flask, people: People) -> None:
    from versehub.modules.knowledge.events import register_sign_video_provider

    entry = write(people.author)
    assert entries.present(entry).sign_videos == []

    def provider(e: Entry) -> list[dict[str, Any]]:
        return [{"language": "bsl", "url": f"/media/{e.id}.mp4", "captions_url": "/c.vtt"}]

    def broken(e: Entry) -> list[dict[str, Any]]:
        raise RuntimeError("media service down")

    register_sign_video_provider(ctx, broken)
    register_sign_video_provider(ctx, provider)
    public = entries.present(entry)
    assert [v.language for v in public.sign_videos] == ["bsl"]
    assert public.tags == []
    assert public.author_username == "aurora"
