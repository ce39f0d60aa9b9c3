"""The `system` module: what this instance runs, for operators and API clients."""

from versehub.core.modules import Module
from versehub.modules.system.api import bp
from versehub.modules.system.service import health

module = Module(
    name="system",
    description="Instance information: version, environment and the health of every module.",
    blueprints=(bp,),
    health=health,
    # Instance information is public: denying it to a signed-in person would mean nothing.
    deniable=False,
)
