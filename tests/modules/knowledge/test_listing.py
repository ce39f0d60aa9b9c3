"""Filters, sorts, cursor and offset paging, and the query schema's bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from itsdangerous import URLSafeSerializer
from pydantic import ValidationError

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import HARD_TEXT, publish, raw_query, write
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.knowledge.schemas import CategoryCreate, ListQuery
from versehub.modules.knowledge.service import categories, search
from versehub.modules.knowledge.service.cursors import SALT


def _titles(people: People, **params: object) -> list[str]:
    page = search.list_(query=ListQuery.model_validate(params), viewer=people.editor)
    return [e.title for e in page.items]


def test_filters_combine_with_search(ctx: Flask, people: People) -> None:
    categories.create(data=CategoryCreate(name="Health", colour="#000000"), viewer=people.editor)
    write(people.author, title="Alpha captions", category="health", tags=["bsl"])
    write(people.member, title="Beta captions", tags=["BSL"], content=HARD_TEXT)
    publish(write(people.author, title="Gamma captions"), people.editor)
    assert _titles(people, category="health") == ["Alpha captions"]
    assert _titles(people, tag="BSL", sort="title") == ["Alpha captions", "Beta captions"]
    assert _titles(people, author="Milo") == ["Beta captions"]
    assert _titles(people, author=str(people.member.user_id)) == ["Beta captions"]
    assert _titles(people, status="published") == ["Gamma captions"]
    assert "Beta captions" not in _titles(people, max_reading_level=3)
    assert _titles(people, q="captions", tag="bsl", author="aurora") == ["Alpha captions"]
    category_id = categories.get_by_slug(slug="health").id  # type: ignore[union-attr]
    assert _titles(people, category=str(category_id)) == ["Alpha captions"]
    today = datetime.now(UTC).date()
    assert _titles(people, date_field="published", date_from=today) == ["Gamma captions"]
    assert len(_titles(people, date_from=today, date_to=today)) == 3
    assert _titles(people, date_to=today - timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"author": "nobody"}, "author"),
        ({"author": "0"}, "author"),
        ({"category": "missing"}, "category"),
        ({"category": "Health"}, "category"),
        ({"tag": "x" * 60}, "tag"),
        ({"tag": "unused"}, "tag"),
    ],
)
def test_a_filter_naming_nothing_is_refused(
    ctx: Flask, people: People, filters: dict[str, str], field: str
) -> None:
    categories.create(data=CategoryCreate(name="Health", colour="#000000"), viewer=people.editor)
    write(people.author, title="Alpha captions", category="health", tags=["bsl"])
    with pytest.raises(APIError) as refused:
        _titles(people, **filters)
    assert refused.value.code == "VAL_INVALID"
    assert [error["field"] for error in refused.value.errors] == [field]


def test_sorts(ctx: Flask, people: People) -> None:
    for title in ("b", "C", "a"):
        write(people.author, title=title)
    assert _titles(people) == ["a", "C", "b"]  # newest first by default
    assert [t.lower() for t in _titles(people, sort="title")] == ["a", "b", "c"]
    assert _titles(people, sort="relevance") == ["a", "C", "b"]  # no q: newest


def _walk(people: People, sort: str, *, insert_after_first: bool = False) -> list[str]:
    titles: list[str] = []
    cursor = None
    while True:
        query = ListQuery.model_validate({"per_page": 2, "cursor": cursor, "sort": sort})
        page = search.list_(query=query, viewer=people.author)
        titles += [e.title for e in page.items]
        if insert_after_first and len(titles) == 2:
            write(people.author, title="Entry 9 inserted meanwhile")
        if page.next_cursor is None:
            return titles
        cursor = page.next_cursor


def test_cursor_walk_is_stable_under_inserts(ctx: Flask, people: People) -> None:
    for i in range(5):
        write(people.author, title=f"Entry {i}")
    # A newer entry appearing mid-walk belongs before the cursor: no repeats, no gaps.
    newest = _walk(people, "newest", insert_after_first=True)
    assert newest == ["Entry 4", "Entry 3", "Entry 2", "Entry 1", "Entry 0"]
    by_title = _walk(people, "title")
    assert by_title == [f"Entry {i}" for i in range(5)] + ["Entry 9 inserted meanwhile"]


def test_relevance_cursor(ctx: Flask, people: People) -> None:
    for i in range(5):
        write(people.author, title=f"captions {i}", content="captions " * (i + 1))
    first = search.list_(query=ListQuery(q="captions", per_page=3), viewer=people.author)
    assert first.has_more
    assert first.next_cursor
    rest = search.list_(
        query=ListQuery(q="captions", per_page=3, cursor=first.next_cursor), viewer=people.author
    )
    ids = [e.id for e in first.items + rest.items]
    assert len(ids) == len(set(ids)) == 5
    assert rest.next_cursor is None


def test_offset_pages(ctx: Flask, people: People) -> None:
    for i in range(5):
        write(people.author, title=f"Entry {i}")
    page2 = search.list_(query=ListQuery(per_page=2, page=2), viewer=people.author)
    assert [e.title for e in page2.items] == ["Entry 2", "Entry 1"]
    assert page2.has_more
    assert page2.next_cursor is None
    assert page2.page == 2
    assert not search.list_(query=ListQuery(per_page=2, page=3), viewer=people.author).has_more


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "a.b",
        URLSafeSerializer("another-secret", salt=SALT).dumps(["newest", "s", "x", 1]),
    ],
)
def test_tampered_or_foreign_cursor(ctx: Flask, people: People, cursor: str) -> None:
    write(people.author)
    with pytest.raises(APIError) as caught:
        search.list_(query=raw_query(cursor=cursor), viewer=None)
    assert caught.value.code == "VAL_INVALID"
    assert caught.value.errors[0]["field"] == "cursor"


def test_edited_and_cross_sort_cursors(ctx: Flask, people: People) -> None:
    for i in range(3):
        write(people.author, title=f"Entry {i}")
    token = search.list_(query=ListQuery(per_page=1), viewer=people.author).next_cursor
    assert token is not None
    payload, _, signature = token.partition(".")
    tampered = f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{signature}"
    for bad, sort in ((tampered, "newest"), (token, "title")):
        with pytest.raises(APIError) as caught:
            search.list_(query=ListQuery(per_page=1, cursor=bad, sort=sort), viewer=people.author)  # type: ignore[arg-type]
        assert caught.value.errors[0]["field"] == "cursor"
    db.session.rollback()


@pytest.mark.parametrize(
    "params",
    [{"per_page": 0}, {"per_page": 1000}, {"per_page": "abc"}, {"per_page": -1},
     {"page": 0}, {"max_reading_level": 6}, {"sort": "random"}, {"unknown": 1},
     {"cursor": "x", "page": 2}, {"q": "x" * 501}, {"status": "deleted"}],
)  # fmt: skip
def test_query_schema_bounds(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ListQuery.model_validate(params)


def test_query_schema_defaults() -> None:
    assert ListQuery().per_page == 20
    assert ListQuery.model_validate({"per_page": "100"}).per_page == 100
    assert ListQuery(q="x").effective_sort == "relevance"
    with pytest.raises(ValidationError):
        __import__("versehub.modules.knowledge.schemas", fromlist=["x"]).SearchQuery()
