"""A query cost limit for GraphQL: each field costs 1, list fields multiply what they select.

Strawberry has depth, alias and token limits but no cost limit. The cost of a selection is the sum
of its fields; a field taking `first`/`last`/`limit` multiplies its sub-selection by that number
(a variable or a missing value counts as the largest page, 100), so `entries(first: 100) { author
{ entries(first: 100) { ... } } }` is priced at what it would really fetch.
"""

from __future__ import annotations

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
)

PAGE_ARGUMENTS = frozenset({"first", "last", "limit", "perPage"})
LARGEST_PAGE = 100


def _multiplier(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), LARGEST_PAGE))
            return LARGEST_PAGE  # a variable: assume the worst the server allows
    return 1


def selection_cost(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> int:
    """The cost of a selection set, fragments expanded (a fragment cycle counts once)."""
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            inner = selection_cost(selection.selection_set, fragments, seen)
            total += 1 + _multiplier(selection) * inner
        elif isinstance(selection, InlineFragmentNode):
            total += selection_cost(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                total += selection_cost(fragment.selection_set, fragments, seen | {name})
    return total


def cost_limit_rule(max_cost: int) -> type[ValidationRule]:
    """A validation rule refusing operations that cost more than `max_cost`."""

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            context: ValidationContext = self.context
            fragments = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            cost = selection_cost(node.selection_set, fragments)
            if cost > max_cost:
                name = node.name.value if node.name else "anonymous"
                context.report_error(
                    GraphQLError(
                        f"Operation '{name}' costs {cost}, more than the limit of {max_cost}; "
                        "ask for fewer fields or smaller pages.",
                        node,
                        extensions={"code": "GRAPHQL_COST_LIMIT", "cost": cost, "limit": max_cost},
                    )
                )

    return CostLimit
