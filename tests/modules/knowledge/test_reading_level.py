"""Reading levels: the grade mapping, storage on every save, and no network at run time."""

from __future__ import annotations

import nltk
import pytest
from flask import Flask

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import write
from versehub.modules.knowledge.schemas import EntryUpdate
from versehub.modules.knowledge.service import entries
from versehub.modules.knowledge.service.reading_level import grade_of, level_for_grade

EASY = "The cat sat on the mat. The dog ran to the cat. They had fun."
HARD = (
    "Notwithstanding the aforementioned epistemological considerations, institutional "
    "interoperability necessitates comprehensive, multidisciplinary reevaluation of "
    "organisational accessibility infrastructure and its sociolinguistic ramifications."
)


@pytest.mark.parametrize(
    ("grade", "level"),
    [(-2.0, 1), (3.0, 1), (3.1, 2), (6.0, 2), (8.9, 3), (12.0, 4), (12.5, 5), (40.0, 5)],
)
def test_grade_to_level(grade: float, level: int) -> None:
    assert level_for_grade(grade) == level


def test_no_words_is_grade_zero() -> None:
    assert grade_of("12345 --- !!!") == 0.0


def test_measuring_never_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> bool:
        raise AssertionError("textstat tried to download NLTK data")

    monkeypatch.setattr(nltk, "download", refuse)
    assert grade_of(HARD) > 12


def test_levels_are_computed_and_stored(ctx: Flask, people: People) -> None:
    entry = write(people.author, content=HARD, plain_language=EASY)
    assert (entry.reading_level, entry.plain_language_reading_level) == (5, 1)
    entries.update(entry_id=entry.id, data=EntryUpdate(content=EASY), viewer=people.author)
    assert entry.reading_level == 1
    entries.update(entry_id=entry.id, data=EntryUpdate(plain_language=None), viewer=people.author)
    assert entry.plain_language is None
    assert entry.plain_language_reading_level is None
