"""The words a member sees: ticks, what is strong, what is missing, and the strength as words.

The strength is never shown as a number (it is not a rubric score and never enters peer
scores): "strong", "solid", "partial" or "thin", and which step is thinnest. An answer the
coach can't judge, or one to a different question, gets its one honest line and no ticks.
"""
from __future__ import annotations

from bot.content import STEPS
from bot.messages import Section

from bot.coach import Reading


def ticks(reading: Reading) -> str:
    return "  ".join(f"{'✓' if ok else '✗'} {s.capitalize()}" for s, ok in reading.covered.items())


def strength_words(reading: Reading) -> str:
    s = reading.strength
    word = "strong" if s >= 0.8 else "solid" if s >= 0.6 else "partial" if s >= 0.4 else "thin"
    scored = {k: v.score for k, v in reading.steps.items()}
    weakest = min(STEPS, key=lambda k: scored.get(k, 0.0)) if scored else ""
    if weakest and scored[weakest] < 0.6 and word != "thin":
        return f"Overall: {word}, thin on {weakest.capitalize()}."
    return f"Overall: {word}."


def _verdict(reading: Reading, nice: str) -> list[Section]:
    """What is strong, then what is missing — or "Nice" only when the coach found it strong."""
    out = []
    if reading.strong:
        out.append(Section("What is strong", "\n".join(f"• {s}" for s in reading.strong)))
    if reading.missing:
        out.append(Section("What your answer is missing", "\n".join(f"• {m}" for m in reading.missing)))
    elif reading.strength >= 0.8:
        out.append(Section("Nice", nice))
    return out


def sections(reading: Reading) -> tuple[Section, ...]:
    if not reading.judgeable or not reading.on_topic:
        return (Section("Coach", reading.honest),)
    out = [Section("Coverage", ticks(reading)), Section("How it reads", strength_words(reading)),
           *_verdict(reading, "All four steps do their job, specifically for this case.")]
    if reading.tips:
        out.append(Section("To make it stronger", "\n".join(f"• {t}" for t in reading.tips[:3])))
    return tuple(out)


def drill_sections(reading: Reading) -> tuple[Section, ...]:
    """A skill drill's reading: what the answer covers of the look-for list, and what it doesn't."""
    if not reading.judgeable or not reading.on_topic:
        return (Section("Coach", reading.honest),)
    return tuple(_verdict(reading, "Your answer covers everything this drill looks for."))
