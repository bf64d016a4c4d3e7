"""A field worker whose role ended sees nothing of the client any more: no new inbox entry names the client for
them, and the routing explanation of a case is for the client's volunteers only while they are volunteers."""

from __future__ import annotations

from backend.access.policy import routing_visible_to
from backend.accounts.models import Role, RoleAssignment, User
from backend.escalations.models import Escalation
from backend.escalations.services.support import field_workers
from notifications.models import Notification
from tests.factories import ClientFactory, EscalationFactory, UserFactory


def _volunteer(village: str):  # type: ignore[no-untyped-def]
    return UserFactory(roles=[(Role.VOLUNTEER, village, None)])


def test_a_volunteer_whose_role_ended_is_no_field_worker_of_the_case_and_is_not_told(cast) -> None:
    former, current = _volunteer("62.06.02.1003"), _volunteer("62.06.02.1003")
    client = ClientFactory(
        registered_by=cast.volunteer_katingan, village=cast.kasongan_baru, volunteers=[former, current]
    )
    RoleAssignment.objects.filter(user=former).update(active=False)
    esc = EscalationFactory(client=client, created_by=cast.volunteer_katingan)
    assert [u.id for u in field_workers(esc)] == [current.id]
    assert not Notification.objects.filter(recipient=former).exists()


def test_a_creator_whose_role_ended_is_not_told_either(cast) -> None:
    creator = UserFactory(roles=[(Role.VILLAGE_OFFICIAL, "62.06.02.1003", None)])
    client = ClientFactory(registered_by=cast.official_katingan, village=cast.kasongan_baru)
    esc = EscalationFactory(client=client, created_by=creator)
    RoleAssignment.objects.filter(user=creator).update(active=False)
    esc = Escalation.objects.get(id=esc.id)  # its creator as a request would load them: scope read anew
    assert field_workers(esc) == []


def test_the_routing_explanation_is_shown_to_an_assigned_volunteer_of_another_village(cast) -> None:
    """The village side reads why a case went where it went: the client's own volunteers among them, wherever
    their village is (a volunteer may follow a client who lives next door)."""
    neighbour = _volunteer("62.06.02.2005")
    client = ClientFactory(
        registered_by=cast.coordinator_katingan, village=cast.kasongan_baru, volunteers=[neighbour]
    )
    esc = EscalationFactory(client=client, created_by=cast.volunteer_katingan)
    assert routing_visible_to(user=neighbour, esc=esc)
    RoleAssignment.objects.filter(user=neighbour).update(active=False)
    assert not routing_visible_to(
        user=User.objects.get(id=neighbour.id), esc=esc
    )  # scope is read per request
    assert not routing_visible_to(user=cast.counselor_near, esc=esc)
