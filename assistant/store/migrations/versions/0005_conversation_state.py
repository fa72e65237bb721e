"""Dialogue state per conversation in the store (follow-ups work on any worker).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assistant.store.models import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create conversation_state."""
    op.create_table(
        "conversation_state",
        sa.Column("conversation_id", sa.String(64), primary_key=True),  # no FK: saved before the first turn is
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop conversation_state."""
    op.drop_table("conversation_state")
