"""day: short chat waiting for its author's Save before it becomes an answer

Revision ID: 0006_answers
Revises: 0005_slack
Create Date: 2026-12-01

A new table only; existing rows are untouched.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006_answers'
down_revision = '0005_slack'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pending_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pending_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_answers_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_answers_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pending_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_answers_team_id'))
        batch_op.drop_index(batch_op.f('ix_pending_answers_member_id'))
    op.drop_table('pending_answers')
