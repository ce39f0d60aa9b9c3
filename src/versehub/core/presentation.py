"""Reader preferences → rendering: the one place pages learn density, contrast and motion.

Core does not know where preferences are stored: a module (accounts) registers a provider that
returns the signed-in reader's `Presentation`, or None for an anonymous reader. An anonymous
reader's choices live in a small signed cookie (`versehub_display`, written by
`set_presentation_cookie`); without one (or with a tampered or garbled one) the defaults apply
(density 3, normal contrast, motion left to the browser's `prefers-reduced-motion`).
Templates read `presentation` (set on <html> as data-density / data-contrast / data-motion,
which switch the design tokens in static/css/tokens.css) and `shows(level)` to decide which
secondary blocks a density includes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import structlog
from flask import Flask, Response, current_app, g, request
from itsdangerous import BadData, URLSafeSerializer

from versehub.core import sign_languages
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
COOKIE = "versehub_display"
COOKIE_MAX_AGE = 365 * 24 * 3600  # a reader's display choices outlive any session
_COOKIE_SALT = "versehub.presentation"


@dataclass(frozen=True)
class Presentation:
    """How pages are rendered for this reader."""

    density: int = 3
    contrast: Contrast = "normal"
    motion: Motion = "auto"
    reading_level: int = 3
    # ISO 639-3 code from core.sign_languages, or None: the reader chose no sign language.
    sign_language: str | None = None

    def shows(self, level: int) -> bool:
        """Whether a block marked for density `level` and above is shown at this density."""
        return self.density >= level

    @property
    def sign_language_name(self) -> str | None:
        """The chosen sign language's display name, or None."""
        return sign_languages.name_of(self.sign_language)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Presentation:
        """A presentation from untrusted values: any invalid one falls back to its default."""
        density = values.get("density")
        level = values.get("reading_level")
        contrast = values.get("contrast")
        motion = values.get("motion")
        language = values.get("sign_language")
        return cls(
            density=density if type(density) is int and 1 <= density <= 5 else DEFAULT.density,
            contrast="high" if contrast == "high" else "normal",
            motion=motion if motion in ("reduce", "full", "auto") else "auto",
            reading_level=level
            if type(level) is int and 1 <= level <= 5
            else DEFAULT.reading_level,
            sign_language=sign_languages.known(language if isinstance(language, str) else None),
        )


DEFAULT = Presentation()
Provider = Callable[[], Presentation | None]


def register_presentation_provider(app: Flask, provider: Provider) -> None:
    """Add a source of the reader's presentation (the first non-None answer wins)."""
    app.extensions.setdefault(PROVIDERS, []).append(provider)


def _cookie_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=_COOKIE_SALT)


def set_presentation_cookie(response: Response, presentation: Presentation) -> None:
    """Remember an anonymous reader's display choices in a signed cookie on `response`."""
    response.set_cookie(
        COOKIE,
        _cookie_serializer().dumps(asdict(presentation)),
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )


def clear_presentation_cookie(response: Response) -> None:
    """Forget an anonymous reader's display choices (back to the defaults)."""
    response.delete_cookie(COOKIE, samesite="Lax", httponly=True)


def _from_cookie() -> Presentation | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 512:
        return None
    try:
        values = _cookie_serializer().loads(raw)
    except BadData:
        return None  # tampered, garbled or signed with an old key: the defaults apply
    if not isinstance(values, dict):
        return None
    return Presentation.from_values(values)


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
            result = _preview() or _from_cookie() or DEFAULT
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
            "sign_languages": sign_languages.SIGN_LANGUAGES,
        }

    app.context_processor(inject)
