"""library families: the kinds of case a team's daily prompt rotates through

Revision ID: 0007_families
Revises: 0006_answers
Create Date: 2026-12-01

Existing teams get an empty list, which means the product-sense default (improve, design,
prioritize): nothing changes for them until an admin runs `set families`.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_families'
down_revision = '0006_answers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('families', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('families')
