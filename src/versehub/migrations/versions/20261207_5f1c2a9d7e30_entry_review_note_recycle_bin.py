"""entries: review note (the ways back out of review) and the recycle bin (deleted_at, deleted_by)

Plain ADD/DROP COLUMN on both backends, never a batch rebuild of `entries`: on SQLite a rebuild
drops the old table, and with foreign keys on that DROP cascades to every revision and tag link
(and drops the FTS5 sync triggers). That is why `deleted_by_id` carries no foreign key (SQLite
cannot drop a column that has one without a rebuild). DROP COLUMN needs SQLite 3.35 or later.

Revision ID: 5f1c2a9d7e30
Revises: 5b1d7a3c9e20
Create Date: 2026-12-07 16:20:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "5f1c2a9d7e30"
down_revision = "5b1d7a3c9e20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entries", sa.Column("review_note", sa.Text(), nullable=True))
    op.add_column("entries", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("entries", sa.Column("deleted_by_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_entries_deleted_at"), "entries", ["deleted_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_entries_deleted_at"), table_name="entries")
    op.drop_column("entries", "deleted_by_id")
    op.drop_column("entries", "deleted_at")
    op.drop_column("entries", "review_note")
