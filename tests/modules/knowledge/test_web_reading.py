"""The reader's pages (home, search, entry, categories, tags) through the Flask test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, make_response
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.modules.accounts.web_support import web_login
from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import HARD_TEXT, publish, write
from versehub.core.presentation import COOKIE, Presentation, set_presentation_cookie
from versehub.extensions import db
from versehub.modules.knowledge.events import register_sign_video_provider
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import CategoryCreate, EntryUpdate
from versehub.modules.knowledge.service import categories, entries, entry_view, search

HX = {"HX-Request": "true"}
PLAIN = "Signs are words you make with your hands. People see them."
XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)> javascript:alert(3)'


def _same(html: str) -> str:
    # Two pages may differ only in their request ids, script nonces and CSRF tokens.
    html = re.sub(r"<code>[0-9a-f]{32}</code>", "", html)
    return re.sub(r'"[\w.\-]{20,}"', '""', html)


def html_of(response: TestResponse) -> str:
    """The body as text."""
    return response.get_data(as_text=True)


@pytest.fixture
def hub(app: Flask, people: People) -> dict[str, Any]:
    """A category, published entries (one with a plain version), a draft and a private entry.

    Seeded in an app context of its own: one held open during the requests would share `g`
    (the caller, the presentation) between them.
    """
    with app.app_context():
        return _seed(people)


def _seed(people: People) -> dict[str, Any]:
    editor = people.editor
    category = categories.create(
        data=CategoryCreate(name="Sign languages", colour="#1f6feb", description="About signing"),
        viewer=editor,
    )
    hard = publish(
        write(
            people.author,
            "Linguistics of signing",
            content=HARD_TEXT,
            plain_language=PLAIN,
            category=category.slug,
            tags=["grammar", "asl"],
        ),
        editor,
    )
    easy = publish(write(people.author, "Captions help", tags=["captions"]), editor)
    draft = write(people.author, "Secret draft about owls", tags=["owls"])
    private = publish(write(people.author, "Private notes", is_public=False), editor)
    db.session.commit()
    return {
        "category": category.slug,
        "hard": hard.slug,
        "easy": easy.slug,
        "draft": draft.slug,
        "private": private.slug,
    }


def test_home_lists_recent_featured_and_categories(
    client: FlaskClient, hub: dict[str, Any]
) -> None:
    response = client.get("/")
    html = html_of(response)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Linguistics of signing" in html
    assert "Captions help" in html
    assert "New in each category" in html  # featured: the newest entry of each category
    assert 'href="/categories/sign-languages"' in html
    assert 'action="/search"' in html
    assert 'name="q"' in html
    assert "Secret draft" not in html
    assert "Private notes" not in html


def test_entry_page_shows_plain_version_first_with_a_switch(
    client: FlaskClient, hub: dict[str, Any]
) -> None:
    # Anonymous readers read at level 3; the entry is harder and has a plain version.
    response = client.get(f"/entries/{hub['hard']}")
    html = html_of(response)
    assert response.status_code == 200
    assert "<h1>Linguistics of signing</h1>" in html
    assert PLAIN in html
    assert "Notwithstanding" not in html
    assert "plain-language version" in html
    assert f'href="/entries/{hub["hard"]}?text=full"' in html
    assert "Reading level 5 (specialist)" in html
    assert 'href="/tags/grammar"' in html
    assert 'href="/categories/sign-languages"' in html
    full = html_of(client.get(f"/entries/{hub['hard']}?text=full"))
    assert "Notwithstanding" in full
    assert PLAIN not in full
    assert f'href="/entries/{hub["hard"]}?text=plain"' in full


def test_entry_text_switch_as_an_htmx_fragment(client: FlaskClient, hub: dict[str, Any]) -> None:
    response = client.get(
        f"/entries/{hub['hard']}?text=full", headers={**HX, "HX-Target": "entry-text"}
    )
    html = html_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert '<div id="entry-text"' in html
    assert "Notwithstanding" in html
    assert 'hx-swap-oob="innerHTML:#status"' in html
    assert "Showing the full text" in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_entry_without_plain_version_has_no_switch(
    client: FlaskClient, hub: dict[str, Any]
) -> None:
    html = html_of(client.get(f"/entries/{hub['easy']}?text=plain"))
    assert "Deaf people use sign languages" in html
    assert "text-switch" not in html


@pytest.mark.parametrize("text", ["", "bogus", "<b>", "full" * 100])
def test_entry_page_ignores_garbage_text_choice(
    client: FlaskClient, hub: dict[str, Any], text: str
) -> None:
    response = client.get(f"/entries/{hub['hard']}", query_string={"text": text})
    assert response.status_code == 200
    assert PLAIN in html_of(response)


@pytest.mark.parametrize("which", ["draft", "private", "missing"])
@pytest.mark.parametrize("headers", [{}, HX, {**HX, "HX-Target": "entry-text"}])
def test_hidden_or_missing_entry_is_the_same_404(
    client: FlaskClient, hub: dict[str, Any], which: str, headers: dict[str, str]
) -> None:
    slug = hub.get(which, "no-such-entry")
    response = client.get(f"/entries/{slug}", headers=headers)
    missing = client.get("/entries/no-such-entry", headers=headers)
    assert response.status_code == 404
    assert "Secret draft" not in html_of(response)
    assert "Private notes" not in html_of(response)
    assert _same(html_of(response).replace(slug, "X")) == _same(
        html_of(missing).replace("no-such-entry", "X")
    )


def test_author_sees_own_draft_with_its_status(
    app: Flask, client: FlaskClient, hub: dict[str, Any]
) -> None:
    web_login(client, "aurora")
    html = html_of(client.get(f"/entries/{hub['draft']}"))
    assert "Secret draft about owls" in html
    assert 'class="status-label">Draft' in html


def test_no_move_forms_without_the_move_route(
    app: Flask, client: FlaskClient, hub: dict[str, Any]
) -> None:
    web_login(client, "edith")
    html = html_of(client.get(f"/entries/{hub['draft']}"))
    if "hub.move_entry" not in app.view_functions:
        assert 'name="to"' not in html


def test_editor_sees_the_allowed_moves_as_post_forms(
    app: Flask, client: FlaskClient, hub: dict[str, Any]
) -> None:
    web_login(client, "edith")
    html = html_of(client.get(f"/entries/{hub['draft']}"))
    form = html.split('action="/entries/secret-draft-about-owls/status"', 1)[1].split("</form>")[0]
    assert 'name="csrf_token"' in form
    assert 'name="to" value="in_review"' in form
    assert 'name="version" value="1"' in form
    assert ">Submit for review</button>" in form
    anonymous = app.test_client()
    assert 'name="to"' not in html_of(anonymous.get(f"/entries/{hub['easy']}"))


def test_sign_video_in_the_readers_language_or_a_note(
    app: Flask, client: FlaskClient, hub: dict[str, Any]
) -> None:
    register_sign_video_provider(
        app,
        lambda entry: [
            {
                "language": "bfi",
                "url": "https://media.example/v.mp4",
                "captions_url": "https://media.example/v.vtt",
            }
        ],
    )
    with app.test_request_context():
        response = make_response("")
        set_presentation_cookie(response, Presentation(sign_language="bfi"))
    cookie = response.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    client.set_cookie(COOKIE, cookie)
    html = html_of(client.get(f"/entries/{hub['easy']}"))
    assert '<video class="sign-video__player" controls' in html
    assert 'src="https://media.example/v.mp4"' in html
    assert 'kind="captions"' in html
    with app.test_request_context():
        response = make_response("")
        set_presentation_cookie(response, Presentation(sign_language="ase"))
    client.set_cookie(COOKIE, response.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1])
    html = html_of(client.get(f"/entries/{hub['easy']}"))
    assert "<video" not in html
    assert "No sign-language video in American Sign Language (ASL) yet." in html
    assert "There is one in British Sign Language (BSL)." in html


def _set_language(app: Flask, slug: str, language: str) -> None:
    with app.app_context():
        entry = db.session.scalars(db.select(Entry).where(Entry.slug == slug)).one()
        entry.language = language
        db.session.commit()


def test_entry_language_on_the_article(
    app: Flask, hub: dict[str, Any], client: FlaskClient
) -> None:
    html = html_of(client.get(f"/entries/{hub['easy']}"))
    assert "<article" in html
    # English, the page's language, needs no attribute of its own.
    assert "lang=" not in html.split("<article", 1)[1].split(">", 1)[0]
    _set_language(app, hub["easy"], "de-AT")
    assert '<article class="entry" lang="de-AT">' in html_of(client.get(f"/entries/{hub['easy']}"))


def test_entry_headings_sit_under_the_title() -> None:
    assert entry_view.demote_headings("<h1>a</h1><h5>b</h5>") == "<h2>a</h2><h6>b</h6>"


def test_categories_list_with_counts(client: FlaskClient, hub: dict[str, Any]) -> None:
    html = html_of(client.get("/categories"))
    assert "<h1>Browse by category</h1>" in html
    assert "Sign languages" in html
    assert "1 entry" in html


def test_category_and_tag_pages(client: FlaskClient, hub: dict[str, Any]) -> None:
    category = client.get(f"/categories/{hub['category']}")
    assert category.status_code == 200
    assert "Linguistics of signing" in html_of(category)
    tag = client.get("/tags/GRAMMAR")  # any spelling of the name
    assert tag.status_code == 200
    assert "Entries tagged “grammar”" in html_of(tag)
    assert 'class="entry-item"' in html_of(tag)


@pytest.mark.parametrize("path", ["/categories/nope", "/tags/owls", "/tags/nope", "/tags/%20"])
@pytest.mark.parametrize("headers", [{}, {**HX, "HX-Target": "results"}])
def test_missing_category_or_tag_only_on_hidden_entries_is_404(
    client: FlaskClient, hub: dict[str, Any], path: str, headers: dict[str, str]
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert "owls" not in html_of(response).split("<main", 1)[1]


def test_search_page_and_fragment(client: FlaskClient, hub: dict[str, Any]) -> None:
    page = client.get("/search?q=captions")
    html = html_of(page)
    assert page.status_code == 200
    assert '<p id="results-count" class="result-count" role="status" aria-live="polite"' in html
    assert "1 result<" in html
    assert "<mark>" in html.lower()
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert "quoted words" in html  # the syntax in one line
    fragment = client.get("/search?q=captions", headers={**HX, "HX-Target": "results"})
    body = html_of(fragment)
    assert "<html" not in body
    assert "<h1" not in body
    assert 'hx-swap-oob="innerHTML"' in body
    assert ">1 result<" in body
    assert "Captions help" in body


def test_search_escapes_html_and_javascript_in_the_query(
    client: FlaskClient, hub: dict[str, Any]
) -> None:
    for headers in ({}, HX):
        html = html_of(client.get("/search", query_string={"q": XSS}, headers=headers))
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_filters(client: FlaskClient, hub: dict[str, Any]) -> None:
    html = html_of(client.get("/search?category=sign-languages"))
    assert "Linguistics of signing" in html
    assert "Captions help" not in html
    html = html_of(client.get("/search?tag=captions"))
    assert "Captions help" in html
    assert "Linguistics of signing" not in html
    html = html_of(client.get("/search?level=2"))
    assert "Linguistics of signing" not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"category": "nope"}, "There is no such category"),
        ({"tag": "no-such-tag"}, "No entry has that tag"),
        ({"tag": "x" * 1000}, "No entry has that tag"),
        ({"level": "9"}, "Choose a reading level from 1 to 5"),
        ({"level": "abc"}, "Choose a reading level from 1 to 5"),
        ({"q": "captions", "cursor": "garbage"}, "That page link has expired"),
        ({"q": "captions" * 100}, "at most 500 characters"),
        ({"category": "\x00\u202e"}, "There is no such category"),
    ],
)
def test_search_garbage_params_are_explained_not_500(
    client: FlaskClient, hub: dict[str, Any], args: dict[str, str], message: str
) -> None:
    for headers in ({}, HX):
        response = client.get("/search", query_string=args, headers=headers)
        assert response.status_code == 200, html_of(response)[:500]
        assert message in html_of(response)


def test_search_cursor_links_walk_every_result(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with app.app_context():
        for number in range(25):
            publish(write(people.author, f"Walking entry {number}"), people.editor)
        db.session.commit()
    first = html_of(client.get("/search?q=walking"))
    assert "25 results" in first
    link = re.search(r'href="(/search\?[^"]*cursor=[^"]+)" rel="next"', first)
    assert link is not None
    second = html_of(client.get(link.group(1).replace("&amp;", "&")))
    assert "First results" in second
    assert 'rel="next"' not in second
    titles = set(re.findall(r"Walking entry \d+", first + second))
    assert len(titles) == 25


def test_search_without_anything_shows_the_form(client: FlaskClient) -> None:
    html = html_of(client.get("/search"))
    assert "Type a word or two" in html
    assert 'id="search-q"' in html


def test_search_count_is_capped(
    client: FlaskClient, hub: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relevance ranks only the newest RANK_CANDIDATES matches: the count says "more than".
    monkeypatch.setattr(search, "RANK_CANDIDATES", 1)
    html = html_of(client.get("/search?level=5"))
    assert "More than 1 results" in html


def test_category_page_cursor_links(app: Flask, client: FlaskClient, people: People) -> None:
    with app.app_context():
        category = categories.create(
            data=CategoryCreate(name="Many", colour="#1f6feb"), viewer=people.editor
        )
        for number in range(22):
            publish(write(people.author, f"Many {number}", category=category.slug), people.editor)
        db.session.commit()
    first = html_of(client.get("/categories/many"))
    assert "22 entries" in first
    link = re.search(r'href="(/categories/many\?cursor=[^"]+)" rel="next"', first)
    assert link is not None
    second = html_of(client.get(link.group(1)))
    assert "First entries" in second
    assert second.count('class="entry-item"') == 2
    stale = client.get("/categories/many?cursor=tampered")
    assert stale.status_code == 200
    assert "page link has expired" in html_of(stale)


def test_anonymous_entry_pages_are_cached_until_the_entry_changes(
    app: Flask, client: FlaskClient, hub: dict[str, Any], people: People
) -> None:
    url = f"/entries/{hub['easy']}"
    first = client.get(url)
    assert first.headers["X-Page-Cache"] == "miss"
    again = client.get(url)
    assert again.headers["X-Page-Cache"] == "hit"
    assert html_of(again).count("Captions help") == html_of(first).count("Captions help")
    with app.app_context():
        entry = db.session.scalars(db.select(Entry).where(Entry.slug == hub["easy"])).one()
        entries.update(
            entry_id=entry.id,
            data=EntryUpdate(title="Captions help everyone", version=entry.version),
            viewer=people.editor,
        )
        db.session.commit()
    changed = client.get(url)
    assert changed.headers["X-Page-Cache"] == "miss"
    assert "<h1>Captions help everyone</h1>" in html_of(changed)
    # Signed-in readers see their own page (their preferences, their buttons), never a cached one.
    web_login(client, "edith")
    assert client.get(url).headers["X-Page-Cache"] == "bypass"
