"""Workflow moves: authors submit, editors publish; illegal or stale moves are RES_CONFLICT."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, write
from versehub.core.errors import APIError
from versehub.modules.knowledge.service import entries


def test_author_submits_editor_publishes(ctx: Flask, people: People) -> None:
    entry = write(people.author)
    assert entries.allowed_moves(entry=entry, viewer=people.author) == ["in_review"]
    entries.change_status(
        entry_id=entry.id, to="in_review", viewer=people.author, expected_version=1
    )
    assert (entry.status, entry.version, entry.published_at) == ("in_review", 2, None)
    with pytest.raises(APIError) as caught:
        entries.change_status(entry_id=entry.id, to="published", viewer=people.author)
    assert caught.value.code == "AUTH_INSUFFICIENT_PERMISSIONS"
    assert entries.allowed_moves(entry=entry, viewer=people.editor) == ["published"]
    entries.change_status(entry_id=entry.id, to="published", viewer=people.editor)
    assert entry.status == "published"
    assert entry.published_at is not None
    assert entries.allowed_moves(entry=entry, viewer=people.editor) == ["draft", "archived"]


@pytest.mark.parametrize(("start", "to"), [("draft", "published"), ("draft", "archived"),
                                           ("in_review", "in_review"), ("archived", "draft"),
                                           ("draft", "nonsense")])  # fmt: skip
def test_illegal_moves_are_conflicts(ctx: Flask, people: People, start: str, to: str) -> None:
    entry = write(people.author)
    if start != "draft":
        entries.change_status(entry_id=entry.id, to="in_review", viewer=people.editor)
    if start == "archived":
        entries.change_status(entry_id=entry.id, to="published", viewer=people.editor)
        entries.change_status(entry_id=entry.id, to="archived", viewer=people.editor)
    with pytest.raises(APIError) as caught:
        entries.change_status(entry_id=entry.id, to=to, viewer=people.admin)
    assert caught.value.code == "RES_CONFLICT"
    assert entry.status == start  # rolled back


def test_stale_version_move_is_conflict(ctx: Flask, people: People) -> None:
    entry = write(people.author)
    with pytest.raises(APIError) as caught:
        entries.change_status(
            entry_id=entry.id, to="in_review", viewer=people.author, expected_version=5
        )
    assert caught.value.code == "RES_CONFLICT"


def test_unpublish_needs_editor_and_hides_entry(ctx: Flask, people: People) -> None:
    entry = publish(write(people.author), people.editor)
    with pytest.raises(APIError, match="AUTH_INSUFFICIENT_PERMISSIONS"):
        entries.change_status(entry_id=entry.id, to="draft", viewer=people.author)
    entries.change_status(entry_id=entry.id, to="draft", viewer=people.editor)
    with pytest.raises(APIError, match="RES_NOT_FOUND"):
        entries.get(entry_id=entry.id, viewer=None)
    with pytest.raises(APIError, match="RES_NOT_FOUND"):
        entries.change_status(entry_id=entry.id, to="in_review", viewer=people.member)
