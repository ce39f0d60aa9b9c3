"""Knowledge over GraphQL: connections, filters, visibility, mutations, batch loading, limits."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import BODY, api_key, publish, write
from tests.sql import sql_statements
from versehub.core.auth import Principal
from versehub.core.events import get_bus
from versehub.modules.knowledge.schemas import CategoryCreate, EntryUpdate
from versehub.modules.knowledge.service import categories, entries

Headers = dict[str, str]

CONNECTION = """
query($first: Int!, $after: String, $filter: EntryFilter, $sort: EntrySort) {
  entries(first: $first, after: $after, filter: $filter, sort: $sort) {
    edges { cursor node { id slug title status readingLevel score highlight
                          author { id username } category { slug } tags { name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
ENTRY_FIELDS = "id slug title status version isPublic contentHtml allowedTransitions"


def gql(
    client: FlaskClient, query: str, headers: Headers | None = None, **variables: Any
) -> dict[str, Any]:
    """POST a GraphQL operation; the transport answer is always 200 with JSON."""
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    assert response.status_code == 200, response.data
    body: dict[str, Any] = response.get_json()
    return body


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    """`data` of an answer that must have no errors."""
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    """The single error of an answer."""
    assert len(body.get("errors") or []) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


def nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes of `entries`."""
    return [edge["node"] for edge in data_of(body)["entries"]["edges"]]


def make_category(app: Flask, editor: Principal, name: str, colour: str = "#1a5fb4") -> str:
    with app.app_context():
        data = CategoryCreate(name=name, colour=colour)
        slug: str = categories.create(data=data, viewer=editor).slug
        return slug


def seed(app: Flask, people: People, *specs: dict[str, Any]) -> list[int]:
    """Entries written (and published unless `draft`) through the services; their ids."""
    ids = []
    with app.app_context():
        for spec in specs:
            fields = dict(spec)
            by = fields.pop("by", people.author)
            draft = fields.pop("draft", False)
            entry = write(by, **fields)
            if not draft:
                publish(entry, people.editor)
            ids.append(entry.id)
    return ids


# --- reading ----------------------------------------------------------------------------------


def test_connection_walks_every_entry_with_cursors(
    app: Flask, client: FlaskClient, people: People
) -> None:
    ids = seed(app, people, *({"title": f"Entry number {i}"} for i in range(7)))
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        body = gql(client, CONNECTION, first=3, after=after)
        connection = data_of(body)["entries"]
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        assert info["startCursor"] == connection["edges"][0]["cursor"]
        pages += 1
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 3
    assert seen == [str(i) for i in reversed(ids)]  # newest first, none twice


def test_an_edge_cursor_continues_right_after_its_node(
    app: Flask, client: FlaskClient, people: People
) -> None:
    seed(app, people, *({"title": f"Entry number {i}"} for i in range(5)))
    edges = data_of(gql(client, CONNECTION, first=5))["entries"]["edges"]
    after_second = nodes(gql(client, CONNECTION, first=2, after=edges[1]["cursor"]))
    assert [n["id"] for n in after_second] == [edges[2]["node"]["id"], edges[3]["node"]["id"]]


def test_nodes_carry_author_category_and_tags(
    app: Flask, client: FlaskClient, people: People
) -> None:
    slug = make_category(app, people.editor, "Captioning")
    seed(app, people, {"title": "Live captions", "category": slug, "tags": ["CART", "live"]})
    (node,) = nodes(gql(client, CONNECTION, first=5))
    assert node["author"]["username"] == "aurora"
    assert node["author"]["id"] == str(people.author.user_id)
    assert node["category"] == {"slug": slug}
    assert node["tags"] == [{"name": "cart"}, {"name": "live"}]
    assert node["status"] == "PUBLISHED"
    assert node["score"] is None
    assert node["highlight"] is None


def test_filters_combine(app: Flask, client: FlaskClient, people: People) -> None:
    slug = make_category(app, people.editor, "Deaf culture")
    easy = "Deaf people sign. We use our hands. It is fun."
    seed(
        app,
        people,
        {"title": "Easy signing", "content": easy, "category": slug, "tags": ["bsl"]},
        {"title": "Other signing", "content": easy, "tags": ["bsl"]},
        {
            "title": "Hard signing",
            "content": "Notwithstanding epistemological "
            "interoperability considerations, institutional multidisciplinary reevaluation "
            "necessitates comprehensive sign-language deliberation.",
            "category": slug,
        },
    )
    in_category = nodes(gql(client, CONNECTION, first=10, filter={"category": slug}))
    assert {n["title"] for n in in_category} == {"Easy signing", "Hard signing"}
    tagged = nodes(gql(client, CONNECTION, first=10, filter={"category": slug, "tag": "BSL"}))
    assert [n["title"] for n in tagged] == ["Easy signing"]
    easy_only = nodes(gql(client, CONNECTION, first=10, filter={"maxReadingLevel": 2}))
    assert {n["title"] for n in easy_only} == {"Easy signing", "Other signing"}
    assert all(n["readingLevel"] <= 2 for n in easy_only)
    by_title = nodes(gql(client, CONNECTION, first=10, sort="TITLE"))
    assert [n["title"] for n in by_title] == ["Easy signing", "Hard signing", "Other signing"]


def test_search_ranks_and_highlights(app: Flask, client: FlaskClient, people: People) -> None:
    seed(
        app,
        people,
        {"title": "Captions at the cinema", "content": "Open captions help everyone."},
        {"title": "Hearing loops", "content": "Loops help some people; captions too."},
        {"title": "Fingerspelling", "content": "Hands spell words letter by letter."},
    )
    found = nodes(gql(client, CONNECTION, first=10, filter={"search": "captions"}))
    assert [n["title"] for n in found] == ["Captions at the cinema", "Hearing loops"]
    assert found[0]["score"] >= found[1]["score"] > 0
    assert "<mark>" in found[0]["highlight"]


@pytest.mark.parametrize("text", ['"', "*", "NEAR(", '"unbalanced', "a AND OR NOT", "^:-"])
def test_search_syntax_is_plain_text(
    app: Flask, client: FlaskClient, people: People, text: str
) -> None:
    seed(app, people, {"title": "Captions"})
    body = gql(client, CONNECTION, first=10, filter={"search": text})
    assert isinstance(nodes(body), list)


def test_visibility_follows_the_rest_rules(
    app: Flask,
    client: FlaskClient,
    people: People,
    author: Headers,
    member: Headers,
    editor: Headers,
) -> None:
    seed(app, people, {"title": "Open"})
    seed(app, people, {"title": "Draft", "draft": True})
    seed(app, people, {"title": "Private", "is_public": False})

    def titles(headers: Headers | None) -> set[str]:
        return {n["title"] for n in nodes(gql(client, CONNECTION, headers, first=10))}

    assert titles(None) == {"Open"}
    assert titles(member) == {"Open"}
    assert titles(author) == {"Open", "Draft", "Private"}
    assert titles(editor) == {"Open", "Draft", "Private"}


def test_one_entry_by_id_or_slug(
    app: Flask, client: FlaskClient, people: People, member: Headers, author: Headers
) -> None:
    (open_id,) = seed(app, people, {"title": "Open one", "content": "Hello <script>x</script>"})
    (private_id,) = seed(app, people, {"title": "Private one", "is_public": False})
    query = f"query($id: ID, $slug: String) {{ entry(id: $id, slug: $slug) {{ {ENTRY_FIELDS} }} }}"
    by_id = data_of(gql(client, query, id=str(open_id)))["entry"]
    assert by_id["slug"] == "open-one"
    assert "<script" not in by_id["contentHtml"]
    assert data_of(gql(client, query, slug="open-one"))["entry"]["id"] == str(open_id)
    hidden = gql(client, query, member, id=str(private_id))
    assert error_of(hidden)["extensions"]["code"] == "RES_NOT_FOUND"
    assert hidden["data"] == {"entry": None}
    assert data_of(gql(client, query, author, id=str(private_id)))["entry"]["title"] == (
        "Private one"
    )
    assert error_of(gql(client, query, id="abc"))["extensions"]["code"] == "VAL_INVALID"
    assert error_of(gql(client, query))["extensions"]["code"] == "VAL_INVALID"
    both = gql(client, query, id=str(open_id), slug="open-one")
    assert error_of(both)["extensions"]["code"] == "VAL_INVALID"


def test_categories_and_tags(app: Flask, client: FlaskClient, people: People) -> None:
    slug = make_category(app, people.editor, "Sign languages", colour="#ffd700")
    seed(app, people, {"title": "A", "tags": ["bsl", "asl"]}, {"title": "B", "tags": ["bsl"]})
    body = data_of(
        gql(
            client,
            "{ categories { slug name colour textColour } "
            "tags(limit: 5) { entries tag { name } } }",
        )
    )
    (category,) = body["categories"]
    assert category["slug"] == slug
    assert category["colour"] == "#ffd700"
    assert category["textColour"] != category["colour"]
    assert body["tags"] == [
        {"entries": 2, "tag": {"name": "bsl"}},
        {"entries": 1, "tag": {"name": "asl"}},
    ]
    one = data_of(gql(client, f'{{ category(slug: "{slug}") {{ name }} }}'))
    assert one == {"category": {"name": "Sign languages"}}
    missing = gql(client, '{ category(slug: "nope") { name } }')
    assert error_of(missing)["extensions"]["code"] == "RES_NOT_FOUND"
    bad_limit = gql(client, "{ tags(limit: 0) { entries } }")
    assert error_of(bad_limit)["extensions"]["errors"][0]["field"] == "limit"


def test_users_show_public_fields_only(client: FlaskClient) -> None:
    body = data_of(gql(client, '{ __type(name: "User") { fields { name } } }'))
    assert {f["name"] for f in body["__type"]["fields"]} == {"id", "username"}
    refused = gql(client, "{ entries(first: 1) { edges { node { author { email } } } } }")
    assert "Cannot query field 'email'" in refused["errors"][0]["message"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 0}, "first"),
        ({"first": 1000}, "first"),
        ({"first": 5, "after": "not-a-cursor"}, "after"),
        ({"first": 5, "filter": {"maxReadingLevel": 9}}, "filter.maxReadingLevel"),
        ({"first": 5, "filter": {"category": ""}}, "filter.category"),
    ],
)
def test_bad_paging_and_filters_are_field_errors(
    client: FlaskClient, people: People, variables: dict[str, Any], field: str
) -> None:
    error = error_of(gql(client, CONNECTION, **variables))
    assert error["extensions"]["code"] == "VAL_INVALID"
    assert [e["field"] for e in error["extensions"]["errors"]] == [field]


def test_a_tampered_cursor_is_refused(app: Flask, client: FlaskClient, people: People) -> None:
    seed(app, people, *({"title": f"Entry {i}"} for i in range(3)))
    cursor = data_of(gql(client, CONNECTION, first=1))["entries"]["pageInfo"]["endCursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    error = error_of(gql(client, CONNECTION, first=1, after=tampered))
    assert error["extensions"]["errors"][0]["field"] == "after"
    other_sort = error_of(gql(client, CONNECTION, first=1, after=cursor, sort="TITLE"))
    assert other_sort["extensions"]["code"] == "VAL_INVALID"


def test_strings_are_not_integers(client: FlaskClient) -> None:
    body = gql(client, CONNECTION, first="abc")
    assert "Int cannot represent" in error_of(body)["message"]


# --- batch loading ----------------------------------------------------------------------------


def _many(app: Flask, people: People, count: int) -> None:
    authors = [people.author, people.member, people.editor, people.admin]
    slugs = [make_category(app, people.editor, f"Topic {i}") for i in range(5)]
    seed(
        app,
        people,
        *(
            {
                "title": f"Entry {i}",
                "by": authors[i % len(authors)],
                "category": slugs[i % len(slugs)],
                "tags": [f"tag{i % 7}", f"tag{i % 3}", "common"],
            }
            for i in range(count)
        ),
    )


def test_a_page_of_fifty_costs_a_constant_number_of_queries(
    app: Flask, client: FlaskClient, people: People
) -> None:
    _many(app, people, 50)
    counts = {}
    for first in (5, 50):
        with sql_statements(app) as statements:
            found = nodes(gql(client, CONNECTION, first=first))
        assert len(found) == first
        assert all(n["author"] and n["category"] and len(n["tags"]) >= 2 for n in found)
        counts[first] = len(statements)
    # One query for the page, one each for the authors, categories and tags.
    assert counts[50] == counts[5] == 4


def test_only_selected_relations_are_loaded(
    app: Flask, client: FlaskClient, people: People
) -> None:
    _many(app, people, 10)
    with sql_statements(app) as statements:
        data_of(gql(client, "{ entries(first: 10) { edges { node { title } } } }"))
    assert len(statements) == 1


def test_revisions_of_a_page_are_batched_too(
    app: Flask, client: FlaskClient, people: People, editor: Headers
) -> None:
    _many(app, people, 20)
    with app.app_context():
        for entry_id in range(1, 21):
            for summary in ("One", "Two"):  # revisions 2 and 3, by the editor
                change = EntryUpdate(summary=summary)
                entries.update(entry_id=entry_id, data=change, viewer=people.editor)
    query = """query($first: Int!) { entries(first: $first) { edges { node { title
                 revisions(first: 2) { number changedFields user { username } } } } } }"""
    counts = {}
    gql(client, query, editor, first=1)  # the caller is cached from now on (no statement)
    for first in (5, 20):
        with sql_statements(app) as statements:
            found = nodes(gql(client, query, editor, first=first))
        assert len(found) == first
        counts[first] = len(statements)
    assert all([r["number"] for r in n["revisions"]] == [3, 2] for n in found)
    assert found[0]["revisions"][0] == {
        "number": 3,
        "changedFields": ["summary"],
        "user": {"username": "edith"},
    }
    # The page, the revisions and their users: the same for 5 entries as for 20.
    assert counts[5] == counts[20] == 3


def test_revisions_are_for_authors_and_editors(
    app: Flask, client: FlaskClient, people: People, author: Headers, member: Headers
) -> None:
    (entry_id,) = seed(app, people, {"title": "Mine"})
    query = f'{{ entry(id: "{entry_id}") {{ title revisions {{ number user {{ username }} }} }} }}'
    own = data_of(gql(client, query, author))["entry"]
    assert own["revisions"] == [{"number": 1, "user": {"username": "aurora"}}]
    other = gql(client, query, member)
    assert error_of(other)["extensions"]["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
    assert other["data"]["entry"]["title"] == "Mine"
    assert other["data"]["entry"]["revisions"] is None
    anonymous = gql(client, query)
    assert error_of(anonymous)["extensions"]["code"] == "AUTH_REQUIRED"


# --- writing ----------------------------------------------------------------------------------

CREATE = f"""mutation($input: CreateEntryInput!) {{ createEntry(input: $input) {{ {ENTRY_FIELDS}
  tags {{ name }} category {{ slug }} author {{ username }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateEntryInput!) {{
  updateEntry(id: $id, input: $input) {{ {ENTRY_FIELDS} summary category {{ slug }} }} }}"""
MOVE = f"""mutation($id: ID!, $to: EntryStatus!, $version: Int) {{
  transitionEntry(id: $id, to: $to, version: $version) {{ {ENTRY_FIELDS} }} }}"""


def test_create_goes_through_the_service(
    app: Flask, client: FlaskClient, people: People, author: Headers
) -> None:
    slug = make_category(app, people.editor, "Captioning")
    seen: list[str] = []
    with app.app_context():
        get_bus().subscribe("entry.*", lambda name, payload: seen.append(name))
    body = {
        "title": "  Caption files  ",
        "content": "Use **WebVTT**. [x](javascript:alert(1)) <script>alert(1)</script>",
        "tags": ["WebVTT", "webvtt", "Captions"],
        "category": slug,
    }
    created = data_of(gql(client, CREATE, author, input=body))["createEntry"]
    assert created["title"] == "Caption files"
    assert created["slug"] == "caption-files"
    assert created["status"] == "DRAFT"
    assert created["allowedTransitions"] == ["IN_REVIEW"]
    assert created["tags"] == [{"name": "captions"}, {"name": "webvtt"}]
    assert created["author"] == {"username": "aurora"}
    assert "<strong>WebVTT</strong>" in created["contentHtml"]
    assert "href" not in created["contentHtml"]  # a javascript: link stays text
    assert "<script" not in created["contentHtml"]
    assert seen == ["entry.created"]
    rest = client.get(f"/api/v1/entries/{created['id']}", headers=author).get_json()
    assert rest["data"]["entry"]["slug"] == "caption-files"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "x" * 201}, "input.title"),
        ({"content": ""}, "input.content"),
        ({"category": "no-such-category"}, "input.category"),
        ({"tags": ["ok"] * 21}, "input.tags"),
    ],
)
def test_create_refuses_bad_input(
    client: FlaskClient, author: Headers, fields: dict[str, Any], field: str
) -> None:
    body = {"title": "Fine", "content": BODY, **fields}
    error = error_of(gql(client, CREATE, author, input=body))
    assert error["extensions"]["code"] in ("VAL_INVALID", "RES_NOT_FOUND")
    assert error["extensions"]["errors"][0]["field"] == field
    listed = gql(client, CONNECTION, author, first=10)
    assert nodes(listed) == []  # nothing half-written


def test_create_refuses_unknown_fields_and_slug_collisions(
    client: FlaskClient, author: Headers
) -> None:
    unknown = gql(client, CREATE, author, input={"title": "A", "content": BODY, "colour": 1})
    assert "colour" in error_of(unknown)["message"]
    data_of(gql(client, CREATE, author, input={"title": "A", "content": BODY, "slug": "same"}))
    taken = gql(client, CREATE, author, input={"title": "B", "content": BODY, "slug": "same"})
    error = error_of(taken)
    assert error["extensions"]["code"] == "RES_ALREADY_EXISTS"
    assert error["extensions"]["errors"][0]["field"] == "input.slug"


def test_writing_needs_a_signed_in_caller(client: FlaskClient) -> None:
    body = gql(client, CREATE, input={"title": "A", "content": BODY})
    assert error_of(body)["extensions"]["code"] == "AUTH_REQUIRED"
    assert body["data"] is None


def test_update_with_versions(client: FlaskClient, author: Headers, member: Headers) -> None:
    created = data_of(gql(client, CREATE, author, input={"title": "A", "content": BODY}))
    entry_id, version = created["createEntry"]["id"], created["createEntry"]["version"]
    changed = gql(
        client, UPDATE, author, id=entry_id, input={"summary": "Short", "version": version}
    )
    updated = data_of(changed)["updateEntry"]
    assert updated["summary"] == "Short"
    assert updated["version"] == version + 1
    stale = gql(client, UPDATE, author, id=entry_id, input={"title": "B", "version": version})
    error = error_of(stale)
    assert error["extensions"]["code"] == "RES_CONFLICT"
    assert error["extensions"]["details"]["current_version"] == version + 1
    emptied = gql(client, UPDATE, author, id=entry_id, input={"title": None})
    assert error_of(emptied)["extensions"]["errors"][0]["field"] == "input.title"
    foreign = gql(client, UPDATE, member, id=entry_id, input={"title": "Mine now"})
    assert error_of(foreign)["extensions"]["code"] == "RES_NOT_FOUND"  # a draft is hidden


def test_transitions_follow_the_workflow(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    created = data_of(gql(client, CREATE, author, input={"title": "A", "content": BODY}))
    entry_id = created["createEntry"]["id"]
    skipped = gql(client, MOVE, editor, id=entry_id, to="ARCHIVED")
    assert error_of(skipped)["extensions"]["code"] == "RES_CONFLICT"
    review = data_of(gql(client, MOVE, author, id=entry_id, to="IN_REVIEW"))["transitionEntry"]
    assert review["status"] == "IN_REVIEW"
    refused = gql(client, MOVE, author, id=entry_id, to="PUBLISHED")
    assert error_of(refused)["extensions"]["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
    stale = gql(client, MOVE, editor, id=entry_id, to="PUBLISHED", version=review["version"] - 1)
    assert error_of(stale)["extensions"]["code"] == "RES_CONFLICT"
    published = gql(client, MOVE, editor, id=entry_id, to="PUBLISHED", version=review["version"])
    assert data_of(published)["transitionEntry"]["status"] == "PUBLISHED"
    assert [n["id"] for n in nodes(gql(client, CONNECTION, first=5))] == [entry_id]


def test_restore_and_delete(client: FlaskClient, author: Headers) -> None:
    created = data_of(gql(client, CREATE, author, input={"title": "First", "content": BODY}))
    entry_id = created["createEntry"]["id"]
    data_of(gql(client, UPDATE, author, id=entry_id, input={"title": "Second"}))
    restore = """mutation($id: ID!) { restoreRevision(id: $id, number: 1) { title version
                 revisions { number } } }"""
    restored = data_of(gql(client, restore, author, id=entry_id))["restoreRevision"]
    assert restored["title"] == "First"
    assert [r["number"] for r in restored["revisions"]] == [3, 2, 1]
    delete = "mutation($id: ID!, $v: Int) { deleteEntry(id: $id, version: $v) }"
    stale = gql(client, delete, author, id=entry_id, v=1)
    assert error_of(stale)["extensions"]["code"] == "RES_CONFLICT"
    assert data_of(gql(client, delete, author, id=entry_id))["deleteEntry"] == entry_id
    gone = gql(client, f'{{ entry(id: "{entry_id}") {{ id }} }}', author)
    assert error_of(gone)["extensions"]["code"] == "RES_NOT_FOUND"


def test_api_key_scopes_apply(client: FlaskClient, author: Headers) -> None:
    reader = api_key(client, author, "entries:read")
    writer = api_key(client, author, "entries:write")
    media = api_key(client, author, "media:write")
    assert nodes(gql(client, CONNECTION, reader, first=5)) == []
    refused = error_of(gql(client, CREATE, reader, input={"title": "A", "content": BODY}))
    assert refused["extensions"]["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
    assert refused["extensions"]["details"] == {"required_scope": "entries:write"}
    made = data_of(gql(client, CREATE, writer, input={"title": "A", "content": BODY}))
    assert made["createEntry"]["status"] == "DRAFT"
    no_read = error_of(gql(client, CONNECTION, media, first=5))
    assert no_read["extensions"]["details"] == {"required_scope": "entries:read"}
    bad = client.post("/graphql", json={"query": "{ api { version } }"}, headers={"X-API-Key": "x"})
    assert bad.status_code == 401
    assert bad.get_json()["errors"][0]["extensions"]["code"].startswith("AUTH_")
    assert "data" not in bad.get_json()


# --- limits on the real schema ----------------------------------------------------------------


def test_deep_and_aliased_queries_are_refused(client: FlaskClient) -> None:
    deep = "{ entries(first: 1) { edges { node { " + "category { " * 48 + "slug" + " }" * 51
    assert "errors" in gql(client, deep)
    aliases = "{ " + " ".join(f"a{i}: categories {{ slug }}" for i in range(1000)) + " }"
    error = error_of(gql(client, aliases))
    assert "tokens" in error["message"] or "aliases" in error["message"]


def test_expensive_nesting_is_priced(client: FlaskClient) -> None:
    query = """{ entries(first: 100) { edges { node { title content contentHtml summary
        revisions(first: 100) { number snapshot changedFields createdAt user { username } }
    } } } }"""
    error = error_of(gql(client, query))
    assert error["extensions"]["code"] == "GRAPHQL_COST_LIMIT"
