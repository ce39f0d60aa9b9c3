"""The demo content, read from the data files beside this module (never at app start).

`users.yaml` and `categories.yaml` list the accounts and categories; `entries/` holds one
Markdown file per entry, seeded in file-name order: a YAML front matter block between two
`---` lines, then the content, then optionally a line `<!-- plain-language -->` followed by the
plain-language version. Every file is validated; a mistake raises `DemoContentError` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from versehub.modules.knowledge.models import SLUG_MAX
from versehub.modules.knowledge.service import slugs

PACKAGE = "versehub.modules.knowledge.demo"

PLAIN_MARKER = "<!-- plain-language -->"
FENCE = "---"
REVIEWER = "editor"  # the user key that reviews and publishes entries

Status = Literal["draft", "in_review", "published"]


class DemoContentError(Exception):
    """A demo data file is missing, malformed or refers to something that does not exist."""


class _Data(BaseModel):
    # Unknown keys are refused so that a typo (`is_publc`) is an error, not a silent default.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoUser(_Data):
    """A demo account: `key` names it in the entries' `author`."""

    key: StrictStr = Field(min_length=1)
    username: StrictStr = Field(min_length=1)
    email: StrictStr = Field(min_length=3)
    roles: tuple[StrictStr, ...] = Field(min_length=1)


class DemoCategory(_Data):
    """A demo category (colours chosen for AA contrast with the label text)."""

    name: StrictStr = Field(min_length=1)
    colour: StrictStr = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    description: StrictStr = ""


class EntryFrontMatter(_Data):
    """The front matter of an entry file."""

    title: StrictStr = Field(min_length=1)
    category: StrictStr = Field(min_length=1)
    tags: tuple[StrictStr, ...] = Field(min_length=1)
    author: StrictStr = Field(min_length=1)
    summary: StrictStr = ""
    status: Status = "published"
    is_public: StrictBool = True


@dataclass(frozen=True)
class DemoEntry:
    """A demo entry (front matter and body) and where it ends up in the workflow."""

    file: str
    meta: EntryFrontMatter
    content: str
    plain_language: str | None

    @property
    def slug(self) -> str:
        """The slug the demo gives the entry (stable, so reruns find it)."""
        return entry_slug(self.meta.title)


@dataclass(frozen=True)
class DemoContent:
    """Everything `versehub demo` seeds, in seeding order."""

    users: tuple[DemoUser, ...]
    categories: tuple[DemoCategory, ...]
    entries: tuple[DemoEntry, ...]


def entry_slug(title: str) -> str:
    """The slug the demo gives an entry with this title."""
    return slugs.base_slug(title, max_length=SLUG_MAX, fallback="entry")


def _explain(name: str, exc: ValidationError, where: str = "") -> DemoContentError:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )
    return DemoContentError(f"demo content {name}: {where}{problems}")


def _read(item: Traversable, name: str) -> str:
    try:
        return item.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DemoContentError(f"demo content {name}: cannot be read ({exc})") from exc


def _yaml(name: str, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DemoContentError(f"demo content {name}: not valid YAML ({exc})") from exc


M = TypeVar("M", bound=_Data)


def _list_of(root: Traversable, name: str, model: type[M]) -> tuple[M, ...]:
    data = _yaml(name, _read(root.joinpath(name), name))
    if not isinstance(data, list) or not data:
        raise DemoContentError(f"demo content {name}: expected a non-empty list")
    items: list[M] = []
    for number, item in enumerate(data, 1):
        try:
            items.append(model.model_validate(item))
        except ValidationError as exc:
            raise _explain(name, exc, where=f"item {number}: ") from exc
    return tuple(items)


def parse_entry(name: str, text: str) -> DemoEntry:
    """One entry file: front matter between `---` lines, content, optional plain language."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise DemoContentError(f"demo content {name}: must start with a `---` front matter line")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == FENCE)
    except StopIteration:
        raise DemoContentError(f"demo content {name}: front matter has no closing `---`") from None
    raw = _yaml(name, "\n".join(lines[1:end]))
    if not isinstance(raw, dict):
        raise DemoContentError(f"demo content {name}: front matter must be a mapping")
    try:
        meta = EntryFrontMatter.model_validate(raw)
    except ValidationError as exc:
        raise _explain(name, exc) from exc
    body = lines[end + 1 :]
    markers = [i for i, line in enumerate(body) if line.strip() == PLAIN_MARKER]
    if len(markers) > 1:
        raise DemoContentError(f"demo content {name}: more than one `{PLAIN_MARKER}` line")
    split = markers[0] if markers else len(body)
    content = "\n".join(body[:split]).strip()
    plain = "\n".join(body[split + 1 :]).strip() if markers else None
    if not content:
        raise DemoContentError(f"demo content {name}: no content after the front matter")
    if plain == "":
        raise DemoContentError(f"demo content {name}: nothing after the `{PLAIN_MARKER}` line")
    return DemoEntry(file=name, meta=meta, content=content, plain_language=plain)


def _unique(name: str, kind: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value.lower() in seen:
            raise DemoContentError(f"demo content {name}: {kind} {value!r} appears twice")
        seen.add(value.lower())


def _unique_slugs(entries: tuple[DemoEntry, ...]) -> None:
    # Reruns find an entry by its slug: two titles with one slug would seed only the first.
    first: dict[str, str] = {}
    for entry in entries:
        other = first.setdefault(entry.slug, entry.file)
        if other != entry.file:
            raise DemoContentError(
                f"demo content {entry.file}: its title gives the slug {entry.slug!r}, "
                f"already used by {other}"
            )


def _check_entry(entry: DemoEntry, categories: set[str], authors: set[str]) -> None:
    if entry.meta.category not in categories:
        raise DemoContentError(
            f"demo content {entry.file}: category {entry.meta.category!r} is not in "
            f"categories.yaml ({', '.join(sorted(categories))})"
        )
    if entry.meta.author not in authors:
        raise DemoContentError(
            f"demo content {entry.file}: author {entry.meta.author!r} is not a key in "
            f"users.yaml ({', '.join(sorted(authors))})"
        )


def load_content(root: Traversable | None = None) -> DemoContent:
    """Read and validate the demo data files (the package's own unless `root` is given)."""
    if root is None:
        root = files(PACKAGE)
    users = _list_of(root, "users.yaml", DemoUser)
    categories = _list_of(root, "categories.yaml", DemoCategory)
    _unique("users.yaml", "key", [u.key for u in users])
    _unique("users.yaml", "username", [u.username for u in users])
    _unique("categories.yaml", "name", [c.name for c in categories])
    if REVIEWER not in {u.key for u in users}:
        raise DemoContentError(f"demo content users.yaml: needs the key {REVIEWER!r} (reviewer)")
    folder = root.joinpath("entries")
    if not folder.is_dir():
        raise DemoContentError("demo content entries/: the folder is missing")
    entry_files = sorted(folder.iterdir(), key=lambda item: item.name)
    for item in entry_files:
        if not item.name.endswith(".md") or not item.is_file():
            raise DemoContentError(f"demo content entries/{item.name}: not a Markdown (.md) file")
    entries = tuple(
        parse_entry(f"entries/{item.name}", _read(item, f"entries/{item.name}"))
        for item in entry_files
    )
    if not entries:
        raise DemoContentError("demo content entries/: no entry files")
    category_names = {c.name for c in categories}
    authors = {u.key for u in users}
    for entry in entries:
        _check_entry(entry, category_names, authors)
    _unique_slugs(entries)
    return DemoContent(users=users, categories=categories, entries=entries)
