"""WHO ASSIST v3.0 (Alcohol, Smoking and Substance Involvement Screening Test): validation and scoring.

A pure module (no ORM, no Django models): the questionnaire as WHO publishes it.

- Ten substance classes (`SUBSTANCES`). Q1 (lifetime use, yes/no) is asked for every class.
- Q2-Q7 are asked only for classes used in the lifetime (Q1 yes). If Q2 (use in the past 3 months) is "never",
  Q3-Q5 are skipped for that class; Q6 and Q7 are still asked for every class ever used. Q5 is never asked for
  tobacco.
- Q8 (injecting, non-medical use) is asked once, when any class was ever used.
- Answer values are the scores printed on WHO's answer sheet: Q2 0/2/3/4/6, Q3 0/3/4/5/6, Q4 0/4/5/6/7,
  Q5 0/5/6/7/8, Q6 and Q7 0/6/3 (no / yes in the past 3 months / yes but not in the past 3 months),
  Q8 0/2/1 (no / yes in the past 3 months / yes but not in the past 3 months).
- Specific Substance Involvement Score (SSIS) = Q2+Q3+Q4+Q5+Q6+Q7 (tobacco has no Q5).
- Risk: alcohol low 0-10, moderate 11-26, high 27+; every other class low 0-3, moderate 4-26, high 27+.
- Action: low -> brief advice, moderate -> brief intervention, high -> referral to assessment and treatment.
  Injecting in the past 3 months also means referral (WHO: the injecting risk intervention and referral).

Answers that break these rules are rejected, each problem naming its field (`answers.cannabis.q3`, `q8`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.common.errors import FieldErrors

SUBSTANCES: tuple[str, ...] = (
    "tobacco",
    "alcohol",
    "cannabis",
    "cocaine",
    "amphetamines",  # amphetamine-type stimulants
    "inhalants",
    "sedatives",  # sedatives or sleeping pills
    "hallucinogens",
    "opioids",
    "other",
)

SCALES: dict[str, frozenset[int]] = {
    "q2": frozenset({0, 2, 3, 4, 6}),
    "q3": frozenset({0, 3, 4, 5, 6}),
    "q4": frozenset({0, 4, 5, 6, 7}),
    "q5": frozenset({0, 5, 6, 7, 8}),
    "q6": frozenset({0, 6, 3}),
    "q7": frozenset({0, 6, 3}),
    "q8": frozenset({0, 2, 1}),
}
PER_SUBSTANCE_QUESTIONS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7")
INJECTED_RECENTLY = 2
INJECTED_EARLIER = 1

LOW, MODERATE, HIGH = "low", "moderate", "high"
RISK_ORDER = {"none": 0, LOW: 1, MODERATE: 2, HIGH: 3}
ACTIONS = {LOW: "brief_advice", MODERATE: "brief_intervention", HIGH: "referral"}
ACTION_ORDER = {"none": 0, "brief_advice": 1, "brief_intervention": 2, "referral": 3}


@dataclass(frozen=True)
class SubstanceResult:
    score: int
    risk: str
    action: str


@dataclass(frozen=True)
class AssistResult:
    substances: dict[str, SubstanceResult]  # only the classes used in the lifetime
    injected_recently: bool
    injected_ever: bool
    highest_risk: str  # "none" when no class was ever used
    action: str  # the strongest recommended action overall ("none" when nothing was used)
    needs_escalation: bool = field(default=False)

    def scores_json(self) -> dict[str, dict[str, Any]]:
        return {k: {"score": v.score, "risk": v.risk, "action": v.action} for k, v in self.substances.items()}


def risk_level(substance: str, score: int) -> str:
    """WHO's cut-offs: alcohol 0-10 / 11-26 / 27+, every other class 0-3 / 4-26 / 27+."""
    moderate_from = 11 if substance == "alcohol" else 4
    if score >= 27:
        return HIGH
    if score >= moderate_from:
        return MODERATE
    return LOW


def questions_for(substance: str, q1: bool, q2: int | None) -> tuple[str, ...]:
    """The questions (besides Q1) asked for one class, given its Q1 and Q2 answers (the skip rules)."""
    if not q1:
        return ()
    asked = ["q2"]
    if q2 != 0:
        asked += ["q3", "q4"] + ([] if substance == "tobacco" else ["q5"])
    return tuple(asked + ["q6", "q7"])


