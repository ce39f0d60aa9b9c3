"""The search box's syntax, parsed once and written out for FTS5 and PostgreSQL (no database)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from versehub.modules.knowledge.service.query_syntax import (
    MAX_WORDS,
    Query,
    Term,
    parse,
    to_fts5,
    to_tsquery,
)


def _terms(text: str) -> list[list[str]]:
    """The alternatives of `text`, each term written `-` (excluded) + its words."""
    parsed = parse(text)
    assert parsed is not None
    return [["-" * t.negated + " ".join(t.words) for t in alt] for alt in parsed.alternatives]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deaf students", [["deaf", "students"]]),
        ('"sign language" -crab', [["sign language", "-crab"]]),
        ('"sad cat" or "fat rat"', [["sad cat"], ["fat rat"]]),
        ('signal -"segmentation fault"', [["signal", "-segmentation fault"]]),
        ("live captions OR subtitles", [["live", "captions"], ["subtitles"]]),
        ('"unclosed phrase runs on', [["unclosed phrase runs on"]]),
        ("e-mail", [["e", "mail"]]),  # a dash inside a word separates
        ("(-draft) captions", [["-draft", "captions"]]),
        ("--b", [["b"]]),  # only a dash that starts a word means "not"
        ("or captions or", [["captions"]]),  # a dangling `or` is dropped
        ('"one"', [["one"]]),  # a one-word phrase is a word
        ('NEAR(a "b" OR c*', [["NEAR", "a", "b"], ["c"]]),
        ("a or -b", [["a"]]),  # an alternative of exclusions only is dropped
        ("café 手話", [["café", "手話"]]),
    ],
)
def test_parse(text: str, expected: list[list[str]]) -> None:
    assert _terms(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "!!! ***", '""', "-captions", "-a -b", "or", "- -"])
def test_nothing_searchable(text: str) -> None:
    assert parse(text) is None


def test_words_are_bounded() -> None:
    parsed = parse(" ".join(f"w{i}" for i in range(100)) + ' "x y"')
    assert parsed is not None
    assert sum(len(t.words) for alt in parsed.alternatives for t in alt) == MAX_WORDS
    phrase = parse("a " * (MAX_WORDS - 1) + '"b c d"')
    assert phrase is not None
    assert phrase.alternatives[0][-1] == Term(("b",))  # a phrase past the budget is cut


def test_renderings() -> None:
    parsed = parse('live captions or "sign language" -draft')
    assert parsed is not None
    assert to_fts5(parsed) == '(("live" AND "captions")) OR (("sign language") NOT "draft")'
    assert to_tsquery(parsed) == "('live' & 'captions') | (('sign' <-> 'language') & !'draft')"
    assert parsed.requires_phrase
    assert not Query(((Term(("a",)),),)).requires_phrase
    excluded = parse('captions -"real time"')  # an excluded phrase does not narrow the matches
    assert excluded is not None
    assert not excluded.requires_phrase


_FTS5_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_TSQUERY_QUOTED = re.compile(r"'(?:[^']|'')*'")


@given(st.text(max_size=200))
def test_no_user_text_becomes_syntax(text: str) -> None:
    parsed = parse(text)
    if parsed is None:
        return
    # Outside the quoted words only the renderer's own operators remain.
    fts5_rest = _FTS5_QUOTED.sub("", to_fts5(parsed))
    assert re.fullmatch(r"(?:[()\s]|AND|OR|NOT)*", fts5_rest), fts5_rest
    ts_rest = _TSQUERY_QUOTED.sub("", to_tsquery(parsed))
    assert re.fullmatch(r"(?:[()\s&|!]|<->)*", ts_rest), ts_rest
    for alt in parsed.alternatives:
        assert any(not t.negated for t in alt)
        assert all(t.words and all(re.fullmatch(r"\w+", w) for w in t.words) for t in alt)
