"""Demo content as data files: shipped in the package, validated, read only by `versehub demo`."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.core.jobs.helpers import REPO, cli_env
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.knowledge import demo
from versehub.modules.knowledge.models import Category, Entry

# These two digests guard the move of the demo content from Python literals (the 1,368-line
# `knowledge/demo.py`) to data files: both were computed from the old code before the move, and
# the data files must reproduce them exactly. Change them only when the demo content is changed
# on purpose (the assertion message prints the new value).
CONTENT_BEFORE_THE_MOVE = "ca0e3e256c3fee53514542e85d1945608f1ab6354b04c31893ffa28256ce938a"
SEEDED_BEFORE_THE_MOVE = "5ec4044df2fc3c9fc9fe11eb4362573b9ad1446713456d20c6b71cc10884eaae"

ENTRY = """---
title: Hearing loops
category: Assistive Technology
tags: [loops, hearing-aids]
author: amara
---

A hearing loop sends sound straight to hearing aids.
"""


def digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def test_the_data_files_hold_the_content_from_before_the_move() -> None:
    content = demo.load_content()
    data = {
        "users": [[u.key, u.username, u.email, list(u.roles)] for u in content.users],
        "categories": [[c.name, c.colour, c.description] for c in content.categories],
        "entries": [
            [
                e.meta.title,
                e.slug,
                e.meta.category,
                list(e.meta.tags),
                e.content,
                e.meta.summary,
                e.plain_language,
                e.meta.status,
                e.meta.is_public,
                e.meta.author,
            ]
            for e in content.entries
        ],
    }
    assert (len(content.entries), len(content.categories)) == (68, 8)
    assert digest(data) == CONTENT_BEFORE_THE_MOVE, digest(data)


def test_the_seeded_hub_is_the_one_from_before_the_move(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        people = [
            [u.username, u.email, sorted(u.roles)]
            for u in db.session.scalars(select(User).order_by(User.id))
        ]
        groups = [
            [c.name, c.slug, c.colour, c.text_colour, c.description]
            for c in db.session.scalars(select(Category).order_by(Category.id))
        ]
        rows = [
            [
                e.title,
                e.slug,
                e.category.slug if e.category else None,
                [t.name for t in e.tags],
                e.content,
                e.summary,
                e.plain_language,
                e.status,
                e.is_public,
                e.author.username if e.author else None,
                e.reading_level,
                e.plain_language_reading_level,
                e.content_html,
                e.plain_language_html,
            ]
            for e in db.session.scalars(select(Entry).order_by(Entry.id))
        ]
    fingerprint = digest([people, groups, rows])
    assert fingerprint == SEEDED_BEFORE_THE_MOVE, fingerprint


def test_the_data_files_are_package_resources() -> None:
    # Read through importlib.resources, as an installed wheel is; the wheel target packages all
    # of src/versehub, data files included.
    root = files("versehub.modules.knowledge.demo")
    assert root.joinpath("users.yaml").is_file()
    assert root.joinpath("categories.yaml").is_file()
    names = [item.name for item in root.joinpath("entries").iterdir()]
    assert len(names) == 68
    assert all(name.endswith(".md") for name in names)


def test_creating_the_app_does_not_import_the_demo(tmp_path: Path) -> None:
    # A subprocess: other tests in this run have imported the demo already.
    script = (
        "import sys\n"
        "from versehub import create_app\n"
        "app = create_app()\n"
        "assert 'versehub.modules.knowledge' in sys.modules\n"
        "assert 'demo' in app.cli.list_commands(None)\n"
        "print(sorted(m for m in sys.modules if m.startswith('versehub.modules.knowledge.demo')))\n"
    )
    env = cli_env(tmp_path / "instance", f"sqlite:///{tmp_path / 'hub.db'}")
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- validation -----------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the real users and categories with one entry file."""
    real = files("versehub.modules.knowledge.demo")
    for name in ("users.yaml", "categories.yaml"):
        (tmp_path / name).write_text(real.joinpath(name).read_text(encoding="utf-8"))
    (tmp_path / "entries").mkdir()
    (tmp_path / "entries" / "001-hearing-loops.md").write_text(ENTRY)
    return tmp_path


