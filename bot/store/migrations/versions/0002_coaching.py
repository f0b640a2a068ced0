"""coaching: reviewers, calibration, mock drills and pairs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Existing rows get defaults: two reviewers per answer, no pairs opt-in, no stage timings.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mock_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('week', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('member_ids', sa.JSON(), nullable=False),
    sa.Column('prompt_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mock_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mock_pairs_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mock_pairs_week'), ['week'], unique=False)

    op.create_table('mock_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('ratee_id', sa.Integer(), nullable=False),
    sa.Column('happened', sa.Boolean(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['mock_pairs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ratee_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rater_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pair_id', 'rater_id', 'ratee_id')
    )
    with op.batch_alter_table('mock_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mock_feedback_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mock_feedback_team_id'), ['team_id'], unique=False)

    op.create_table('review_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('answer_id', 'reviewer_id')
    )
    with op.batch_alter_table('review_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_assignments_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_assignments_reviewer_id'), ['reviewer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_assignments_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_assignments_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_seconds', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('stage_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calibrated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('leniency', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('pairs_opt_in', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewers', sa.Integer(), nullable=False, server_default='2'))



def downgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('reviewers')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('leniency')
        batch_op.drop_column('pairs_opt_in')
        batch_op.drop_column('calibrated_at')

    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.drop_column('stage_started_at')
        batch_op.drop_column('stage_seconds')

    with op.batch_alter_table('review_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_assignments_team_id'))
        batch_op.drop_index(batch_op.f('ix_review_assignments_round_id'))
        batch_op.drop_index(batch_op.f('ix_review_assignments_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_review_assignments_answer_id'))

    op.drop_table('review_assignments')
    with op.batch_alter_table('mock_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mock_feedback_team_id'))
        batch_op.drop_index(batch_op.f('ix_mock_feedback_pair_id'))

    op.drop_table('mock_feedback')
    with op.batch_alter_table('mock_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mock_pairs_week'))
        batch_op.drop_index(batch_op.f('ix_mock_pairs_team_id'))

    op.drop_table('mock_pairs')
