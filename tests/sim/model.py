"""The people: teams in awkward time zones, members with seeded habits, admins who change
things mid-round — and the list of behaviours.

Randomness is split into independent streams (per team and day, per fault kind), so a run
is replayed exactly from its seed, and dropping a team while shrinking leaves every other
team's behaviour unchanged.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime

# Zones that break naive code: southern DST, half- and quarter-hour offsets, a 30-minute DST
# shift, DST suspended for Ramadan, both sides of the date line.
ZONES = (
    "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Sydney", "Asia/Kolkata",
    "Asia/Kathmandu", "Pacific/Chatham", "Australia/Lord_Howe", "Africa/Casablanca", "Pacific/Apia",
    "Pacific/Kiritimati", "UTC",
)
# Near midnight, inside spring-forward gaps (02:30 Europe/US, 02:15 Lord Howe, 02:50 Chatham)
# and autumn repeats (01:30 US, 02:10 Europe).
TIMES = ("09:00", "09:00", "08:30", "12:00", "23:45", "00:10", "00:30", "02:30", "02:15", "02:50", "01:30", "02:10", "17:45")
DAYS = ("mon-fri", "mon-fri", "mon-fri", "mon,wed,fri", "sun-thu", "mon-sun", "tue,thu")

# Behaviours the model can show: members' habits, admins' changes (at a quiet moment or
# mid-round), and the hostile inputs of issue 14 (chat, text after the form, drills left to
# expire, late submits, skip today, grace 0, huge retention and ids, forget-me, hiding).
BEHAVIOURS: tuple[str, ...] = (
    "form", "thread", "dm", "edit", "vote", "vote_own", "drill", "drill_expire", "reminders", "quiet_hours",
    "export", "streak", "leaderboard", "results", "today", "pairs", "forget_me_lurker", "duplicate_events",
    "admin_settings", "skip_future", "pause_days", "remove_readd", "retention", "tz_change",
    "time_change", "days_change", "dm_after_form", "chat_dm", "expired_drill_dm", "tz_change_mid_round",
    "time_change_mid_round", "pause_resume_mid_round", "late_submit", "skip_today_after_prompt", "grace_zero",
    "drill_peek", "hostile_ids", "huge_retention", "forget_me_answered", "hidden_member", "other_process",
)

FAULTS: tuple[str, ...] = ("delivery", "restart", "crash_after_send", "second_scheduler", "clock_jump", "db_outage",
                           "job_latency")


def stream(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible random stream for (seed, parts…)."""
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class MemberModel:
    user_id: str
    name: str
    habits: dict[str, float]
    channel: str                      # form | thread | dm: how they usually answer
    hidden: bool = False
    forgotten: bool = False
    lurker: bool = False              # never answers (reads, runs streak, may forget-me)
    drill_active_until: datetime | None = None
    drill_steps_left: int = 0
    stale_drill: bool = False         # left a drill to expire and never stopped it
    practised: set[date] = field(default_factory=set)
    answered: bool = False
    n_text: int = 0


@dataclass
class TeamModel:
    idx: int
    workspace: str
    tz: str
    time: str
    days: str
    admin: str
    members: list[MemberModel]
    grace: int = 120
    answer_minutes: int = 480
    vote_minutes: int = 1380
    reveal: str = "deadline"
    retention: int | None = None
    set_up: bool = False
    paused: bool = False
    removed: bool = False
    purged: bool = False
    changes: list[datetime] = field(default_factory=list)   # times of any accepted setting change
    schedule_changes: list[datetime] = field(default_factory=list)  # a new time, zone or set of days
    wakes: list[datetime] = field(default_factory=list)  # a member's input that made a step due (pairs on)
    checked_until: date | None = None
    team_id: int | None = None
    events: int = 0


def make_team(seed: int, idx: int) -> TeamModel:
    rng = stream(seed, "team", idx)
    tz = ZONES[idx % len(ZONES)] if idx < len(ZONES) else rng.choice(ZONES)
    n = rng.randint(3, 9)
    members = []
    for m in range(n):
        hr = stream(seed, "member", idx, m)
        members.append(MemberModel(
            user_id=f"U{idx}x{m}", name=f"Nm{idx}x{m}q",
            habits={"answer": hr.uniform(0.2, 0.9), "edit": hr.uniform(0.0, 0.3), "vote": hr.uniform(0.1, 0.8),
                    "drill": hr.uniform(0.0, 0.15), "finish_drill": hr.uniform(0.3, 1.0), "chat": hr.uniform(0.0, 0.2),
                    "late": hr.uniform(0.0, 0.2), "misc": hr.uniform(0.05, 0.3)},
            channel=hr.choices(("form", "thread", "dm"), (5, 3, 2))[0],
            lurker=hr.random() < 0.12))
    return TeamModel(idx=idx, workspace=f"W{idx}", tz=tz, time=rng.choice(TIMES), days=rng.choice(DAYS),
                     admin=f"A{idx}", members=members)


def token(team: TeamModel, member: MemberModel) -> str:
    """A unique marker in every piece of text a member writes: found in any message or table."""
    member.n_text += 1
    return f"tk{team.idx}x{member.user_id.split('x')[1]}x{member.n_text}q"


SECTION_TEXT = {
    "scope": "Scope {t}: developers integrating our messaging API into a web checkout; the goal is to cut failed "
             "onboarding by 20% in 6 months, within GDPR and SOC 2 limits.",
    "segment": "Segment {t}: developers want clear docs and an SDK; IT and security leads want audit logs; "
               "business decision-makers want cost per verified user.",
    "solve": "Solve {t}: V1 MVP a REST endpoint POST /v1/checks with phone and channel, returning status and 201 or "
             "429; V2 scale with webhooks and retries; V3 enterprise SSO and data residency.",
    "score": "Score {t}: p95 latency under 300 ms, 99.95% uptime, onboarding under 15 minutes, error rate down 30% "
             "in 3 months.",
}
ADDITION_TEXT = "One more thought {t}: also add webhooks for delivery receipts so developers can react without polling."
DRILL_TEXT = "Drill step {t}: I would frame the user, name two personas, phase the solution and pick two KPIs."
CHAT = ("help?", "Quick question: is the deadline 17:00?", "thanks!", "who else is answering today?", "ok")
# A short remark that is in fact meant as (part of) an answer: chat until its author presses Save.
SHORT_ANSWER = "Short take {t}: pick developers, ship webhooks first."
