"""Per-user module access, enforced for every module at once (REST, pages and GraphQL).

Modules do not guard their own routes: every request routed to a module's blueprint and every
GraphQL root field a module contributed is checked here against the caller's grants and denials
(`core.auth.module_refusal`), so a new module cannot forget it. Routes a module adds outside its
blueprints are not covered (the module contract registers routes through blueprints).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, request
from graphql import FieldNode, GraphQLError, ValidationContext, ValidationRule

from versehub.core.auth import current_principal, module_refusal
from versehub.core.modules import ModuleRegistry

OWNERS_KEY = "versehub.blueprint_owners"


def _check_blueprint_module() -> None:
    """before_request: refuse a caller who may not use the module that owns this route."""
    owners: Mapping[str, str] = current_app.extensions[OWNERS_KEY]
    # `request.blueprints` lists a nested blueprint's parents too: the owning module is found
    # whichever level it registered.
    for name in request.blueprints:
        module = owners.get(name)
        if module is not None:
            refusal = module_refusal(current_principal(), module)
            if refusal is not None:
                raise refusal
            return


def init_module_access(app: Flask, registry: ModuleRegistry) -> None:
    """Guard every blueprint of every deniable or restricted module of `registry`."""
    guarded = {m.name for m in registry.enabled if m.deniable or m.restricted}
    app.extensions[OWNERS_KEY] = {
        bp: module for bp, module in registry.blueprint_owners().items() if module in guarded
    }
    app.before_request(_check_blueprint_module)


def module_access_rule(root_fields: Mapping[tuple[str, str], str]) -> type[ValidationRule]:
    """A GraphQL validation rule refusing root fields of modules the caller may not use.

    `root_fields` maps (root type name, field name) to the module that contributed the field.
    An operation selecting such a field is refused as a whole (nothing runs, nothing is
    written), with the module's AUTH_* code in `extensions`.
    """

    class ModuleAccess(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.refused: set[str] = set()

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = self.context.get_parent_type()
            if parent is None:
                return
            module = root_fields.get((parent.name, node.name.value))
            if module is None or module in self.refused:
                return
            refusal = module_refusal(current_principal(), module)
            if refusal is not None:
                self.refused.add(module)
                self.report_error(
                    GraphQLError(refusal.message, node, extensions=refusal.extensions)
                )

    return ModuleAccess
