"""Categories: colours must be #rrggbb with AA contrast for white or near-black text."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.modules.knowledge.conftest import People
from versehub.core.errors import APIError
from versehub.modules.knowledge.schemas import CategoryCreate
from versehub.modules.knowledge.service import categories


@pytest.mark.parametrize(
    ("colour", "text"),
    [
        ("#000000", "#ffffff"),
        ("#FFFFFF", "#111111"),
        ("#1f6feb", "#ffffff"),
        ("#ffd33d", "#111111"),
    ],
)
def test_text_colour_is_chosen(colour: str, text: str) -> None:
    assert categories.text_colour_for(colour) == text


@pytest.mark.parametrize(
    "colour",
    ["red", "#fff", "#12345g", "123456", "#1234567", "", "#12 456", "rgb(0,0,0)",
     "#777777", "#7a7a7a", "#e0323b"],
)  # fmt: skip
def test_bad_or_low_contrast_colours_are_refused(colour: str) -> None:
    with pytest.raises(APIError) as caught:
        categories.text_colour_for(colour)
    assert caught.value.code == "VAL_INVALID"
    assert caught.value.errors[0]["field"] == "colour"


def test_contrast_ratio_matches_wcag() -> None:
    assert categories.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert categories.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_create_list_and_unique_names(ctx: Flask, people: People) -> None:
    made = categories.create(
        data=CategoryCreate(name="Sign Language", colour="#1F6FEB", description="All about signs"),
        viewer=people.editor,
    )
    assert (made.slug, made.colour, made.text_colour) == ("sign-language", "#1f6feb", "#ffffff")
    again = categories.create(
        data=CategoryCreate(name="Sign-Language", colour="#000000"), viewer=people.admin
    )
    assert again.slug == "sign-language-2"
    assert [c.name for c in categories.list_()] == ["Sign Language", "Sign-Language"]
    with pytest.raises(APIError) as caught:
        categories.create(
            data=CategoryCreate(name="sign language", colour="#000000"), viewer=people.editor
        )
    assert caught.value.code == "RES_ALREADY_EXISTS"


def test_only_editors_create(ctx: Flask, people: People) -> None:
    with pytest.raises(APIError) as caught:
        categories.create(data=CategoryCreate(name="x", colour="#000000"), viewer=people.member)
    assert caught.value.code == "AUTH_INSUFFICIENT_PERMISSIONS"
