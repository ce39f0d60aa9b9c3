"""The entry detail carries the version the reader's reading level prefers (REST and GraphQL).

Plain when the reader's level (a `reading_level` parameter, else a signed-in reader's
preference) is below the entry's measured level and a plain-language version exists; the full
content is always there too. The response cache must key on whatever changes the answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error
from tests.modules.knowledge.conftest import Headers, People
from tests.modules.knowledge.support import HARD_TEXT, publish, write

ENTRIES = "/api/v1/entries"
EASY = "Cats sit. Dogs run. We like them."


@pytest.fixture
def hard(app: Flask, people: People) -> dict[str, Any]:
    """A published entry at level 5 with an easy plain-language version."""
    with app.app_context():
        entry = write(people.author, title="Hard", content=HARD_TEXT, plain_language=EASY)
        publish(entry, people.editor)
        assert entry.reading_level == 5
        assert (entry.plain_language_reading_level or 5) < 5
        return {
            "id": entry.id,
            "content_html": entry.content_html,
            "plain_html": entry.plain_language_html,
        }


def _entry(client: FlaskClient, entry_id: int, headers: Headers | None = None, **query: Any) -> Any:
    response = client.get(f"{ENTRIES}/{entry_id}", headers=headers or {}, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]["entry"]


def _prefer(client: FlaskClient, headers: Headers, level: int) -> None:
    response = client.patch(
        "/api/v1/auth/me/preferences", json={"reading_level": level}, headers=headers
    )
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(("level", "version"), [(None, "full"), (1, "plain"), (4, "plain"),
                                                (5, "full")])  # fmt: skip
def test_anonymous_reader_level_as_parameter(
    client: FlaskClient, hard: dict[str, Any], level: int | None, version: str
) -> None:
    query = {} if level is None else {"reading_level": level}
    entry = _entry(client, hard["id"], **query)
    assert entry["preferred_version"] == version
    expected = hard["plain_html"] if version == "plain" else hard["content_html"]
    assert entry["preferred_content_html"] == expected
    assert entry["content_html"] == hard["content_html"]  # the full text is always there
    assert entry["preferred_content"] == (EASY if version == "plain" else HARD_TEXT)


def test_signed_in_reader_gets_their_preference_and_its_changes(
    client: FlaskClient, hard: dict[str, Any], editor: Headers
) -> None:
    _prefer(client, editor, 2)
    assert _entry(client, hard["id"], editor)["preferred_version"] == "plain"
    # Same permission class, new preference: the cached answer must not be served.
    _prefer(client, editor, 5)
    assert _entry(client, hard["id"], editor)["preferred_version"] == "full"
    # The parameter wins over the preference.
    assert _entry(client, hard["id"], editor, reading_level=1)["preferred_version"] == "plain"


def test_default_preference_prefers_plain_for_hard_entries(
    client: FlaskClient, hard: dict[str, Any], member: Headers
) -> None:
    assert _entry(client, hard["id"], member)["preferred_version"] == "plain"  # default level 3


def test_without_plain_version_full_is_preferred(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with app.app_context():
        entry = write(people.author, title="Hard only", content=HARD_TEXT)
        publish(entry, people.editor)
        entry_id = entry.id
    assert _entry(client, entry_id, reading_level=1)["preferred_version"] == "full"


@pytest.mark.parametrize("level", ["0", "6", "easy"])
def test_bad_levels_are_refused(client: FlaskClient, hard: dict[str, Any], level: str) -> None:
    response = client.get(f"{ENTRIES}/{hard['id']}", query_string={"reading_level": level})
    assert_error(response, 422, "VAL_INVALID")


def test_write_answers_carry_the_writers_preference(client: FlaskClient, author: Headers) -> None:
    _prefer(client, author, 1)
    body = {"title": "Hard", "content": HARD_TEXT, "plain_language": EASY}
    made = client.post(ENTRIES, json=body, headers=author)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["data"]["entry"]["preferred_version"] == "plain"


GQL_ENTRY = """query($id: ID!, $level: Int) {
  entry(id: $id, readingLevel: $level) { content preferredVersion preferredContentHtml } }"""


def _gql(client: FlaskClient, query: str, headers: Headers | None = None, **variables: Any) -> Any:
    answer = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    ).get_json()
    assert "errors" not in answer, answer
    return answer["data"]


def test_graphql_entry_carries_the_preferred_version(
    client: FlaskClient, hard: dict[str, Any], member: Headers
) -> None:
    anonymous = _gql(client, GQL_ENTRY, id=str(hard["id"]))["entry"]
    assert anonymous["preferredVersion"] == "FULL"
    asked = _gql(client, GQL_ENTRY, id=str(hard["id"]), level=2)["entry"]
    assert asked["preferredVersion"] == "PLAIN"
    assert asked["preferredContentHtml"] == hard["plain_html"]
    assert asked["content"] == HARD_TEXT
    _prefer(client, member, 5)
    assert _gql(client, GQL_ENTRY, member, id=str(hard["id"]))["entry"]["preferredVersion"] == (
        "FULL"
    )
    _prefer(client, member, 1)
    listed = _gql(client, "{ entries(first: 5) { edges { node { preferredVersion } } } }", member)
    assert [e["node"]["preferredVersion"] for e in listed["entries"]["edges"]] == ["PLAIN"]


def test_each_version_has_its_own_etag_and_both_name_the_version_for_if_match(
    client: FlaskClient, hard: dict[str, Any], editor: Headers
) -> None:
    url = f"{ENTRIES}/{hard['id']}"
    _prefer(client, editor, 5)
    full = client.get(url, headers=editor)
    _prefer(client, editor, 1)
    # The full text's tag does not stand for the plain version the reader now prefers.
    plain = client.get(url, headers={**editor, "If-None-Match": full.headers["ETag"]})
    assert plain.status_code == 200
    assert plain.get_json()["data"]["entry"]["preferred_version"] == "plain"
    assert plain.headers["ETag"] == full.headers["ETag"][:-1] + '-plain"'
    again = client.get(url, headers={**editor, "If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304
    # Either tag names the same version when writing.
    patched = client.patch(
        url, json={"summary": "Why."}, headers={**editor, "If-Match": plain.headers["ETag"]}
    )
    assert patched.status_code == 200, patched.get_json()
    stale = client.patch(
        url, json={"summary": "Again."}, headers={**editor, "If-Match": full.headers["ETag"]}
    )
    assert_error(stale, 409, "RES_CONFLICT")
