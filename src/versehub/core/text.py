"""Text people type: the one place for Unicode normalisation and refused characters.

Every text input is normalised to NFC, so the same words are stored (and searched) as the same
code points whichever way a keyboard or a paste composed them. Then:

- single-line fields (titles, names, summaries, tags) refuse control characters (C0, DEL, C1:
  NUL, BEL, tab, line breaks...), the line and paragraph separators, and the bidirectional
  embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can make a name read
  differently from what it is (the "Trojan Source" trick);
- multi-line fields (Markdown) refuse control characters except tab, line feed and carriage
  return; bidirectional controls stay allowed there, since mixed-direction prose uses them;
- fields that name something (a title, a category) need a visible character: whitespace, format
  characters (zero-width space, word joiner, ZWJ...), lone combining marks and blank-looking
  fillers do not count;
- tags may hold emoji ZWJ sequences (🧏‍♀️ is U+1F9CF U+200D U+2640 U+FE0F): a ZWJ is accepted
  between two pictographs only, tag characters only in a flag sequence after 🏴, and any other
  format character is refused.

Use the `Text` marker in Pydantic models after the length constraints, e.g.
`Annotated[str, Field(max_length=200), Text(visible=True)]`, or the plain functions elsewhere.
Lone surrogates are refused everywhere: no database can store them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

LINE_CONTROLS = frozenset("\t\n\r")
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
)
LINE_SEPARATORS = frozenset("\u2028\u2029")
ZWJ = "\u200d"
BLACK_FLAG = "\U0001f3f4"
TAG_CHARS = range(0xE0020, 0xE0080)  # flag sub-division sequences (🏴 + tags + CANCEL TAG)
CANCEL_TAG = "\U000e007f"
EMOJI_MODIFIERS = frozenset("\ufe0e\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
# Letters and symbols that render as blank space (Hangul fillers, the blank Braille pattern).
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
NOT_VISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})

CONTROL_MESSAGE = "must not contain control characters (such as NUL, BEL, tab or a line break)"
MULTILINE_CONTROL_MESSAGE = "must not contain control characters other than tab and line breaks"
BIDI_MESSAGE = "must not contain bidirectional override characters (U+202A-U+202E, U+2066-U+2069)"
INVISIBLE_MESSAGE = "must contain at least one visible character"
SURROGATE_MESSAGE = "must not contain lone surrogates (broken UTF-16)"
FORMAT_MESSAGE = "must not contain invisible format characters (emoji sequences are fine)"


def nfc(text: str) -> str:
    """`text` in Unicode Normalisation Form C."""
    return unicodedata.normalize("NFC", text)


def is_control(ch: str) -> bool:
    """C0, DEL or C1."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


def is_visible(ch: str) -> bool:
    """Whether a character shows something on its own."""
    if ch.isspace() or ch in BLANK_LOOKING:
        return False
    return unicodedata.category(ch) not in NOT_VISIBLE_CATEGORIES


def has_visible(text: str) -> bool:
    """Whether `text` shows at least one character."""
    return any(is_visible(ch) for ch in text)


def single_line_problem(text: str) -> str | None:
    """Why `text` cannot be a single-line value, or None."""
    if any(is_control(ch) or ch in LINE_SEPARATORS for ch in text):
        return CONTROL_MESSAGE
    if any(ch in BIDI_CONTROLS for ch in text):
        return BIDI_MESSAGE
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        return SURROGATE_MESSAGE
    return None


def multi_line_problem(text: str) -> str | None:
    """Why `text` cannot be a multi-line value (Markdown), or None."""
    if any(is_control(ch) and ch not in LINE_CONTROLS for ch in text):
        return MULTILINE_CONTROL_MESSAGE
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        return SURROGATE_MESSAGE
    return None


def strip_controls(text: str) -> str:
    """`text` without control characters other than tab and line breaks (for rendering)."""
    return "".join(ch for ch in text if ch in LINE_CONTROLS or not is_control(ch))


def _pictograph_before(text: str, index: int) -> bool:
    """Whether a pictograph (maybe with a variation selector or skin tone) ends at `index`."""
    while index >= 0 and text[index] in EMOJI_MODIFIERS:
        index -= 1
    return index >= 0 and unicodedata.category(text[index]) == "So"


def _format_chars_allowed(text: str) -> bool:
    """Whether every format character of `text` belongs to an emoji sequence."""
    in_flag = False
    for i, ch in enumerate(text):
        if ord(ch) in TAG_CHARS:
            if not (in_flag or (i > 0 and text[i - 1] == BLACK_FLAG)):
                return False
            in_flag = ch != CANCEL_TAG
            continue
        if in_flag:  # a flag's tag run must end with CANCEL TAG
            return False
        if ch == ZWJ:
            after = text[i + 1] if i + 1 < len(text) else ""
            if not (
                _pictograph_before(text, i - 1) and after and unicodedata.category(after) == "So"
            ):
                return False
        elif unicodedata.category(ch) == "Cf":
            return False
    return not in_flag


def tag_problem(text: str) -> str | None:
    """Why `text` (already normalised, whitespace collapsed) cannot be a tag, or None."""
    problem = single_line_problem(text)
    if problem is not None:
        return problem
    if any(unicodedata.category(ch) in {"Co", "Cn"} for ch in text):
        return "must not contain unassigned or private-use characters"
    if not _format_chars_allowed(text):
        return FORMAT_MESSAGE
    if not has_visible(text):
        return INVISIBLE_MESSAGE
    return None


def _refuse(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(f"text_{kind}", message)


@dataclass(frozen=True)
class Text:
    """Pydantic marker: NFC, then the single- or multi-line rules (and maybe visibility).

    Put it after the field's length constraints: it reads `max_length` from them to check the
    normalised text again (NFC may lengthen a few rare sequences).
    """

    multiline: bool = False
    visible: bool = False

    def check(self, value: str, max_length: int | None = None) -> str:
        """The normalised value, or a PydanticCustomError saying what is wrong."""
        value = nfc(value)
        problem = multi_line_problem(value) if self.multiline else single_line_problem(value)
        if problem is not None:
            kind = "surrogate" if problem == SURROGATE_MESSAGE else "control"
            raise _refuse("bidi" if problem == BIDI_MESSAGE else kind, problem)
        if self.visible and not has_visible(value):
            raise _refuse("invisible", INVISIBLE_MESSAGE)
        if max_length is not None and len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": max_length},
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """The inner (length-checked) string schema, followed by `check`."""
        inner = handler(source)
        limit = inner.get("max_length") if inner.get("type") == "str" else None

        def validate(value: str) -> str:
            return self.check(value, limit)

        return core_schema.no_info_after_validator_function(validate, inner)
