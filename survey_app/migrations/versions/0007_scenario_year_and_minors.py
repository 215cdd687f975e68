"""scenario year and unaccompanied minors

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scenario", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("minors_total", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scenario", schema=None) as batch_op:
        batch_op.drop_column("minors_total")
        batch_op.drop_column("year")
