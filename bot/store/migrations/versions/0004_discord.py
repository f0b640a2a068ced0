"""discord: a multi-post message remembers the posts already delivered

Revision ID: 0004_discord
Revises: 0003_schedule
Create Date: 2026-12-01

outbox.parts_sent / outbox.first_part_ref: when a message that goes out as several posts fails
partway, the retry resumes at the first undelivered post instead of posting the message twice.
Existing rows get 0 and NULL (nothing delivered partway).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004_discord'
down_revision = '0003_schedule'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parts_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('first_part_ref', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('first_part_ref')
        batch_op.drop_column('parts_sent')
