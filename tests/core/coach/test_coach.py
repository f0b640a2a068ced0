"""The coach as a member meets it: on/off topic, honest limits, what is strong, the JSON contract.

The model loads once per test session (the coach's own lazy singleton); the sockets-blocked
load runs in a child process so it proves a cold load without loading twice here.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import coach, content
from bot.cli import main
from bot.coach import feedback
from bot.rounds import outline_text
from tests.core.coach import evalset

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def lib():
    return content.load()


@pytest.fixture(scope="module")
def data():
    return evalset.load()


def plain(reading) -> str:
    return "\n".join(f"{s.title}\n{s.text}" for s in feedback.sections(reading))


def test_loading_and_reading_never_touch_the_network():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network blocked by the test')\n"
        "socket.socket.connect = refuse; socket.getaddrinfo = refuse; socket.create_connection = refuse\n"
        "from bot import coach, content\n"
        "lib = content.load(); p = lib.prompts[0]\n"
        "r = coach.read(p, {}, 'I will focus on developers who need a goal of 20% within two quarters.', lib)\n"
        "print('read', r.judgeable)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "0"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "read True" in out.stdout


def test_model_outlines_as_form_and_free_text_have_nothing_missing(lib):
    for p in lib.prompts[::9]:
        assert coach.read(p, evalset.outline_form(p), "", lib).missing == [], p.id
        assert coach.read(p, {}, outline_text(p), lib).missing == [], p.id


def test_another_cases_outline_is_a_different_question_with_no_ticks(lib):
    p, other = lib.prompt("voice-design-outbound-caller-trust"), lib.prompt("pricing-billing-improve-invoice-reconciliation")
    r = coach.read(p, {}, outline_text(other), lib)
    assert not r.on_topic and r.closest == other.id
    text = plain(r)
    assert "This reads like an answer to a different question" in text and "✓" not in text and "✗" not in text
    assert coach.read(p, evalset.outline_form(p), "", lib).on_topic


def test_gibberish_and_another_language_get_one_honest_line(lib, data):
    p = lib.prompt("verification-improve-otp-completion-by-country")
    for text in [*data["gibberish"], *data["foreign"].values()]:
        r = coach.read(p, {}, text, lib)
        # real words strung together ("purple scope banana... V1 V2 V3 API") read as an answer to no case
        assert (not r.judgeable or text == data["gibberish"][0]) and not r.on_topic and len(r.missing) == 1 and not r.complete
        assert not any(r.covered.values())
        assert len(feedback.sections(r)) == 1
    assert "Spanish" in coach.read(p, {}, data["foreign"]["es"], lib).honest


def test_keyword_stuffing_is_never_complete(lib, data):
    for case in data["cases"][:4]:
        for text in [*data["stuffing"], *data["other_domain"]]:
            assert not coach.read(lib.prompt(case["id"]), {}, text, lib).complete


def test_a_strong_answer_is_told_what_is_strong_and_ranks_above_mid_and_weak(lib, data):
    case = data["cases"][0]
    p = lib.prompt(case["id"])
    strong = coach.read(p, case["excellent"], "", lib)
    assert strong.complete and strong.missing == [] and strong.strength >= 0.8
    assert "What is strong" in plain(strong) and "baseline, a target with a date and a guardrail" in plain(strong)
    mid, weak = coach.read(p, {}, case["mid"], lib), coach.read(p, {}, case["weak"], lib)
    assert strong.strength > mid.strength > weak.strength
    assert "Nice" not in plain(mid)


def test_excellent_answer_as_prose_without_headings_still_covers_every_step(lib, data):
    case = data["cases"][1]
    r = coach.read(lib.prompt(case["id"]), {}, evalset.prose(case["excellent"]), lib)
    assert r.mode == "meaning" and all(r.covered.values()) and "jump to a solution" not in " ".join(r.missing)


def test_compliance_nudge_names_the_cases_own_rules_and_nothing_when_it_has_none(lib):
    from dataclasses import replace
    p = replace(lib.prompt("voice-design-outbound-caller-trust"), compliance=("STIR/SHAKEN", "TCPA"), enterprise=False)
    answer = {"scope": "I'll focus on home-services businesses calling customers from their scheduling backend; goal: answer rate from 25% to 40% within two quarters.",
              "segment": "Business owners need customers to pick up appointment calls. Homeowners want to know who is calling before they answer.",
              "solve": "V1: branded caller name on outbound calls via POST /v1/caller-profiles; V2: spam-label reports in the console.",
              "score": "Answer rate from 25% to 40% within two quarters; complaints must not rise."}
    r = coach.read(p, answer, "", lib)
    said = " ".join(r.missing + r.tips)  # the rules are named as a tip: they make a complete answer stronger
    assert "STIR/SHAKEN" in said and "TCPA" in said and "GDPR" not in said and "HIPAA" not in said
    plain_case = replace(p, compliance=(), enterprise=False)
    assert not any(m.startswith("Compliance") for m in coach.read(plain_case, answer, "", lib).missing)


def test_timeline_reads_delivery_only_never_kpi_windows(lib):
    p = lib.prompt("enterprise-admin-improve-sso-setup")
    answer = {"scope": "I'll focus on IT admins setting up SAML in our console; goal: SSO tickets down 60% within two quarters.",
              "segment": "IT admins need clear errors when an attribute is wrong. Security leads need proof that password login is off.",
              "solve": "V1: a setup wizard with a test login. V2: SCIM provisioning. API GET /v1/sso/connections/{id}/test-results.",
              "score": "Tickets down 60% within 2 weeks of launch, then 20% more in 1 month; lockouts must not rise."}
    assert not any("unrealistic" in m for m in coach.read(p, answer, "", lib).missing)
    rushed = {**answer, "solve": answer["solve"] + " We ship all of it in 2 weeks."}
    assert any("'in 2 weeks' sounds unrealistic" in m for m in coach.read(p, rushed, "", lib).missing)


def test_skill_drill_answer_is_read_against_the_look_for_list(lib):
    for drill in lib.drills[:4]:
        good = coach.read_drill(drill, drill.example)
        assert good.judgeable and good.on_topic and good.missing == [] and good.strength >= 0.6, drill.id
        assert not coach.read_drill(drill, "No idea, sorry, I would just ask someone else. Maybe build something nice.").on_topic
    endpoint = next(d for d in lib.drills if d.skill == "endpoint")
    vague = coach.read_drill(endpoint, "We add an endpoint so that the developer can resend the code to the user when it did not arrive in time.")
    assert vague.on_topic and vague.missing and "status codes" in vague.missing[0]


def test_cli_json_contract(capsys, tmp_path, lib, data):
    case = data["cases"][0]
    f = tmp_path / "a.json"
    f.write_text(json.dumps(case["excellent"]), encoding="utf-8")
    assert main(["coach", case["id"], str(f), "--form", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"case", "language", "judgeable", "on_topic", "strength", "steps", "missing", "strong"} <= set(out)
    assert out["case"] == case["id"] and out["language"] == "en" and out["judgeable"] and out["on_topic"]
    assert set(out["steps"]) == {"scope", "segment", "solve", "score"} and all("covered" in v for v in out["steps"].values())
    assert 0 <= out["strength"] <= 1 and isinstance(out["missing"], list) and isinstance(out["strong"], list)
    f.write_text(data["gibberish"][1], encoding="utf-8")
    assert main(["coach", case["id"], str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["judgeable"] is False and out["on_topic"] is False and len(out["missing"]) == 1
    assert not any(v["covered"] for v in out["steps"].values())


def test_cli_unknown_case_or_unreadable_file_exits_2_with_one_sentence(capsys, tmp_path):
    assert main(["coach", "no-such-case", str(tmp_path / "x.txt")]) == 2
    assert "no case 'no-such-case'" in capsys.readouterr().err
    assert main(["coach", "voice-design-outbound-caller-trust", str(tmp_path / "missing.txt")]) == 2
    assert "can't read" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("just a sentence", encoding="utf-8")
    assert main(["coach", "voice-design-outbound-caller-trust", str(bad), "--form"]) == 2


def test_a_case_may_carry_a_compliance_list_and_it_loads(lib):
    """`compliance:` is parsed into Prompt.compliance; a pack that uses it must load, not be refused."""
    p = lib.prompt("voice-design-outbound-caller-trust")
    assert p.compliance == ("STIR/SHAKEN", "TCPA")


def test_bullets_without_headings_are_read_by_meaning(lib, data):
    case = data["cases"][2]
    bullets = "\n".join(f"- {u}" for s in ("scope", "segment", "solve", "score")
                        for u in case["excellent"][s].split(". ") if u)
    r = coach.read(lib.prompt(case["id"]), {}, bullets, lib)
    assert r.mode == "meaning" and all(r.covered.values()), r.missing
    assert not any("jump to a solution" in m for m in r.missing)


def test_solution_first_only_when_the_answer_opens_on_a_solution(lib, data):
    case = data["cases"][1]
    p, ex = lib.prompt(case["id"]), case["excellent"]
    backwards = "\n\n".join([ex["solve"], ex["segment"], ex["score"], ex["scope"]])
    assert any("jump to a solution" in m for m in coach.read(p, {}, backwards, lib).missing)
    assert not any("jump to a solution" in m for m in coach.read(p, ex, "", lib).missing)


def test_a_phase_inside_the_cases_own_deadline_is_not_unrealistic(lib):
    p = lib.prompt("fraud-trust-prioritize-carrier-ultimatum")  # the carrier's 90-day notice
    assert "90 days" in p.text
    answer = {"scope": "I'll focus on the carrier's notice that complaint rates on our shared sender pool are too high; goal: complaint rate under the carrier's limit and 100% of traffic flowing, with the plan done within 90 days.",
              "segment": "Our biggest senders on the shared pool need to keep sending. The carrier's compliance team needs complaint rates to drop and proof of registered senders.",
              "solve": "I choose moving the biggest senders off the shared pool over filtering content, giving up some onboarding speed. V1: migrate the top 200 senders to dedicated registered numbers in 4 weeks. V2: tighten onboarding for new accounts by day 80. API POST /v1/senders/registrations.",
              "score": "Complaint rate on the shared pool from 0.5% to under 0.1% within 90 days; traffic blocked by the carrier: 0% at day 90; onboarding time must not rise above 2 days."}
    assert not any("unrealistic" in m for m in coach.read(p, answer, "", lib).missing)
    from dataclasses import replace
    no_deadline = replace(p, text=p.text.replace("90 days", "the coming year"), enterprise=True)
    assert any("'in 4 weeks' sounds unrealistic" in m for m in coach.read(no_deadline, answer, "", lib).missing)


# ---- issue 16: nine families of case, each read in its own shape

FAMILY_CASES = {
    "improve": "verification-improve-otp-completion-by-country", "design": "voice-design-outbound-caller-trust",
    "prioritize": "reliability-prioritize-error-budget-vs-launch",
    "diagnose": "verification-diagnose-completion-drop-this-week",
    "metrics": "verification-metrics-north-star-for-verify", "strategy": "reliability-strategy-multi-provider-routing",
    "launch": "video-launch-telehealth-waiting-room", "platform": "voice-platform-media-region-selection",
    "critique": "pricing-billing-critique-invoice",
}


def test_every_familys_model_outline_reads_complete_with_nothing_missing(lib):
    """A model outline of each family, as a form and as free text: on topic, four ticks, no "missing"."""
    assert {p.category for p in lib.prompts} == set(FAMILY_CASES)
    for family, cid in FAMILY_CASES.items():
        p = lib.prompt(cid)
        assert p.category == family
        for r in (coach.read(p, evalset.outline_form(p), "", lib), coach.read(p, {}, outline_text(p), lib)):
            assert r.complete and r.missing == [], (family, r.missing)


def test_solve_is_read_in_the_shape_of_its_family(lib, data):
    """Diagnose needs hypotheses and their checks, metrics a north star, strategy/platform options
    and a decision, critique what works and what doesn't: phases alone don't cover those Solves."""
    phases_only = "V1: a console page with the numbers by country. V2: an alert in the dashboard. V3: a weekly report."
    expected = {"diagnose": "hypotheses", "metrics": "north-star", "strategy": "options", "platform": "options",
                "critique": "what works"}
    cases = {c["id"]: c for c in data["cases"]}
    for family, word in expected.items():
        p = lib.prompt(FAMILY_CASES[family])
        good = cases[p.id]["excellent"]
        r = coach.read(p, {**good, "solve": phases_only}, "", lib)
        assert not r.covered["solve"] and word in " ".join(r.missing).lower(), (family, r.missing)
        full = coach.read(p, good, "", lib)
        assert full.covered["solve"] and any(s.startswith("Your Solve") for s in full.strong), (family, full.strong)
    # Issue 13's rule stands: a prioritisation is phased, or makes a choice and says what it gives up.
    p = lib.prompt(FAMILY_CASES["prioritize"])
    assert coach.steps.read_solve("I choose the fix over the launch; we give up the public date.", p).covered


def test_relevance_embeds_the_new_outline_parts(lib):
    from bot.coach.relevance import profile_text
    for family in ("diagnose", "metrics", "strategy", "critique"):
        o = lib.prompt(FAMILY_CASES[family]).outline
        text = profile_text(lib.prompt(FAMILY_CASES[family]))
        for part in (*(c for c, _ in o.hypotheses), o.north_star, o.decision.get("choice", ""), *o.observations,
                     o.recommendation, *(k.metric for k in o.kpis)):
            assert part in text, (family, part)


def test_rubric_reference_answers_are_on_topic_and_ordered_like_the_rubric(lib):
    """Cases with no outline (the rubric's) are judged on their bare text; strength follows the rubric."""
    ref_lib, prompts = evalset.reference_cases(lib)
    weights = {d.id: d.weight for d in lib.rubric.dimensions}
    got = []
    for ref, p in zip(lib.rubric.reference_answers, prompts):
        r = coach.read(p, ref.answer, "", ref_lib)
        assert r.on_topic, ref.id
        got.append((sum(ref.scores[k] * weights[k] for k in ref.scores), r.strength))
    assert [s for _, s in sorted(got)] == sorted(s for _, s in got)


def test_a_thin_on_topic_answer_ranks_above_one_the_coach_cannot_read(lib, data):
    case = next(c for c in data["cases"] if c["id"] == FAMILY_CASES["platform"])
    p = lib.prompt(case["id"])
    thin, weak = coach.read(p, {}, case["mid"], lib), coach.read(p, {}, case["weak"], lib)
    assert thin.on_topic and thin.strength > weak.strength


def test_score_names_the_cases_own_kpi_when_it_is_missing(lib):
    p = lib.prompt(FAMILY_CASES["diagnose"])
    r = coach.steps.read_score("", p)
    assert p.outline.kpis[0].metric.rstrip(".") in r.missing


def test_a_window_that_defines_a_metric_is_not_a_delivery_date(lib):
    """"Instrument resolution (no repeat contact within 7 days)" defines the metric; it ships nothing in 7 days."""
    p = lib.prompt("contact-center-metrics-success-of-agent-desktop")
    solve = ("North star: contacts resolved on first contact per agent hour. V1: instrument resolution (no repeat "
             "contact within 7 days) and agent hours per account. V2: input metrics per screen.")
    assert mistakes_timeline(solve, p) is None
    assert mistakes_timeline(solve + " V3: ship a full AI redesign of the desktop within 7 days.", p) == "within 7 days"


def mistakes_timeline(solve: str, p) -> str | None:
    from bot.coach import mistakes
    return mistakes.timeline(solve, p, solve)


def test_a_diagnosis_segments_by_slices_not_personas(lib):
    """Diagnose's Segment is "slice it (country, carrier, channel, SDK version, customer)": slices cover it."""
    p = lib.prompt(FAMILY_CASES["diagnose"])
    r = coach.steps.read_segment("I'd slice the drop by country and carrier, then by channel and SDK version, "
                                 "to see whether it is everywhere a little or somewhere a lot.", p)
    assert r.covered and any("slices" in s for s in r.strong), r.missing
    thin = coach.steps.read_segment("I'd look at it by country.", p)
    assert not thin.covered and "slice" in thin.missing.lower()


def test_score_tips_follow_the_family(lib, data):
    """Each family's Score asks for something of its own (FAMILY_STEPS): a diagnosis how it won't recur, a
    metrics answer how the metric could be gamed, a strategy its stop signal, a platform what would change
    the decision. Missing, it is a tip (never "missing"); present, it is named as strong."""
    plain_score = "Completion from 70% to 80% within two quarters; cost per verification must not rise."
    asks = {"diagnose": ("recur", "Alerts on completion by country and carrier stop it from recurring."),
            "metrics": ("gamed", "Retries could game the metric, so only completed genuine verifications count."),
            "strategy": ("stop", "Stop signal: no drop in dual-sourcing after two quarters."),
            "platform": ("change", "We would change the decision if edge costs outgrow revenue.")}
    for family, (word, extra) in asks.items():
        p = lib.prompt(FAMILY_CASES[family])
        bare = coach.steps.read_score(plain_score, p)
        assert bare.covered and any(word in t for t in bare.tips) and not bare.missing, (family, bare.tips)
        full = coach.steps.read_score(plain_score + " " + extra, p)
        assert not any(word in t for t in full.tips) and any(word in s for s in full.strong), (family, full.strong)


@pytest.mark.parametrize("segment", [
    "Indie developers need a five-minute setup, enterprise security teams need audit logs and finance leads want "
    "predictable cost",
    "indie developers need a quick setup and enterprise security teams need audit logs for every key",
    "Two personas: backend developers who need clear error codes, and support agents who need delivery status",
])
def test_personas_run_together_in_one_sentence_are_each_read(segment):
    """People write their segments in one sentence as often as one per line: two or three personas
    with their needs are not one (the coach used to say "you name only one persona")."""
    r = coach.steps.read_segment(segment, None)
    assert r.covered and len(r.personas) >= 2, r.personas
    assert "only one persona" not in r.missing


def test_a_role_named_inside_a_need_is_not_a_second_persona():
    r = coach.steps.read_segment("Backend developers need their customers to trust every message they send", None)
    assert r.personas == ["backend developer"]
