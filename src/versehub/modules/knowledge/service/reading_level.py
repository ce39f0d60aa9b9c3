"""Reading level 1-5 from the Flesch-Kincaid grade (textstat), matching users' reading_level.

Mapping (US school grade → level): ≤ 3 → 1 (very easy), ≤ 6 → 2, ≤ 9 → 3, ≤ 12 → 4,
above 12 → 5 (specialist). Text without words measures as level 1.

textstat counts English syllables with NLTK's cmudict, which it downloads at run time when
missing; a server must never fetch data while saving an entry, so we ask for the language tag
"en-US", which textstat does not map to cmudict and which pyphen's bundled English
hyphenation dictionary serves offline (tests/modules/knowledge/test_reading_level.py checks).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from versehub.modules.knowledge.service.rendering import plain_text

LANGUAGE = "en-US"
# (highest grade, level), checked in order; anything above the last is level 5.
GRADE_LEVELS: tuple[tuple[float, int], ...] = ((3, 1), (6, 2), (9, 3), (12, 4))
MAX_LEVEL = 5


@cache
def _measure() -> Any:
    # Imported and built on first use: textstat pulls in NLTK (~1 s), which would slow the
    # start-up of every process, including those that never measure text.
    from textstat.textstat import textstatistics  # type: ignore[import-untyped]

    measure = textstatistics()
    measure.set_lang(LANGUAGE)
    return measure


def level_for_grade(grade: float) -> int:
    """The 1-5 level of a Flesch-Kincaid grade."""
    for highest, level in GRADE_LEVELS:
        if grade <= highest:
            return level
    return MAX_LEVEL


def grade_of(text: str) -> float:
    """The Flesch-Kincaid grade of plain text (0 for text without words)."""
    if not any(ch.isalpha() for ch in text):
        return 0.0
    return float(_measure().flesch_kincaid_grade(text))


def reading_level(safe_html: str) -> int:
    """The reading level of rendered, sanitised HTML (Markdown syntax would skew the count)."""
    return level_for_grade(grade_of(plain_text(safe_html)))
