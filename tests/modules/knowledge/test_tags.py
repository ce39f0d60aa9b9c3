"""Tags are normalised (NFKC, case-folded, trimmed, spaces as '-') and created on first use."""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import write
from versehub.core.errors import APIError
from versehub.modules.knowledge.service import tags


@pytest.mark.parametrize(
    ("raw", "name"),
    [("Sign Language", "sign-language"), ("  BSL  ", "bsl"), ("\uff21\uff33\uff2c", "asl"),
     ("Straße", "strasse"), ("a \t\n b", "a-b"), ("a - b", "a-b"), ("ﬁ", "fi")],
)  # fmt: skip
def test_normalise(raw: str, name: str) -> None:
    assert tags.normalise(raw) == name


@pytest.mark.parametrize("raw", ["", "   ", "x" * 51, "a\x00b", "\u200b"])
def test_invalid_tags(raw: str) -> None:
    with pytest.raises(APIError) as caught:
        tags.normalise(raw)
    assert caught.value.errors[0]["field"] == "tags"


@given(st.text(max_size=80))
def test_normalise_is_idempotent(raw: str) -> None:
    try:
        once = tags.normalise(raw)
    except APIError:
        return
    assert tags.normalise(once) == once
    assert 1 <= len(once) <= 50


def test_tags_created_once_and_shared(ctx: Flask, people: People) -> None:
    first = write(people.author, title="One", tags=["Deaf Culture", "deaf  culture", "BSL"])
    second = write(people.member, title="Two", tags=["DEAF CULTURE"])
    assert first.tag_names == ["bsl", "deaf-culture"]
    assert second.tags[0].id == first.tags[1].id
    assert [(t.name, n) for t, n in tags.list_()] == [("deaf-culture", 2), ("bsl", 1)]
