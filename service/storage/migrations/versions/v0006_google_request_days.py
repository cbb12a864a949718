"""Google requests per Cloud project per UTC day (the daily quota counter, shared by processes).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 14:04:27.463558
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('google_request_days',
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('requests', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('project', 'day', name=op.f('pk_google_request_days'))
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('google_request_days')
