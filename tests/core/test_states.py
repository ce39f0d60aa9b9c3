"""Workflows: every rule of ARCHITECTURE.md, refusals, versions and concurrent updates."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, MetaData, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from statemachine import StateMachine
from statemachine.exceptions import InvalidDefinition

from versehub.core.db import NAMING_CONVENTION, configure_engine, engine_options
from versehub.core.errors import APIError
from versehub.core.states import (
    ASSIGNMENT_WORKFLOW,
    ENTRY_WORKFLOW,
    MEDIA_JOB_WORKFLOW,
    WORKFLOWS,
    StatefulMixin,
    Workflow,
    allowed_moves,
    allowed_transitions,
    rule,
    transition,
)

EDITOR = ("editor",)

# The rules as ARCHITECTURE.md words them, written out by hand: (source, target) -> roles needed.
SPEC: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    "entry": {
        ("draft", "in_review"): (),
        ("in_review", "published"): (),
        ("in_review", "draft"): (),  # withdraw (the author; send_back is the editors')
        ("in_review", "archived"): EDITOR,
        ("published", "archived"): (),
        ("published", "draft"): EDITOR,
    },
    "media_job": {
        ("uploaded", "queued"): (),
        ("queued", "processing"): (),
        ("processing", "ready"): (),
        ("processing", "failed"): (),
        ("failed", "queued"): (),
    },
    "assignment": {
        ("open", "offered"): (),
        ("offered", "accepted"): (),
        ("accepted", "in_progress"): (),
        ("in_progress", "delivered"): (),
        ("delivered", "approved"): (),
        ("delivered", "rejected"): (),
        **{
            (s, "cancelled"): ()
            for s in ("open", "offered", "accepted", "in_progress", "delivered")
        },
        **{(s, "open"): () for s in ("offered", "accepted", "in_progress")},
    },
}
LEGAL = [
    pytest.param(name, source, target, roles, id=f"{name}:{source}->{target}")
    for name, moves in SPEC.items()
    for (source, target), roles in moves.items()
]
ILLEGAL = [
    ("entry", "draft", "published"),
    ("entry", "draft", "archived"),
    ("entry", "in_review", "in_review"),
    ("entry", "archived", "draft"),
    ("entry", "archived", "published"),
    ("entry", "draft", "draft"),
    ("media_job", "uploaded", "processing"),
    ("media_job", "queued", "ready"),
    ("media_job", "ready", "queued"),
    ("media_job", "failed", "processing"),
    ("media_job", "processing", "queued"),
    ("assignment", "open", "accepted"),
    ("assignment", "open", "open"),
    ("assignment", "delivered", "open"),
    ("assignment", "approved", "cancelled"),
    ("assignment", "cancelled", "open"),
    ("assignment", "rejected", "delivered"),
    ("assignment", "offered", "delivered"),
]


# --- a test-only table on its own metadata (the app's migrations never see it) -----------------
class ScratchBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class EntryRow(StatefulMixin, ScratchBase):
    __tablename__ = "test_states_entry"
    workflow = ENTRY_WORKFLOW
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50), default="")


class MediaRow(StatefulMixin, ScratchBase):
    __tablename__ = "test_states_media"
    workflow = MEDIA_JOB_WORKFLOW
    id: Mapped[int] = mapped_column(primary_key=True)


class AssignmentRow(StatefulMixin, ScratchBase):
    __tablename__ = "test_states_assignment"
    workflow = ASSIGNMENT_WORKFLOW
    id: Mapped[int] = mapped_column(primary_key=True)


# A workflow with a custom guard that looks at the row.
REVIEW_WORKFLOW = Workflow(
    name="review",
    states=("draft", "done"),
    initial="draft",
    final=frozenset({"done"}),
    transitions=[rule("draft", "done", guards=[lambda obj: obj.title == "ok"])],
)


class ReviewRow(StatefulMixin, ScratchBase):
    __tablename__ = "test_states_review"
    workflow = REVIEW_WORKFLOW
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50), default="")


ROWS: dict[str, type[StatefulMixin]] = {
    "entry": EntryRow,
    "media_job": MediaRow,
    "assignment": AssignmentRow,
}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """This test's database (SQLite or PostgreSQL) with the test-only tables."""
    eng = create_engine(database_url, **engine_options(database_url, pool_size=2, max_overflow=2))
    configure_engine(eng)
    ScratchBase.metadata.create_all(eng)
    try:
        yield eng
    finally:
        ScratchBase.metadata.drop_all(eng)
        eng.dispose()


