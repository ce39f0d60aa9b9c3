"""What `make run` gives a visitor: `versehub demo --if-empty`, then `versehub run`, then the demo
hub browsed anonymously over real HTTP through REST and GraphQL, which must agree."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.core.jobs.helpers import cli_env
from tests.integration.support import VERSEHUB, Http, versehub_run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONNECTION = """query($after: String, $filter: EntryFilter) {
  entries(first: 25, after: $after, filter: $filter) {
    edges { node { slug title readingLevel author { username } category { slug } tags { name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def rest_slugs(http: Http, query: str = "") -> list[str]:
    """Every entry slug the REST list gives, following `next_cursor`."""
    slugs: list[str] = []
    cursor = None
    while True:
        path = f"/api/v1/entries?per_page=25{query}" + (f"&cursor={cursor}" if cursor else "")
        status, body = http.call("GET", path)
        assert status == 200, body
        slugs += [item["slug"] for item in body["data"]["items"]]
        cursor = body["data"]["pagination"]["next_cursor"]
        if cursor is None:
            return slugs


def graphql(http: Http, query: str, **variables: Any) -> dict[str, Any]:
    """The data of a GraphQL operation that must succeed."""
    status, body = http.call("POST", "/graphql", {"query": query, "variables": variables})
    assert status == 200, body
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def graphql_nodes(http: Http, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every node of the `entries` connection, following `endCursor`."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = graphql(http, CONNECTION, after=after, filter=filter)["entries"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def test_the_demo_hub_is_browsable_over_rest_and_graphql(database_url: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = cli_env(instance, database_url)
    seeded = subprocess.run(
        [VERSEHUB, "demo", "--if-empty"],
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
    )
    assert seeded.returncode == 0, seeded.stderr.decode()

    with versehub_run(env, tmp_path) as http:
        slugs = rest_slugs(http)
        assert len(slugs) >= 50  # the demo publishes most of its 68 entries
        assert len(set(slugs)) == len(slugs)
        nodes = graphql_nodes(http)
        assert [node["slug"] for node in nodes] == slugs
        assert all(node["author"] and node["category"] for node in nodes)
        assert len({node["category"]["slug"] for node in nodes}) == 8
        assert {node["readingLevel"] for node in nodes} >= {1, 2, 3, 4}

        easy = graphql_nodes(http, {"maxReadingLevel": 2})
        assert easy
        assert [n["slug"] for n in easy] == rest_slugs(http, "&max_reading_level=2")

        status, body = http.call("GET", "/api/v1/search?q=interpreter&per_page=50")
        assert status == 200, body
        rest_hits = [item["slug"] for item in body["data"]["items"]]
        assert rest_hits
        found = graphql(
            http,
            '{ entries(first: 50, filter: {search: "interpreter"}) '
            "{ edges { node { slug highlight } } } }",
        )["entries"]["edges"]
        assert [edge["node"]["slug"] for edge in found] == rest_hits
        assert any("<mark>" in (edge["node"]["highlight"] or "") for edge in found)

        one = graphql(
            http,
            "query($slug: String) { entry(slug: $slug) { id title contentHtml "
            "plainLanguageHtml } }",
            slug=slugs[0],
        )["entry"]
        status, body = http.call("GET", f"/api/v1/entries/{one['id']}")
        assert status == 200, body
        assert body["data"]["entry"]["content_html"] == one["contentHtml"]
        assert body["data"]["entry"]["title"] == one["title"]

        categories = graphql(http, "{ categories { slug name colour textColour } }")
        status, body = http.call("GET", "/api/v1/categories")
        assert [c["slug"] for c in categories["categories"]] == [
            c["slug"] for c in body["data"]["items"]
        ]
