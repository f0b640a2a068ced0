"""The tables. Every row that belongs to a team carries `team_id`, and every query filters on it.

Times are UTC. Rounds are unique per team and local date; round steps are unique per
round and step name, which is what makes every scheduled step happen at most once.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Team(SQLModel, table=True):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("platform", "workspace_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    channel_id: str = Field(default="", max_length=64)
    practice_time: str = Field(default="09:00", max_length=5)
    timezone: str = Field(default="UTC", max_length=64)
    weekdays: str = Field(default="mon,tue,wed,thu,fri", max_length=40)
    skip_dates: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    paused: bool = False
    reveal: str = Field(default="deadline", max_length=16)  # "deadline" | "immediate"
    pass_bar: float = 4.3
    packs: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Families of case the daily prompt rotates through; empty means the product-sense default.
    families: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The round timeline, minutes after the prompt opens.
    nudge_minutes: list = Field(default_factory=lambda: [30, 90, 180, 270], sa_column=Column(JSON, nullable=False))
    reminder_minutes: int = 360
    answer_minutes: int = 480
    vote_minutes: int = 1380
    grace_minutes: int = 120
    digest_weekday: int = 4  # Friday
    digest_time: str = Field(default="16:00", max_length=5)
    min_votes: int = 2
    reviewers: int = 2  # reviewers assigned to each answer when voting opens (0: none)
    retention_days: int | None = None
    created_at: datetime
    removed_at: datetime | None = None
    # A schedule change (time, timezone, days) applies from the next practice day: steps due before
    # it are not run late, and today's opening it would skip is held at the time announced.
    schedule_changed_at: datetime | None = None
    held_open_at: datetime | None = None
    held_open_date: date | None = None
    # The earliest upcoming scheduled step (bot/due.py): the per-minute sweep runs only teams whose
    # time has come or is unknown (NULL); a change that can make a step earlier lowers it to now.
    next_due_at: datetime | None = Field(default=None, index=True)


class Member(SQLModel, table=True):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=200)
    timezone: str | None = Field(default=None, max_length=64)  # set by the member (`reminders tz`): wins
    platform_timezone: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})  # the platform's
    reminders: bool = True
    quiet_start: str = Field(default="21:00", max_length=5)
    quiet_end: str = Field(default="08:00", max_length=5)
    leaderboard_opt_out: bool = False
    calibrated_at: datetime | None = None  # rated the reference answer (or chose to skip) before a first vote
    leniency: float = 0.0  # how far above teammates this member rates, refreshed when a round closes
    pairs_opt_in: bool = False  # wants a weekly mock-interview partner
    created_at: datetime
    last_active_at: datetime | None = None


class Round(SQLModel, table=True):
    """One prompt. Not unique per local date: after a timezone change the new calendar's date can
    equal the date an earlier round was announced for; the open step in round_steps opens once."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_team_id_local_date", "team_id", "local_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    local_date: date
    prompt_id: str = Field(max_length=120)
    phase: str = Field(default="answering", max_length=16)  # answering | voting | closed
    opened_at: datetime
    answer_deadline: datetime
    vote_deadline: datetime
    channel_id: str = Field(default="", max_length=64)
    message_ref: str | None = Field(default=None, max_length=128, index=True)
    prompt_outbox_id: int | None = None
    # The instants this round was announced with ({"open": iso, "nudge:scope": iso, ..., "reminder": iso}),
    # so a later settings change never moves a running round. Empty on rounds from before 0004.
    step_times: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class RoundStep(SQLModel, table=True):
    """One scheduled step of a round, recorded once: done or missed."""

    __tablename__ = "round_steps"
    # (team_id, due_at): the scheduler reads a team's recent steps in one query (bot/day.py, Recorded)
    __table_args__ = (UniqueConstraint("team_id", "key"), Index("ix_round_steps_team_id_due_at", "team_id", "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=120)  # e.g. "2026-11-23:nudge:scope", "digest:2026-W48"
    status: str = Field(max_length=16)  # done | missed
    due_at: datetime
    ran_at: datetime
    note: str = Field(default="", max_length=300)


class Answer(SQLModel, table=True):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("round_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    round_id: int | None = Field(default=None, foreign_key="rounds.id", index=True, ondelete="CASCADE")
    drill_id: int | None = Field(default=None, foreign_key="drills.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    scope: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    segment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    solve: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    score: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    free_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = Field(default="form", max_length=16)
    created_at: datetime
    updated_at: datetime


class Vote(SQLModel, table=True):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("answer_id", "voter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    answer_id: int = Field(foreign_key="answers.id", index=True, ondelete="CASCADE")
    voter_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    problem_definition: int
    user_empathy: int
    solution_design: int
    business_impact: int
    communication: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime


class Drill(SQLModel, table=True):
    __tablename__ = "drills"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    kind: str = Field(default="case", max_length=16)  # case | skill | mock
    content_id: str = Field(max_length=120)
    step: int = 0
    # Mock drills: seconds spent in each CLARITY stage, and when the current stage began.
    stage_seconds: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stage_started_at: datetime | None = None
    status: str = Field(default="active", max_length=16)  # active | finished | abandoned | expired
    started_at: datetime
    expires_at: datetime
    finished_at: datetime | None = None


class PracticeDay(SQLModel, table=True):
    """A day a member practised, on the team's local calendar: the unit of streaks."""

    __tablename__ = "practice_days"
    __table_args__ = (UniqueConstraint("member_id", "local_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    local_date: date
    source: str = Field(default="round", max_length=16)


class OutboxRow(SQLModel, table=True):
    """A message the core wants delivered, written in the same transaction as its cause."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=16, index=True)
    workspace_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # channel | direct
    target: str = Field(max_length=64)  # channel id or user id
    thread_of: int | None = None  # outbox id of the parent message, for thread replies
    round_id: int | None = None  # the prompt of this round: its ref becomes the round's thread
    dedupe_key: str = Field(max_length=160, unique=True)
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16, index=True)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime
    claimed_until: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    message_ref: str | None = Field(default=None, max_length=128)
    error: str = Field(default="", max_length=500)
    created_at: datetime
    sent_at: datetime | None = None
    # a message sent as several posts that failed partway: how many went out, and the first one's ref
    parts_sent: int = 0
    first_part_ref: str | None = Field(default=None, max_length=128)


class AuditEntry(SQLModel, table=True):
    """Who changed a team's setup, paused, skipped or purged, and when."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    actor: str = Field(max_length=64)
    action: str = Field(max_length=40)
    detail: str = Field(default="", max_length=500)
    at: datetime


class ProcessedEvent(SQLModel, table=True):
    """Platform event ids already handled, so a retried delivery is recorded once."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("team_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    event_id: str = Field(max_length=128)
    at: datetime


class Lease(SQLModel, table=True):
    """A named lease one process holds for a while (the scheduler's leadership on SQLite)."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=64)
    expires_at: datetime


class ReviewAssignment(SQLModel, table=True):
    """A reviewer asked to rate one answer of a round; anyone may still rate any answer."""

    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("answer_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    round_id: int = Field(foreign_key="rounds.id", index=True, ondelete="CASCADE")
    answer_id: int = Field(foreign_key="answers.id", index=True, ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    created_at: datetime


class MockPair(SQLModel, table=True):
    """One week's mock-interview group (two members, or three when the count is odd)."""

    __tablename__ = "mock_pairs"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    week: str = Field(max_length=10, index=True)  # ISO week, e.g. "2026-W48"
    member_ids: list = Field(sa_column=Column(JSON, nullable=False))  # in interviewing order: [0] interviews first
    prompt_id: str = Field(max_length=120)
    created_at: datetime


class MockFeedback(SQLModel, table=True):
    """After a mock week: did it happen, and one side's rubric scores for the other."""

    __tablename__ = "mock_feedback"
    __table_args__ = (UniqueConstraint("pair_id", "rater_id", "ratee_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    pair_id: int = Field(foreign_key="mock_pairs.id", index=True, ondelete="CASCADE")
    rater_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    ratee_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    happened: bool = True
    scores: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    at: datetime


class PendingAnswer(SQLModel, table=True):
    """A short message that read as chat, kept until its author says Save or No.

    The Save button carries only this row's id; the text waits here, scoped by team and
    member, so a button from someone else (or another workspace) finds nothing.
    """

    __tablename__ = "pending_answers"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    round_id: int = Field(foreign_key="rounds.id", ondelete="CASCADE")
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = Field(default="direct", max_length=16)  # direct | thread
    created_at: datetime