def add_row(engine: Engine, name: str, status: str | None = None) -> int:
    """Insert a row of workflow `name` (in `status`, else the initial state); return its id."""
    with Session(engine) as session:
        row: Any = ROWS[name]()
        if status is not None:
            row.status = status
        session.add(row)
        session.commit()
        return int(row.id)


def transient(name: str, status: str) -> Any:
    row: Any = ROWS[name]()
    row.status = status
    return row


# --- the definitions ------------------------------------------------------------------------------
def test_workflows_compile_to_state_machines() -> None:
    assert set(WORKFLOWS) == set(SPEC)
    for workflow in WORKFLOWS.values():
        assert issubclass(workflow.machine_class, StateMachine)


@pytest.mark.parametrize("name", list(SPEC))
def test_every_pair_is_allowed_exactly_as_specified(name: str) -> None:
    workflow = WORKFLOWS[name]
    for source, target in product(workflow.states, repeat=2):
        expected = (source, target) in SPEC[name]
        as_editor = target in allowed_transitions(
            transient(name, source), actor_roles=["editor", "viewer"]
        )
        assert as_editor is expected, f"{source} -> {target}"


def test_new_rows_start_in_the_initial_state(engine: Engine) -> None:
    for name, model in ROWS.items():
        row_id = add_row(engine, name)
        with Session(engine) as session:
            row = session.get(model, row_id)
            assert row is not None
            assert (row.status, row.version) == (WORKFLOWS[name].initial, 1)


def test_rules_naming_unknown_states_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown states"):
        Workflow(name="bad", states=("a", "b"), initial="a", transitions=[("a", "c")])


def test_events_must_be_standard_names() -> None:
    with pytest.raises(ValueError, match="not standard events"):
        Workflow(
            name="bad",
            states=("a", "b"),
            initial="a",
            final=frozenset({"b"}),
            transitions=[("a", "b")],
            events={"b": "entry.exploded"},
        )


def test_the_library_validates_the_graph() -> None:
    # "c" can never be reached: python-statemachine refuses the definition.
    with pytest.raises(InvalidDefinition, match="unreachable"):
        Workflow(
            name="bad",
            states=("a", "b", "c"),
            initial="a",
            final=frozenset({"b", "c"}),
            transitions=[("a", "b")],
        )


# --- legal moves, persisted -----------------------------------------------------------------------
@pytest.mark.parametrize(("name", "source", "target", "roles"), LEGAL)
def test_legal_transition_is_saved_with_the_next_version(
    engine: Engine, name: str, source: str, target: str, roles: tuple[str, ...]
) -> None:
    row_id = add_row(engine, name, source)
    with Session(engine) as session:
        row: Any = session.get(ROWS[name], row_id)
        done = transition(row, target, workflow=WORKFLOWS[name], actor_roles=roles)
        session.commit()
    assert (done.source, done.target, done.version) == (source, target, 2)
    assert done.event == WORKFLOWS[name].event_of(done.move)
    assert WORKFLOWS[name].moves[done.move].target == target
    with Session(engine) as session:
        saved: Any = session.get(ROWS[name], row_id)
        assert (saved.status, saved.version) == (target, 2)


def test_publishing_names_the_standard_event() -> None:
    row = transient("entry", "in_review")
    assert transition(row, "published").event == "entry.published"


# --- named moves: several ways to one state, their own events, required reasons -----------------
def test_the_ways_back_out_of_review_are_named_moves() -> None:
    assert ENTRY_WORKFLOW.moves_between("in_review", "draft") == ["withdraw", "send_back"]
    assert ENTRY_WORKFLOW.moves_between("in_review", "archived") == ["archive"]
    row = transient("entry", "in_review")
    assert allowed_moves(row) == ["publish", "withdraw"]
    assert allowed_moves(row, actor_roles=EDITOR) == ["publish", "withdraw", "send_back", "archive"]
    assert allowed_transitions(row, actor_roles=EDITOR) == ["draft", "published", "archived"]


