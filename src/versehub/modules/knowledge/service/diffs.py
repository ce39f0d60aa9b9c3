"""Differences between two versions of an entry: line diffs of the Markdown source (difflib).

Pages show them inline (one column: removed lines, then added ones) or side by side (the old
version on the left, the new on the right); both views are built from the same hunks here, so
they always agree. Long runs of unchanged lines are folded to a few lines of context.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from versehub.modules.knowledge.models import EntryRevision
from versehub.modules.knowledge.service.revisions import TRACKED

Kind = Literal["same", "added", "removed"]
CONTEXT = 3  # unchanged lines kept around each change
LABELS: Mapping[str, str] = {
    "title": "Title",
    "content": "Text",
    "summary": "Summary",
    "plain_language": "Plain-language version",
    "category": "Category",
    "tags": "Tags",
}


@dataclass(frozen=True)
class Line:
    """One line of a diff: unchanged, added or removed, with its numbers on each side."""

    kind: Kind
    text: str
    old_number: int | None
    new_number: int | None


@dataclass(frozen=True)
class Row:
    """One row of a side-by-side diff: the old line (left) and the new line (right)."""

    old: Line | None
    new: Line | None


@dataclass(frozen=True)
class Hunk:
    """A run of changes with context; `skipped` unchanged lines come before it."""

    lines: list[Line]
    rows: list[Row]
    skipped: int


@dataclass(frozen=True)
class FieldDiff:
    """The difference in one field of an entry."""

    name: str
    label: str
    hunks: list[Hunk] = field(default_factory=list)
    added: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything differs."""
        return bool(self.added or self.removed)


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value).splitlines()


def _hunk(old: Sequence[str], new: Sequence[str], group: list[Any], skipped: int) -> Hunk:
    lines: list[Line] = []
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            for offset in range(i2 - i1):
                same = Line("same", old[i1 + offset], i1 + offset + 1, j1 + offset + 1)
                lines.append(same)
                rows.append(Row(same, same))
            continue
        removed = [Line("removed", old[i], i + 1, None) for i in range(i1, i2)]
        added = [Line("added", new[j], None, j + 1) for j in range(j1, j2)]
        lines.extend(removed + added)
        # A replaced block pairs its lines up; the longer side runs on alone.
        for index in range(max(len(removed), len(added))):
            rows.append(
                Row(
                    removed[index] if index < len(removed) else None,
                    added[index] if index < len(added) else None,
                )
            )
    return Hunk(lines=lines, rows=rows, skipped=skipped)


def diff_text(*, old: Any, new: Any, name: str = "content", context: int = CONTEXT) -> FieldDiff:
    """The line diff of two values (text, a list such as tags, or None)."""
    before, after = _lines(old), _lines(new)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    hunks: list[Hunk] = []
    shown_until = 0  # index in `before` after the last line shown
    added = removed = 0
    for group in matcher.get_grouped_opcodes(context):
        first = group[0][1]
        hunks.append(_hunk(before, after, group, skipped=first - shown_until))
        shown_until = group[-1][2]
        for tag, i1, i2, j1, j2 in group:
            if tag != "equal":
                removed += i2 - i1
                added += j2 - j1
    return FieldDiff(
        name=name, label=LABELS.get(name, name), hunks=hunks, added=added, removed=removed
    )


def diff_snapshots(*, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldDiff]:
    """The diff of every tracked field of two snapshots (revisions.snapshot shape), in order."""
    return [diff_text(old=old.get(name), new=new.get(name), name=name) for name in TRACKED]


def describe(revision: EntryRevision) -> str:
    """A one-line summary of what a revision did, for lists."""
    if revision.restored_from is not None:
        return f"Restored revision {revision.restored_from}"
    if revision.number == 1:
        return "Created"
    fields = [LABELS.get(name, name).lower() for name in revision.changed_fields]
    if not fields:
        return "Saved without changes to the text"
    return "Changed " + ", ".join(fields)
