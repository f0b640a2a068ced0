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
    p = next(x for x in lib.prompts if "90 days" in x.text)
    answer = {"scope": "I'll focus on our messaging platform team and the carrier's notice; goal: keep 100% of traffic flowing, with the plan done within 90 days.",
              "segment": "Customers sending on shared numbers need to keep sending. The carrier's compliance team needs proof of registered senders.",
              "solve": "V1: migrate the top 200 senders to registered numbers in 4 weeks. V2: register everyone else by day 80. API POST /v1/senders/registrations.",
              "score": "Traffic blocked by the carrier: 0% at day 90; migrated senders from 0% to 100% within 90 days; complaints must not rise."}
    assert not any("unrealistic" in m for m in coach.read(p, answer, "", lib).missing)
    from dataclasses import replace
    no_deadline = replace(p, text=p.text.replace("90 days", "the coming year"), enterprise=True)
    assert any("'in 4 weeks' sounds unrealistic" in m for m in coach.read(no_deadline, answer, "", lib).missing)
