"""archive case folder per round

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:30:00.000000

The case folder in the county's archive a round's documents go to (services/archive): an existing case by its
saksnummer, or the title of a new case.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archive_case_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("archive_case_number", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "archive_case_title",
                sqlmodel.sql.sqltypes.AutoString(length=300),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35 and newer have it): batch mode would copy «round» into a
    # new table and drop the old one, which the invitations, responses and analyses still point at.
    for column in ("archive_case_title", "archive_case_number", "archive_case_year"):
        op.drop_column("round", column)
