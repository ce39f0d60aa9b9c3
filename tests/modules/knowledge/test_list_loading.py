"""What a REST list page loads: a constant number of statements, and no bodies or secrets."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, write
from tests.sql import sql_statements
from versehub.extensions import db
from versehub.modules.knowledge.schemas import CategoryCreate, ListQuery
from versehub.modules.knowledge.service import categories, search

# What a list item never shows: entry bodies, and the author's credentials and grants.
NOT_LOADED = ("content_html", "plain_language_html", "password_hash", "totp_secret", "user_roles")


@pytest.fixture
def twelve(ctx: Flask, people: People) -> None:
    """Twelve published entries by four authors, in three categories, with tags."""
    authors = [people.author, people.member, people.editor, people.admin]
    slugs = [
        categories.create(
            data=CategoryCreate(name=f"Topic {i}", colour="#1a5fb4"), viewer=people.editor
        ).slug
        for i in range(3)
    ]
    for i in range(12):
        entry = write(
            authors[i % 4],
            title=f"Entry {i:02d}",
            category=slugs[i % 3],
            tags=[f"tag{i % 5}", "common"],
            plain_language="Short words. Easy to read.",
        )
        publish(entry, people.editor)
    db.session.remove()


@pytest.mark.parametrize("q", [None, "entry"])
def test_a_page_costs_the_same_statements_for_5_and_12_items(
    app: Flask, twelve: None, people: People, q: str | None
) -> None:
    counts = {}
    for per_page in (5, 12):
        with sql_statements(app) as seen:
            page = search.list_(query=ListQuery(per_page=per_page, q=q), viewer=people.member)
        db.session.remove()
        assert len(page.items) == per_page
        counts[per_page] = len(seen)
        text = "\n".join(seen)
        for name in NOT_LOADED:
            assert name not in text, (name, text)
    assert counts[5] == counts[12]


def test_items_still_carry_author_category_tags_and_reading_level(
    app: Flask, twelve: None, people: People
) -> None:
    page = search.list_(query=ListQuery(per_page=12, sort="title"), viewer=None)
    first, second = page.items[0], page.items[1]
    assert (first.title, first.author_username, first.author_id) == (
        "Entry 00",
        "aurora",
        people.author.user_id,
    )
    assert second.author_username == "milo"
    assert first.category is not None
    assert first.category.slug == "topic-0"
    assert first.tags == ["common", "tag0"]
    assert 1 <= first.reading_level <= 5
    assert {item.author_username for item in page.items} == {"aurora", "milo", "edith", "adam"}
