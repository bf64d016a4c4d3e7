"""The register of personal data Pulih stores, for a DPIA (UU 27/2022 art. 34): every field of every model,
classified here (`REGISTER`), and the document built from it (`register_markdown`, written to docs/DPIA.md by
`manage.py dpia_register`).

One place: a model field the register does not classify fails tests/privacy/test_dpia_register.py, and so does a
docs/DPIA.md that is not what the command writes now. "Seen by" is not written here: it is the paragraph of
backend/access/policy.py's docstring that names the model's scoping rule, so the register follows the policy.
"Travels to the phone" is checked against the sync feed's entities (backend.mobile.feed.BY_NAME) by the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings

from backend.access import policy

PULIH_MODULES = ("backend.", "villages.", "notifications.")

CATEGORIES = {
    "identity": "identifies the person",
    "contact": "reaches the person",
    "specific": "specific personal data (UU 27/2022 art. 4(2)): health, drug use, treatment",
    "location": "where the person lives or was met",
    "free_text": "free text: may hold anything about anyone",
    "record": "the record of processing about a person (who, when, links)",
    "credential": "a secret or token of a staff member",
    "not_personal": "not personal data on its own (codes, settings, technical state)",
}
PERSONAL = tuple(c for c in CATEGORIES if c != "not_personal")

TRAVELS = {
    "phone": "the phones of those in scope, through the sync feed (GET /sync/changes)",
    "push": "a push through FCM: generic text per kind, no client code (the inbox text has the code)",
    "channels": "WhatsApp/SMS to staff: fixed text per kind, nothing about any client",
    "export": "the subject-access export (JSON/XLSX) for the client's own request",
    "reports": (
        "monthly report and IPWL recap: counts only, small numbers hidden; the monthly report's roll-up"
        " (reports.VillageMonth, WorkerMonth) stores counts per village and month, never a client"
    ),
    "web": "the coordinators' web view",
}

ERASED = "erased on a valid request (POST /clients/{id}/erasure), after the legal holds"
RETENTION = {
    "client": f"while the client is in the programme; {ERASED}; what reports count stays anonymised",
    "append_only": "append-only; kept as the record of processing; values blanked by an erasure",
    "staff": "while the staff member's account exists (deactivated, not deleted)",
    "log": "append-only, kept as the record of processing (client ids, never names)",
    "short": "purged after 48 hours",
    "rollup": "the last 12 closed months; an older month is dropped by the hourly roll-up build",
    "none": "-",
}


@dataclass(frozen=True)
class ModelEntry:
    purpose: str
    fields: dict[str, str]  # category -> the field names, space separated
    # The scoping rule of backend/access/policy.py (or words of its docstring) whose paragraph says who sees it.
    rule: str | None = None
    seen_by: str = ""  # only when no rule scopes it
    travels: tuple[str, ...] = ()
    feed: str | None = None  # the sync feed's entity name, when it travels to phones
    retention: str = "none"
    notes: list[str] = field(default_factory=list)


R = "record"
REGISTER: dict[str, ModelEntry] = {
    "recovery.Client": ModelEntry(
        "Follow a person through community-based recovery",
        {
            "identity": "code name name_normalized sex birth_date birth_year nik_hash",
            "contact": "phone address",
            "location": "village",
            "specific": "substances use_duration_years use_route status",
            "free_text": "notes",
            R: "registered_by assigned_volunteers last_contact_at phone_flagged consent_withdrawn_at erased_at "
            "created_at updated_at",
            "not_personal": "id version",
        },
        rule="client_qs_for",
        travels=("phone", "export", "reports", "web"),
        feed="client",
        retention="client",
        notes=["NIK: only its keyed hash (HMAC-SHA256); no digit of it is stored or shown."],
    ),
    "recovery.ClientStatusChange": ModelEntry(
        "The client's status history (reports count it as of a date)",
        {
            "specific": "from_status to_status",
            "free_text": "reason",
            R: "client actor at",
            "not_personal": "id",
        },
        rule="timeline_escalation_qs_for",
        travels=("export", "reports"),
        retention="client",
    ),
    "recovery.FamilyMember": ModelEntry(
        "Family who support the client (contacted only with consent)",
        {
            "identity": "name relationship role",
            "contact": "phone",
            "location": "village",
            R: "may_contact created_by created_at updated_at",
            "not_personal": "id version",
        },
        rule="family_member_qs_for",
        travels=("phone", "export"),
        feed="family_member",
        retention="client",
    ),
    "recovery.ClientFamilyLink": ModelEntry(
        "Which family member supports which client, and since when",
        {R: "client member linked_at linked_by unlinked_at unlinked_by", "not_personal": "id"},
        rule="family_member_qs_for",
        travels=("phone", "export"),
        retention="client",
    ),
    "recovery.Consent": ModelEntry(
        "Consent events (data collection, contacting family, referral)",
        {
            R: "client scope given given_by guardian recorded_by recorded_at",
            "free_text": "note",
            "not_personal": "id",
        },
        rule="What hangs on a client",
        travels=("export",),
        retention="append_only",
    ),
    "recovery.Screening": ModelEntry(
        "WHO ASSIST screening: the answers and the risk they score",
        {
            "specific": "answers scores highest_risk action q8 injected_recently needs_escalation",
            R: "client screened_by screened_at escalation_id escalation_blocked_reason created_at",
            "not_personal": "id answers_hash",
        },
        rule="screening_qs_for",
        travels=("export", "reports"),
        retention="client",
    ),
    "recovery.Visit": ModelEntry(
        "Home visits and sessions with the client",
        {
            "location": "location location_accuracy_m",
            "free_text": "notes",
            "specific": "outcome",
            R: "client logged_by occurred_at received_at type participants next_visit_on screening updated_at",
            "not_personal": "id payload_hash version",
        },
        rule="visit_qs_for",
        travels=("phone", "export", "reports"),
        feed="visit",
        retention="client",
    ),
    "recovery.ContactAttempt": ModelEntry(
        "Tries to reach a client who drifts away",
        {
            "free_text": "note",
            R: "client logged_by occurred_at received_at channel result",
            "not_personal": "id payload_hash",
        },
        rule="contact_attempt_qs_for",
        travels=("phone", "export", "reports"),
        feed="contact_attempt",
        retention="client",
    ),
    "recovery.ClientCorrection": ModelEntry(
        "The correction history of a client's record (UU 27/2022 art. 6)",
        {
            "free_text": "old_value new_value reason",
            R: "client entity member_id field actor at version erased_at",
            "not_personal": "id",
        },
        rule="correction_qs_for",
        travels=("export",),
        retention="append_only",
        notes=["The NIK is kept only as whether one was on file; a family member's phone not at all."],
    ),
    "recovery.ClientCodeCounter": ModelEntry(
        "The last client number per regency and year", {"not_personal": "id prefix year last_number"}
    ),
    "escalations.Escalation": ModelEntry(
        "A case referred to a counselor or assessor at a facility, and its outcome",
        {
            "specific": "need urgency status outcome diagnosis",
            "free_text": "reason outcome_notes cancel_reason",
            "location": "location routing",
            R: "client created_by assigned_to facility referred_from referred_to_facility appointment_at "
            "previous_appointments created_at updated_at accepted_at scheduled_at outcome_at closed_at "
            "to_coordinator_at cancelled_at cancelled_by",
            "not_personal": "id attempts source version",
        },
        rule="escalation_qs_for",
        travels=("phone", "export", "reports", "web"),
        feed="escalation",
        retention="client",
    ),
    "escalations.Offer": ModelEntry(
        "A case offered to one staff member",
        {
            "free_text": "decline_reason",
            R: "escalation staff facility distance_km tier travel_minutes legs leave_reason status offered_at "
            "expires_at answered_at",
            "not_personal": "id",
        },
        rule="offer_qs_for",
        travels=("reports",),
        retention="client",
    ),
    "tasks.Task": ModelEntry(
        "Field work about a client (follow up, accompany, post-rehab support)",
        {
            "free_text": "note",
            R: "kind client escalation assignee due_on status priority released_on completed_at "
            "completed_by_visit created_at updated_at",
            "not_personal": "id rule_key version",
        },
        rule="task_qs_for",
        travels=("phone", "export"),
        feed="task",
        retention="client",
    ),
    "followup.FollowUpState": ModelEntry(
        "Where a client stands on the follow-up ladder",
        {R: "client tier tier_since episode_started_on trigger paused_until last_evaluated_on updated_at"},
        rule="What hangs on a client",
        retention="client",
    ),
    "notifications.Notification": ModelEntry(
        "A staff member's inbox and its push",
        {
            R: "recipient kind event_key title body data created_at read_at pushed_at",
            "not_personal": "id priority ttl_seconds push_state push_attempts push_next_attempt_at "
            "push_last_error",
        },
        rule="notification_qs_for",
        travels=("phone", "push"),
        feed="notification",
        retention="staff",
        notes=[
            "Texts name a case by its client code only, never a name, phone or NIK; an erasure removes it."
        ],
    ),
    "notifications.ChannelMessage": ModelEntry(
        "WhatsApp/SMS to a staff member when a push is not enough",
        {
            R: "recipient channel kind event_key notification sent_at created_at",
            "not_personal": "id state attempts next_attempt_at expires_at provider_message_id last_error",
        },
        seen_by="nobody through the API (the worker that sends it)",
        travels=("channels",),
        retention="staff",
    ),
    "notifications.Device": ModelEntry(
        "A staff member's phone, to push to",
        {"credential": "token", R: "user platform app_version created_at last_seen_at", "not_personal": "id"},
        seen_by="the staff member's own (POST /devices)",
        retention="staff",
    ),
    "notifications.ChannelPreference": ModelEntry(
        "Whether a staff member takes WhatsApp/SMS",
        {R: "user whatsapp_opt_in sms_opt_in updated_at"},
        seen_by="the staff member's own (GET /me)",
        retention="staff",
    ),
    "accounts.User": ModelEntry(
        "Staff and volunteers who sign in",
        {
            "identity": "name",
            "contact": "phone",
            "credential": "password",
            R: "last_login created_at on_leave_from on_leave_until caseload_cap",
            "not_personal": "id is_superuser language is_active is_staff groups user_permissions",
        },
        seen_by="the user themself (GET /me); their name on the records they made, to whoever sees those; "
        "system admins (admin)",
        travels=("phone", "export"),
        retention="staff",
    ),
    "accounts.RoleAssignment": ModelEntry(
        "Who works where, in which role (the scope of every rule)",
        {R: "user role region facility active created_at", "not_personal": "id"},
        seen_by="system admins and the coordinators who administer the area",
        retention="staff",
    ),
    "accounts.Certification": ModelEntry(
        "A counselor's or assessor's certificate",
        {R: "user kind number issuer issued_on expires_on revoked", "not_personal": "id"},
        seen_by="system admins and the coordinators who administer the area",
        retention="staff",
    ),
    "accounts.RefreshToken": ModelEntry(
        "Sign-in sessions",
        {
            "credential": "token_hash family",
            R: "user created_at expires_at used_at replaced_by revoked_at user_agent ip",
            "not_personal": "id",
        },
        seen_by="nobody through the API",
        retention="staff",
    ),
    "audit.AccessLog": ModelEntry(
        "Who read which client's record, when (the record of processing)",
        {R: "user client_id endpoint at request_id", "not_personal": "id"},
        seen_by="the client, through the subject-access export; system admins",
        travels=("export",),
        retention="log",
    ),
    "privacy.ErasureLog": ModelEntry(
        "That a client's data was erased, by whom, on what basis",
        {R: "client_id basis request_reference erased_by erased_at counts", "not_personal": "id"},
        seen_by="system admins (admin)",
        retention="log",
    ),
    "sync.ChangeLog": ModelEntry(
        "What changed, for the phones (ids only)",
        {R: "entity entity_id client_id user_id village_code at", "not_personal": "id txid op"},
        seen_by="the phones, filtered by change_log_scope_q",
        retention="log",
    ),
    "sync.IdempotencyKey": ModelEntry(
        "The answer to an upload, for its retry",
        {R: "user response created_at", "not_personal": "id key request_hash state status_code owner"},
        seen_by="the uploader's retry",
        retention="short",
    ),
    "sync.SyncSetReport": ModelEntry(
        "How large a phone's set is", {R: "user day set_size limit at", "not_personal": "id"}, seen_by="-"
    ),
    "villages.Region": ModelEntry(
        "Regions (Kemendagri codes) and their settings",
        {
            "not_personal": "code level name parent timezone postal_code point boundary routing_max_radius_km "
            "routing_max_travel_minutes sla_routine_hours sla_urgent_hours"
        },
    ),
    "villages.Facility": ModelEntry(
        "Health facilities",
        {
            "not_personal": "id code name type is_ipwl ipwl_decree_number ipwl_valid_from ipwl_valid_until "
            "working_area village address phone location inpatient_beds outpatient_capacity_per_month active"
        },
    ),
    "travel.TravelVertex": ModelEntry(
        "The travel network's nodes (from an OpenStreetMap extract)",
        {"not_personal": "id geom province_code"},
    ),
    "travel.TravelEdge": ModelEntry(
        "The travel network's roads, ferry routes and rivers",
        {"not_personal": "id source target cost reverse_cost length_m mode klass osm_way_id province_code"},
    ),
    "travel.TravelOrigin": ModelEntry(
        "Where each village joins the travel network",
        {"not_personal": "village node snap_m province_code built_at"},
    ),
    "travel.TravelTime": ModelEntry(
        "Travel minutes from a village to a facility",
        {"not_personal": "id village facility minutes legs province_code"},
    ),
    "tasks.AreaTaskSettings": ModelEntry(
        "Per-area task settings", {"not_personal": "region daily_followup_cap post_rehab_visit_days"}
    ),
    "tasks.PostRehabQuota": ModelEntry(
        "Post-rehab places per year", {"not_personal": "id region year places"}
    ),
    # The monthly report's roll-up (backend/reports/models.py): counts per village and month, no client.
    "reports.VillageMonth": ModelEntry(
        "The monthly report's counts per village and closed month (a cache of the live figures)",
        {
            "not_personal": "id village_code month acceptance_hours built_at "
            "clients_registered clients_active_start clients_active clients_community_recovery screenings "
            "screenings_risk_none screenings_risk_low screenings_risk_moderate screenings_high_risk "
            "screenings_injecting screenings_substance_tobacco screenings_substance_alcohol "
            "screenings_substance_cannabis screenings_substance_cocaine screenings_substance_amphetamines "
            "screenings_substance_inhalants screenings_substance_sedatives screenings_substance_hallucinogens "
            "screenings_substance_opioids screenings_substance_other visits visits_home_visit "
            "visits_family_session visits_phone_call visits_group_session visits_accompaniment "
            "visits_post_rehab_support clients_visited clients_without_visit_30d contact_attempts "
            "contact_attempts_reached contact_attempts_no_answer contact_attempts_wrong_number "
            "contact_attempts_refused contact_attempts_moved_away contact_attempts_in_hospital "
            "contact_attempts_in_prison contact_attempts_deceased clients_recontacted escalations_created "
            "escalations_accepted escalations_declined escalations_expired escalations_to_coordinator "
            "escalations_cancelled escalations_waiting clients_in_treatment clients_outpatient clients_inpatient "
            "clients_methadone clients_post_rehab clients_dropped_out clients_lost_contact changes_dropped_out "
            "changes_lost_contact"
        },
        notes=[
            "Counts only (and hours to acceptance without any case): no client, code or name. A village's counts "
            "reach a reader only through the monthly report, which hides small ones (backend/reports/suppression.py)."
        ],
    ),
    "reports.WorkerMonth": ModelEntry(
        "A field worker's visits, contact attempts and tasks per village and closed month, for the monthly report",
        {
            R: "user_id visits contact_attempts tasks_on_time tasks_late tasks_open",
            "not_personal": "id village_code month built_at",
        },
        seen_by="the readers of the monthly report of the area (its field workers' table), as the live figures",
        travels=("reports",),
        retention="rollup",
    ),
    "reports.RollupMonth": ModelEntry(
        "Which months the roll-up holds, per time zone", {"not_personal": "id timezone month built_at"}
    ),
    "reports.RollupStale": ModelEntry(
        "Villages whose roll-up rows a late write made stale", {"not_personal": "village_code since gen"}
    ),
}


def pulih_models() -> list[type]:
    return [m for m in apps.get_models() if m.__module__.startswith(PULIH_MODULES)]


def field_names(model: type) -> set[str]:
    return {f.name for f in model._meta.get_fields() if f.concrete}  # type: ignore[attr-defined]


def classified(entry: ModelEntry) -> dict[str, str]:
    """field name -> category."""
    return {name: cat for cat, names in entry.fields.items() for name in names.split()}


def unclassified() -> list[str]:
    """Fields of Pulih's models the register does not classify (and entries for fields that no longer exist)."""
    problems = []
    for model in pulih_models():
        label = model._meta.label  # type: ignore[attr-defined]
        entry = REGISTER.get(label)
        names = field_names(model)
        known = set(classified(entry)) if entry else set()
        problems += [f"{label}.{n}: not in the register" for n in sorted(names - known)]
        problems += [f"{label}.{n}: in the register, not in the model" for n in sorted(known - names)]
    return problems


