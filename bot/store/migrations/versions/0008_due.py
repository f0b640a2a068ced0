"""due: each team's next due time, so the per-minute sweep runs only the teams with work due

Revision ID: 0008_due
Revises: 0007_families
Create Date: 2026-12-02

teams.next_due_at (UTC, nullable, indexed) is the team's earliest upcoming scheduled step, stored
each time the scheduler runs the team and lowered to "due now" by every change that can make a
step due earlier (bot/due.py).
Existing teams get NULL, which means "unknown": the first sweep after the upgrade recomputes it.
round_steps gets an index on (team_id, due_at): running a team reads its recent steps in one query.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008_due'
down_revision = "0007_families"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_teams_next_due_at', ['next_due_at'], unique=False)
    op.create_index('ix_round_steps_team_id_due_at', 'round_steps', ['team_id', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_round_steps_team_id_due_at', table_name='round_steps')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index('ix_teams_next_due_at')
        batch_op.drop_column('next_due_at')
