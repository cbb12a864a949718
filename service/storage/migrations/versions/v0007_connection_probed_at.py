"""calendar_connections.probed_at: when a held-back connection was last re-probed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 14:07:59.591597
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('probed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.drop_column('probed_at')
