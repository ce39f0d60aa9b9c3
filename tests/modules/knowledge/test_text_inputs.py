"""Text inputs of the knowledge API: NFC, refused controls and bidi overrides, visible titles,
emoji ZWJ sequences in tags, search queries normalised like stored text (core.text)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error
from tests.modules.knowledge.conftest import Headers, People
from tests.modules.knowledge.support import BODY, publish, write
from versehub.modules.knowledge.service.rendering import render_markdown

ENTRIES = "/api/v1/entries"
DEAF_WOMAN = "\U0001f9cf\u200d\u2640\ufe0f"  # 🧏‍♀️, a ZWJ sequence

BAD_TITLES = [
    "\u200b\u2060\u200b",  # visually empty
    "\u3164",  # Hangul filler: a letter that shows nothing
    "A\x00B",
    "Bell\x07",
    "Two\nlines",
    "Tab\tbed",
    "Esc\x1b[31m",
    "C1\x9b",
    "\u202eevil.exe",
    "Isolate \u2066x\u2069",
]


def _refused(response: Any, field: str) -> dict[str, Any]:
    body = assert_error(response, 422, "VAL_INVALID")
    errors = [e for e in body["error"]["errors"] if e["field"] == field]
    assert errors, body
    assert errors[0]["message"]
    return errors[0]


@pytest.mark.parametrize("title", BAD_TITLES)
def test_create_refuses_bad_titles(client: FlaskClient, author: Headers, title: str) -> None:
    response = client.post(ENTRIES, json={"title": title, "content": BODY}, headers=author)
    _refused(response, "title")


@pytest.mark.parametrize("title", BAD_TITLES[:6])
def test_patch_refuses_bad_titles(client: FlaskClient, author: Headers, title: str) -> None:
    made = client.post(ENTRIES, json={"title": "Fine", "content": BODY}, headers=author)
    entry_id = made.get_json()["data"]["entry"]["id"]
    response = client.patch(f"{ENTRIES}/{entry_id}", json={"title": title}, headers=author)
    _refused(response, "title")


@pytest.mark.parametrize(
    ("field", "value"),
    [("summary", "One\nline"), ("summary", "\u202eReversed"), ("content", "Ring \x07 ring"),
     ("content", "\x00"), ("content", "\u200b"), ("plain_language", "Easy \x1b words"),
     ("slug", "a\x07b"), ("category", "x\u202e")],
)  # fmt: skip
def test_create_refuses_controls_in_other_fields(
    client: FlaskClient, author: Headers, field: str, value: str
) -> None:
    body = {"title": "Fine", "content": BODY, field: value}
    _refused(client.post(ENTRIES, json=body, headers=author), field)


def test_text_is_stored_nfc_and_keeps_line_breaks_in_markdown(
    client: FlaskClient, author: Headers
) -> None:
    body = {
        "title": "Re\u0301sume\u0301",
        "content": "Caf\u00e9\r\n\tand cafe\u0301",
        "summary": "Nai\u0308ve",
    }
    made = client.post(ENTRIES, json=body, headers=author)
    assert made.status_code == 201, made.get_json()
    entry = made.get_json()["data"]["entry"]
    assert entry["title"] == "Résumé"
    assert entry["summary"] == "Naïve"
    assert entry["content"] == "Café\r\n\tand café"


@pytest.mark.parametrize("raw", ["Ring \x07 ring", "a\x00b\x1b", "x\x9by"])
def test_rendered_html_never_carries_control_characters(raw: str) -> None:
    rendered = render_markdown(raw)
    assert not any(ord(ch) < 0x20 and ch not in "\t\n\r" for ch in rendered), rendered
    assert not any(0x7F <= ord(ch) <= 0x9F for ch in rendered), rendered


@pytest.mark.parametrize(
    ("name", "field"),
    [("\u200b", "name"), ("Deaf\nculture", "name"), ("\u202eerutluc", "name"),
     ("Bell\x07", "name")],
)  # fmt: skip
def test_category_names_refuse_bad_text(
    client: FlaskClient, editor: Headers, name: str, field: str
) -> None:
    response = client.post(
        "/api/v1/categories", json={"name": name, "colour": "#1f6feb"}, headers=editor
    )
    _refused(response, field)


def test_category_description_refuses_controls(client: FlaskClient, editor: Headers) -> None:
    body = {"name": "Deaf culture", "colour": "#1f6feb", "description": "Bell \x07"}
    _refused(client.post("/api/v1/categories", json=body, headers=editor), "description")


@pytest.mark.parametrize("tag", [DEAF_WOMAN, "\U0001f3f3\ufe0f\u200d\U0001f308", "🤟🏽"])
def test_tags_hold_emoji_sequences(client: FlaskClient, author: Headers, tag: str) -> None:
    made = client.post(
        ENTRIES, json={"title": "Signs", "content": BODY, "tags": [tag]}, headers=author
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["data"]["entry"]["tags"] == [tag]
    found = client.get(ENTRIES, query_string={"tag": tag}, headers=author).get_json()
    assert [item["title"] for item in found["data"]["items"]] == ["Signs"]


@pytest.mark.parametrize("tag", ["\u200d", "a\u200db", "\u200b", "x\u202e", "a\x07"])
def test_tags_refuse_stray_format_characters(
    client: FlaskClient, author: Headers, tag: str
) -> None:
    body = {"title": "Signs", "content": BODY, "tags": [tag]}
    _refused(client.post(ENTRIES, json=body, headers=author), "tags")


def test_graphql_refuses_invisible_titles(client: FlaskClient, author: Headers) -> None:
    mutation = 'mutation($t: String!) { createEntry(input: {title: $t, content: "Hi"}) { id } }'
    answer = client.post(
        "/graphql", json={"query": mutation, "variables": {"t": "\u200b\u2060"}}, headers=author
    ).get_json()
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "VAL_INVALID"
    assert error["extensions"]["errors"][0]["field"] == "input.title"


@pytest.mark.parametrize(
    ("written", "asked"),
    [("Résumé writing", "re\u0301sume\u0301"), ("Re\u0301sume\u0301 writing", "résumé"),
     ("Résumé writing", "résumé writing")],
)  # fmt: skip
def test_search_matches_whatever_way_accents_were_typed(
    app: Flask, client: FlaskClient, people: People, written: str, asked: str
) -> None:
    with app.app_context():
        publish(write(people.author, title=written, content="How to write a CV."), people.editor)
        publish(write(people.author, title="Other things", content=BODY), people.editor)
    for url in (ENTRIES, "/api/v1/search"):
        found = client.get(url, query_string={"q": asked}).get_json()["data"]["items"]
        assert [item["title"] for item in found] == ["Résumé writing"], url
    query = (
        "query($q: String) { entries(first: 5, filter: {search: $q}) { edges { node { title } } } }"
    )
    answer = client.post("/graphql", json={"query": query, "variables": {"q": asked}}).get_json()
    titles = [edge["node"]["title"] for edge in answer["data"]["entries"]["edges"]]
    assert titles == ["Résumé writing"]


@pytest.mark.parametrize("name", ["\u200b", "ci\u202ebot", "line\nbreak"])
def test_api_key_names_refuse_bad_text(client: FlaskClient, author: Headers, name: str) -> None:
    body = {"name": name, "scopes": ["entries:read"]}
    _refused(client.post("/api/v1/auth/api-keys", json=body, headers=author), "name")


@pytest.mark.parametrize("username", ["ab\u202ecd", "ab\x07cd", "ab\u200bcd", "ab\ncd"])
def test_usernames_refuse_controls_and_bidi(client: FlaskClient, username: str) -> None:
    # Accounts keep their own stricter rule (letters, digits, '.', '_', '-'; NFKC).
    body = {
        "email": "new@example.com",
        "username": username,
        "password": "Vivid-Lantern-Orchard-42",
    }
    _refused(client.post("/api/v1/auth/register", json=body), "username")
