"""The language of an entry: a BCP 47 tag on the REST API, GraphQL and the schemas."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.modules.knowledge.conftest import Headers
from versehub.modules.knowledge.schemas import language_tag


@pytest.mark.parametrize(
    ("raw", "tag"),
    [("en", "en"), ("PT-br", "pt-BR"), ("zh_hant_tw", "zh-Hant-TW"), ("es-419", "es-419")],
)
def test_language_tags_are_put_in_their_usual_case(raw: str, tag: str) -> None:
    assert language_tag(raw) == tag


@pytest.mark.parametrize("raw", ["", "english", "e", "en-", "en US", "<script>", "1a"])
def test_language_tags_refuse_what_is_not_one(raw: str) -> None:
    with pytest.raises(ValueError, match="language tag"):
        language_tag(raw)


def test_rest_create_update_and_read_the_language(client: FlaskClient, author: Headers) -> None:
    created = client.post(
        "/api/v1/entries",
        json={"title": "Hallo", "content": "Guten Tag.", "language": "de"},
        headers=author,
    )
    assert created.status_code == 201, created.get_json()
    data = created.get_json()["data"]["entry"]
    assert data["language"] == "de"
    default = client.post(
        "/api/v1/entries", json={"title": "Hi", "content": "Hello."}, headers=author
    )
    assert default.get_json()["data"]["entry"]["language"] == "en"
    bad = client.patch(
        f"/api/v1/entries/{data['id']}",
        json={"language": "not a tag", "version": data["version"]},
        headers=author,
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["errors"][0]["field"] == "language"
    changed = client.patch(
        f"/api/v1/entries/{data['id']}",
        json={"language": "fr-ca", "version": data["version"]},
        headers=author,
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["data"]["entry"]["language"] == "fr-CA"
    assert changed.get_json()["data"]["entry"]["version"] == data["version"] + 1


def test_graphql_shows_and_sets_the_language(client: FlaskClient, author: Headers) -> None:
    mutation = (
        'mutation { createEntry(input: {title: "Bonjour", content: "Salut.", language: "fr"})'
        " { id language } }"
    )
    response = client.post("/graphql", json={"query": mutation}, headers=author)
    body = response.get_json()
    assert body.get("errors") is None, body
    assert body["data"]["createEntry"]["language"] == "fr"