def test_withdraw_is_the_first_way_back() -> None:
    done = transition(transient("entry", "in_review"), "draft")
    assert (done.move, done.event, done.reason) == ("withdraw", "entry.withdrawn", None)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_sending_back_needs_a_reason(reason: str | None) -> None:
    row = transient("entry", "in_review")
    with pytest.raises(APIError) as info:
        transition(row, "draft", moves=["send_back"], actor_roles=EDITOR, reason=reason)
    assert info.value.code == "VAL_INVALID"
    assert [e["field"] for e in info.value.errors] == ["reason"]
    assert row.status == "in_review"


def test_sending_back_keeps_the_reason_and_names_its_event() -> None:
    row = transient("entry", "in_review")
    done = transition(
        row, "draft", moves=["send_back"], actor_roles=EDITOR, reason="  Add captions.  "
    )
    assert (done.move, done.event, done.reason) == ("send_back", "entry.sent_back", "Add captions.")
    assert row.status == "draft"


@pytest.mark.parametrize("roles", [(), ("viewer",)])
def test_sending_back_and_archiving_from_review_need_an_editor(roles: tuple[str, ...]) -> None:
    for to, move in [("draft", "send_back"), ("archived", "archive")]:
        row = transient("entry", "in_review")
        with pytest.raises(APIError) as info:
            transition(row, to, moves=[move], actor_roles=roles, reason="why")
        assert info.value.code == "AUTH_INSUFFICIENT_PERMISSIONS"
        assert info.value.details["required_roles"] == ["editor"]


def test_moves_outside_the_given_ones_are_not_made() -> None:
    row = transient("entry", "in_review")
    with pytest.raises(APIError) as info:
        transition(row, "draft", moves=[], actor_roles=EDITOR)
    assert info.value.code == "RES_CONFLICT"
    assert row.status == "in_review"


def test_archiving_from_review_names_the_archived_event() -> None:
    done = transition(transient("entry", "in_review"), "archived", actor_roles=EDITOR)
    assert (done.move, done.event) == ("archive", "entry.archived")


@pytest.mark.parametrize(
    "rules",
    [
        [rule("a", "b", name="go"), rule("b", "a", name="go")],  # one move, two targets
        [rule("a", "b", name="b")],  # a move named like a state
        [rule("a", "b", name="go", event="entry.nonsense")],
    ],
)
def test_malformed_moves_are_refused(rules: list[Any]) -> None:
    with pytest.raises(ValueError):
        Workflow(name="bad", states=("a", "b"), initial="a", transitions=rules)


# --- refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "source", "target"), ILLEGAL)
def test_illegal_transition_is_a_conflict(name: str, source: str, target: str) -> None:
    row = transient(name, source)
    with pytest.raises(APIError) as info:
        transition(row, target, actor_roles=EDITOR)
    error = info.value
    assert (error.code, error.status) == ("RES_CONFLICT", 409)
    assert error.details == {
        "from": source,
        "to": target,
        "allowed": allowed_transitions(row, actor_roles=EDITOR),
    }
    assert row.status == source


def test_refused_transition_writes_nothing(engine: Engine) -> None:
    row_id = add_row(engine, "entry")
    with Session(engine) as session:
        row: Any = session.get(EntryRow, row_id)
        with pytest.raises(APIError, match="RES_CONFLICT"):
            transition(row, "archived")
        session.commit()
    with Session(engine) as session:
        saved: Any = session.get(EntryRow, row_id)
        assert (saved.status, saved.version) == ("draft", 1)


def test_unknown_target_state_is_a_conflict() -> None:
    with pytest.raises(APIError) as info:
        transition(transient("entry", "draft"), "deleted")
    assert info.value.code == "RES_CONFLICT"
    assert info.value.details["allowed"] == ["in_review"]


@pytest.mark.parametrize("roles", [(), ("viewer",), ("author", "agent")])
def test_unpublishing_needs_the_editor_role(roles: tuple[str, ...]) -> None:
    row = transient("entry", "published")
    assert allowed_transitions(row, actor_roles=roles) == ["archived"]
    with pytest.raises(APIError) as info:
        transition(row, "draft", actor_roles=roles)
    assert (info.value.code, info.value.status) == ("AUTH_INSUFFICIENT_PERMISSIONS", 403)
    assert info.value.details["required_roles"] == ["editor"]
    assert info.value.details["allowed"] == ["archived"]
    assert row.status == "published"


@pytest.mark.parametrize("roles", [("author", "editor"), ("admin",)])
def test_editors_and_admins_may_unpublish(roles: tuple[str, ...]) -> None:
    row = transient("entry", "published")
    assert allowed_transitions(row, actor_roles=roles) == ["draft", "archived"]
    assert transition(row, "draft", actor_roles=roles).target == "draft"
    assert row.status == "draft"


