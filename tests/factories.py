"""factory_boy factories for the people and records tests are written around.

Two kinds, on purpose:
- *row* factories (`UserFactory`, `RoleAssignmentFactory`, `CertificationFactory`, `ClientRowFactory`) write the
  rows themselves: users and their roles are provisioned by admins (no service), and `ClientRowFactory` puts a
  client at any lifecycle status with its consent rows in one step (no change log row, no code sequence): the
  set-up tests have always used for "a client who is already there";
- *service* factories (`ClientFactory`, `FamilyMemberFactory`, `VisitFactory`, `ScreeningFactory`,
  `EscalationFactory`, `TaskFactory`, `NotificationFactory`) go through the domain service that makes the thing
  in production, so every business rule (consent, scope, routing, the change log, notifications) applies. They
  only create: `.build()` has no meaning for them and raises.

Every factory takes the cast's people and places (tests/cast.py) as arguments: `ClientFactory(registered_by=
cast.volunteer_katingan, village=cast.kasongan_baru, volunteers=[cast.volunteer_katingan])`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from backend.access.policy import client_full_qs_for
from backend.accounts.models import CertificateKind, Certification, Role, RoleAssignment, User
from backend.escalations.models import Escalation
from backend.escalations.services import escalation_create
from backend.mobile.visit_writes import visit_create
from backend.recovery.assist import SUBSTANCES
from backend.recovery.contacts import contacts_apply
from backend.recovery.family import family_member_link
from backend.recovery.models import (
    Client,
    ClientFamilyLink,
    Consent,
    ContactAttempt,
    FamilyMember,
    Screening,
    Visit,
)
from backend.recovery.screenings import screening_record
from backend.recovery.services import client_create
from backend.tasks.models import Task, TaskKind
from backend.tasks.rules import task_ensure
from notifications.models import Notification
from notifications.services import notify
from villages.models import Facility, Region

PASSWORD = "rahasia-uji-123"

# The consents a client needs for everything the tests do with them: visits, screenings and escalations.
CASE_CONSENTS = ("data_collection", "referral")


def _code(place: Region | str) -> str:
    return place if isinstance(place, str) else place.code


class _ServiceFactory(factory.Factory):
    """A factory whose `_create` calls a domain service; building an unsaved instance makes no sense."""

    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{cls.__name__} creates through a service; use create()")


# --- People ------------------------------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    """A user (password `PASSWORD`), through `User.objects.create_user` as the admin does.

    `roles=[(Role.VOLUNTEER, "62.06.02.1003", None), (Role.COUNSELOR, None, facility)]` adds role assignments;
    `certificates=[CertificateKind.COUNSELOR]` valid certificates (see CertificationFactory for others)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"0819{n:08d}")
    name = factory.Sequence(lambda n: f"Pengguna Uji {n}")
    language = "id"
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        phone, password = kwargs.pop("phone"), kwargs.pop("password")
        return model_class.objects.create_user(phone, password, **kwargs)

    @factory.post_generation
    def roles(
        user: User,
        create: bool,
        extracted: Sequence[tuple[str, str | None, Facility | None]] | None,
        **_kw: Any,
    ) -> None:
        for role, region, facility in extracted or ():
            RoleAssignmentFactory(user=user, role=role, region_id=region, facility=facility)

    @factory.post_generation
    def certificates(user: User, create: bool, extracted: Sequence[str] | None, **_kw: Any) -> None:
        for kind in extracted or ():
            CertificationFactory(user=user, kind=kind)


class RoleAssignmentFactory(DjangoModelFactory):
    """One role of a user: a village role or coordinator with `region_id`, a facility role with `facility`."""

    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.VOLUNTEER
    region_id = None
    facility = None
    active = True


class CertificationFactory(DjangoModelFactory):
    """A certificate valid for a year around today; `expired=True`: ended 30 days ago after three years."""

    class Meta:
        model = Certification

    class Params:
        expired = factory.Trait(
            issued_on=factory.LazyFunction(lambda: date.today() - timedelta(days=3 * 365)),
            expires_on=factory.LazyFunction(lambda: date.today() - timedelta(days=30)),
        )

    user = factory.SubFactory(UserFactory)
    kind = CertificateKind.COUNSELOR
    number = factory.LazyAttribute(lambda o: f"{o.kind[:3].upper()}-{o.user.phone[-6:]}")
    issuer = "BNN RI"
    issued_on = factory.LazyFunction(lambda: date.today() - timedelta(days=365))
    expires_on = factory.LazyFunction(lambda: date.today() + timedelta(days=365))


