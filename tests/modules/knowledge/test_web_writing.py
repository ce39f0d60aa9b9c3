"""The writing pages: /write, /entries/<slug>/edit, the preview fragment and status moves."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import make_user
from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, write
from tests.modules.knowledge.web_support import (
    added,
    count_entries,
    entry_fields,
    entry_row,
    hidden,
    post,
    removed,
    signed_in,
    token,
)
from versehub.modules.knowledge.models import TITLE_MAX
from versehub.modules.knowledge.schemas import CONTENT_MAX, CategoryCreate
from versehub.modules.knowledge.service import categories
from versehub.modules.knowledge.service.entry_view import demote_headings
from versehub.modules.knowledge.service.rendering import render_markdown

HX = {"HX-Request": "true", "HX-Target": "preview-area"}
EVIL = (
    '# Hello\n\n<script>alert("x")</script> [click](javascript:alert(1))'
    " <img src=x onerror=alert(1)>"
)


def _write_form(client: FlaskClient) -> str:
    page = client.get("/write")
    assert page.status_code == 200
    return hidden(page.get_data(as_text=True), "form_key")


def _send(client: FlaskClient, key: str, **fields: str) -> object:
    return post(client, "/write", {**entry_fields(**fields), "form_key": key, "action": "save"})


def test_write_page_asks_anonymous_readers_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/write")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_write_creates_a_draft_with_language_tags_and_visibility(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with app.app_context():
        categories.create(
            data=CategoryCreate(name="Access", colour="#0a4fb0"), viewer=people.editor
        )
    signed_in(client, "aurora")
    key = _write_form(client)
    response = _send(
        client,
        key,
        category="access",
        visibility="private",
        language="pt_br",
        tags="Sign Language, captions",
    )
    assert response.status_code == 303
    entry = entry_row(app, title="Captions at meetings")
    assert entry is not None
    assert response.headers["Location"].endswith(f"/entries/{entry.slug}")
    assert (entry.status, entry.is_public, entry.language) == ("draft", False, "pt-BR")
    assert entry.category_id is not None
    page = client.get(response.headers["Location"])
    assert "Draft “Captions at meetings” saved" in page.get_data(as_text=True)
    assert ">sign-language</a>" in page.get_data(as_text=True)
    assert ">captions</a>" in page.get_data(as_text=True)


def test_a_double_submitted_form_creates_one_entry(
    app: Flask, client: FlaskClient, people: People
) -> None:
    signed_in(client, "aurora")
    key = _write_form(client)
    first = _send(client, key)
    second = _send(client, key)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert count_entries(app) == 1
    # The same key with other text is not a resend: the form comes back, nothing is created.
    changed = _send(client, key, title="Another entry")
    assert changed.status_code == 409
    assert "already sent" in changed.get_data(as_text=True)
    assert count_entries(app) == 1


def test_a_failed_send_keeps_the_key_usable(
    app: Flask, client: FlaskClient, people: People
) -> None:
    signed_in(client, "aurora")
    key = _write_form(client)
    assert _send(client, key, title="").status_code == 422
    assert _send(client, key).status_code == 303
    assert count_entries(app) == 1


def test_preview_fragment_is_rendered_and_sanitised_as_on_save(
    app: Flask, client: FlaskClient, people: People
) -> None:
    signed_in(client, "aurora")
    response = post(client, "/entries/preview", {"content": EVIL, "language": "de"}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    with app.app_context():
        # As saved, with the text's headings under the page's one h1 (as the entry page shows).
        assert demote_headings(render_markdown(EVIL)) in html
    # Raw HTML is shown as text and the javascript: link is not made a link.
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html
    assert "<h2>Hello</h2>" in html
    assert 'lang="de"' in html
    assert 'id="level-status" hx-swap-oob="innerHTML"' in html
    assert re.search(r"Preview updated\. Reading level of the text: [1-5] of 5", html)


def test_preview_without_javascript_shows_the_page_and_saves_nothing(
    app: Flask, client: FlaskClient, people: People
) -> None:
    signed_in(client, "aurora")
    key = _write_form(client)
    response = post(
        client, "/write", {**entry_fields(content=EVIL), "form_key": key, "action": "preview"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h2>Hello</h2>" in html
    assert "<script>alert" not in html
    assert "Nothing is saved yet" in html
    assert count_entries(app) == 0
    # The non-HTMX preview route answers a whole page.
    page = post(client, "/entries/preview", {"content": "Some *text*."})
    assert "<html" in page.get_data(as_text=True)
    assert "<em>text</em>" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "x" * (TITLE_MAX + 1), "Field cannot be longer than 200 characters"),
        ("content", "x" * (CONTENT_MAX + 1), "Field cannot be longer than"),
        ("language", "x" * 40, "Field cannot be longer than 35 characters"),
        ("language", "not a language", "Use a language tag"),
        ("tags", "ok, " + "x" * 60, "A tag must be 1-50 characters"),
        ("title", "", "Enter a title"),
        ("category", "no-such-category", "Not a valid choice"),
    ],
)
def test_bad_fields_are_shown_next_to_the_field(
    app: Flask, client: FlaskClient, people: People, field: str, value: str, message: str
) -> None:
    signed_in(client, "aurora")
    response = _send(client, _write_form(client), **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html
    assert f'href="#{field}"' in html
    assert f'id="{field}-error"' in html
    assert message in html
    assert count_entries(app) == 0


def test_html_in_every_field_is_shown_escaped(
    app: Flask, client: FlaskClient, people: People
) -> None:
    signed_in(client, "aurora")
    evil = '<script>alert("x")</script>'
    response = _send(
        client, _write_form(client), title=f"Title {evil}", summary=evil, plain_language=evil
    )
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_missing_csrf_token_is_refused(app: Flask, client: FlaskClient, people: People) -> None:
    signed_in(client, "aurora")
    key = _write_form(client)
    response = client.post("/write", data={**entry_fields(), "form_key": key})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert count_entries(app) == 0


def test_an_expired_session_writes_nothing(app: Flask, client: FlaskClient, people: People) -> None:
    signed_in(client, "aurora")
    key = _write_form(client)
    csrf = token(client)
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    response = client.post("/write", data={**entry_fields(), "form_key": key, "csrf_token": csrf})
    assert response.status_code in (302, 400)
    assert count_entries(app) == 0


def test_edit_page_only_for_author_and_editors(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with app.app_context():
        slug = write(people.author).slug
    assert client.get(f"/entries/{slug}/edit").status_code == 302
    signed_in(client, "milo")
    assert client.get(f"/entries/{slug}/edit").status_code == 404
    assert client.get("/entries/no-such-entry/edit").status_code == 404
    assert post(client, f"/entries/{slug}/edit", entry_fields(version="1")).status_code == 404
    client.post("/account/logout", data={"csrf_token": token(client)})
    signed_in(client, "edith")
    assert client.get(f"/entries/{slug}/edit").status_code == 200


def test_edit_saves_and_a_stale_version_shows_both_texts(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with app.app_context():
        slug = write(people.author, content="The first text.").slug
    signed_in(client, "aurora")
    page = client.get(f"/entries/{slug}/edit").get_data(as_text=True)
    version = hidden(page, "version")
    assert 'value="public"' in page
    assert "The first text." in page
    saved = post(
        client,
        f"/entries/{slug}/edit",
        entry_fields(
            title="Sign language basics", content="Their new text.", version=version, action="save"
        ),
    )
    assert saved.status_code == 303
    stale = post(
        client,
        f"/entries/{slug}/edit",
        entry_fields(
            title="Sign language basics", content="My own text.", version=version, action="save"
        ),
    )
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Someone else saved this entry first" in html
    assert "Their new text." in html
    assert "My own text." in html
    assert removed("Their new text.") in html
    assert added("My own text.") in html
    entry = entry_row(app, slug=slug)
    assert entry is not None
    assert entry.content == "Their new text."
    # The conflict page's form carries the current version: saving it is a deliberate choice.
    assert hidden(html, "version") == str(entry.version)
    again = post(
        client,
        f"/entries/{slug}/edit",
        entry_fields(
            title="Sign language basics",
            content="My own text.",
            version=str(entry.version),
            action="save",
        ),
    )
    assert again.status_code == 303
    assert entry_row(app, slug=slug).content == "My own text."  # type: ignore[union-attr]


def test_edit_without_a_version_is_refused(app: Flask, client: FlaskClient, people: People) -> None:
    with app.app_context():
        slug = write(people.author).slug
    signed_in(client, "aurora")
    response = post(client, f"/entries/{slug}/edit", entry_fields(version="abc"))
    assert response.status_code == 422
    assert "missing its version" in response.get_data(as_text=True)


def test_status_moves_allowed_and_refused(app: Flask, client: FlaskClient, people: People) -> None:
    with app.app_context():
        slug = write(people.author).slug
    signed_in(client, "aurora")
    path = f"/entries/{slug}/status"
    refused = post(client, path, {"to": "published", "version": "1"})
    assert refused.status_code == 303
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "An entry that is draft cannot be moved to published; nothing was changed." in page
    assert entry_row(app, slug=slug).status == "draft"  # type: ignore[union-attr]
    for bad in (
        {"to": "in_review", "version": "99"},
        {"to": "flying", "version": "1"},
        {"to": "in_review", "version": "x"},
    ):
        response = post(client, path, bad)
        assert response.status_code == 303
        assert "nothing was changed" in client.get(response.headers["Location"]).get_data(
            as_text=True
        )
        assert entry_row(app, slug=slug).status == "draft"  # type: ignore[union-attr]
    moved = post(client, path, {"to": "in_review", "version": "1"})
    assert moved.status_code == 303
    assert "Submitted for review" in client.get(moved.headers["Location"]).get_data(as_text=True)
    assert entry_row(app, slug=slug).status == "in_review"  # type: ignore[union-attr]
    editors_only = post(client, path, {"to": "published", "version": "2"})
    page = client.get(editors_only.headers["Location"]).get_data(as_text=True)
    assert "Only an editor can move this entry to published; nothing was changed." in page
    assert entry_row(app, slug=slug).status == "in_review"  # type: ignore[union-attr]


def test_editor_publishes_and_sends_back_with_a_reason(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with app.app_context():
        entry = write(people.author)
        slug = entry.slug
        from versehub.modules.knowledge.service import entries

        entries.change_status(entry_id=entry.id, to="in_review", viewer=people.author)
    signed_in(client, "edith")
    page = client.get(f"/entries/{slug}/edit").get_data(as_text=True)
    assert "Publish" in page
    assert "Send back to the author" in page
    path = f"/entries/{slug}/status"
    no_reason = post(client, path, {"to": "draft", "version": "2"})
    assert "nothing was changed" in client.get(no_reason.headers["Location"]).get_data(as_text=True)
    assert post(client, path, {"to": "published", "version": "2"}).status_code == 303
    assert entry_row(app, slug=slug).status == "published"  # type: ignore[union-attr]


def test_status_of_a_hidden_entry_is_404(app: Flask, client: FlaskClient, people: People) -> None:
    with app.app_context():
        slug = write(people.author).slug
        public = publish(write(people.author, title="Open"), people.editor).slug
    signed_in(client, "milo")
    assert post(client, f"/entries/{slug}/status", {"to": "in_review"}).status_code == 404
    refused = post(client, f"/entries/{public}/status", {"to": "archived"})
    assert refused.status_code == 303
    assert entry_row(app, slug=public).status == "published"  # type: ignore[union-attr]


def test_preview_after_signing_out_says_so(app: Flask, client: FlaskClient, people: People) -> None:
    signed_in(client, "aurora")
    csrf = token(client)
    client.post("/account/logout", data={"csrf_token": csrf})
    fragment = client.post(
        "/entries/preview",
        data={"content": "Text", "csrf_token": token(client, "/account/login")},
        headers=HX,
    )
    assert fragment.status_code == 200
    assert "You are signed out, so the preview has stopped" in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)


def test_htmx_requests_for_hidden_pages_are_404(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with app.app_context():
        slug = write(people.author).slug
    signed_in(client, "milo")
    for path in (
        f"/entries/{slug}/edit",
        f"/entries/{slug}/revisions",
        f"/entries/{slug}/revisions/1",
    ):
        assert client.get(path, headers={"HX-Request": "true"}).status_code == 404


def test_an_unverified_account_may_draft_but_not_save(app: Flask, client: FlaskClient) -> None:
    make_user(app, email="una@example.com", username="una", verified=False)
    signed_in(client, "una")
    page = client.get("/write").get_data(as_text=True)
    assert "To save, first open the link we emailed you" in page
    response = _send(client, _write_form(client))
    assert response.status_code == 422
    assert "needs a verified email address" in response.get_data(as_text=True)
    assert count_entries(app) == 0


def test_the_preview_keeps_the_pages_one_h1() -> None:
    from versehub.modules.knowledge.service import preview

    shown = preview.render("# A heading\n\n## Another\n\nSome text.")
    assert "<h1" not in shown.html
    assert "<h2>A heading</h2>" in shown.html
    assert "<h3>Another</h3>" in shown.html
