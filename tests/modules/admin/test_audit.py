"""The audit log page: filters by event, actor and days, pages, and garbage filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from versehub.modules.accounts.service import audit
from versehub.modules.accounts.service.meta import RequestMeta


def record(app: Flask, event: str, actor_id: int | None, when: datetime) -> None:
    """One audit event at a chosen time."""
    with app.app_context():
        audit.record(
            event=event,
            actor_id=actor_id,
            target="user:9",
            meta=RequestMeta(),
            details={},
            now=when,
        )


@pytest.fixture
def history(app: Flask, admin_id: int, member_id: int) -> None:
    """Three lockouts on three days, by ada, root and nobody."""
    record(app, "security.account_locked", member_id, datetime(2026, 12, 1, 23, 59, tzinfo=UTC))
    record(app, "security.account_locked", admin_id, datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    record(app, "security.account_locked", None, datetime(2026, 12, 3, 12, 0, tzinfo=UTC))


def rows(html: str) -> int:
    """How many events the results table shows."""
    return html.count('<th scope="row" data-label="Time (UTC)">')


def test_the_log_lists_events_newest_first(admin: FlaskClient, history: None) -> None:
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert "security.login_succeeded" in html  # root signing in
    assert html.index("2026-12-03 12:00") < html.index("2026-12-02 00:00")
    assert '<a href="/admin/users/' in html  # actors link to their user page


def test_filters_by_event_actor_and_days(admin: FlaskClient, history: None) -> None:
    def found(query: str) -> int:
        page = admin.get(f"/admin/audit?{query}")
        assert page.status_code == 200, page.get_data(as_text=True)[:300]
        return rows(page.get_data(as_text=True))

    assert found("event=security.account_locked") == 3
    assert found("event=security.account_locked&actor=ada") == 1
    assert found("event=security.account_locked&actor=ada@example.com") == 1
    assert found("event=security.account_locked&actor=1") == 1
    # Days are whole UTC days, both ends included.
    assert found("event=security.account_locked&since=2026-12-02") == 2
    assert found("event=security.account_locked&until=2026-12-01") == 1
    assert found("event=security.account_locked&since=2026-12-02&until=2026-12-02") == 1
    assert found("event=security.account_locked&since=2026-12-04") == 0
    assert "No events match these filters." in admin.get(
        "/admin/audit?event=security.account_locked&since=2026-12-04"
    ).get_data(as_text=True)


def test_filters_survive_paging(
    admin: FlaskClient, history: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("versehub.modules.admin.web.audit.PER_PAGE", 2)
    html = admin.get("/admin/audit?event=security.account_locked").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert 'href="/admin/audit?page=2&amp;event=security.account_locked"' in html
    second = admin.get("/admin/audit?page=2&event=security.account_locked")
    assert rows(second.get_data(as_text=True)) == 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("event=security.nope", "event", "Choose one of the events in the list"),
        ("actor=nobody-here", "actor", "No account is called &#39;nobody-here&#39;"),
        ("since=yesterday", "since", "From must be a date like 2026-12-07"),
        ("until=2026-13-45", "until", "To must be a date like 2026-12-07"),
        ("since=20261201", "since", "From must be a date like 2026-12-07"),
        ("since=2026-12-05&until=2026-12-01", "until", "The end date must be on or after"),
        ("page=-1", None, "The page number in the address must be a whole number"),
        ("actor=" + "x" * 101, "actor", "Actor must be at most 100 characters"),
    ],
)
def test_garbage_filters_get_a_clear_message(
    admin: FlaskClient, query: str, field: str | None, message: str
) -> None:
    page = admin.get(f"/admin/audit?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "There is a problem" in html
    assert message in html
    if field:
        assert f'href="#{field}"' in html
        assert f'id="{field}-error"' in html
    assert "Audit log:" not in html  # no results under filters that were not understood


def test_every_problem_is_reported_at_once(admin: FlaskClient) -> None:
    html = admin.get("/admin/audit?since=yesterday&actor=nobody-here").get_data(as_text=True)
    assert 'href="#since"' in html
    assert 'href="#actor"' in html
