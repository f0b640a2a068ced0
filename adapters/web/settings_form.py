"""The admin settings page is drawn from one table: every `set <name>` setting the core knows
(`bot.teams.SETTINGS`) becomes a row, so a setting added to the core appears here with nothing
else to do; `LABELS` only gives it a friendlier label and a hint. Saving a row runs the same
chat command (`set name value`) through `Practice.handle`: the same validation, the same audit
log, and the scheduler hears of the change.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot import teams
from bot.store.models import Team

# name -> (label, hint). A setting missing here still shows, with its name as the label.
LABELS: dict[str, tuple[str, str]] = {
    "reveal": ("Reveal answers", "at the answer deadline, or as soon as they are written"),
    "pass-bar": ("Pass bar", "weighted score out of 5 that counts as a pass"),
    "answer-window": ("Answer window", "minutes after the prompt until answers close"),
    "vote-window": ("Vote window", "minutes after the prompt until votes close"),
    "reminder-at": ("Reminder", "minutes after the prompt for the private reminder"),
    "grace": ("Grace period", "minutes a late step may still run after a restart"),
    "min-votes": ("Minimum votes", "votes an answer needs to rank and count on leaderboards"),
    "retention-days": ("Retention", "days to keep answers and votes (0: keep)"),
    "reviewers": ("Reviewers per answer", "teammates asked to rate each answer (0: none)"),
    "families": ("Families", "case families in the daily mix, comma-separated"),
}


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    hint: str
    value: str
    choices: tuple[str, ...]  # a select when not empty
    number: bool


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rows(team: Team) -> list[Row]:
    out = []
    for name, setting in teams.SETTINGS.items():
        label, hint = LABELS.get(name, (name.replace("-", " ").capitalize(), ""))
        kind = setting.kind
        choices = tuple(kind) if isinstance(kind, tuple) else ()
        if not choices:  # the range the core accepts, so the page says it before the core refuses
            hint = f"{hint} ({setting.low:g}–{setting.high:g}{', or 0 for off' if setting.off else ''})"
        out.append(Row(name, label, hint, _shown(getattr(team, setting.attr, None)), choices, kind in (int, float)))
    label, hint = LABELS["families"]  # `set families …` has its own rule (teams.set_families)
    out.append(Row("families", label, hint, _shown(team.families) or "default", (), False))
    return out
