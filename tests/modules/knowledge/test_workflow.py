"""Workflow moves: authors submit, editors publish; illegal or stale moves are RES_CONFLICT."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, write
from versehub.core.errors import APIError
from versehub.modules.knowledge.models import Entry
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
    # From review an editor may also send back (draft) or archive (issue 11).
    assert entries.allowed_moves(entry=entry, viewer=people.editor) == [
        "draft",
        "published",
        "archived",
    ]
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


# --- the ways back out of review: withdraw, send back (with a reason), archive ------------------
def _in_review(people: People) -> Entry:
    entry = write(people.author)
    entries.change_status(entry_id=entry.id, to="in_review", viewer=people.author)
    return entry


def test_the_author_withdraws_from_review(
    ctx: Flask, people: People, published_events: list[tuple[str, dict[str, Any]]]
) -> None:
    entry = _in_review(people)
    assert entries.allowed_moves(entry=entry, viewer=people.author) == ["draft"]
    entries.change_status(entry_id=entry.id, to="draft", viewer=people.author, expected_version=2)
    assert (entry.status, entry.version, entry.review_note) == ("draft", 3, None)
    name, payload = published_events[-1]
    assert name == "entry.withdrawn"
    assert payload["transition"] == {"move": "withdraw", "from": "in_review", "to": "draft"}
    assert (payload["reason"], payload["actor_id"]) == (None, people.author.user_id)
    # Back in draft, the author may submit again.
    entries.change_status(entry_id=entry.id, to="in_review", viewer=people.author)
    assert entry.status == "in_review"


def test_an_editor_sends_back_with_a_reason_the_author_sees(
    ctx: Flask, people: People, published_events: list[tuple[str, dict[str, Any]]]
) -> None:
    entry = _in_review(people)
    assert entries.allowed_moves(entry=entry, viewer=people.editor) == [
        "draft",
        "published",
        "archived",
    ]
    entries.change_status(
        entry_id=entry.id, to="draft", viewer=people.editor, reason="  Please add captions.  "
    )
    assert (entry.status, entry.version) == ("draft", 3)
    name, payload = published_events[-1]
    assert name == "entry.sent_back"
    assert payload["transition"] == {"move": "send_back", "from": "in_review", "to": "draft"}
    assert payload["reason"] == "Please add captions."
    assert payload["author_id"] == people.author.user_id
    seen = entries.get(entry_id=entry.id, viewer=people.author)
    assert entries.present(seen).review_note == "Please add captions."
    # Submitting again clears the note; publishing never shows one.
    entries.change_status(entry_id=entry.id, to="in_review", viewer=people.author)
    assert entry.review_note is None


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_sending_back_without_a_reason_is_invalid(
    ctx: Flask, people: People, reason: str | None
) -> None:
    entry = _in_review(people)
    with pytest.raises(APIError) as caught:
        entries.change_status(entry_id=entry.id, to="draft", viewer=people.editor, reason=reason)
    assert caught.value.code == "VAL_INVALID"
    assert [e["field"] for e in caught.value.errors] == ["reason"]
    assert (entry.status, entry.version) == ("in_review", 2)  # rolled back


def test_an_editor_who_wrote_the_entry_withdraws_it(ctx: Flask, people: People) -> None:
    entry = write(people.editor)
    entries.change_status(entry_id=entry.id, to="in_review", viewer=people.editor)
    entries.change_status(entry_id=entry.id, to="draft", viewer=people.editor)
    assert entry.status == "draft"


def test_an_editor_archives_from_review(
    ctx: Flask, people: People, published_events: list[tuple[str, dict[str, Any]]]
) -> None:
    entry = _in_review(people)
    with pytest.raises(APIError) as caught:
        entries.change_status(entry_id=entry.id, to="archived", viewer=people.author)
    assert caught.value.code == "AUTH_INSUFFICIENT_PERMISSIONS"
    entries.change_status(entry_id=entry.id, to="archived", viewer=people.editor, reason="Dup.")
    assert (entry.status, entry.review_note) == ("archived", "Dup.")
    assert published_events[-1][0] == "entry.archived"
    assert published_events[-1][1]["transition"]["move"] == "archive"


def test_others_cannot_take_an_entry_out_of_review(ctx: Flask, people: People) -> None:
    entry = _in_review(people)
    with pytest.raises(APIError, match="RES_NOT_FOUND"):
        entries.change_status(entry_id=entry.id, to="draft", viewer=people.member, reason="x")
