"""Workflows: transition rules as data, enforced by python-statemachine, guarded by versions.

A `Workflow` is declared as data (states, initial, final, `(source, target)` rules with optional
roles and guards). From that data it generates a python-statemachine class once, and every move goes
through that machine, so the library checks the graph and runs the guards. Rows that move carry
`StatefulMixin`: SQLAlchemy's `version_id_col` turns a concurrent update into a `StaleDataError`,
which `transition()` reports as RES_CONFLICT like any other refused move.
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

from versehub.core.errors import APIError
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
    """One allowed move from any of `sources` ("*" = every non-final state) to `target`."""

    sources: tuple[str, ...]
    target: str
    roles: frozenset[str] = frozenset()
    guards: tuple[Guard, ...] = ()

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
) -> Rule:
    """A rule; with `roles`, the actor needs at least one of them."""
    sources = (source,) if isinstance(source, str) else tuple(source)
    return Rule(sources, target, frozenset(roles), tuple(guards))


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
    machine_class: type[StateMachine] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rules = tuple(r if isinstance(r, Rule) else rule(r[0], r[1]) for r in self.transitions)
        object.__setattr__(self, "final", frozenset(self.final))
        object.__setattr__(self, "rules", rules)
        self._check()
        object.__setattr__(self, "machine_class", self._compile())

    def _check(self) -> None:
        for state in self.states:
            if not state.isidentifier() or len(state) > STATUS_LENGTH:
                raise ValueError(f"{self.name}: state {state!r} must be a short identifier")
        named = {self.initial, *self.final, *self.events}
        for r in self.rules:
            named |= {r.target, *(s for s in r.sources if s != ANY)}
        if unknown := named - set(self.states):
            raise ValueError(f"{self.name}: unknown states {sorted(unknown)}")
        if bad := [e for e in self.events.values() if not is_known(e)]:
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
            event = self.event_id(r.target)
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
        """The machine's event that moves to `target`."""
        return f"to_{target}"

    def machine(self, status: str | None) -> StateMachine:
        """A machine standing in `status` (the initial state when None)."""
        return self.machine_class(start_value=status or self.initial)


# The three workflows of ARCHITECTURE.md; modules import these, never redefine them.
ENTRY_WORKFLOW = Workflow(
    name="entry",
    states=("draft", "in_review", "published", "archived"),
    initial="draft",
    final=frozenset({"archived"}),
    transitions=[
        ("draft", "in_review"),
        ("in_review", "published"),
        ("published", "archived"),
        rule("published", "draft", roles={EDITOR_ROLE}),
    ],
    events={"published": "entry.published"},
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


def _workflow_of(obj: StatefulMixin, workflow: Workflow | None) -> Workflow:
    own = getattr(type(obj), "workflow", None)
    if workflow is not None and own is not None and workflow is not own:
        raise ValueError(f"{type(obj).__name__} moves through {own.name!r}, not {workflow.name!r}")
    chosen = workflow or own
    if chosen is None:
        raise ValueError(f"no workflow given for {type(obj).__name__}")
    return chosen


def _enabled(
    workflow: Workflow, machine: StateMachine, obj: object, roles: frozenset[str]
) -> list[str]:
    events = {e.id for e in machine.enabled_events(obj=obj, actor_roles=roles)}
    return [s for s in workflow.states if workflow.event_id(s) in events]


def allowed_transitions(
    obj: StatefulMixin, *, workflow: Workflow | None = None, actor_roles: Iterable[str] = ()
) -> list[str]:
    """The states `obj` may move to now, for an actor with `actor_roles` (guards evaluated)."""
    wf = _workflow_of(obj, workflow)
    return _enabled(wf, wf.machine(obj.status), obj, frozenset(actor_roles))


def _refused(
    wf: Workflow,
    machine: StateMachine,
    *,
    obj: object,
    source: str,
    to: str,
    roles: frozenset[str],
) -> APIError:
    allowed = _enabled(wf, machine, obj, roles)
    details = {"from": source, "to": to, "allowed": allowed}
    if to not in wf.states:
        return APIError("RES_CONFLICT", f"{to!r} is not a state of {wf.name}", details=details)
    matching = [r for r in wf.rules if r.target == to and r.matches(source, wf)]
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
) -> Transitioned:
    """Move `obj` to state `to` and flush; refusals and stale versions raise APIError."""
    wf = _workflow_of(obj, workflow)
    roles = frozenset(actor_roles)
    source = obj.status or wf.initial
    if expected_version is not None and obj.version != expected_version:
        raise APIError(
            "RES_CONFLICT",
            "The resource was changed by someone else; reload and retry",
            details={"expected_version": expected_version, "current_version": obj.version},
        )
    machine = wf.machine(source)
    if to not in wf.states:
        raise _refused(wf, machine, obj=obj, source=source, to=to, roles=roles)
    try:
        machine.send(wf.event_id(to), obj=obj, actor_roles=roles)
    except TransitionNotAllowed as exc:
        raise _refused(wf, machine, obj=obj, source=source, to=to, roles=roles) from exc
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
    return Transitioned(source=source, target=to, version=obj.version, event=wf.events.get(to))
