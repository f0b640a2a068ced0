"""Coverage analysis: deterministic, explainable nudges on good, weak and empty answers."""
from bot.content import Library
from bot.nudges import analyze


def prompt(library: Library, enterprise: bool):
    return next(p for p in library.prompts if p.enterprise == enterprise)


GOOD = {
    "scope": "I'll assume backend developers sending OTP SMS; the goal is to cut failed verifications by 20% in 2 quarters.",
    "segment": "Developers need clear error codes in the API; IT/security leads need visibility into who sends what; business owners care about cost.",
    "solve": "V1 MVP: a webhook with failure reasons. V2: console analytics. V3: enterprise routing. API: POST /v1/verifications, 201 / 429.",
    "score": "KPIs: verification success rate from 90% to 95% within 6 months; p95 latency under 400 ms; support tickets down 30%.",
}


def test_good_structured_answer_covers_all_steps_without_mistakes(library):
    cov = analyze(GOOD, "", prompt(library, False), library.frameworks)
    assert cov.covered == {"scope": True, "segment": True, "solve": True, "score": True}
    assert cov.mistakes == [] and cov.nudges == []
    assert {"developer", "security-lead", "business-owner"} <= set(cov.personas)


def test_empty_answer_gets_one_nudge_per_step_with_the_prompt_hint(library):
    p = prompt(library, False)
    cov = analyze({}, "", p, library.frameworks)
    assert not any(cov.covered.values())
    assert [n.split(":")[0] for n in cov.nudges] == ["Scope", "Segment", "Solve", "Score"]
    assert p.hints["scope"][0] in cov.nudges[0]


def test_solution_first_free_text_and_vague_metric_are_named(library):
    text = ("I'd build a dashboard with an API endpoint and a webhook for failures. Then we launch it. "
            "Developers and support agents need it. Success is better reliability.")
    cov = analyze({}, text, prompt(library, False), library.frameworks)
    assert any("jump to a solution" in n for n in cov.nudges)
    assert any("you name 'better reliability'" in n for n in cov.nudges)


def test_enterprise_case_without_compliance_is_flagged_and_with_it_is_not(library):
    p = prompt(library, True)
    without = analyze(GOOD, "", p, library.frameworks)
    assert any("security/compliance is missing" in m for m in without.mistakes)
    with_gdpr = analyze({**GOOD, "solve": GOOD["solve"] + " Data retention of 90 days and GDPR deletion."}, "", p, library.frameworks)
    assert not any("security/compliance" in m for m in with_gdpr.mistakes)


def test_no_developer_experience_and_no_phases(library):
    answer = {**GOOD, "solve": "We will build a mobile app for admins that shows everything in one place."}
    cov = analyze(answer, "", prompt(library, False), library.frameworks)
    assert not any("Developer experience is missing" in m for m in cov.mistakes)  # 'developers' in segment counts
    cov = analyze({"solve": answer["solve"]}, "", prompt(library, False), library.frameworks)
    assert any("Developer experience is missing" in m for m in cov.mistakes)
    assert any("Break the solution into phases" in m for m in cov.mistakes)


def test_single_persona_is_asked_for_a_second(library):
    answer = {**GOOD, "segment": "Backend developers integrating the SMS API need structured error codes."}
    cov = analyze(answer, "", prompt(library, False), library.frameworks)
    assert any("you name only developer" in n for n in cov.nudges)


def test_impossible_timeline(library):
    cov = analyze({**GOOD, "solve": GOOD["solve"] + " We ship AI fraud detection in 3 months."}, "",
                  prompt(library, False), library.frameworks)
    assert any("'in 3 months' sounds unrealistic" in m for m in cov.mistakes)


def test_analysis_is_deterministic(library):
    p = prompt(library, False)
    assert analyze(GOOD, "x", p, library.frameworks) == analyze(GOOD, "x", p, library.frameworks)
