"""The search page's request: text and filters as typed in a form, checked, then searched.

A browser sends whatever is in the address bar, so every value is untrusted: one that cannot be
used (an unknown category or tag, a reading level that is not 1-5, a stale page link) is dropped
with a message saying so, and the search runs without it instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from versehub.core.auth import Principal
from versehub.core.errors import APIError
from versehub.modules.knowledge.schemas import QUERY_MAX, ListQuery
from versehub.modules.knowledge.service import search
from versehub.modules.knowledge.service.search import SUMMARY_LOADING, Hit

PER_PAGE = 20
FIELDS = ("q", "category", "tag", "level", "cursor")
MESSAGES: Mapping[str, str] = {
    "q": f"Search text can be at most {QUERY_MAX} characters; the rest was left out",
    "category": "There is no such category: choose one from the list",
    "tag": "No entry has that tag: choose one from the list",
    "level": "Choose a reading level from 1 to 5",
    "cursor": "That page link has expired: these are the first results again",
}
# ListQuery's name of each form field.
_QUERY_FIELD = {"level": "max_reading_level"}
_FORM_FIELD = {query: form for form, query in _QUERY_FIELD.items()}


@dataclass(frozen=True)
class Findings:
    """One page of search results and what the form should show again."""

    values: dict[str, str]  # the form's values as they were used
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    capped: bool = False  # more than `total` matches
    next_cursor: str | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (form field, message)

    @property
    def searched(self) -> bool:
        """Whether there was anything to search for (text or a filter)."""
        return any(self.values.get(name) for name in ("q", "category", "tag", "level"))


def _clean(raw: Mapping[str, str | None]) -> tuple[dict[str, str], list[str]]:
    values = {name: (raw.get(name) or "").strip() for name in FIELDS}
    dropped = []
    if len(values["q"]) > QUERY_MAX:
        values["q"] = values["q"][:QUERY_MAX]
        dropped.append("q")
    if values["level"] and values["level"] not in {"1", "2", "3", "4", "5"}:
        values["level"] = ""
        dropped.append("level")
    return values, dropped


def _query(values: Mapping[str, str], per_page: int) -> ListQuery:
    data: dict[str, Any] = {
        _QUERY_FIELD.get(name, name): value for name, value in values.items() if value
    }
    return ListQuery.model_validate({**data, "per_page": per_page})


def _bad_fields(exc: ValidationError | APIError) -> set[str]:
    if isinstance(exc, ValidationError):
        names = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    else:
        names = {str(error.get("field", "")) for error in exc.errors or []}
    found = {_FORM_FIELD.get(name, name) for name in names} & set(FIELDS)
    if not found:  # nothing to drop: a real failure, not a bad value
        raise exc
    return found


def find(
    *, values: Mapping[str, str | None], viewer: Principal | None, per_page: int = PER_PAGE
) -> Findings:
    """Search with the form's `values` (q, category, tag, level, cursor), dropping bad ones."""
    used, dropped = _clean(values)
    for _ in FIELDS:  # each round drops at least one bad value
        try:
            query = _query(used, per_page)
            if not any(used.get(name) for name in ("q", "category", "tag", "level")):
                return _findings(used, dropped)
            page = search.fetch(query=query, viewer=viewer, options=SUMMARY_LOADING)
            total = search.count(query=query, viewer=viewer)
        except (ValidationError, APIError) as exc:
            if isinstance(exc, APIError) and exc.code != "VAL_INVALID":
                raise
            for name in _bad_fields(exc):
                used[name] = ""
                dropped.append(name)
            continue
        next_cursor = page.cursor(page.hits[-1]) if page.has_more and page.hits else None
        return Findings(
            values=used,
            hits=page.hits,
            total=min(total, search.RANK_CANDIDATES),
            capped=total > search.RANK_CANDIDATES,
            next_cursor=next_cursor,
            problems=[(name, MESSAGES[name]) for name in dict.fromkeys(dropped)],
        )
    return _findings(used, dropped)


def _findings(used: dict[str, str], dropped: list[str]) -> Findings:
    return Findings(
        values=used, problems=[(name, MESSAGES[name]) for name in dict.fromkeys(dropped)]
    )