@pytest.mark.parametrize("source", ASSIGNMENT_WORKFLOW.states)
def test_any_live_assignment_can_be_cancelled(source: str) -> None:
    row = transient("assignment", source)
    if source in ASSIGNMENT_WORKFLOW.final:
        with pytest.raises(APIError, match="RES_CONFLICT"):
            transition(row, "cancelled")
    else:
        transition(row, "cancelled")
        assert row.status == "cancelled"


def test_custom_guards_see_the_row() -> None:
    row = ReviewRow(title="no")
    assert allowed_transitions(row) == []
    with pytest.raises(APIError) as info:
        transition(row, "done")
    assert info.value.code == "RES_CONFLICT"
    assert "condition" in info.value.message
    row.title = "ok"
    assert allowed_transitions(row) == ["done"]
    assert transition(row, "done", workflow=REVIEW_WORKFLOW).target == "done"


def test_a_row_keeps_to_its_own_workflow() -> None:
    with pytest.raises(ValueError, match="moves through 'entry'"):
        transition(transient("entry", "draft"), "queued", workflow=MEDIA_JOB_WORKFLOW)


# --- versions -------------------------------------------------------------------------------------
def test_stale_expected_version_is_a_conflict(engine: Engine) -> None:
    row_id = add_row(engine, "media_job")
    with Session(engine) as session:
        row: Any = session.get(MediaRow, row_id)
        transition(row, "queued", expected_version=1)
        session.commit()
        with pytest.raises(APIError) as info:
            transition(row, "processing", expected_version=1)
    assert info.value.code == "RES_CONFLICT"
    assert info.value.details == {"expected_version": 1, "current_version": 2}


def test_concurrent_update_loses_with_a_conflict(engine: Engine) -> None:
    row_id = add_row(engine, "assignment")
    first, second = Session(engine), Session(engine)
    try:
        mine: Any = first.get(AssignmentRow, row_id)
        theirs: Any = second.get(AssignmentRow, row_id)
        assert mine.version == theirs.version == 1
        transition(mine, "offered")
        first.commit()
        # The second session still believes "open", version 1: its UPDATE matches no row.
        with pytest.raises(APIError) as info:
            transition(theirs, "cancelled")
        assert info.value.code == "RES_CONFLICT"
        assert info.value.details == {"from": "open", "to": "cancelled", "version": 1}
        second.rollback()
        # After reloading, the move is judged against the real state.
        assert (theirs.status, theirs.version) == ("offered", 2)
        assert transition(theirs, "cancelled").version == 3
        second.commit()
    finally:
        first.close()
        second.close()
    with Session(engine) as session:
        saved = session.scalars(select(AssignmentRow).where(AssignmentRow.id == row_id)).one()
        assert (saved.status, saved.version) == ("cancelled", 3)


# --- property: any sequence of attempts keeps status valid and counts versions --------------------
ROLE_SETS = st.sampled_from([(), ("viewer",), ("editor",)])


@pytest.mark.parametrize("name", list(SPEC))
@settings(
    max_examples=25,
    deadline=None,
    # The engine is reused across examples on purpose: each example inserts its own row.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_sequences_keep_status_valid(engine: Engine, name: str, data: st.DataObject) -> None:
    workflow = WORKFLOWS[name]
    attempts = data.draw(
        st.lists(st.tuples(st.sampled_from(workflow.states), ROLE_SETS), max_size=12)
    )
    row_id = add_row(engine, name)
    with Session(engine) as session:
        row: Any = session.get(ROWS[name], row_id)
        successes = 0
        for target, roles in attempts:
            before = (row.status, row.version)
            needed = SPEC[name].get((row.status, target))
            legal = needed is not None and (not needed or bool(set(needed) & set(roles)))
            if legal:
                transition(row, target, actor_roles=roles)
                successes += 1
                assert (row.status, row.version) == (target, before[1] + 1)
            else:
                with pytest.raises(APIError):
                    transition(row, target, actor_roles=roles)
                assert (row.status, row.version) == before
            assert row.status in workflow.states
        session.commit()
    with Session(engine) as session:
        saved: Any = session.get(ROWS[name], row_id)
        assert saved.version == 1 + successes
        assert saved.status in workflow.states
