"""What can be said about a form before any work is done: which presses open one, and whether a
submission is fit to save.

Both run inside an adapter's acknowledgement (Slack gives 3 seconds), so both are pure: no
database, no clock, no side effects. `check` holds the same rules the saving code enforces
(`answers.submit`, `rubric.check_scores`, `drills.submit_step`), so a fixable mistake is
answered while the form is still open with the member's text in it. Whatever needs the
database (a round that closed meanwhile) is judged later; `kept_text` then hands the member
their text back so it is never lost.
"""
from __future__ import annotations

from bot import answers, drills, votes
from bot.content import DIMENSIONS, STEPS
from bot.events import Action, Command, Event, FormSubmitted
from bot.messages import Message, Section
from bot.rubric import check_score


# presses and commands that end in a form, with the title the form will have
_ACTION_FORMS = {"answer": "Your answer", "rate": "Rate an answer", "calibrate": "Calibration",
                 "calibrate_skip": "Rate an answer", "drill_step": "Drill", "mock_rate": "Rate your partner"}


def title(event: Event | None) -> str | None:
    """The title of the form this event will most likely open, or None if it opens none."""
    if isinstance(event, Action):
        return _ACTION_FORMS.get(event.action)
    if isinstance(event, Command):
        name = event.name.lower().strip()
        if name == "answer" and not event.args:
            return "Your answer"
        if name in ("rate", "vote") and len(event.args) == 1:
            return "Rate an answer"
    return None


def check(event: FormSubmitted) -> dict[str, str]:
    """{field id: the sentence to show under it} for a submission that can't be saved as it is."""
    values = {k: v or "" for k, v in event.values.items()}
    errors: dict[str, str] = {}
    if event.form == "answer":
        for step in STEPS:
            text = values.get(step, "")
            if len(text) > answers.MAX_FIELD_CHARS:
                errors[step] = f"{step.capitalize()} is {len(text):,} characters; each step takes up to {answers.MAX_FIELD_CHARS:,}."
        if not any(answers.visible(values.get(s, "")) for s in STEPS):
            errors[STEPS[0]] = answers.EMPTY_ANSWER
    elif event.form in ("vote", "mock_rate", "calibrate"):
        for dim in DIMENSIONS:
            try:
                check_score(dim, values.get(dim))
            except ValueError as exc:
                errors[dim] = str(exc)
        if event.form != "calibrate" and len(values.get("comment", "").strip()) > votes.MAX_COMMENT:
            errors["comment"] = f"Comments are limited to {votes.MAX_COMMENT:,} characters."
    elif event.form == "drill_step":
        step = event.meta.get("step") or "answer"
        text = values.get(step) or values.get("answer") or ""
        if not answers.visible(text):
            errors[step] = drills.EMPTY_STEP
        elif len(text) > answers.MAX_FIELD_CHARS * 4:
            errors[step] = f"That is {len(text):,} characters; a drill step takes up to {answers.MAX_FIELD_CHARS * 4:,}."
    return errors


def kept_text(event: FormSubmitted) -> Message | None:
    """The text of a submission that could not be saved, handed back so the member can paste it."""
    texts = [(k, v) for k, v in event.values.items() if v and answers.visible(v) and k not in DIMENSIONS]
    if not texts:
        return None
    return Message("Your text, so it isn't lost", "Nothing was saved — copy it from here.",
                   sections=tuple(Section(k.replace("_", " ").capitalize(), v) for k, v in texts), user_text=True)
