"""Markdown is rendered and sanitised: raw HTML, scripts and dangerous URLs never survive."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import write
from versehub.modules.knowledge.service.rendering import (
    highlight,
    render_markdown,
    sanitise,
    slugify,
)

DANGEROUS = [
    ("<script>alert(1)</script>", "<script"),
    ('<img src=x onerror="alert(1)">', "<img"),
    ("[click](javascript:alert(1))", "href="),
    ("[click](JaVaScRiPt:alert(1))", "href="),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "href="),
    ("![x](data:image/png;base64,iVBORw0KGgo=)", 'src="data'),
    ('<a href="http://evil.example" onclick="steal()">hi</a>', "<a "),
    ("<iframe src='https://evil.example'></iframe>", "<iframe"),
    ("<style>body{display:none}</style>", "<style"),
    ("[x](vbscript:msgbox(1))", "href="),
]

# Raw HTML that reaches the sanitiser directly (a second wall behind markdown-it).
RAW = [
    ('<a href="javascript:alert(1)">x</a>', "javascript"),
    ('<a href="data:text/html,hi">x</a>', "data:"),
    ('<img src="data:image/png;base64,AAAA">', "data:"),
    ("<script>alert(1)</script>ok", "alert"),
    ('<p onclick="x()" style="color:red">t</p>', "onclick"),
]


@pytest.mark.parametrize(("markdown", "forbidden"), DANGEROUS)
def test_dangerous_markup_is_neutralised(markdown: str, forbidden: str) -> None:
    assert forbidden not in render_markdown(markdown).lower()


@pytest.mark.parametrize(("raw", "forbidden"), RAW)
def test_sanitiser_strips_raw_html(raw: str, forbidden: str) -> None:
    assert forbidden not in sanitise(raw).lower()


@pytest.mark.parametrize(("markdown", "forbidden"), DANGEROUS[:4])
def test_stored_html_is_sanitised(
    ctx: Flask, people: People, markdown: str, forbidden: str
) -> None:
    entry = write(people.author, content=f"Intro.\n\n{markdown}", plain_language=markdown)
    assert forbidden not in entry.content_html.lower()
    assert forbidden not in (entry.plain_language_html or "").lower()
    assert markdown in entry.content  # the Markdown is kept as written


def test_links_get_noopener_and_markdown_features_render() -> None:
    html = render_markdown("# Title\n\n**bold** [site](https://example.org) `code`\n\n- a\n- b")
    assert '<a href="https://example.org" rel="noopener noreferrer">site</a>' in html
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert "<li>a</li>" in html


def test_highlight_escapes_before_marking() -> None:
    marked = '<b>x</b> \ue000sign\ue001 & "q"'
    assert highlight(marked, start="\ue000", stop="\ue001") == (
        "&lt;b&gt;x&lt;/b&gt; <mark>sign</mark> &amp; &quot;q&quot;"
    )


@pytest.mark.parametrize(
    ("title", "slug"),
    [("Hello, World!", "hello-world"), ("  Ünïcode Straße ", "ünïcode-strasse"),
     ("日本語 手話", "日本語-手話"), ("snake_case", "snake-case"), ("---", "entry")],
)  # fmt: skip
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title, max_length=50) == slug
