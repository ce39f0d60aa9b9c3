"""The ways back out of review over REST and GraphQL: withdraw, send back with a reason, archive."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error, error_fields
from tests.modules.knowledge.test_api import ENTRIES, create, move
from tests.modules.knowledge.test_graphql import data_of, error_of, gql

Headers = dict[str, str]
SEND_BACK = """mutation($id: ID!, $reason: String) {
  transitionEntry(id: $id, to: DRAFT, reason: $reason) { status version reviewNote } }"""


def _in_review(client: FlaskClient, author: Headers) -> str:
    entry_id = int(create(client, author)["id"])
    move(client, entry_id, "in_review", author)
    return f"{ENTRIES}/{entry_id}"


def test_author_withdraws_over_rest(client: FlaskClient, author: Headers) -> None:
    url = _in_review(client, author)
    shown = client.get(url, headers=author).get_json()["data"]
    assert shown["allowed_transitions"] == ["draft"]
    answer = client.post(f"{url}/transitions", json={"to": "draft", "version": 2}, headers=author)
    assert answer.status_code == 200, answer.get_json()
    entry = answer.get_json()["data"]["entry"]
    assert (entry["status"], entry["version"], entry["review_note"]) == ("draft", 3, None)


def test_editor_sends_back_over_rest_and_the_author_reads_why(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    url = _in_review(client, author)
    missing = client.post(f"{url}/transitions", json={"to": "draft"}, headers=editor)
    assert error_fields(assert_error(missing, 422, "VAL_INVALID")) == {"reason"}
    body = {"to": "draft", "reason": "Please add captions to the video."}
    answer = client.post(f"{url}/transitions", json=body, headers=editor)
    assert answer.status_code == 200, answer.get_json()
    seen = client.get(url, headers=author).get_json()["data"]["entry"]
    assert (seen["status"], seen["review_note"]) == ("draft", "Please add captions to the video.")


@pytest.mark.parametrize("reason", ["", "x" * 2001, 7])
def test_a_bad_reason_is_invalid(
    client: FlaskClient, author: Headers, editor: Headers, reason: object
) -> None:
    url = _in_review(client, author)
    answer = client.post(
        f"{url}/transitions", json={"to": "draft", "reason": reason}, headers=editor
    )
    assert error_fields(assert_error(answer, 422, "VAL_INVALID")) == {"reason"}


def test_editor_archives_from_review_over_rest(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    url = _in_review(client, author)
    denied = client.post(f"{url}/transitions", json={"to": "archived"}, headers=author)
    assert_error(denied, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    answer = client.post(f"{url}/transitions", json={"to": "archived"}, headers=editor)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["data"]["entry"]["status"] == "archived"


def test_send_back_over_graphql(client: FlaskClient, author: Headers, editor: Headers) -> None:
    url = _in_review(client, author)
    entry_id = url.rsplit("/", 1)[1]
    refused = error_of(gql(client, SEND_BACK, editor, id=entry_id))
    assert refused["extensions"]["code"] == "VAL_INVALID"
    moved = data_of(gql(client, SEND_BACK, editor, id=entry_id, reason="Too long; split it."))
    assert moved["transitionEntry"] == {
        "status": "DRAFT",
        "version": 3,
        "reviewNote": "Too long; split it.",
    }
