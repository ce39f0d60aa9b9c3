"""GraphQL limits measured in one walk: depth, aliases and cost, each error with its own code.

Strawberry's depth and alias limiters report errors without `extensions.code`, skip introspection
fields when measuring depth, and re-walk a fragment for every spread, so a chain of fragments that
each spread the next twice costs 2^n steps (22 fragments took 50 s of CPU). Here every fragment is
measured once per document (memoised), introspection counts, and each limit has a code:
`GRAPHQL_DEPTH_LIMIT`, `GRAPHQL_ALIAS_LIMIT`, `GRAPHQL_COST_LIMIT`.

Cost: each field costs 1; a field taking `first`/`last`/`limit` multiplies its sub-selection by
that number (a variable or a missing value counts as the largest page, 100), so `entries(first:
100) { author { entries(first: 100) { ... } } }` is priced at what it would really fetch.

Depth is counted as Strawberry does (a field with a sub-selection adds a level). Introspection
(`__schema`, `__type`) is held to the deeper of the depth limit and the depth of the standard
introspection query, so client tooling keeps working outside production; graphql-core's
MaxIntrospectionDepthRule additionally caps the nesting of introspection lists (`fields { type {
fields ... } }`), where introspection fans out; it runs anyway (a specified rule) and gets a code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_introspection_query,
    parse,
)
from graphql.validation import MaxIntrospectionDepthRule
from strawberry.extensions import SchemaExtension

PAGE_ARGUMENTS = frozenset({"first", "last", "limit", "perPage"})
LARGEST_PAGE = 100
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class Measure:
    """What a selection set asks for: cost, aliases, data depth and introspection depth."""

    cost: int = 0
    aliases: int = 0
    depth: int = 0
    introspection_depth: int = 0


def _multiplier(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), LARGEST_PAGE))
            return LARGEST_PAGE  # a variable: assume the worst the server allows
    return 1


class Measurer:
    """Measures selection sets of one document; each fragment is measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Measure] = {}
        self.active: set[str] = set()  # fragments being measured: a cycle counts as empty

    def fragment(self, name: str) -> Measure:
        """The measure of fragment `name` (empty when unknown or in a cycle)."""
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return Measure()
        self.active.add(name)
        try:
            measure = self.selection(definition.selection_set)
        finally:
            self.active.discard(name)
        self.memo[name] = measure
        return measure

    def selection(self, selection_set: SelectionSetNode | None) -> Measure:
        """The measure of a selection set, fragments expanded."""
        if selection_set is None:
            return Measure()
        cost = aliases = depth = introspection = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                inner = self.selection(node.selection_set)
                aliases += inner.aliases + (1 if node.alias else 0)
                name = node.name.value
                if not name.startswith("__"):
                    cost += 1 + _multiplier(node) * inner.cost
                if node.selection_set is None:
                    continue
                if name in INTROSPECTION_ROOTS:
                    introspection = max(
                        introspection, 1 + max(inner.depth, inner.introspection_depth)
                    )
                else:
                    depth = max(depth, 1 + inner.depth)
                    if inner.introspection_depth:
                        introspection = max(introspection, 1 + inner.introspection_depth)
                continue
            if isinstance(node, InlineFragmentNode):
                inner = self.selection(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                inner = self.fragment(node.name.value)
            else:  # pragma: no cover - graphql-core has no other selection kinds
                continue
            cost += inner.cost
            aliases += inner.aliases
            depth = max(depth, inner.depth)
            introspection = max(introspection, inner.introspection_depth)
        return Measure(cost, aliases, depth, introspection)


def _fragments(context: ValidationContext) -> dict[str, FragmentDefinitionNode]:
    return {
        d.name.value: d
        for d in context.document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }


@lru_cache(maxsize=1)
def introspection_query_depth() -> int:
    """The depth of the full standard introspection query (what GraphQL tooling sends)."""
    document = parse(
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        )
    )
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    measurer = Measurer(fragments)
    return max(
        measurer.selection(d.selection_set).introspection_depth
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def limits_rule(*, max_depth: int, max_aliases: int, max_cost: int) -> type[ValidationRule]:
    """A validation rule refusing operations over the depth, alias or cost limit."""
    max_introspection_depth = max(max_depth, introspection_query_depth())

    class Limits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.measurer = Measurer(_fragments(context))

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            measure = self.measurer.selection(node.selection_set)
            name = node.name.value if node.name else "anonymous"
            if measure.depth > max_depth:
                self._refuse(
                    f"'{name}' exceeds maximum operation depth of {max_depth}",
                    node,
                    "GRAPHQL_DEPTH_LIMIT",
                    depth=measure.depth,
                    limit=max_depth,
                )
            if measure.introspection_depth > max_introspection_depth:
                self._refuse(
                    f"'{name}' exceeds maximum introspection depth of {max_introspection_depth}",
                    node,
                    "GRAPHQL_DEPTH_LIMIT",
                    depth=measure.introspection_depth,
                    limit=max_introspection_depth,
                )
            if measure.aliases > max_aliases:
                self._refuse(
                    f"{measure.aliases} aliases found. Allowed: {max_aliases}",
                    node,
                    "GRAPHQL_ALIAS_LIMIT",
                    aliases=measure.aliases,
                    limit=max_aliases,
                )
            if measure.cost > max_cost:
                self._refuse(
                    f"Operation '{name}' costs {measure.cost}, more than the limit of "
                    f"{max_cost}; ask for fewer fields or smaller pages.",
                    node,
                    "GRAPHQL_COST_LIMIT",
                    cost=measure.cost,
                    limit=max_cost,
                )

        def _refuse(
            self, message: str, node: OperationDefinitionNode, code: str, **extensions: int
        ) -> None:
            self.report_error(GraphQLError(message, node, extensions={"code": code, **extensions}))

    return Limits


class IntrospectionListDepth(MaxIntrospectionDepthRule):
    """graphql-core's cap on nested introspection lists, with an `extensions.code`."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_DEPTH_LIMIT"}
        super().report_error(error)


class LimitRules(SchemaExtension):
    """Adds the limits rule and gives graphql-core's introspection list rule its code."""

    def __init__(self, limits: type[ValidationRule]) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        rules = self.execution_context.validation_rules
        self.execution_context.validation_rules = (
            *(
                IntrospectionListDepth if rule is MaxIntrospectionDepthRule else rule
                for rule in rules
            ),
            self.limits,
        )
        yield
