"""Pending sensitive actions and the wrong-PIN back-off live in the database, so any worker can answer them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create pending_actions and confirm_guard."""
    op.create_table(
        "pending_actions",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("pending_id", sa.String(64), nullable=False),
        sa.Column("deadline", sa.Float(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_pending_actions_pending_id", "pending_actions", ["pending_id"])
    op.create_table(
        "confirm_guard",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lockouts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.Float(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_pending_actions_pending_id", table_name="pending_actions")
    op.drop_table("pending_actions")
    op.drop_table("confirm_guard")
