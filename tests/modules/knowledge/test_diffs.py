"""knowledge.service.diffs: line diffs of entry fields for the revision and conflict pages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from versehub.modules.knowledge.models import EntryRevision
from versehub.modules.knowledge.service.diffs import describe, diff_snapshots, diff_text


def test_a_replaced_line_pairs_up_side_by_side_and_lists_removed_then_added() -> None:
    change = diff_text(old="one\ntwo\nthree", new="one\n2\nthree")
    assert (change.added, change.removed, change.changed) == (1, 1, True)
    [hunk] = change.hunks
    assert [(line.kind, line.text) for line in hunk.lines] == [
        ("same", "one"),
        ("removed", "two"),
        ("added", "2"),
        ("same", "three"),
    ]
    paired = hunk.rows[1]
    assert paired.old is not None
    assert paired.new is not None
    assert (paired.old.text, paired.old.old_number, paired.new.text, paired.new.new_number) == (
        "two",
        2,
        "2",
        2,
    )


def test_long_unchanged_runs_are_folded_to_context() -> None:
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 15", "line fifteen")
    [hunk] = diff_text(old=old, new=new, context=2).hunks
    assert hunk.skipped == 12  # lines 1-12 are not shown
    assert [line.old_number for line in hunk.lines if line.kind != "added"] == [13, 14, 15, 16, 17]


def test_an_uneven_block_leaves_empty_cells_on_the_shorter_side() -> None:
    [hunk] = diff_text(old="a", new="b\nc\nd").hunks
    assert [(r.old.text if r.old else None, r.new.text if r.new else None) for r in hunk.rows] == [
        ("a", "b"),
        (None, "c"),
        (None, "d"),
    ]


def test_same_text_none_and_lists() -> None:
    assert not diff_text(old="same", new="same").changed
    assert diff_text(old=None, new="new").added == 1
    tags = diff_text(old=["a", "b"], new=["b", "c"], name="tags")
    assert (tags.label, tags.added, tags.removed) == ("Tags", 1, 1)


def test_snapshots_diff_every_tracked_field_in_order() -> None:
    changes = diff_snapshots(old={"title": "A", "content": "x"}, new={"title": "B", "content": "x"})
    assert [c.name for c in changes] == [
        "title",
        "content",
        "summary",
        "plain_language",
        "category",
        "tags",
    ]
    assert [c.name for c in changes if c.changed] == ["title"]


def _revision(**fields: Any) -> EntryRevision:
    values = {"number": 2, "restored_from": None, "changed_fields": [], **fields}
    return cast(EntryRevision, SimpleNamespace(**values))


def test_describe_says_what_a_revision_did() -> None:
    assert describe(_revision(number=1)) == "Created"
    assert describe(_revision(changed_fields=["title", "content"])) == "Changed title, text"
    assert describe(_revision(restored_from=3)) == "Restored revision 3"
    assert describe(_revision()) == "Saved without changes to the text"
