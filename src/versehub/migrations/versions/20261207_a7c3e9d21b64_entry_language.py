"""entries: language (BCP 47 tag of the language an entry is written in, default "en")

A plain ADD COLUMN with a server default on both backends (no batch rebuild of `entries`: see
5f1c2a9d7e30 for why a rebuild is dangerous on SQLite); existing entries become "en".

Revision ID: a7c3e9d21b64
Revises: 06e1c51f6ff9
Create Date: 2026-12-07 22:20:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "a7c3e9d21b64"
down_revision = "06e1c51f6ff9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "entries",
        sa.Column("language", sa.String(length=35), server_default="en", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("entries", "language")
