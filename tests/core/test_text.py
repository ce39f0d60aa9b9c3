"""core.text: NFC, refused control and bidi characters, visibility, emoji sequences in tags."""

from __future__ import annotations

from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from versehub.core import text
from versehub.core.text import Text

WALES = "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"  # flag: tag chars


class Form(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=10), Text(visible=True)] = "x"
    summary: Annotated[str, Field(max_length=10), Text()] = ""
    body: Annotated[str, Field(max_length=50), Text(multiline=True)] = ""


def error_type(**fields: str) -> str:
    with pytest.raises(ValidationError) as caught:
        Form(**fields)
    (error,) = caught.value.errors()
    return str(error["type"])


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("\u200b\u2060\u200b", "text_invisible"), ("\u200d", "text_invisible"),
     ("\u3164\u2800", "text_invisible"), ("\u0301", "text_invisible"),
     ("\u00ad\ufeff", "text_invisible"), ("a\x00b", "text_control"), ("a\x07", "text_control"),
     ("a\nb", "text_control"), ("a\tb", "text_control"), ("a\x85b", "text_control"),
     ("a\x9bb", "text_control"), ("a\x7fb", "text_control"), ("a\u2028b", "text_control"),
     ("a\u202eb", "text_bidi"), ("a\u202ab", "text_bidi"), ("\u2066a\u2069", "text_bidi")],
)  # fmt: skip
def test_titles_refuse(raw: str, kind: str) -> None:
    assert error_type(title=raw) == kind


@pytest.mark.parametrize("raw", ["a\x07", "a\nb", "a\u202eb"])
def test_single_line_fields_refuse_controls_even_when_empty_is_fine(raw: str) -> None:
    assert error_type(summary=raw).startswith("text_")
    assert Form(summary="").summary == ""


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("Re\u0301sume\u0301", "Résumé"), ("a\u200db?", "a\u200db?"),
     ("\u05e9\u05dc\u05d5\u05dd", "\u05e9\u05dc\u05d5\u05dd"), ("🧏‍♀️", "🧏‍♀️")],
)  # fmt: skip
def test_titles_are_nfc(raw: str, stored: str) -> None:
    assert Form(title=raw).title == stored


def test_length_is_checked_after_normalising_too() -> None:
    # U+0958 is a composition exclusion: NFC writes it as two code points.
    assert error_type(title="\u0958" * 6) == "string_too_long"
    assert Form(title="e\u0301" * 5).title == "é" * 5


@pytest.mark.parametrize("raw", ["a\x07b", "a\x00b", "a\x1bb", "a\x9bb"])
def test_multi_line_refuses_controls_but_line_breaks(raw: str) -> None:
    assert error_type(body=raw) == "text_control"


def test_multi_line_keeps_tabs_line_breaks_and_bidi() -> None:
    kept = "a\tb\r\nc\n\u2067\u05e9\u2069"
    assert Form(body=kept).body == kept


@pytest.mark.parametrize(
    "tag",
    ["🧏‍♀️", "👨‍👩‍👧", "🏳️‍🌈", "🧑🏽‍💻", "❤️‍🔥", WALES, "deaf", "1️⃣"],
)  # fmt: skip
def test_tags_allow_emoji_sequences(tag: str) -> None:
    assert text.tag_problem(tag) is None


@pytest.mark.parametrize(
    "tag",
    ["\u200d", "a\u200db", "🧏\u200d", "\u200d♀", "🧏\u200d\u200d♀", "a\u200bb", "a\u2060b",
     "\U000e0067", "🏴\U000e0067", "\u3164", "a\u202eb", "a\x07", "\ue000"],
)  # fmt: skip
def test_tags_refuse_stray_format_and_control_characters(tag: str) -> None:
    assert text.tag_problem(tag) is not None


@given(st.text(max_size=30))
def test_accepted_single_line_text_is_nfc_and_clean(raw: str) -> None:
    try:
        value = Form(summary=raw[:10]).summary
    except ValidationError:
        return
    assert value == text.nfc(value)
    assert text.single_line_problem(value) is None


def test_strip_controls_keeps_line_breaks() -> None:
    assert text.strip_controls("a\x07b\x00\tc\r\n\x9b") == "ab\tc\r\n"
