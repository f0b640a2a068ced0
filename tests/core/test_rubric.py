import pytest

from bot.content import DIMENSIONS
from bot.rubric import averages, check_scores, passes, weakest, weighted


def test_weights_are_the_rubric_s_20_20_25_20_15(library):
    assert {d.id: d.weight for d in library.rubric.dimensions} == {
        "problem_definition": 20, "user_empathy": 20, "solution_design": 25, "business_impact": 20, "communication": 15}
    assert library.rubric.pass_bar == 4.3


def test_weighted_score_is_the_weighted_sum(library):
    scores = {"problem_definition": 5, "user_empathy": 4, "solution_design": 3, "business_impact": 2, "communication": 1}
    assert weighted(scores, library.rubric) == pytest.approx(1.0 + 0.8 + 0.75 + 0.4 + 0.15)
    assert weighted({d: 5 for d in DIMENSIONS}, library.rubric) == pytest.approx(5.0)


def test_pass_bar_is_inclusive_at_display_precision():
    assert passes(4.3, 4.3) and passes(4.2999999, 4.3) and not passes(4.29, 4.3)


def test_averages_and_weakest_dimension(library):
    avg = averages([{d: 4 for d in DIMENSIONS}, {**{d: 2 for d in DIMENSIONS}, "communication": 4}])
    assert avg["communication"] == 4 and avg["solution_design"] == 3
    # ties between 3.0s go to the heaviest weight: solution design (25%)
    assert weakest(avg, library.rubric) == "solution_design"
    assert averages([]) == {} and weakest({}, library.rubric) is None


@pytest.mark.parametrize("bad,message", [
    ({"problem_definition": "6"}, "Scores run from 1 to 5"),
    ({"problem_definition": "0"}, "Scores run from 1 to 5"),
    ({"problem_definition": "four"}, "Give problem definition a score"),
    ({}, "Give problem definition a score"),
])
def test_check_scores_refuses_bad_values(bad, message):
    values = {d: "3" for d in DIMENSIONS}
    values.update(bad)
    if not bad:
        values.pop("problem_definition")
    with pytest.raises(ValueError, match=message):
        check_scores(values)
