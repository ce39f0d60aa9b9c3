"""Tags are normalised (NFKC, case-folded, trimmed, spaces as '-') and created on first use."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.modules.knowledge.conftest import Headers, People
from tests.modules.knowledge.support import publish, write
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
    assert [(t.name, n) for t, n in tags.list_(viewer=people.editor)] == [
        ("deaf-culture", 2),
        ("bsl", 1),
    ]


def _hub(app: Flask, people: People) -> None:
    """A published public entry, the author's own draft and private entry, a member's draft."""
    with app.app_context():
        publish(write(people.author, title="Open", tags=["shared"]), people.editor)
        write(people.author, title="Mine", tags=["shared", "my-draft"])
        private = write(people.author, title="Private", tags=["quiet"], is_public=False)
        publish(private, people.editor)
        write(people.member, title="Plan", tags=["shared", "secret-plan"])


# Who asks → the tags and counts they may see (counted over the entries they may read).
VISIBLE_TAGS = {
    "anonymous": [("shared", 1)],
    "author": [("shared", 2), ("my-draft", 1), ("quiet", 1)],
    "member": [("shared", 2), ("secret-plan", 1)],
    "editor": [("shared", 3), ("my-draft", 1), ("quiet", 1), ("secret-plan", 1)],
}


def _headers(request: pytest.FixtureRequest, who: str) -> Headers:
    if who == "anonymous":
        return {}
    headers: Headers = request.getfixturevalue(who)
    return headers


@pytest.mark.parametrize("who", sorted(VISIBLE_TAGS))
def test_rest_tags_count_only_readable_entries(
    app: Flask, client: FlaskClient, people: People, request: pytest.FixtureRequest, who: str
) -> None:
    _hub(app, people)
    answer = client.get("/api/v1/tags", headers=_headers(request, who))
    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()["data"]["items"]
    assert [(t["name"], t["entries"]) for t in items] == VISIBLE_TAGS[who]


@pytest.mark.parametrize("who", sorted(VISIBLE_TAGS))
def test_graphql_tags_count_only_readable_entries(
    app: Flask, client: FlaskClient, people: People, request: pytest.FixtureRequest, who: str
) -> None:
    _hub(app, people)
    query = {"query": "{ tags { entries tag { name } } }"}
    answer: dict[str, Any] = client.post(
        "/graphql", json=query, headers=_headers(request, who)
    ).get_json()
    assert "errors" not in answer, answer
    found = [(t["tag"]["name"], t["entries"]) for t in answer["data"]["tags"]]
    assert found == VISIBLE_TAGS[who]
