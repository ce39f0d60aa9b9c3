"""search: the RUM full-text index on PostgreSQL when the rum extension is available

Revision ID: 06e1c51f6ff9
Revises: 8c3e5a1b2d40
Create Date: 2026-12-07 19:10:00.000000

"""

from alembic import op
from flask import current_app

from versehub.modules.knowledge.service import search_index

# revision identifiers, used by Alembic.
revision = "06e1c51f6ff9"
down_revision = "8c3e5a1b2d40"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The `search_index` setting decides (auto: RUM when the extension can be created, else the
    # GIN index stays); `versehub search reindex` changes it later without a migration.
    if op.get_bind().dialect.name != "postgresql":
        return
    choice = current_app.extensions["versehub.settings"].search_index
    search_index.build(op.get_bind(), choice=choice)


def downgrade() -> None:
    # Back to GIN. The extension stays: other objects may use it, and it costs nothing unused.
    if op.get_bind().dialect.name != "postgresql":
        return
    search_index.build(op.get_bind(), choice="gin")
