"""WHO ASSIST v3.0 scoring and rules (backend/recovery/assist.py): pure, no database."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from backend.common.errors import ValidationFailed
from backend.recovery.assist import SCALES, SUBSTANCES, assist_score, questions_for, risk_level


def none_used() -> dict[str, Any]:
    return {s: {"q1": False} for s in SUBSTANCES}


def with_(**per_substance: dict[str, Any]) -> dict[str, Any]:
    answers = none_used()
    for substance, values in per_substance.items():
        answers[substance] = {"q1": True, **values}
    return answers


def full(q2=0, q3=0, q4=0, q5=0, q6=0, q7=0, tobacco=False) -> dict[str, int]:
    answers = {"q2": q2, "q6": q6, "q7": q7}
    if q2 != 0:
        answers.update(q3=q3, q4=q4)
        if not tobacco:
            answers["q5"] = q5
    return answers


def fields(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {d.field: d.code for d in exc.value.details}


# --- cut-offs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score,risk",
    [(0, "low"), (3, "low"), (4, "moderate"), (26, "moderate"), (27, "high"), (39, "high")],
)
@pytest.mark.parametrize("substance", [s for s in SUBSTANCES if s != "alcohol"])
def test_every_class_but_alcohol_uses_the_3_4_and_26_27_cut_offs(substance, score, risk):
    assert risk_level(substance, score) == risk


@pytest.mark.parametrize(
    "score,risk", [(0, "low"), (10, "low"), (11, "moderate"), (26, "moderate"), (27, "high")]
)
def test_alcohol_uses_the_10_11_and_26_27_cut_offs(score, risk):
    assert risk_level("alcohol", score) == risk


# Answer combinations that sum to the boundary scores, scored end to end.
@pytest.mark.parametrize(
    "answers,score,risk,action",
    [
        (full(q2=3), 3, "low", "brief_advice"),  # cannabis 3: low
        (full(q2=4), 4, "moderate", "brief_intervention"),  # cannabis 4: moderate
        (full(q2=6, q3=6, q4=7, q5=7), 26, "moderate", "brief_intervention"),
        (full(q2=6, q3=6, q4=7, q5=8), 27, "high", "referral"),
        (full(q2=6, q3=6, q4=7, q5=8, q6=6, q7=6), 39, "high", "referral"),
    ],
)
def test_it_sums_q2_to_q7_into_the_involvement_score(answers, score, risk, action):
    result = assist_score(with_(cannabis=answers), 0)
    assert result.substances["cannabis"].score == score
    assert result.substances["cannabis"].risk == risk
    assert result.substances["cannabis"].action == action
    assert result.highest_risk == risk
    assert result.action == action
    assert result.needs_escalation is (risk == "high")


@pytest.mark.parametrize(
    "answers,score,risk",
    [
        (full(q2=2, q3=3, q4=5), 10, "low"),
        (full(q2=2, q3=4, q4=5), 11, "moderate"),
        (full(q2=6, q3=6, q4=7, q5=7), 26, "moderate"),
        (full(q2=6, q3=6, q4=7, q5=8), 27, "high"),
    ],
)
def test_alcohol_boundaries_end_to_end(answers, score, risk):
    result = assist_score(with_(alcohol=answers), 0)
    assert (result.substances["alcohol"].score, result.substances["alcohol"].risk) == (score, risk)


def test_tobacco_is_scored_without_q5():
    result = assist_score(with_(tobacco=full(q2=6, q3=6, q4=7, q6=6, q7=3, tobacco=True)), 0)
    assert result.substances["tobacco"].score == 28
    assert result.substances["tobacco"].risk == "high"


def test_only_classes_ever_used_are_scored():
    result = assist_score(with_(alcohol=full(q2=2), cannabis=full(q6=3)), 0)
    assert set(result.substances) == {"alcohol", "cannabis"}
    assert result.substances["cannabis"].score == 3


def test_nobody_who_never_used_anything_needs_anything():
    result = assist_score(none_used(), None)
    assert result.substances == {}
    assert (result.highest_risk, result.action, result.needs_escalation) == ("none", "none", False)


def test_the_highest_risk_and_strongest_action_over_all_classes_win():
    result = assist_score(with_(alcohol=full(q2=2), opioids=full(q2=6, q3=6, q4=7, q5=8)), 0)
    assert result.highest_risk == "high"
    assert result.action == "referral"
    assert result.scores_json()["alcohol"] == {"score": 2, "risk": "low", "action": "brief_advice"}


# --- injecting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q8,recently,ever,action,escalate",
    [
        (0, False, False, "brief_advice", False),
        (1, False, True, "brief_advice", False),
        (2, True, True, "referral", True),
    ],
)
def test_injecting_in_the_past_3_months_means_referral_whatever_the_scores(
    q8, recently, ever, action, escalate
):
    result = assist_score(with_(cannabis=full(q2=2)), q8)
    assert result.injected_recently is recently
    assert result.injected_ever is ever
    assert result.action == action
    assert result.needs_escalation is escalate


def test_q8_is_required_when_anything_was_used():
    with pytest.raises(ValidationFailed) as exc:
        assist_score(with_(cannabis=full(q2=2)), None)
    assert fields(exc) == {"q8": "required"}


def test_q8_is_not_asked_when_nothing_was_used():
    with pytest.raises(ValidationFailed) as exc:
        assist_score(none_used(), 0)
    assert fields(exc) == {"q8": "skipped_question"}


@pytest.mark.parametrize("q8", [3, -1, True, "2"])
def test_q8_off_the_scale_is_rejected(q8):
    with pytest.raises(ValidationFailed) as exc:
        assist_score(with_(cannabis=full(q2=2)), q8)
    assert fields(exc) == {"q8": "not_on_scale"}


# --- skip rules --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("substance", SUBSTANCES)
@pytest.mark.parametrize("q1", [False, True])
@pytest.mark.parametrize("q2", [None, 0, 2, 6])
def test_the_asked_questions_follow_the_skip_rules(substance, q1, q2):
    asked = set(questions_for(substance, q1, q2))
    if not q1:
        assert asked == set()
        return
    assert {"q2", "q6", "q7"} <= asked
    assert ({"q3", "q4"} <= asked) is (q2 != 0)
    assert ("q5" in asked) is (q2 != 0 and substance != "tobacco")
    assert not ({"q3", "q4", "q5"} & asked) or q2 != 0


@pytest.mark.parametrize("question", ["q2", "q3", "q4", "q5", "q6", "q7"])
def test_an_answer_for_a_class_never_used_is_rejected(question):
    answers = none_used()
    answers["cocaine"] = {"q1": False, question: 0}
    with pytest.raises(ValidationFailed) as exc:
        assist_score(answers, None)
    assert fields(exc) == {f"answers.cocaine.{question}": "skipped_question"}


@pytest.mark.parametrize("question", ["q3", "q4", "q5"])
def test_q3_to_q5_are_skipped_when_not_used_in_the_past_3_months(question):
    answers = with_(cannabis={"q2": 0, "q6": 0, "q7": 0, question: 0})
    with pytest.raises(ValidationFailed) as exc:
        assist_score(answers, 0)
    assert fields(exc) == {f"answers.cannabis.{question}": "skipped_question"}


def test_q6_and_q7_are_still_asked_for_a_class_not_used_in_the_past_3_months():
    with pytest.raises(ValidationFailed) as exc:
        assist_score(with_(cannabis={"q2": 0}), 0)
    assert fields(exc) == {"answers.cannabis.q6": "required", "answers.cannabis.q7": "required"}
    result = assist_score(with_(cannabis={"q2": 0, "q6": 6, "q7": 3}), 0)
    assert result.substances["cannabis"].score == 9


def test_q5_for_tobacco_is_rejected():
    answers = with_(tobacco={**full(q2=4, tobacco=True), "q5": 5})
    with pytest.raises(ValidationFailed) as exc:
        assist_score(answers, 0)
    assert fields(exc) == {"answers.tobacco.q5": "skipped_question"}


@pytest.mark.parametrize("question", ["q2", "q3", "q4", "q5", "q6", "q7"])
def test_a_missing_required_answer_is_named(question):
    values = full(q2=4)
    del values[question]
    with pytest.raises(ValidationFailed) as exc:
        assist_score(with_(opioids=values), 0)
    assert f"answers.opioids.{question}" in fields(exc)
    assert fields(exc)[f"answers.opioids.{question}"] == "required"


# --- scales and shape --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question,value",
    [(q, v) for q, scale in SCALES.items() if q != "q8" for v in sorted(set(range(-1, 10)) - scale)],
)
def test_a_value_off_the_scale_is_rejected(question, value):
    values = full(q2=4)
    values[question] = value
    with pytest.raises(ValidationFailed) as exc:
        assist_score(with_(amphetamines=values), 0)
    assert fields(exc)[f"answers.amphetamines.{question}"] == "not_on_scale"


@pytest.mark.parametrize("question", ["q2", "q6"])
@pytest.mark.parametrize("value", [True, "4", 4.0])
def test_values_must_be_plain_integers(question, value):
    values = full(q2=4)
    values[question] = value
    with pytest.raises(ValidationFailed) as exc:
        assist_score(with_(cannabis=values), 0)
    assert fields(exc)[f"answers.cannabis.{question}"] == "not_on_scale"


def test_every_value_on_every_scale_is_accepted():
    for q2, q3, q4, q5 in itertools.product(
        sorted(SCALES["q2"] - {0}), SCALES["q3"], SCALES["q4"], SCALES["q5"]
    ):
        result = assist_score(with_(other=full(q2=q2, q3=q3, q4=q4, q5=q5)), 0)
        assert result.substances["other"].score == q2 + q3 + q4 + q5


def test_an_unknown_substance_is_rejected():
    answers = none_used()
    answers["kratom"] = {"q1": True}
    with pytest.raises(ValidationFailed) as exc:
        assist_score(answers, None)
    assert fields(exc) == {"answers.kratom": "unknown_substance"}


def test_every_class_needs_its_q1():
    answers = none_used()
    del answers["inhalants"]
    answers["sedatives"] = {}
    with pytest.raises(ValidationFailed) as exc:
        assist_score(answers, None)
    assert fields(exc) == {"answers.inhalants": "required", "answers.sedatives.q1": "required"}


def test_an_unknown_question_is_rejected():
    answers = with_(cannabis={**full(q2=2), "q9": 1})
    with pytest.raises(ValidationFailed) as exc:
        assist_score(answers, 0)
    assert fields(exc) == {"answers.cannabis.q9": "unknown_question"}


def test_all_problems_are_reported_at_once_with_one_code():
    answers = with_(cannabis={"q2": 5}, alcohol={"q2": 0, "q3": 3, "q6": 0, "q7": 0})
    with pytest.raises(ValidationFailed) as exc:
        assist_score(answers, None)
    assert exc.value.code == "invalid_assist_answers"
    assert fields(exc) == {
        "answers.alcohol.q3": "skipped_question",
        "answers.cannabis.q2": "not_on_scale",
        "answers.cannabis.q3": "required",
        "answers.cannabis.q4": "required",
        "answers.cannabis.q5": "required",
        "answers.cannabis.q6": "required",
        "answers.cannabis.q7": "required",
        "q8": "required",
    }
