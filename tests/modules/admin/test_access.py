"""Who may see the admin pages: admins; everyone else gets the 404 page or the sign-in page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.admin.support import add_letter, post, text

PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users/{admin_id}",
    "/admin/modules",
    "/admin/audit",
    "/admin/bans",
    "/admin/jobs",
    "/admin/jobs/{letter_id}/retry",
    "/admin/jobs/purge?scope=all",
]
ACTIONS = [
    ("/admin/users/{member_id}/roles", {"roles": ["admin", "member"]}),
    ("/admin/users/{member_id}/status", {"active": "0"}),
    ("/admin/users/{member_id}/modules", {"module-knowledge": "deny"}),
    ("/admin/bans/lift", {"key": "ip:203.0.113.9"}),
    ("/admin/jobs/{letter_id}/retry", {}),
    ("/admin/jobs/purge", {"scope": "all"}),
]


@pytest.fixture
def ids(app: Flask, admin_id: int, member_id: int) -> dict[str, int]:
    """The ids the page addresses need."""
    return {"admin_id": admin_id, "member_id": member_id, "letter_id": add_letter(app)}


def test_every_page_answers_an_admin(admin: FlaskClient, ids: dict[str, int]) -> None:
    for path in PAGES:
        page = admin.get(path.format(**ids))
        html = text(page)
        assert page.status_code == 200, (path, html[:300])
        assert html.count("<h1") == 1, path
        assert "css/admin.css" in html, path
        assert 'aria-label="Admin sections"' in html, path
        assert " style=" not in html, path
        assert " onclick=" not in html, path
        # The main navigation marks "Admin" as the current section on every admin page.
        assert re.search(r'<a href="/admin/" aria-current="page">Admin</a>', html), path


@pytest.mark.parametrize("who", ["member", "editor"])
def test_everyone_else_gets_the_not_found_page(
    request: pytest.FixtureRequest, who: str, ids: dict[str, int], app: Flask
) -> None:
    client: FlaskClient = request.getfixturevalue(who)
    for path in PAGES:
        page = client.get(path.format(**ids))
        assert page.status_code == 404, (who, path)
        assert "There is no page at this address" in text(page)
        assert "Admin sections" not in text(page)
    for path, data in ACTIONS:
        answer = post(client, path.format(**ids), data)
        assert answer.status_code == 404, (who, path)
    assert 'href="/admin/"' not in text(client.get("/account/"))


def test_signed_out_readers_are_sent_to_sign_in(client: FlaskClient, ids: dict[str, int]) -> None:
    for path in PAGES:
        answer = client.get(path.format(**ids))
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/account/login?next="), path


@pytest.mark.parametrize("who", ["member", "editor"])
def test_fragment_requests_of_others_get_404(
    request: pytest.FixtureRequest, who: str, admin_id: int
) -> None:
    client: FlaskClient = request.getfixturevalue(who)
    headers = {"HX-Request": "true", "HX-Target": "user-results"}
    answer = client.get("/admin/users?q=ro", headers=headers)
    assert answer.status_code == 404
    assert "root" not in text(answer)


def test_an_admin_gets_only_the_fragment(admin: FlaskClient) -> None:
    headers = {"HX-Request": "true", "HX-Target": "user-results"}
    answer = admin.get("/admin/users?q=ro", headers=headers)
    html = text(answer)
    assert answer.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="user-results"')
    assert "root" in html
    # The count is announced in the status region (out of band), not by focus or sound.
    assert 'hx-swap-oob="innerHTML:#status"' in html
    assert "1 user found." in html
    assert "HX-Request" in answer.headers["Vary"]


def test_every_admin_route_is_guarded(app: Flask, member: FlaskClient) -> None:
    """No admin route, present or added later, answers a member with anything but 404."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]
    assert len(rules) >= 14
    for rule in rules:
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        if "GET" in (rule.methods or ()):
            assert member.get(path).status_code == 404, rule.rule
        if "POST" in (rule.methods or ()):
            assert post(member, path).status_code == 404, rule.rule


def test_a_post_without_csrf_token_changes_nothing(
    app: Flask, admin: FlaskClient, member_id: int
) -> None:
    answer = admin.post(f"/admin/users/{member_id}/roles", data={"roles": ["admin"]})
    assert answer.status_code == 400
    assert "security token is missing" in text(answer)
    page = text(admin.get(f"/admin/users/{member_id}"))
    assert "<dt>Roles</dt><dd>member</dd>" in page
