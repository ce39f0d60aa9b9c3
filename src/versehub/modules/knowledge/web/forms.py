"""WTForms forms of the writing pages (CSRF token included by FlaskForm).

Forms carry, label and length-check the fields; the rules (tag format, language tags, the
workflow) stay in the schemas and services, whose errors the views attach to these fields.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from versehub.modules.knowledge.models import LANGUAGE_MAX, SUMMARY_MAX, TAG_MAX, TITLE_MAX
from versehub.modules.knowledge.schemas import CONTENT_MAX, MAX_TAGS

TAGS_MAX = MAX_TAGS * (TAG_MAX + 2)  # names and ", " between them
KEY_MAX = 64
VISIBILITY = [
    SelectChoice("public", "Public: anyone can read it once it is published"),
    SelectChoice("private", "Private: only you and editors"),
]


class EntryForm(FlaskForm):  # type: ignore[misc]
    """An entry being written or edited."""

    title = StringField(
        "Title",
        validators=[InputRequired("Enter a title"), Length(max=TITLE_MAX)],
    )
    summary = TextAreaField(
        "Summary (optional)",
        validators=[Optional(), Length(max=SUMMARY_MAX)],
        render_kw={"rows": 2},
    )
    content = TextAreaField(
        "Text",
        validators=[InputRequired("Enter the text of the entry"), Length(max=CONTENT_MAX)],
        render_kw={"rows": 14, "spellcheck": "true"},
    )
    plain_language = TextAreaField(
        "Plain-language version (optional)",
        validators=[Optional(), Length(max=CONTENT_MAX)],
        render_kw={"rows": 8, "spellcheck": "true"},
    )
    category = SelectField("Category", choices=[SelectChoice("", "No category")])
    tags = StringField(
        "Tags (optional)",
        validators=[Optional(), Length(max=TAGS_MAX)],
        render_kw={"autocomplete": "off"},
    )
    visibility = RadioField("Who can read it", choices=VISIBILITY, default="public")
    language = StringField(
        "Language of the entry",
        default="en",
        validators=[InputRequired("Enter a language tag such as en"), Length(max=LANGUAGE_MAX)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )
    version = HiddenField()
    form_key = HiddenField(validators=[Optional(), Length(max=KEY_MAX)])

    def set_categories(self, choices: list[tuple[str, str]]) -> None:
        """The category choices: none, then each category (slug, name)."""
        self.category.choices = [
            SelectChoice("", "No category"),
            *(SelectChoice(slug, name) for slug, name in choices),
        ]
        if self.category.data is None:
            self.category.data = ""

    def tag_names(self) -> list[str]:
        """Tags as typed, split at commas (empty pieces dropped)."""
        return [name.strip() for name in (self.tags.data or "").split(",") if name.strip()]

    def values(self) -> dict[str, Any]:
        """The entry fields as the schemas take them."""
        return {
            "title": self.title.data or "",
            "summary": self.summary.data or "",
            "content": self.content.data or "",
            "plain_language": self.plain_language.data or None,
            "category": self.category.data or None,
            "tags": self.tag_names(),
            "is_public": self.visibility.data != "private",
            "language": self.language.data or "",
        }
