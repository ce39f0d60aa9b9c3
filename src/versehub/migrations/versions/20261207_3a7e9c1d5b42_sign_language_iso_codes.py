"""preferred sign language as an ISO 639-3 code: abbreviations and names become codes

Revision ID: 3a7e9c1d5b42
Revises: a7c3e9d21b64
Create Date: 2026-12-07 22:30:00.000000

Earlier versions stored what the reader typed, upper-cased ("ASL", "BSL", "AUSLAN"). A value
naming a known sign language (by abbreviation, name or code, any case) becomes its code; any
other value becomes NULL (no preference), since no page could use it. The mapping is frozen
here: later changes to core.sign_languages must not change what this revision did.
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3a7e9c1d5b42"
down_revision = "a7c3e9d21b64"
branch_labels = None
depends_on = None

# (ISO 639-3 code, abbreviation, English name) as of this revision.
LANGUAGES = (
    ("ase", "ASL", "American Sign Language"),
    ("asq", "ÖGS", "Austrian Sign Language"),
    ("asf", "Auslan", "Auslan (Australian Sign Language)"),
    ("bfi", "BSL", "British Sign Language"),
    ("bzs", "Libras", "Brazilian Sign Language"),
    ("csl", "CSL", "Chinese Sign Language"),
    ("dsl", "DTS", "Danish Sign Language"),
    ("dse", "NGT", "Dutch Sign Language"),
    ("fse", "FinSL", "Finnish Sign Language"),
    ("fsl", "LSF", "French Sign Language"),
    ("gsg", "DGS", "German Sign Language"),
    ("ins", "IPSL", "Indo-Pakistani Sign Language"),
    ("ils", "IS", "International Sign"),
    ("isg", "ISL", "Irish Sign Language"),
    ("ise", "LIS", "Italian Sign Language"),
    ("jsl", "JSL", "Japanese Sign Language"),
    ("kvk", "KSL", "Korean Sign Language"),
    ("mfs", "LSM", "Mexican Sign Language"),
    ("nzs", "NZSL", "New Zealand Sign Language"),
    ("ncs", "ISN", "Nicaraguan Sign Language"),
    ("nsl", "NTS", "Norwegian Sign Language"),
    ("pso", "PJM", "Polish Sign Language"),
    ("psr", "LGP", "Portuguese Sign Language"),
    ("fcs", "LSQ", "Quebec Sign Language"),
    ("sfs", "SASL", "South African Sign Language"),
    ("ssp", "LSE", "Spanish Sign Language"),
    ("swl", "STS", "Swedish Sign Language"),
    ("sgg", "DSGS", "Swiss-German Sign Language"),
    ("ssr", "LSF-CH", "Swiss-French Sign Language"),
)
TO_CODE = {
    key.strip().casefold(): code
    for code, abbreviation, name in LANGUAGES
    for key in (code, abbreviation, name)
}
# The old schema stored abbreviations upper-cased.
TO_ABBREVIATION = {code: abbreviation.upper() for code, abbreviation, _ in LANGUAGES}

users = sa.table("users", sa.column("preferred_sign_language", sa.String(20)))


def new_value(old: str) -> str | None:
    """The code a stored value names, or None (no preference) for anything unknown."""
    return TO_CODE.get(old.strip().casefold())


def old_value(code: str) -> str | None:
    """The abbreviation the old schema would have stored for a code, or None if unknown."""
    return TO_ABBREVIATION.get(code)


def _rewrite(mapping: Callable[[str], str | None]) -> None:
    column = users.c.preferred_sign_language
    bind = op.get_bind()
    stored = bind.execute(sa.select(column).where(column.is_not(None)).distinct()).scalars()
    for value in list(stored):
        replacement = mapping(value)
        if replacement != value:
            bind.execute(sa.update(users).where(column == value).values({column: replacement}))


def upgrade() -> None:
    _rewrite(new_value)


def downgrade() -> None:
    _rewrite(old_value)
