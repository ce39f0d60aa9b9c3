"""Counts that modules offer to the admin overview, so neither core nor the admin pages import them.

A module registers a titled counter at start-up (knowledge: entries by status); the overview
shows every registered one. A counter that fails is reported as unavailable, never a 500: the
overview must stay usable while one module's tables are in trouble.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import structlog
from flask import Flask, current_app

log = structlog.get_logger(__name__)

COUNTERS = "versehub.stats_counters"
Counter = Callable[[], Mapping[str, int]]


@dataclass(frozen=True)
class Counts:
    """One registered counter's answer: labelled numbers, or the error that stopped it."""

    title: str
    values: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None


def register_counts(app: Flask, title: str, counter: Counter) -> None:
    """Offer `counter` (labels to numbers) to the admin overview under `title`."""
    app.extensions.setdefault(COUNTERS, {})[title] = counter


def collect_counts() -> list[Counts]:
    """Every registered counter's answer, in registration order."""
    counters: dict[str, Counter] = current_app.extensions.get(COUNTERS, {})
    answers = []
    for title, counter in counters.items():
        try:
            answers.append(Counts(title, dict(counter())))
        except Exception as exc:  # one broken counter must not break the page
            log.warning("stats_counter_failed", title=title, exc_info=True)
            answers.append(Counts(title, error=type(exc).__name__))
    return answers
