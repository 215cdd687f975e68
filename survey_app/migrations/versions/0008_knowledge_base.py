"""knowledge base: settlement history and register figures per municipality and year, pending uploads

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlement_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kommunenummer", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("recommended", sa.Integer(), nullable=True),
        sa.Column("requested", sa.Integer(), nullable=True),
        sa.Column("requested_minors", sa.Integer(), nullable=True),
        sa.Column("decided", sa.Integer(), nullable=True),
        sa.Column("decided_minors", sa.Integer(), nullable=True),
        sa.Column("decision_years", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("settled", sa.Integer(), nullable=True),
        sa.Column("settled_minors", sa.Integer(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_history")),
        sa.UniqueConstraint("kommunenummer", "year", name="uq_settlement_history_muni_year"),
    )
    op.create_table(
        "register_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kommunenummer", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("table_id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_value")),
        sa.UniqueConstraint(
            "kommunenummer", "indicator", "year", name="uq_register_value_muni_indicator_year"
        ),
    )
    with op.batch_alter_table("register_value", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_register_value_indicator"), ["indicator"], unique=False)

    op.create_table(
        "knowledge_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_knowledge_upload_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_upload")),
    )
    with op.batch_alter_table("knowledge_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_upload_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("knowledge_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_upload_user_id"))
    op.drop_table("knowledge_upload")
    with op.batch_alter_table("register_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_value_indicator"))
    op.drop_table("register_value")
    op.drop_table("settlement_history")