def seen_by(entry: ModelEntry) -> str:
    """The paragraph (or bullet list) of the access policy's docstring that names the entry's rule."""
    if entry.rule is None:
        return entry.seen_by
    doc = policy.__doc__ or ""
    for block in re.split(r"\n\s*\n", doc):
        if f"`{entry.rule}`" in block or (" " in entry.rule and entry.rule in block):
            return "\n".join("> " + line.strip() for line in block.strip().splitlines())
    raise LookupError(f"backend/access/policy.py's docstring does not name `{entry.rule}`")


def register_markdown() -> str:
    """docs/DPIA.md: the personal data Pulih stores, per model and field."""
    out = [
        "# Pulih: register of personal data (for a DPIA, UU 27/2022 art. 34)",
        "",
        "Generated by `manage.py dpia_register` from backend/privacy/register.py (classification, purpose, "
        "travel, retention) and backend/access/policy.py (who sees it). Do not edit by hand.",
        "",
        f"Retention setting: `PRIVACY_RETENTION_DAYS` = {settings.PRIVACY_RETENTION_DAYS} days after the last "
        "clinical event before an erasure may proceed (basis in backend/settings.py).",
        "",
        "## Categories",
        "",
        *[f"- **{c}**: {text}" for c, text in CATEGORIES.items()],
        "",
        "## Where data travels",
        "",
        *[f"- **{t}**: {text}" for t, text in TRAVELS.items()],
        "",
    ]
    for label in sorted(REGISTER):
        entry = REGISTER[label]
        fields = classified(entry)
        personal = {c: [n for n, cat in fields.items() if cat == c] for c in PERSONAL}
        if not any(personal.values()):
            continue
        out += [f"## {label}", "", f"**Purpose**: {entry.purpose}.", ""]
        out += ["| Field | Category |", "|---|---|"]
        out += [f"| `{n}` | {c} |" for c in PERSONAL for n in sorted(personal[c])]
        out += ["", "**Seen by** (backend/access/policy.py):" if entry.rule else "**Seen by**:", ""]
        out += [seen_by(entry) if entry.rule else f"> {entry.seen_by}", ""]
        travels = ", ".join(entry.travels) if entry.travels else "stays on the server"
        out += [f"**Travels**: {travels}.", "", f"**Retention**: {RETENTION[entry.retention]}.", ""]
        out += [f"Note: {n}" for n in entry.notes] + ([""] if entry.notes else [])
    not_personal = sorted(
        label for label, e in REGISTER.items() if set(classified(e).values()) == {"not_personal"}
    )
    out += ["## Models without personal data", "", *[f"- {label}" for label in not_personal], ""]
    return "\n".join(out)
