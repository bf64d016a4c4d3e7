"""Who may see what: the access policy of Pulih, above the domains.

Read backend/access/policy.py: its docstring is the whole policy and its functions are every rule (the scoped
querysets of clients, family members, visits, screenings, escalations, offers, tasks, notifications, the
timeline, reports and the sync feed). backend/accounts/scope.py reads a user's active role assignments once into
a `Scope` (it lives in accounts, below the domains). This package imports domain *models* only and sits above
the domains; the read side (backend/reads), the feed (backend/mobile), the reports and the admin take their
scope from here, and the domains' services take rows their callers checked with it.
"""

from backend.access.policy import (
    PERSONAL_ENTITIES,
    AccessLevel,
    ReportAccess,
    case_visible_q,
    case_visible_to,
    change_log_scope_q,
    client_access_level,
    client_full_qs_for,
    client_qs_for,
    client_qs_with_access_for,
    contact_attempt_qs_for,
    escalation_qs_for,
    family_link_qs_for,
    family_member_qs_for,
    may_read_reports,
    notification_qs_for,
    offer_qs_for,
    offered_escalation_qs_for,
    offers_in_view_q,
    region_inside,
    report_access,
    routing_visible_to,
    screening_qs_for,
    task_qs_for,
    timeline_escalation_qs_for,
    visit_qs_for,
    with_case_view,
)
from backend.accounts.scope import (
    Scope,
    is_coordinator_of,
    may_escalate,
    region_code_q,
    scope_fingerprint,
    scope_for,
)

__all__ = [
    "PERSONAL_ENTITIES",
    "AccessLevel",
    "ReportAccess",
    "Scope",
    "case_visible_q",
    "case_visible_to",
    "change_log_scope_q",
    "client_access_level",
    "contact_attempt_qs_for",
    "client_full_qs_for",
    "client_qs_for",
    "client_qs_with_access_for",
    "escalation_qs_for",
    "family_link_qs_for",
    "family_member_qs_for",
    "is_coordinator_of",
    "may_escalate",
    "may_read_reports",
    "notification_qs_for",
    "offer_qs_for",
    "offered_escalation_qs_for",
    "offers_in_view_q",
    "region_code_q",
    "region_inside",
    "report_access",
    "routing_visible_to",
    "scope_fingerprint",
    "scope_for",
    "screening_qs_for",
    "task_qs_for",
    "timeline_escalation_qs_for",
    "visit_qs_for",
    "with_case_view",
]
