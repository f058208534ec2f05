"""Wrong user-code entries per connect grant: after `device_codes.MAX_WRONG_ATTEMPTS` the code is invalidated.

A wrong entry on the verification page counts against the live grants whose user code shares its first group
(RFC 8628 §5.1: a cap on guesses per code, which no number of client addresses can get around).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connect_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wrong_attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("connect_grants", schema=None) as batch_op:
        batch_op.drop_column("wrong_attempts")
