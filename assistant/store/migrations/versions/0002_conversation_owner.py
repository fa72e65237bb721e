"""Conversations get an owner (the browser session or signed-in user they belong to).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add conversations.owner (nullable: the CLI and conversations from before have none) with an index."""
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("owner", sa.String(128), nullable=True))
    op.create_index("ix_conversations_owner", "conversations", ["owner"])


def downgrade() -> None:
    """Drop conversations.owner."""
    op.drop_index("ix_conversations_owner", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("owner")
