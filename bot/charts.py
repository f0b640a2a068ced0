"""Progress pictures: a member's chart for `progress` and the team's chart for the weekly digest.

Drawn with matplotlib's headless Agg backend into PNG bytes, so any process can deliver them
(the bytes travel in the outbox row). matplotlib is imported on first use: the bot's idle
memory stays small until someone asks for a chart.
"""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.content import Rubric
from bot.messages import Chart, plural

MIN_POINTS = 3  # rated answers before a trend line means anything
ROLLING = 5  # answers in each dimension's rolling average
CALENDAR_WEEKS = 12
PASS_COLOUR, SCORE_COLOUR = "#c0392b", "#2c3e50"


@dataclass(frozen=True)
class RatedAnswer:
    """One of the member's round answers with its peer scores averaged per dimension."""

    day: date
    weighted: float
    dimensions: Mapping[str, float]


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot
    return pyplot


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    _pyplot().close(fig)
    return buf.getvalue()


def rolling(values: Sequence[float], window: int = ROLLING) -> list[float]:
    """The mean of each value with up to `window - 1` before it."""
    out = []
    for i in range(len(values)):
        part = values[max(0, i - window + 1):i + 1]
        out.append(sum(part) / len(part))
    return out


def progress_chart(name: str, rated: Sequence[RatedAnswer], practice_days: set[date], today: date,
                   rubric: Rubric, pass_bar: float) -> Chart:
    """Three panels: weighted score per round against the pass bar, each dimension's rolling
    average, and a practice calendar of the last twelve weeks."""
    plt = _pyplot()
    rated = sorted(rated, key=lambda r: r.day)
    fig, (scores, dims, calendar) = plt.subplots(3, 1, figsize=(8, 10), gridspec_kw={"height_ratios": [3, 3, 2]})
    fig.suptitle(f"{name}: practice progress", fontsize=14)

    x = list(range(1, len(rated) + 1))
    scores.plot(x, [r.weighted for r in rated], marker="o", color=SCORE_COLOUR, label="weighted score")
    scores.axhline(pass_bar, color=PASS_COLOUR, linestyle="--", label=f"pass bar {pass_bar:.1f}")
    scores.set_ylim(1, 5.2)
    scores.set_ylabel("score / 5")
    scores.set_title("Weighted score per round")
    scores.set_xticks(x, [r.day.strftime("%d %b") for r in rated], rotation=45, fontsize=7)
    scores.legend(loc="lower right", fontsize=8)

    for d in rubric.dimensions:
        dims.plot(x, rolling([r.dimensions[d.id] for r in rated]), marker=".", label=f"{d.name} ({d.weight}%)")
    dims.set_ylim(1, 5.2)
    dims.set_ylabel("rolling average")
    dims.set_title(f"Each dimension, rolling average of {ROLLING} rounds")
    dims.set_xticks(x, [str(i) for i in x], fontsize=7)
    dims.legend(loc="lower right", fontsize=7, ncol=2)

    start = today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))
    grid = [[0.0] * CALENDAR_WEEKS for _ in range(7)]
    for week in range(CALENDAR_WEEKS):
        for weekday in range(7):
            day = start + timedelta(days=7 * week + weekday)
            grid[weekday][week] = 1.0 if day in practice_days else (0.15 if day <= today else 0.0)
    calendar.imshow(grid, cmap="Greens", vmin=0, vmax=1, aspect="auto")
    calendar.set_yticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], fontsize=7)
    calendar.set_xticks(range(CALENDAR_WEEKS), [(start + timedelta(weeks=w)).strftime("%d %b")
                                               for w in range(CALENDAR_WEEKS)], rotation=45, fontsize=7)
    calendar.set_title(f"Practice days, last {CALENDAR_WEEKS} weeks")
    fig.tight_layout()

    last = rated[-1]
    alt = (f"{name}'s progress over {plural(len(rated), 'rated round')}: latest weighted score {last.weighted:.2f} "
           f"against a {pass_bar:.1f} pass bar; {plural(len(practice_days), 'practice day')}.")
    return Chart(_png(fig), alt, "progress.png")


def team_chart(team_name: str, week_of: date, answers_per_day: Mapping[date, int],
               team_averages: Mapping[str, float], rubric: Rubric, pass_bar: float) -> Chart:
    """Two panels for the weekly digest: answers per practice day, and the average per dimension."""
    plt = _pyplot()
    fig, (participation, dims) = plt.subplots(1, 2, figsize=(10, 4))
    fig.suptitle(f"{team_name or 'The team'}: week of {week_of:%d %b}", fontsize=13)
    days = sorted(answers_per_day)
    participation.bar([d.strftime("%a") for d in days], [answers_per_day[d] for d in days], color=SCORE_COLOUR)
    participation.set_title("Answers per practice day")
    participation.set_ylabel("answers")
    names = [d.name.replace(" ", "\n", 1) for d in rubric.dimensions]
    values = [team_averages.get(d.id, 0.0) for d in rubric.dimensions]
    dims.bar(names, values, color="#27ae60")
    dims.axhline(pass_bar, color=PASS_COLOUR, linestyle="--", label=f"pass bar {pass_bar:.1f}")
    dims.set_ylim(0, 5.2)
    dims.set_title("Average score per dimension")
    dims.tick_params(axis="x", labelsize=7)
    dims.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    total = sum(answers_per_day.values())
    rated = ", ".join(f"{d.name} {team_averages[d.id]:.1f}" for d in rubric.dimensions if d.id in team_averages)
    alt = f"{plural(total, 'answer')} this week across {plural(len(days), 'practice day')}. Averages: {rated or 'no votes yet'}."
    return Chart(_png(fig), alt, f"week-{week_of}.png")
