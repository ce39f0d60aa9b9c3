"""Reader preferences → rendering: the one place pages learn density, contrast and motion.

Core does not know where preferences are stored: a module (accounts) registers a provider that
returns the signed-in reader's `Presentation`, or None for an anonymous reader, who gets the
defaults (density 3, normal contrast, motion left to the browser's `prefers-reduced-motion`).
Templates read `presentation` (set on <html> as data-density / data-contrast / data-motion,
which switch the design tokens in static/css/tokens.css) and `shows(level)` to decide which
secondary blocks a density includes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog
from flask import Flask, current_app, g, request

from versehub.core.outages import is_connection_failure, report_outage

log = structlog.get_logger(__name__)

Contrast = Literal["normal", "high"]
# "auto": follow the browser's prefers-reduced-motion (anonymous readers); "full" still honours
# that media query in CSS, so only an explicit choice in VerseHub ("reduce") adds to it.
Motion = Literal["reduce", "full", "auto"]
PROVIDERS = "versehub.presentation_providers"
# Testing only: `?_presentation=d4-high-reduce` renders an anonymous page in that mode, so the
# browser tests can check every mode of pages that have no signed-in reader.
PREVIEW_PARAM = "_presentation"
PREVIEW_PATTERN = re.compile(r"^d([1-5])-(normal|high)(?:-(reduce|full|auto))?$")


@dataclass(frozen=True)
class Presentation:
    """How pages are rendered for this reader."""

    density: int = 3
    contrast: Contrast = "normal"
    motion: Motion = "auto"
    reading_level: int = 3

    def shows(self, level: int) -> bool:
        """Whether a block marked for density `level` and above is shown at this density."""
        return self.density >= level


DEFAULT = Presentation()
Provider = Callable[[], Presentation | None]


def register_presentation_provider(app: Flask, provider: Provider) -> None:
    """Add a source of the reader's presentation (the first non-None answer wins)."""
    app.extensions.setdefault(PROVIDERS, []).append(provider)


def _preview() -> Presentation | None:
    if not current_app.testing:
        return None
    match = PREVIEW_PATTERN.match(request.args.get(PREVIEW_PARAM, ""))
    if match is None:
        return None
    density, contrast, motion = match.groups()
    return Presentation(
        density=int(density),
        contrast="high" if contrast == "high" else "normal",
        motion="reduce" if motion == "reduce" else "full" if motion == "full" else "auto",
    )


def current_presentation() -> Presentation:
    """This request's presentation, worked out once and kept in `g`."""
    found: Presentation | None = g.get("presentation")
    if found is not None:
        return found
    result = DEFAULT
    try:
        for provider in current_app.extensions.get(PROVIDERS, []):
            answer = provider()
            if answer is not None:
                result = answer
                break
        else:
            result = _preview() or DEFAULT
    except Exception as exc:
        if is_connection_failure(exc):
            report_outage(exc, where="presentation")  # the page renders with the defaults
        else:
            log.warning("presentation_provider_failed", exc_info=True)
    g.presentation = result
    return result


def init_presentation(app: Flask) -> None:
    """Expose `presentation` and `shows()` to every template."""

    def inject() -> dict[str, object]:
        presentation = current_presentation()
        return {
            "presentation": presentation,
            "shows": presentation.shows,
            # The layout links to module pages only when those modules are enabled.
            "has_endpoint": lambda name: name in current_app.view_functions,
        }

    app.context_processor(inject)
