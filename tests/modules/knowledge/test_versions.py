"""Versions on REST: a body `version` is checked like If-Match; a no-op PATCH changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error
from tests.modules.knowledge.test_api import ENTRIES, create

Headers = dict[str, str]


def _bump(client: FlaskClient, url: str, author: Headers, times: int) -> None:
    for n in range(times):
        response = client.patch(url, json={"title": f"Title {n}"}, headers=author)
        assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("body_version", [1, 99, 0])
def test_delete_with_a_stale_body_version_is_a_conflict(
    client: FlaskClient, author: Headers, body_version: int
) -> None:
    url = f"{ENTRIES}/{create(client, author)['id']}"
    _bump(client, url, author, 1)  # now at version 2
    answer = client.delete(url, json={"version": body_version}, headers=author)
    body = assert_error(answer, 409, "RES_CONFLICT")
    assert body["error"]["details"] == {"expected_version": body_version, "current_version": 2}
    assert client.get(url, headers=author).status_code == 200
    assert client.delete(url, json={"version": 2}, headers=author).status_code == 200


@pytest.mark.parametrize("body_version", [1, 11, 99])
def test_restore_with_a_stale_body_version_is_a_conflict(
    client: FlaskClient, author: Headers, body_version: int
) -> None:
    url = f"{ENTRIES}/{create(client, author, title='First')['id']}"
    _bump(client, url, author, 11)  # version 12
    restore = f"{url}/revisions/1/restore"
    answer = client.post(restore, json={"version": body_version}, headers=author)
    assert_error(answer, 409, "RES_CONFLICT")
    entry = client.get(url, headers=author).get_json()["data"]["entry"]
    assert (entry["title"], entry["version"]) == ("Title 10", 12)
    done = client.post(restore, json={"version": 12}, headers=author)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["data"]["entry"]["title"] == "First"


def test_if_match_still_wins_over_a_body_version(client: FlaskClient, author: Headers) -> None:
    entry = create(client, author)
    url = f"{ENTRIES}/{entry['id']}"
    stale = {**author, "If-Match": f'"e{entry["id"]}-v7"'}
    assert_error(client.delete(url, json={"version": 1}, headers=stale), 409, "RES_CONFLICT")


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"version": 1},
        {"title": "Sign language basics"},
        {"title": "  Sign language basics  ", "is_public": True, "tags": ["b", "a"]},
        {"summary": "", "category": None, "plain_language": None},
    ],
)
def test_a_no_op_patch_keeps_the_version(
    client: FlaskClient, author: Headers, changes: dict[str, Any]
) -> None:
    entry = create(client, author, tags=["a", "b"])
    url = f"{ENTRIES}/{entry['id']}"
    etag = client.get(url, headers=author).headers["ETag"]
    answer = client.patch(url, json=changes, headers=author)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["data"]["entry"]["version"] == 1
    assert answer.headers["ETag"] == etag
    revisions = client.get(f"{url}/revisions", headers=author).get_json()["data"]["items"]
    assert len(revisions) == 1
    # The ETag the caller holds is still current.
    again = client.patch(url, json={"title": "Changed"}, headers={**author, "If-Match": etag})
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["data"]["entry"]["version"] == 2


def test_a_no_op_patch_with_a_stale_version_is_still_a_conflict(
    client: FlaskClient, author: Headers
) -> None:
    url = f"{ENTRIES}/{create(client, author)['id']}"
    _bump(client, url, author, 1)
    assert_error(client.patch(url, json={"version": 1}, headers=author), 409, "RES_CONFLICT")


@pytest.mark.parametrize("body", [{"version": "x"}, {"version": 1, "extra": True}, [1]])
def test_a_bad_delete_body_is_invalid(client: FlaskClient, author: Headers, body: Any) -> None:
    url = f"{ENTRIES}/{create(client, author)['id']}"
    assert_error(client.delete(url, json=body, headers=author), 422, "VAL_INVALID")
    assert client.get(url, headers=author).status_code == 200
