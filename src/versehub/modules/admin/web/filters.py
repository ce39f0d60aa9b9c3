"""Reading query strings and forms of the admin pages into values, or clear problems.

Garbage in a query string (a page number that is not one, a date that is not a date, an
unknown role) is reported next to its field and in the error summary, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask import request

from versehub.core.errors import APIError

PAGE_MAX = 100_000
PER_PAGE = 25


@dataclass
class Problems:
    """What was wrong with a request: (field id or None, message), in page order."""

    items: list[tuple[str | None, str]] = field(default_factory=list)

    def add(self, field_id: str | None, message: str) -> None:
        """Note one problem with a field (None: with the request as a whole)."""
        self.items.append((field_id, message))

    def add_service_errors(self, error: APIError, *, fields: Iterable[str] = ()) -> None:
        """The field errors of a service's VAL_INVALID (others: the message)."""
        known = set(fields)
        for item in error.errors or [{"message": error.message}]:
            name = str(item.get("field", ""))
            self.add(name if name in known else None, str(item.get("message", error.message)))

    def on(self, field_id: str) -> list[str]:
        """The messages about one field."""
        return [message for name, message in self.items if name == field_id]

    def __bool__(self) -> bool:
        return bool(self.items)


def text_arg(name: str, label: str, problems: Problems, *, max_length: int = 100) -> str:
    """A text filter, stripped; too long is a problem."""
    value = request.args.get(name, "").strip()
    if len(value) > max_length:
        problems.add(name, f"{label} must be at most {max_length} characters")
        return ""
    return value


def choice_arg(name: str, label: str, choices: Sequence[str], problems: Problems) -> str:
    """One of `choices`, or "" for any."""
    value = request.args.get(name, "").strip()
    if value and value not in choices:
        problems.add(name, f"Choose one of the {label.lower()}s in the list")
        return ""
    return value


def date_arg(name: str, label: str, problems: Problems) -> date | None:
    """A day as YYYY-MM-DD, or None."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        # Only the extended form: Python would also take "20261207", which people never mean.
        if len(value) != len("2026-12-07"):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        problems.add(name, f"{label} must be a date like 2026-12-07 (year-month-day)")
        return None


def page_arg(problems: Problems) -> int:
    """The page number from the address (1 when absent)."""
    value = request.args.get("page", "").strip()
    if not value:
        return 1
    if value.isdigit() and 1 <= int(value) <= PAGE_MAX:
        return int(value)
    problems.add(
        None, f"The page number in the address must be a whole number from 1 to {PAGE_MAX}"
    )
    return 1
