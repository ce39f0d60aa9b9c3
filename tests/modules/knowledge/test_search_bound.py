"""Relevance ranks only the newest RANK_CANDIDATES matches: the bound, its pages, its limits."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, raw_query, sql_statements, write
from tests.modules.knowledge.test_search import HOSTILE
from versehub.core.auth import Principal
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import EntryPage, ListQuery
from versehub.modules.knowledge.service import entries, search


def _hub(people: People, count: int) -> list[Entry]:
    """`count` entries matching "captions", oldest first; the older, the more relevant."""
    return [
        write(people.author, title=f"Entry {i}", content=" ".join(["captions"] * (count - i)))
        for i in range(count)
    ]


def _ids(entries: list[Entry]) -> list[int]:
    return [e.id for e in entries]


def _page(viewer: Principal | None = None, **fields: object) -> EntryPage:
    return search.list_(query=ListQuery.model_validate({"q": "captions", **fields}), viewer=viewer)


def _walk(people: People, per_page: int) -> list[int]:
    """Every id of a cursor walk, page after page, as a client follows `next_cursor`."""
    seen: list[int] = []
    cursor = None
    for _ in range(100):  # a walk that does not advance fails instead of looping
        page = _page(people.editor, per_page=per_page, cursor=cursor)
        seen += [item.id for item in page.items]
        assert page.has_more == (page.next_cursor is not None)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
    raise AssertionError(f"the walk does not end: {seen[:30]}")


def _bound(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setattr(search, "RANK_CANDIDATES", size)


def test_fewer_matches_than_the_bound_rank_as_unbounded(
    ctx: Flask, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ids(_hub(people, 6))
    ranked = _page(people.editor, per_page=50).items
    assert [e.id for e in ranked] == ids  # relevance, not recency: the oldest is the best
    # The same order as sorting every match by its own score (other sorts score each row alone).
    scored = _page(people.editor, per_page=50, sort="newest").items
    assert [e.id for e in ranked] == [
        e.id for e in sorted(scored, key=lambda e: (e.score, e.id), reverse=True)
    ]
    _bound(monkeypatch, len(ids))  # exactly as many candidates as matches
    assert [(e.id, e.score) for e in _page(people.editor, per_page=50).items] == [
        (e.id, e.score) for e in ranked
    ]


def test_more_matches_than_the_bound_rank_only_the_newest(
    ctx: Flask, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ids(_hub(people, 8))
    _bound(monkeypatch, 5)
    page = _page(people.editor, per_page=50)
    assert [e.id for e in page.items] == ids[3:]  # the 5 newest, best first; the rest unranked
    assert not page.has_more
    assert page.next_cursor is None
    # Another sort still reaches every match: the bound is on ranking only.
    newest = _page(people.editor, per_page=50, sort="newest")
    assert [e.id for e in newest.items] == ids[::-1]


@pytest.mark.parametrize("per_page", [1, 3, 7])
def test_pages_walk_the_bounded_ranking_once(
    ctx: Flask, people: People, monkeypatch: pytest.MonkeyPatch, per_page: int
) -> None:
    ids = _ids(_hub(people, 12))
    _bound(monkeypatch, 7)
    whole = [e.id for e in _page(people.editor, per_page=50).items]
    assert whole == ids[5:]
    # The cursor applies after the candidates are chosen: no page pulls in older matches.
    assert _walk(people, per_page) == whole
    numbered = [
        e.id
        for number in range(1, 9)  # the pages past the end are empty
        for e in _page(people.editor, per_page=per_page, page=number).items
    ]
    assert numbered == whole


def test_candidates_are_the_newest_the_viewer_may_read_after_filters(
    ctx: Flask, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ids([publish(entry, people.editor) for entry in _hub(people, 3)])
    tagged = write(people.author, title="Tagged captions", tags=["loops"])
    write(people.author, title="Captions draft, newest of all")
    _bound(monkeypatch, 2)
    # The two newest matches are drafts anonymous readers cannot see: they do not use up the bound.
    assert [e.id for e in _page(None, per_page=50).items] == [ids[1], ids[2]]
    assert [e.id for e in _page(people.editor, tag="loops").items] == [tagged.id]


def test_highlights_are_made_for_the_returned_rows_only(
    app: Flask, ctx: Flask, people: People
) -> None:
    _hub(people, 5)
    with sql_statements(app, re.compile(r"snippet\(|ts_headline\(")) as highlighting:
        page = _page(people.editor, per_page=2)
    assert [bool(e.highlight and "<mark>" in e.highlight) for e in page.items] == [True, True]
    [statement] = highlighting
    assert re.search(r"\bIN\b", statement)  # for the page's ids, not inside the ranking


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_error_when_bounded(
    ctx: Flask, people: People, monkeypatch: pytest.MonkeyPatch, q: str
) -> None:
    _hub(people, 3)
    _bound(monkeypatch, 1)
    search.list_(query=raw_query(q=q), viewer=None)


def _mixed_hub(people: People) -> list[Entry]:
    """Matches among non-matches, drafts and a gap of deleted ids, oldest first."""
    made = []
    for i in range(14):
        if i % 3 == 1:
            write(people.author, title=f"Other {i}", content="Nothing to find.")
        entry = write(people.author, title=f"Entry {i}", content=" ".join(["captions"] * (i + 1)))
        made.append(publish(entry, people.editor) if i % 4 else entry)  # some stay drafts
    for entry in made[5:8]:
        entries.delete(entry_id=entry.id, viewer=people.author)
    return made[:5] + made[8:]


@pytest.mark.parametrize("size", [1, 6, 50])
@pytest.mark.parametrize("viewer", ["editor", "anonymous"])
@pytest.mark.parametrize("q", ["captions", '"captions captions"', 'captions -"nothing here"'])
def test_candidates_are_the_newest_readable_matches_for_words_and_phrases(
    app: Flask,
    ctx: Flask,
    people: People,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
    viewer: str,
    q: str,
) -> None:
    # The phrase "captions captions" matches the entries from the second on. On PostgreSQL a
    # phrase orders its candidates by `id + 0`, which keeps the planner off a walk of the
    # primary key; the candidates are the same newest readable matches either way.
    kept = _mixed_hub(people)
    reader = people.editor if viewer == "editor" else None
    readable = [e for e in kept if reader is not None or e.status == "published"]
    phrase = q.startswith('"')
    matching = [e for e in readable if not phrase or e.content.count("captions") > 1]
    _bound(monkeypatch, size)
    newest = sorted(e.id for e in matching)[-size:]
    by_id = {e.id: e for e in kept}
    expected = sorted(newest, key=lambda i: by_id[i].content.count("captions"), reverse=True)
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    pattern = re.compile(r"ORDER BY entries\.id( \+ \S+)? DESC")
    with sql_statements(app, pattern) as candidates:
        page = search.list_(query=ListQuery(q=q, per_page=50), viewer=reader)
    assert [e.id for e in page.items] == expected  # ranked: the more "captions", the better
    if postgres:
        [statement] = candidates
        assert ("+" in statement) == phrase  # an excluded phrase keeps the planner's choice
    else:
        assert candidates == []  # FTS5's rowid order is its own
