"""schedule: a round keeps the step times it was announced with; a schedule change applies from the next day

Revision ID: 0003_schedule
Revises: 0002
Create Date: 2026-12-01

rounds.step_times holds each round's own open/nudge/reminder instants (existing rounds get `{}`
and keep being timed from the team's settings). rounds are no longer unique per local date: after
a timezone change the new calendar's date can equal the date an earlier round was announced for
in the old one; opening once per date is guarded by the open step in round_steps instead.
teams.schedule_changed_at / held_open_at / held_open_date: when the schedule last changed, and
today's opening kept at the announced time when a change would otherwise skip today.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003_schedule'
down_revision = '0002'
branch_labels = None
depends_on = None

NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _round_unique_name() -> str | None:
    """The (team_id, local_date) unique constraint's name as this database knows it."""
    for uc in sa.inspect(op.get_bind()).get_unique_constraints("rounds"):
        if sorted(uc["column_names"]) == ["local_date", "team_id"]:
            return uc["name"]
    return None


def upgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('held_open_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('held_open_date', sa.Date(), nullable=True))
    bind = op.get_bind()
    with op.batch_alter_table('rounds', schema=None, naming_convention=NAMES,
                              recreate="always" if bind.dialect.name == "sqlite" else "auto") as batch_op:
        batch_op.add_column(sa.Column('step_times', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.drop_constraint(_round_unique_name() or 'uq_rounds_team_id', type_='unique')
        batch_op.create_index('ix_rounds_team_id_local_date', ['team_id', 'local_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_index('ix_rounds_team_id_local_date')
        batch_op.create_unique_constraint('uq_rounds_team_id', ['team_id', 'local_date'])
        batch_op.drop_column('step_times')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('held_open_date')
        batch_op.drop_column('held_open_at')
        batch_op.drop_column('schedule_changed_at')