# --- Clients and what hangs on them --------------------------------------------------------------------------


class ClientRowFactory(DjangoModelFactory):
    """A client row at any lifecycle status (`status`, default screened), with `consents` given (default: data
    collection and referral) and `volunteers` assigned. Writes rows only: no change log, no code sequence; use
    ClientFactory for a registration as the app makes it."""

    class Meta:
        model = Client
        skip_postgeneration_save = True

    class Params:
        village = None  # a Region or a village code

    code = factory.Sequence(lambda n: f"TST-2026-{n:05d}")
    name = factory.Sequence(lambda n: f"Klien Uji {n}")
    name_normalized = factory.Sequence(lambda n: f"klien uji {n}")
    sex = "male"
    birth_year = 1995
    village_id = factory.LazyAttribute(lambda o: _code(o.village))
    registered_by = factory.SubFactory(UserFactory)
    status = "screened"

    @classmethod
    def _setup_next_sequence(cls) -> int:
        return 1

    @factory.post_generation
    def volunteers(client: Client, create: bool, extracted: Sequence[User] | None, **_kw: Any) -> None:
        client.assigned_volunteers.set(extracted or ())

    @factory.post_generation
    def consents(client: Client, create: bool, extracted: Sequence[str] | None, **_kw: Any) -> None:
        for scope in CASE_CONSENTS if extracted is None else extracted:
            Consent.objects.create(
                client=client, scope=scope, given=True, given_by="client", recorded_by=client.registered_by
            )


class ClientFactory(_ServiceFactory):
    """A client registered through `recovery.services.client_create` by `registered_by` (who must be allowed
    to register in `village`), with `volunteers` assigned and `consents` given by the client."""

    class Meta:
        model = Client

    registered_by: Any = None
    village: Any = None  # a Region or a village code
    name = factory.Sequence(lambda n: f"Klien Terdaftar {n}")
    sex = "male"
    birth_year = 1990
    volunteers: Sequence[User] = ()
    consents: Sequence[str] = CASE_CONSENTS

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kw: Any) -> Client:
        return client_create(
            actor=kw.pop("registered_by"),
            village_code=_code(kw.pop("village")),
            assigned_volunteer_ids=[u.id for u in kw.pop("volunteers")],
            consents=[{"scope": s, "given": True, "given_by": "client"} for s in kw.pop("consents")],
            **kw,
        )


class FamilyMemberFactory(_ServiceFactory):
    """A new family member linked to `client` by `linked_by`, through `recovery.family.family_member_link`."""

    class Meta:
        model = FamilyMember

    client: Any = None
    linked_by: Any = None
    id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Ibu Klien {n}")
    relationship = "ibu"
    role = "supporter"
    phone = ""
    may_contact = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kw: Any) -> FamilyMember:
        actor = kw.pop("linked_by")
        member, _link, _created = family_member_link(
            actor=actor,
            client=kw.pop("client"),
            member_id=kw.pop("id"),
            fields=kw,
            clients_in_full_view=client_full_qs_for(user=actor),
        )
        return member


def family_link(member: FamilyMember, client: Client) -> ClientFamilyLink:
    """The active link of `member` to `client`."""
    return ClientFamilyLink.objects.get(member=member, client=client, unlinked_at__isnull=True)


def contact_attempt_log(
    *, client: Client, logged_by: User, result: str = "no_answer", channel: str = "phone_call"
) -> ContactAttempt:
    """A contact attempt uploaded by a field worker through `recovery.contacts.contacts_apply`, an hour ago."""
    item = {
        "id": str(uuid.uuid4()),
        "client_id": str(client.id),
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "channel": channel,
        "result": result,
        "note": "",
    }
    answer = contacts_apply(
        actor=logged_by, items=[item], clients_in_full_view=client_full_qs_for(user=logged_by)
    )[0]
    assert answer.status == "created", answer.as_dict()
    return ContactAttempt.objects.get(id=item["id"])


