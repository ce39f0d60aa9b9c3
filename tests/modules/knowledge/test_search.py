"""Full-text search on both backends: ranking, safe highlights, hostile input never errors."""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, raw_query, write
from versehub.modules.knowledge.schemas import EntryUpdate, ListQuery, SearchQuery
from versehub.modules.knowledge.service import entries, search

HOSTILE = [
    '"', '""', '"unbalanced', "*", "capt*", "NEAR(", "NEAR(a b", "a AND OR NOT b", "AND", "OR",
    "NOT", "^caption", "title:caption", "content:", "-", "--", "a -b", "(", ")", "{", "}", "[",
    "'", "\\", "%", "_", "a:b:c", "x" * 5000, "caption " * 400, "日本語の手話", "café ☕ 🤟",
    "\x00", "\ud800", "a\x00b", " ", "\t\n", "<script>", "'; DROP TABLE entries; --",
    "!@#$%^&*()", "+caption", "caption~2", "caption^2", "a NEAR/2 b", 'entries_fts MATCH "x"',
]  # fmt: skip


def _titles(query: ListQuery, people: People) -> list[str]:
    return [e.title for e in search.list_(query=query, viewer=people.editor).items]


def _syntax_hub(people: People) -> None:
    write(people.author, title="Sign language basics", content="Hands and faces.")
    write(people.author, title="Language of the sign", content="Order matters here.")
    write(people.author, title="Live captions", content="Real time text.")
    write(people.author, title="Subtitles", content="Translated text under films.")
    write(people.author, title="Captions draft", content="Live notes, unfinished.")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"sign language"', {"Sign language basics"}),  # a phrase: next to each other, in order
        ("sign language", {"Sign language basics", "Language of the sign"}),
        ('"sign language', {"Sign language basics"}),  # an unclosed quote runs to the end
        ('"language sign"', set()),
        ("captions or subtitles", {"Live captions", "Subtitles", "Captions draft"}),
        ("live captions OR subtitles", {"Live captions", "Captions draft", "Subtitles"}),
        ("captions -draft", {"Live captions"}),
        ('text -"real time"', {"Subtitles"}),
        ("-captions", set()),  # exclusions alone search nothing
        ("subtitles or -captions", {"Subtitles"}),
        ("e-mail", set()),
    ],
)
def test_query_syntax_means_the_same_on_both_backends(
    ctx: Flask, people: People, q: str, expected: set[str]
) -> None:
    _syntax_hub(people)
    assert set(_titles(ListQuery(q=q), people)) == expected
    assert set(_titles(ListQuery(q=q, sort="newest"), people)) == expected


def test_phrase_highlights_and_ranks(ctx: Flask, people: People) -> None:
    _syntax_hub(people)
    [hit] = search.search(query=SearchQuery(q='"live captions"'), viewer=people.editor).items
    assert hit.title == "Live captions"
    assert hit.score is not None
    assert hit.score > 0
    assert "<mark>" in (hit.highlight or "")


def test_ranking_and_highlight(ctx: Flask, people: People) -> None:
    write(people.author, title="Captions for deaf viewers", content="Subtitles and more.")
    write(people.author, title="Video tips", content="Good light. Add captions later.")
    write(people.author, title="Unrelated", content="Nothing to see here.")
    page = search.search(query=SearchQuery(q="captions"), viewer=people.editor)
    assert [e.title for e in page.items] == ["Captions for deaf viewers", "Video tips"]
    assert page.items[0].score is not None
    assert page.items[0].score > page.items[1].score
    assert "<mark>" in (page.items[1].highlight or "")
    assert "aptions</mark>" in (page.items[1].highlight or "")


def test_highlight_never_trusts_stored_text(ctx: Flask, people: People) -> None:
    write(people.author, content='<script>alert("captions")</script> & <b>captions</b>')
    [hit] = search.search(query=SearchQuery(q="captions"), viewer=people.editor).items
    assert hit.highlight is not None
    assert "<script" not in hit.highlight
    assert "<b>" not in hit.highlight
    assert "&amp;" in hit.highlight  # escaped (PostgreSQL's headline also drops the tags)
    assert hit.highlight.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_search_sees_tags_plain_language_and_updates(ctx: Flask, people: People) -> None:
    entry = write(
        people.author, title="Alpha", tags=["fingerspelling"], plain_language="Easy words"
    )
    assert _titles(ListQuery(q="fingerspelling"), people) == ["Alpha"]
    assert _titles(ListQuery(q="easy"), people) == ["Alpha"]
    entries.update(entry_id=entry.id, data=EntryUpdate(tags=["lipreading"]), viewer=people.author)
    assert _titles(ListQuery(q="fingerspelling"), people) == []
    assert _titles(ListQuery(q="lipreading"), people) == ["Alpha"]
    entries.delete(entry_id=entry.id, viewer=people.author)
    assert _titles(ListQuery(q="lipreading"), people) == []


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_error(ctx: Flask, people: People, q: str) -> None:
    write(people.author, title="Captions", content="NEAR the caption AND more")
    search.list_(query=raw_query(q=q), viewer=None)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=120))
def test_any_text_searches_without_error(ctx: Flask, q: str) -> None:
    query = raw_query(q=q)
    page = search.list_(query=query, viewer=None)
    assert page.items == []


def test_search_respects_visibility(ctx: Flask, people: People) -> None:
    write(people.author, title="Secret captions draft")
    publish(write(people.author, title="Public captions"), people.editor)
    hits = search.search(query=SearchQuery(q="captions"), viewer=None).items
    assert [h.title for h in hits] == ["Public captions"]
    mine = search.search(query=SearchQuery(q="captions"), viewer=people.author).items
    assert len(mine) == 2
    assert search.search(query=SearchQuery(q="captions"), viewer=people.member).items == hits
