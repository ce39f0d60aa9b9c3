"""job effects: outside effects a job completed (idempotent redelivery)

Revision ID: 4f1c2a9d7e31
Revises: 5f1c2a9d7e30
Create Date: 2026-12-07 16:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4f1c2a9d7e31"
down_revision = "5f1c2a9d7e30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_effects",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_job_effects")),
    )
    with op.batch_alter_table("job_effects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_effects_done_at"), ["done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_effects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_effects_done_at"))
    op.drop_table("job_effects")
