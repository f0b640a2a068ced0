"""Question families: every family loads in its own outline shape, a team chooses its daily mix
with `set families`, and `drill <family>` works for every family a pack holds."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from bot import content
from bot.content import CATEGORIES, DEFAULT_FAMILIES, FAMILY_OUTLINE, ContentError
from bot.store.models import Round
from tests.conftest import TeamBot

SECTIONS = {
    "phases": {"v1": "A first version for the segment we start with."},
    "decision": {"choice": "Option A.", "gives_up": "Option B for two quarters.",
                 "why": "A serves the segment with the most revenue at risk.",
                 "would_change": "If B's customers start churning, we revisit."},
    "hypotheses": [{"cause": "A new SDK release broke the code screen", "check": "completion by SDK version"},
                   {"cause": "One carrier is filtering", "check": "delivery rate by carrier"}],
    "options": ["Build", "Partner"],
    "north_star": "Verifications completed per week by real end users",
    "observations": ["The first call works in five minutes", "Errors don't say what to do next"],
}


def case(family: str, pid: str | None = None) -> dict:
    """A minimal valid case of `family`, with exactly the outline sections its family requires."""
    outline = {
        "scope": ["Assume 1,000 customers."],
        "segments": [{"name": "Developers", "needs": "fast answers"}, {"name": "Admins", "needs": "control"}],
        "tradeoffs": ["Speed against depth."],
        "kpis": [{"metric": "Completion rate", "target": "90% within 3 months", "baseline": "82% last month"},
                 {"metric": "Support tickets", "target": "no increase", "guardrail": True}],
        "pitfalls": ["Solving before scoping."],
        "recommendation": "Start with developers; first step: interview five of them this week.",
    }
    for key in FAMILY_OUTLINE[family][0] + FAMILY_OUTLINE[family][1]:
        outline[key] = copy.deepcopy(SECTIONS[key])
    return {"id": pid or f"x-{family}-case", "title": f"A {family} case", "category": family, "area": "verification",
            "difficulty": "medium", "time_box_minutes": 20, "text": "Something for a platform PM to answer.",
            "personas": [{"role": "developer", "need": "ship"}, {"role": "business-owner", "need": "grow"}],
            "hints": {s: ["A question?"] for s in ("scope", "segment", "solve", "score")}, "outline": outline}


def write_pack(tmp_path: Path, cases: list[dict]) -> Path:
    root = tmp_path / "families"
    (root / "prompts").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "cases.yaml").write_text(yaml.safe_dump({"prompts": cases}, sort_keys=False))
    return root


def test_every_family_loads_in_its_own_shape_and_api_is_optional(tmp_path):
    lib = content.load([write_pack(tmp_path, [case(f) for f in CATEGORIES])])
    for family in CATEGORIES:
        p = lib.prompt(f"x-{family}-case")
        assert p is not None and p.category == family and p.outline.api == {}, family


@pytest.mark.parametrize("family", [f for f in CATEGORIES if FAMILY_OUTLINE[f][0]])
def test_a_family_case_missing_its_sections_names_file_line_and_section(tmp_path, family):
    broken = case(family)
    missing = FAMILY_OUTLINE[family][0][0]
    del broken["outline"][missing]
    with pytest.raises(ContentError) as exc:
        content.load([write_pack(tmp_path, [broken])])
    found = [p for p in exc.value.problems if p.field.endswith(f".outline.{missing}")]
    assert found and found[0].file.endswith("prompts/cases.yaml") and found[0].line > 1, exc.value.problems
    assert family in found[0].message


def family_bot(db, clock, tmp_path) -> TeamBot:
    lib = content.load([write_pack(tmp_path, [case(f) for f in CATEGORIES if f not in DEFAULT_FAMILIES])])
    bot = TeamBot(db, clock, lib)
    bot.setup()
    return bot


def daily_families(bot: TeamBot, days: int) -> list[str]:
    bot.advance(days=days)
    with bot.db.session() as s:
        ids = s.exec(select(Round.prompt_id).where(Round.team_id == bot.team_id()).order_by(Round.local_date)).all()
    return [bot.library.prompt(pid).category for pid in ids]


def test_set_families_is_admin_only_validated_and_steers_the_daily_case(db, clock, tmp_path):
    bot = family_bot(db, clock, tmp_path)
    assert "admin" in bot.cmd("ada", "set families diagnose").plain().lower()
    typo = bot.cmd("admin", "set families improve diagnoze", admin=True).plain()
    assert "'diagnoze' is not a family" in typo
    assert "Families: improve, design, prioritize (default)" in bot.cmd("admin", "status", admin=True).plain()
    assert "families is now diagnose, strategy" in bot.cmd("admin", "set families strategy,diagnose", admin=True).plain()
    first = daily_families(bot, 3)
    assert first and set(first) == {"diagnose", "strategy"}, first
    assert "default mix" in bot.cmd("admin", "set families default", admin=True).plain()
    later = daily_families(bot, 3)[len(first):]
    assert later and set(later) <= set(DEFAULT_FAMILIES), later


def test_default_mix_is_the_three_product_sense_families(teambot):
    teambot.setup()
    assert set(daily_families(teambot, 7)) <= set(DEFAULT_FAMILIES)


def test_drill_works_for_every_family_and_says_what_the_steps_mean(db, clock, tmp_path):
    bot = family_bot(db, clock, tmp_path)
    for family in CATEGORIES:
        reply = bot.cmd("ada", f"drill {family}")
        assert reply.messages[0].title.startswith("Drill:"), (family, reply.plain())
        assert f"Scope in a {family} case" in reply.plain(), family
    assert "not a drill kind" in bot.cmd("ada", "drill brainstorm").plain()


def test_drill_of_a_family_the_packs_lack_says_so(db, clock, tmp_path):
    # an improve case for the daily prompt, so the diagnose case isn't reserved for the coming days
    lib = content.load([write_pack(tmp_path, [case("diagnose"), case("improve")])])
    bot = TeamBot(db, clock, lib)
    bot.setup()
    with bot.db.session() as s:
        from bot.store.models import Team
        team = s.get(Team, bot.team_id())
        team.packs = ["cases"]  # only the test pack, which has no critique case
        s.add(team)
        s.commit()
    assert "no critique cases yet" in bot.cmd("ada", "drill critique").plain()
    assert bot.cmd("ada", "drill diagnose").messages[0].title.startswith("Drill:")


def test_drill_skill_estimate_has_its_look_for_list(teambot, library):
    estimates = [d for d in library.drills if d.skill == "estimate"]
    assert len(estimates) >= 5 and all(len(d.look_for) >= 3 for d in estimates)
    reply = teambot.cmd("ada", "drill skill estimate")
    assert reply.messages[0].title.startswith("Skill drill:") and "stimate" in reply.plain()