def _scale_value(errors: FieldErrors, path: str, question: str, value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALES[question]:
        allowed = ", ".join(str(v) for v in sorted(SCALES[question]))
        errors.add(
            path, "not_on_scale", _("Nilai harus salah satu dari: %(allowed)s.") % {"allowed": allowed}
        )
        return None
    return value


def _validate_substance(errors: FieldErrors, substance: str, raw: Any) -> dict[str, int] | None:
    """Check one class's answers against the scales and skip rules; its answers (q1 as 0/1), or None."""
    base = f"answers.{substance}"
    if not isinstance(raw, Mapping):
        errors.add(base, "required", _("Jawaban untuk zat ini wajib diisi."))
        return None
    unknown = sorted(set(raw) - set(PER_SUBSTANCE_QUESTIONS))
    for key in unknown:
        errors.add(f"{base}.{key}", "unknown_question", _("Pertanyaan tidak dikenal."))
    q1 = raw.get("q1")
    if not isinstance(q1, bool):
        errors.add(f"{base}.q1", "required", _("Jawab ya (true) atau tidak (false)."))
        return None
    q2_raw = raw.get("q2")
    q2 = q2_raw if isinstance(q2_raw, int) and not isinstance(q2_raw, bool) else None
    asked = questions_for(substance, q1, q2)
    values: dict[str, int] = {"q1": int(q1)}
    for question in PER_SUBSTANCE_QUESTIONS[1:]:
        path = f"{base}.{question}"
        present = raw.get(question) is not None
        if question not in asked:
            if present:
                errors.add(path, "skipped_question", _("Pertanyaan ini dilewati menurut aturan ASSIST."))
            continue
        if not present:
            errors.add(path, "required", _("Wajib diisi."))
            continue
        value = _scale_value(errors, path, question, raw[question])
        if value is not None:
            values[question] = value
    return values


def assist_score(answers: Mapping[str, Any], q8: int | None) -> AssistResult:
    """Validate answers (`{substance: {"q1": bool, "q2": int, ...}}`) and Q8, and score them.

    Raises ValidationFailed (code `invalid_assist_answers`) with one detail per problem.
    """
    errors = FieldErrors()
    if not isinstance(answers, Mapping):
        errors.add("answers", "required", _("Jawaban ASSIST wajib diisi."))
        errors.raise_if_any(_("Jawaban ASSIST tidak valid."), code="invalid_assist_answers")
    for key in sorted(set(answers) - set(SUBSTANCES)):
        errors.add(f"answers.{key}", "unknown_substance", _("Golongan zat tidak dikenal."))
    validated = {s: _validate_substance(errors, s, answers.get(s)) for s in SUBSTANCES}
    used = [s for s, v in validated.items() if v is not None and v["q1"] == 1]
    injecting = None
    if used:
        if q8 is None:
            errors.add("q8", "required", _("Wajib diisi bila ada zat yang pernah digunakan."))
        else:
            injecting = _scale_value(errors, "q8", "q8", q8)
    elif q8 is not None:
        errors.add("q8", "skipped_question", _("Tidak ditanyakan bila tidak ada zat yang pernah digunakan."))
    errors.raise_if_any(_("Jawaban ASSIST tidak valid."), code="invalid_assist_answers")

    results: dict[str, SubstanceResult] = {}
    for substance in used:
        values = validated[substance] or {}
        score = sum(values.get(q, 0) for q in ("q2", "q3", "q4", "q5", "q6", "q7"))
        risk = risk_level(substance, score)
        results[substance] = SubstanceResult(score=score, risk=risk, action=ACTIONS[risk])
    injected_recently = injecting == INJECTED_RECENTLY
    highest = max((r.risk for r in results.values()), key=RISK_ORDER.__getitem__, default="none")
    action = max((r.action for r in results.values()), key=ACTION_ORDER.__getitem__, default="none")
    if injected_recently:
        action = "referral"
    return AssistResult(
        substances=results,
        injected_recently=injected_recently,
        injected_ever=bool(injecting),
        highest_risk=highest,
        action=action,
        needs_escalation=highest == HIGH or injected_recently,
    )