def test_an_entry_file_with_defaults_and_plain_language(root: Path) -> None:
    text = ENTRY + "\n<!-- plain-language -->\n\nA loop helps hearing aids.\n"
    (root / "entries" / "001-hearing-loops.md").write_text(text)

    (entry,) = demo.load_content(root).entries
    assert entry.file == "entries/001-hearing-loops.md"
    assert entry.meta.tags == ("loops", "hearing-aids")
    assert (entry.meta.status, entry.meta.is_public, entry.meta.summary) == ("published", True, "")
    assert entry.content == "A hearing loop sends sound straight to hearing aids."
    assert entry.plain_language == "A loop helps hearing aids."
    assert entry.slug == "hearing-loops"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ENTRY.replace("author: amara", "author: amara\nis_publc: false"), "is_publc"),
        (ENTRY.replace("title: Hearing loops\n", ""), "title: Field required"),
        (ENTRY.replace("author: amara\n", ""), "author: Field required"),
        (ENTRY.replace("Assistive Technology", "Gadgets"), "category 'Gadgets' is not in"),
        (ENTRY.replace("author: amara", "author: nobody"), "author 'nobody' is not a key"),
        (ENTRY.replace("author: amara", "author: amara\nstatus: gone"), "status"),
        (ENTRY.replace("author: amara", "author: amara\nis_public: maybe"), "is_public"),
        (ENTRY.replace("[loops, hearing-aids]", "[]"), "tags"),
        (ENTRY.replace("[loops, hearing-aids]", "loops"), "tags"),
        (ENTRY.replace("title: Hearing loops", "title: [unclosed"), "not valid YAML"),
        (ENTRY.removeprefix("---\n"), "must start with a `---`"),
        (ENTRY.replace("---\n\nA hearing", "\nA hearing"), "no closing `---`"),
        (ENTRY + "<!-- plain-language -->\n", "nothing after the `<!-- plain-language -->`"),
        (ENTRY + "<!-- plain-language -->\nA.\n<!-- plain-language -->\nB.\n", "more than one"),
        (ENTRY.split("\n\nA hearing", maxsplit=1)[0], "no content after the front matter"),
    ],
)
def test_a_bad_entry_file_is_refused_by_name(root: Path, text: str, problem: str) -> None:
    (root / "entries" / "001-hearing-loops.md").write_text(text)

    with pytest.raises(demo.DemoContentError) as caught:
        demo.load_content(root)
    assert str(caught.value).startswith("demo content entries/001-hearing-loops.md: ")
    assert problem in str(caught.value)


def test_two_titles_with_one_slug_are_refused(root: Path) -> None:
    (root / "entries" / "002-again.md").write_text(ENTRY.replace("Hearing loops", "Hearing Loops!"))

    with pytest.raises(demo.DemoContentError, match=r"entries/002-again\.md: .*001-hearing-loops"):
        demo.load_content(root)


def test_a_file_that_is_not_markdown_is_refused(root: Path) -> None:
    (root / "entries" / "notes.txt").write_text("to do")

    with pytest.raises(demo.DemoContentError, match=r"entries/notes\.txt: not a Markdown"):
        demo.load_content(root)


@pytest.mark.parametrize(
    ("name", "old", "new", "problem"),
    [
        ("categories.yaml", "'#1f4e79'", "navy", "colour"),
        ("categories.yaml", "  colour: '#1f4e79'\n", "", "colour: Field required"),
        ("categories.yaml", "Sign Languages", "Accessibility Basics", "name 'Accessibility"),
        ("users.yaml", "key: editor", "key: reviewer", "needs the key 'editor'"),
        ("users.yaml", "key: jonah", "key: amara", "key 'amara' appears twice"),
        ("users.yaml", "  email: demo-admin@example.org\n", "  mail: x\n", "mail"),
        ("users.yaml", "- key: admin", "key: admin", "not valid YAML"),
    ],
)
def test_bad_users_or_categories_are_refused_by_name(
    root: Path, name: str, old: str, new: str, problem: str
) -> None:
    path = root / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))

    with pytest.raises(demo.DemoContentError) as caught:
        demo.load_content(root)
    assert str(caught.value).startswith(f"demo content {name}: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize("name", ["users.yaml", "categories.yaml", "entries"])
def test_a_missing_file_is_refused_by_name(root: Path, name: str) -> None:
    if name == "entries":
        shutil.rmtree(root / name)
    else:
        (root / name).unlink()

    with pytest.raises(demo.DemoContentError, match=rf"demo content {name}"):
        demo.load_content(root)


@pytest.mark.parametrize("text", ["", "{}", "[]"])
def test_categories_must_be_a_list(root: Path, text: str) -> None:
    (root / "categories.yaml").write_text(text)

    with pytest.raises(demo.DemoContentError, match=r"categories\.yaml: expected a non-empty list"):
        demo.load_content(root)


def test_the_command_reports_bad_content_without_a_traceback(
    app: Flask, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "entries" / "001-hearing-loops.md").write_text(ENTRY.replace("amara", "nobody"))
    real = demo.load_content
    monkeypatch.setattr(demo.seeding, "load_content", lambda: real(root))

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "entries/001-hearing-loops.md: author 'nobody'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
