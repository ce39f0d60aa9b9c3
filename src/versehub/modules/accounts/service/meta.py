"""Who made a request, as routes hand it to services (services never read `flask.request`)."""

from __future__ import annotations

from dataclasses import dataclass

USER_AGENT_MAX = 256


@dataclass(frozen=True)
class RequestMeta:
    """Client address, user agent and request id of the action, for the audit trail."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        # User agents are client-controlled and unbounded: keep a bounded prefix.
        if self.user_agent is not None and len(self.user_agent) > USER_AGENT_MAX:
            object.__setattr__(self, "user_agent", self.user_agent[:USER_AGENT_MAX])


CLI = RequestMeta(ip=None, user_agent="versehub-cli", request_id=None)
