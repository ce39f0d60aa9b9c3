"""Workflows: transition rules as data, enforced by python-statemachine, guarded by versions.

A `Workflow` is declared as data (states, initial, final, `(source, target)` rules with optional
roles and guards). From that data it generates a python-statemachine class once, and every move goes
through that machine, so the library checks the graph and runs the guards. Rows that move carry
`StatefulMixin`: SQLAlchemy's `version_id_col` turns a concurrent update into a `StaleDataError`,
which `transition()` reports as RES_CONFLICT like any other refused move.

Each rule is a named move (`submit`, `withdraw`, ...; unnamed rules are `to_<target>`). Several
moves may lead the same way (an author withdraws, an editor sends back): asked for a target,
`transition()` makes the first move, in the order of the data, that the actor may make (a module
narrows the choice with `moves=`, e.g. by ownership). A move may name its own event and require
a reason, which `transition()` checks and hands back for the caller to store and publish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from sqlalchemy import String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, object_session
from sqlalchemy.orm.exc import StaleDataError
from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed
from statemachine.factory import StateMachineMetaclass

from versehub.core.errors import APIError, field_error
from versehub.core.events import is_known

ANY = "*"
STATUS_LENGTH = 32
EDITOR_ROLE = "editor"
ADMIN_ROLE = "admin"

# A guard names the keyword arguments it wants: `obj` (the row), `actor_roles` (a frozenset),
# or python-statemachine's own (`source`, `target`, `event`, ...).
Guard = Callable[..., bool]


@dataclass(frozen=True)
class Rule:
    """One allowed move from any of `sources` ("*" = every non-final state) to `target`.

    `name` is the move (default `to_<target>`); `event` the standard event to publish after it
    (default: the workflow's event for `target`); `requires_reason` refuses the move without one.
    """

    sources: tuple[str, ...]
    target: str
    roles: frozenset[str] = frozenset()
    guards: tuple[Guard, ...] = ()
    name: str = ""
    event: str | None = None
    requires_reason: bool = False

    def matches(self, source: str, workflow: Workflow) -> bool:
        """Whether this rule leads out of `source` (ignoring roles and guards)."""
        if ANY in self.sources:
            return source not in workflow.final
        return source in self.sources


def rule(
    source: str | Iterable[str],
    target: str,
    *,
    roles: Iterable[str] = (),
    guards: Iterable[Guard] = (),
    name: str | None = None,
    event: str | None = None,
    requires_reason: bool = False,
) -> Rule:
    """A rule; with `roles`, the actor needs at least one of them."""
    sources = (source,) if isinstance(source, str) else tuple(source)
    return Rule(
        sources,
        target,
        frozenset(roles),
        tuple(guards),
        name=name or Workflow.event_id(target),
        event=event,
        requires_reason=requires_reason,
    )


def _holds_any(actor_roles: frozenset[str], required: frozenset[str]) -> bool:
    # Admins hold every role, as in core.auth.Principal.has_role.
    return ADMIN_ROLE in actor_roles or not required.isdisjoint(actor_roles)


def _role_guard(required: frozenset[str]) -> Guard:
    def has_role(actor_roles: frozenset[str]) -> bool:
        return _holds_any(actor_roles, required)

    # The name shows in the library's diagrams and error messages.
    has_role.__name__ = f"has_role_{'_or_'.join(sorted(required))}"
    return has_role


@dataclass(frozen=True, eq=False)  # one object per workflow: compared by identity
class Workflow:
    """States and rules of one workflow, compiled into a python-statemachine class."""

    name: str
    states: tuple[str, ...]
    initial: str
    transitions: Sequence[Rule | tuple[str | Sequence[str], str]]
    final: frozenset[str] = frozenset()
    # target state -> standard event for callers to publish after their commit.
    events: Mapping[str, str] = field(default_factory=dict)
    rules: tuple[Rule, ...] = field(init=False)
    # move name -> its first rule (every rule of one move shares target, event and reason rule)
    moves: Mapping[str, Rule] = field(init=False, repr=False)
    machine_class: type[StateMachine] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rules = tuple(r if isinstance(r, Rule) else rule(r[0], r[1]) for r in self.transitions)
        rules = tuple(
            r if r.name else Rule(**{**vars(r), "name": self.event_id(r.target)}) for r in rules
        )
        moves: dict[str, Rule] = {}
        for r in rules:
            moves.setdefault(r.name, r)
        object.__setattr__(self, "final", frozenset(self.final))
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "moves", moves)
        self._check()
        object.__setattr__(self, "machine_class", self._compile())

    def _check(self) -> None:
        for state in self.states:
            if not state.isidentifier() or len(state) > STATUS_LENGTH:
                raise ValueError(f"{self.name}: state {state!r} must be a short identifier")
        named = {self.initial, *self.final, *self.events}
        for r in self.rules:
            named |= {r.target, *(s for s in r.sources if s != ANY)}
            if not r.name.isidentifier() or r.name in self.states:
                raise ValueError(f"{self.name}: move {r.name!r} must be an identifier, not a state")
            first = self.moves[r.name]
            if (r.target, r.event, r.requires_reason) != (
                first.target,
                first.event,
                first.requires_reason,
            ):
                raise ValueError(f"{self.name}: the rules of move {r.name!r} disagree")
        if unknown := named - set(self.states):
            raise ValueError(f"{self.name}: unknown states {sorted(unknown)}")
        declared = [*self.events.values(), *(r.event for r in self.rules if r.event)]
        if bad := [e for e in declared if not is_known(e)]:
            raise ValueError(f"{self.name}: not standard events {bad}")

    def _compile(self) -> type[StateMachine]:
        states = {
            name: State(value=name, initial=name == self.initial, final=name in self.final)
            for name in self.states
        }
        attrs: dict[str, Any] = dict(states)
        for r in self.rules:
            conds = [_role_guard(r.roles)] if r.roles else []
            conds += r.guards
            event = r.name
            target = states[r.target]
            if ANY in r.sources:
                # The library's own "any": every non-final state.
                built = target.from_.any(event=event, cond=conds)  # type: ignore[no-untyped-call]
            else:
                built = target.from_(*(states[s] for s in r.sources), event=event, cond=conds)
            attrs[event] = attrs[event] | built if event in attrs else built
        # The metaclass validates the graph: unreachable states, dead ends, no way to a final state.
        machine = StateMachineMetaclass(
            f"{self.name.title().replace('_', '')}Machine", (StateMachine,), attrs
        )
        return cast(type[StateMachine], machine)

    @staticmethod
    def event_id(target: str) -> str:
        """The name of an unnamed move to `target` (the machine's event for it)."""
        return f"to_{target}"

    def machine(self, status: str | None) -> StateMachine:
        """A machine standing in `status` (the initial state when None)."""
        return self.machine_class(start_value=status or self.initial)

    def moves_between(self, source: str, target: str) -> list[str]:
        """The names of the moves leading from `source` to `target`, in the order of the data."""
        names = [r.name for r in self.rules if r.target == target and r.matches(source, self)]
        return list(dict.fromkeys(names))

    def event_of(self, move: str) -> str | None:
        """The standard event to publish after `move`."""
        found = self.moves[move]
        return found.event or self.events.get(found.target)


# The three workflows of ARCHITECTURE.md; modules import these, never redefine them.
ENTRY_WORKFLOW = Workflow(
    name="entry",
    states=("draft", "in_review", "published", "archived"),
    initial="draft",
    final=frozenset({"archived"}),
    transitions=[
        rule("draft", "in_review", name="submit"),
        rule("in_review", "published", name="publish"),
        # The ways back out of review: the author takes the entry back (who the author is, is
        # the knowledge module's rule), or an editor returns it to its author, saying why.
        rule("in_review", "draft", name="withdraw", event="entry.withdrawn"),
        rule(
            "in_review",
            "draft",
            name="send_back",
            roles={EDITOR_ROLE},
            event="entry.sent_back",
            requires_reason=True,
        ),
        rule("published", "archived", name="archive"),
        rule("in_review", "archived", name="archive", roles={EDITOR_ROLE}),
        rule("published", "draft", name="unpublish", roles={EDITOR_ROLE}),
    ],
    events={"published": "entry.published", "archived": "entry.archived"},
)
MEDIA_JOB_WORKFLOW = Workflow(
    name="media_job",
    states=("uploaded", "queued", "processing", "ready", "failed"),
    initial="uploaded",
    final=frozenset({"ready"}),
    transitions=[
        (("uploaded", "failed"), "queued"),
        ("queued", "processing"),
        ("processing", "ready"),
        ("processing", "failed"),
    ],
    events={"processing": "media.processing", "ready": "media.ready", "failed": "media.failed"},
)
ASSIGNMENT_WORKFLOW = Workflow(
    name="assignment",
    states=(
        "open",
        "offered",
        "accepted",
        "in_progress",
        "delivered",
        "approved",
        "rejected",
        "cancelled",
    ),
    initial="open",
    final=frozenset({"approved", "rejected", "cancelled"}),
    transitions=[
        ("open", "offered"),
        ("offered", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "delivered"),
        ("delivered", "approved"),
        ("delivered", "rejected"),
        (ANY, "cancelled"),
        # The agent went offline or the offer expired: back to the pool.
        (("offered", "accepted", "in_progress"), "open"),
    ],
    events={
        "offered": "assignment.offered",
        "accepted": "assignment.accepted",
        "delivered": "assignment.delivered",
        "open": "assignment.reassigned",
    },
)
WORKFLOWS: dict[str, Workflow] = {
    w.name: w for w in (ENTRY_WORKFLOW, MEDIA_JOB_WORKFLOW, ASSIGNMENT_WORKFLOW)
}


class StatefulMixin:
    """`status` moved only by `transition()`; `version` bumped by SQLAlchemy on every UPDATE.

    Subclasses set `workflow`; the mixin owns `__mapper_args__` (it sets `version_id_col`).
    """

    workflow: ClassVar[Workflow]

    version: Mapped[int] = mapped_column(nullable=False)

    @declared_attr
    def status(cls) -> Mapped[str]:
        """The current state; new rows start in the workflow's initial state."""
        return mapped_column(String(STATUS_LENGTH), default=cls.workflow.initial, index=True)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # UPDATE ... WHERE version = <loaded>: a row changed meanwhile matches nothing.
        return {"version_id_col": cls.version}


@dataclass(frozen=True)
class Transitioned:
    """What `transition()` did; publish `event` (if any) once the transaction commits."""

    source: str
    target: str
    version: int | None
    event: str | None
    move: str = ""
    reason: str | None = None


def _workflow_of(obj: StatefulMixin, workflow: Workflow | None) -> Workflow:
    own = getattr(type(obj), "workflow", None)
    if workflow is not None and own is not None and workflow is not own:
        raise ValueError(f"{type(obj).__name__} moves through {own.name!r}, not {workflow.name!r}")
    chosen = workflow or own
    if chosen is None:
        raise ValueError(f"no workflow given for {type(obj).__name__}")
    return chosen


def _enabled_moves(machine: StateMachine, obj: object, roles: frozenset[str]) -> set[str]:
    return {e.id for e in machine.enabled_events(obj=obj, actor_roles=roles)}


def _enabled(
    workflow: Workflow, machine: StateMachine, obj: object, roles: frozenset[str]
) -> list[str]:
    targets = {workflow.moves[m].target for m in _enabled_moves(machine, obj, roles)}
    return [s for s in workflow.states if s in targets]


def allowed_transitions(
    obj: StatefulMixin, *, workflow: Workflow | None = None, actor_roles: Iterable[str] = ()
) -> list[str]:
    """The states `obj` may move to now, for an actor with `actor_roles` (guards evaluated)."""
    wf = _workflow_of(obj, workflow)
    return _enabled(wf, wf.machine(obj.status), obj, frozenset(actor_roles))


def allowed_moves(
    obj: StatefulMixin, *, workflow: Workflow | None = None, actor_roles: Iterable[str] = ()
) -> list[str]:
    """The names of the moves `obj` may make now, in the order of the data (guards evaluated)."""
    wf = _workflow_of(obj, workflow)
    enabled = _enabled_moves(wf.machine(obj.status), obj, frozenset(actor_roles))
    return [name for name in wf.moves if name in enabled]


def _refused(
    wf: Workflow,
    machine: StateMachine,
    *,
    obj: object,
    source: str,
    to: str,
    roles: frozenset[str],
    moves: frozenset[str] | None,
) -> APIError:
    allowed = _enabled(wf, machine, obj, roles)
    details = {"from": source, "to": to, "allowed": allowed}
    if to not in wf.states:
        return APIError("RES_CONFLICT", f"{to!r} is not a state of {wf.name}", details=details)
    matching = [
        r
        for r in wf.rules
        if r.target == to and r.matches(source, wf) and (moves is None or r.name in moves)
    ]
    if matching and all(r.roles and not _holds_any(roles, r.roles) for r in matching):
        required = sorted(set().union(*(r.roles for r in matching)))
        return APIError(
            "AUTH_INSUFFICIENT_PERMISSIONS",
            f"Moving from {source} to {to} requires the role {' or '.join(required)}",
            details={**details, "required_roles": required},
        )
    reason = "a condition refused" if matching else "not an allowed transition"
    return APIError(
        "RES_CONFLICT", f"Cannot move from {source} to {to} ({reason})", details=details
    )


def transition(
    obj: StatefulMixin,
    to: str,
    *,
    workflow: Workflow | None = None,
    expected_version: int | None = None,
    actor_roles: Iterable[str] = (),
    moves: Iterable[str] | None = None,
    reason: str | None = None,
) -> Transitioned:
    """Move `obj` to state `to` and flush; refusals and stale versions raise APIError.

    The move made is the first of the workflow's moves to `to` (only those named in `moves`,
    when given) that the actor may make; a move that requires a reason refuses a blank one.
    """
    wf = _workflow_of(obj, workflow)
    roles = frozenset(actor_roles)
    only = None if moves is None else frozenset(moves)
    source = obj.status or wf.initial
    if expected_version is not None and obj.version != expected_version:
        raise APIError(
            "RES_CONFLICT",
            "The resource was changed by someone else; reload and retry",
            details={"expected_version": expected_version, "current_version": obj.version},
        )
    machine = wf.machine(source)
    if to not in wf.states:
        raise _refused(wf, machine, obj=obj, source=source, to=to, roles=roles, moves=only)
    made: str | None = None
    for name in wf.moves_between(source, to):
        if only is not None and name not in only:
            continue
        try:
            machine.send(name, obj=obj, actor_roles=roles)
        except TransitionNotAllowed:
            continue
        made = name
        break
    if made is None:
        raise _refused(wf, machine, obj=obj, source=source, to=to, roles=roles, moves=only)
    note = (reason or "").strip() or None
    if wf.moves[made].requires_reason and note is None:
        raise APIError(
            "VAL_INVALID",
            f"Moving from {source} to {to} ({made}) needs a reason",
            errors=[field_error("reason", "Say why (the reason is shown to the author)")],
        )
    loaded_version = obj.version
    obj.status = str(machine.current_state_value)
    session = object_session(obj)
    if session is not None:
        try:
            session.flush()
        except StaleDataError as exc:
            # Caught here, not only by the app's handler, so jobs and CLI get the same answer.
            raise APIError(
                "RES_CONFLICT",
                "The resource was changed by someone else; reload and retry",
                details={"from": source, "to": to, "version": loaded_version},
            ) from exc
    return Transitioned(
        source=source,
        target=to,
        version=obj.version,
        event=wf.event_of(made),
        move=made,
        reason=note,
    )