class VisitFactory(_ServiceFactory):
    """A visit logged by a field worker (`logged_by`) through `recovery.visits.services.visit_create`: a home
    visit two hours ago at the client's village unless told otherwise."""

    class Meta:
        model = Visit

    client: Any = None
    logged_by: Any = None
    id = factory.LazyFunction(uuid.uuid4)
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    type = "home_visit"
    participants = factory.LazyFunction(lambda: ["client"])
    latitude = -1.92137
    longitude = 113.44706
    location_accuracy_m = 12.5
    outcome = "stabil"
    notes = "Klien di rumah, keluarga mendukung."

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kw: Any) -> Visit:
        actor, client = kw.pop("logged_by"), kw.pop("client")
        data = {
            **kw,
            "id": str(kw["id"]),
            "client_id": str(client.id),
            "occurred_at": timezone.localtime(kw["occurred_at"]).isoformat(),
        }
        return visit_create(actor=actor, data=data)


# ASSIST answers: nothing used but alcohol at a low score (no escalation follows).
LOW_RISK_ANSWERS: dict[str, dict[str, Any]] = {
    "alcohol": {"q1": True, "q2": 3, "q3": 0, "q4": 0, "q5": 0, "q6": 0, "q7": 0},
}


def assist_answers(used: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """A full ASSIST answer sheet: every substance not in `used` answered "never" (q1 false)."""
    return {s: (used or {}).get(s, {"q1": False}) for s in SUBSTANCES}


class ScreeningFactory(_ServiceFactory):
    """An ASSIST screening through `recovery.screenings.screening_record` (low risk unless `answers` say
    otherwise; a high-risk one escalates as in production)."""

    class Meta:
        model = Screening

    client: Any = None
    screened_by: Any = None
    id = factory.LazyFunction(uuid.uuid4)
    answers = factory.LazyFunction(lambda: assist_answers(LOW_RISK_ANSWERS))
    q8 = 0

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kw: Any) -> Screening:
        screening, _created = screening_record(
            actor=kw["screened_by"],
            client=kw["client"],
            screening_id=kw["id"],
            answers=kw["answers"],
            q8=kw["q8"],
        )
        return screening


# --- Cases, tasks, notifications -------------------------------------------------------------------------------


class EscalationFactory(_ServiceFactory):
    """An escalation of `client` by `created_by`, through `escalations.services.escalation_create`: consent is
    checked and the case is routed and offered to the nearest eligible staff member (or the coordinator)."""

    class Meta:
        model = Escalation

    client: Any = None
    created_by: Any = None
    need = "counseling"
    urgency = "routine"
    reason = "Skrining berisiko tinggi"

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kw: Any) -> Escalation:
        return escalation_create(
            actor=kw.pop("created_by"), client=kw.pop("client"), need=kw.pop("need"), **kw
        )


class TaskFactory(_ServiceFactory):
    """A field task through `tasks.rules.task_ensure` (the assignee is notified), due in three days."""

    class Meta:
        model = Task

    client: Any = None
    assignee: Any = None
    kind = TaskKind.FOLLOW_UP
    due_on = factory.LazyFunction(lambda: date.today() + timedelta(days=3))
    rule_key = factory.Sequence(lambda n: f"test:{n}")
    escalation: Any = None

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kw: Any) -> Task:
        escalation = kw.pop("escalation")
        task, _created = task_ensure(
            client_id=kw.pop("client").id,
            escalation_id=escalation.id if escalation else None,
            **kw,
        )
        return task


class NotificationFactory(_ServiceFactory):
    """An inbox entry through `notifications.services.notify`, in the recipient's language."""

    class Meta:
        model = Notification

    recipient: Any = None
    kind = "task_assigned"
    event_key = factory.Sequence(lambda n: f"test:{n}")
    params = factory.LazyFunction(lambda: {"client_code": "TST-2026-00000", "due_at": "01-01-2027"})
    data = factory.LazyFunction(dict)
    priority = "normal"

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kw: Any) -> Notification:
        row = notify(**kw)
        if row is None:
            raise ValueError(f"notify() stored nothing: event {kw['event_key']!r} was already notified")
        return row
