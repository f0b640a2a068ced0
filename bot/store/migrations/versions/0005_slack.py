"""members: the time zone the platform knows for a member

Revision ID: 0005_slack
Revises: 0004_discord
Create Date: 2026-12-01

Slack's users.info gives each person's zone; quiet hours use it unless the member set their own
(`reminders tz`, stored in members.timezone). Existing rows get "" (no platform zone yet: the next
interaction fills it in).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005_slack'
down_revision = '0004_discord'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_timezone', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('platform_timezone')
