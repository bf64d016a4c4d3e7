"""Support visits: the rules a visit must meet (`rules`), the one write path behind `POST /sync/visits`
(`batch`), and the single-visit services (`services`). Import from here."""

from backend.recovery.visits.batch import VisitResult, visit_actor_check, visits_apply
from backend.recovery.visits.rules import VisitData, visit_as_dict, visit_clean
from backend.recovery.visits.services import visit_create, visit_update

__all__ = [
    "VisitData",
    "VisitResult",
    "visit_actor_check",
    "visit_as_dict",
    "visit_clean",
    "visit_create",
    "visit_update",
    "visits_apply",
]
