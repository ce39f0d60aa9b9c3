"""rate-limit bans: one row per banned caller, shared by every process

Revision ID: 5b1d7a3c9e20
Revises: eb5a258ae71c
Create Date: 2026-12-07 16:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b1d7a3c9e20"
down_revision = "eb5a258ae71c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_bans",
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("target", name=op.f("pk_rate_limit_bans")),
    )
    with op.batch_alter_table("rate_limit_bans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limit_bans_until"), ["until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_limit_bans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_bans_until"))

    op.drop_table("rate_limit_bans")
