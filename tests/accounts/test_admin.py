"""Provisioning in the Django admin: a coordinator sees and edits only the users of their own area."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from backend.accounts.models import Role, RoleAssignment, User

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


def admin_client(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(user)
    return client


def changelist_phones(client: Client) -> set[str]:
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    return {u.phone for u in response.context["cl"].result_list}


def add_user_form(
    phone: str, role: str, region: str = "", facility: str = "", **extra: Any
) -> dict[str, Any]:
    data = {
        "phone": phone,
        "name": "Kader Baru",
        "language": "id",
        "usable_password": "false",
        "roles-TOTAL_FORMS": "1",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "roles-0-role": role,
        "roles-0-region": region,
        "roles-0-facility": facility,
        "roles-0-active": "on",
        "certifications-TOTAL_FORMS": "0",
        "certifications-INITIAL_FORMS": "0",
        "certifications-MIN_NUM_FORMS": "0",
        "certifications-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def test_a_regency_coordinator_sees_only_the_users_of_their_regency(cast) -> None:  # type: ignore[no-untyped-def]
    phones = changelist_phones(admin_client(cast.coordinator_katingan))
    assert {
        cast.volunteer_katingan.phone,  # village in Katingan
        cast.official_katingan.phone,
        cast.volunteer_talian.phone,
        cast.counselor_near.phone,  # facility in a Katingan village
        cast.assessor_near.phone,
        cast.facility_admin_kasongan.phone,
        cast.coordinator_katingan.phone,
    } <= phones
    for outsider in (cast.volunteer_mataram, cast.counselor_far, cast.counselor_mataram, cast.system_admin):
        assert outsider.phone not in phones
    assert cast.nobody.phone not in phones


def test_a_province_coordinator_sees_every_regency_of_the_province(cast) -> None:  # type: ignore[no-untyped-def]
    phones = changelist_phones(admin_client(cast.coordinator_kalteng))
    assert {cast.counselor_far.phone, cast.volunteer_katingan.phone} <= phones
    assert cast.volunteer_mataram.phone not in phones


def test_a_system_admin_sees_everyone(cast) -> None:  # type: ignore[no-untyped-def]
    phones = changelist_phones(admin_client(cast.system_admin))
    assert phones == set(User.objects.values_list("phone", flat=True))


def test_another_areas_user_cannot_be_opened_by_a_coordinator(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    own = client.get(f"{CHANGELIST}{cast.volunteer_katingan.pk}/change/")
    assert own.status_code == 200
    other = client.get(f"{CHANGELIST}{cast.volunteer_mataram.pk}/change/")
    assert other.status_code in (302, 404)
    assert "/change/" not in other.get("Location", "")


def test_a_staff_member_without_a_coordinator_role_gets_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.volunteer_katingan)
    assert client.get(CHANGELIST).status_code == 403


def test_a_coordinator_adds_a_volunteer_in_their_area(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    response = client.post(
        CHANGELIST + "add/", add_user_form("0812-7000-0001", Role.VOLUNTEER, "62.06.02.2005")
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user = User.objects.get(phone="+6281270000001")
    assert not user.has_usable_password()  # signs in with Firebase phone auth
    assert list(user.roles.values_list("role", "region_id")) == [(Role.VOLUNTEER, "62.06.02.2005")]


def test_a_coordinator_cannot_assign_a_village_outside_their_area(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    response = client.post(
        CHANGELIST + "add/", add_user_form("081270000002", Role.VOLUNTEER, "52.71.01.1004")
    )
    assert response.status_code == 200
    assert not User.objects.filter(phone="+6281270000002").exists()


def test_a_coordinator_cannot_assign_a_facility_outside_their_area(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    form = add_user_form("081270000003", Role.COUNSELOR, facility=str(cast.pkm_tamiang.pk))
    assert client.post(CHANGELIST + "add/", form).status_code == 200
    assert not User.objects.filter(phone="+6281270000003").exists()
    form = add_user_form("081270000003", Role.COUNSELOR, facility=str(cast.pkm_kasongan.pk))
    assert client.post(CHANGELIST + "add/", form).status_code == 302


def test_a_coordinator_cannot_make_a_system_admin(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    assert (
        client.post(CHANGELIST + "add/", add_user_form("081270000004", Role.SYSTEM_ADMIN)).status_code == 200
    )
    assert not User.objects.filter(phone="+6281270000004").exists()


def test_a_village_role_needs_a_village_not_a_regency(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.system_admin)
    assert (
        client.post(CHANGELIST + "add/", add_user_form("081270000005", Role.VOLUNTEER, "62.06")).status_code
        == 200
    )
    assert not User.objects.filter(phone="+6281270000005").exists()


def test_a_coordinator_must_give_a_new_user_a_role_in_their_area(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    form = add_user_form("081270000006", "", **{"roles-0-active": ""})
    assert client.post(CHANGELIST + "add/", form).status_code == 200
    assert not User.objects.filter(phone="+6281270000006").exists()


def test_a_coordinator_edits_only_the_in_area_roles_of_a_user(cast) -> None:  # type: ignore[no-untyped-def]
    """A user working in two regencies: the Katingan coordinator neither sees nor touches the Mataram role."""
    user = cast.volunteer_katingan
    RoleAssignment.objects.create(user=user, role=Role.VOLUNTEER, region_id="52.71.01.1004")
    client = admin_client(cast.coordinator_katingan)
    response = client.get(f"{CHANGELIST}{user.pk}/change/")
    inline = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "roles")
    assert [f.instance.region_id for f in inline.formset.initial_forms] == ["62.06.02.1003"]


def test_the_admin_speaks_bahasa_indonesia(cast) -> None:  # type: ignore[no-untyped-def]
    content = admin_client(cast.system_admin).get(CHANGELIST).content.decode()
    assert "Pilih pengguna untuk diubah" in content


def test_a_coordinator_can_deactivate_a_user_of_their_area_but_not_make_a_superuser(cast) -> None:  # type: ignore[no-untyped-def]
    user = cast.volunteer_katingan
    role = user.roles.get()
    client = admin_client(cast.coordinator_katingan)
    page = client.get(f"{CHANGELIST}{user.pk}/change/")
    assert "is_superuser" not in page.context["adminform"].form.fields
    form = add_user_form(
        user.phone,
        Role.VOLUNTEER,
        "62.06.02.1003",
        name=user.name,
        caseload_cap="15",
        is_superuser="on",  # not a field for coordinators: ignored
        **{"roles-INITIAL_FORMS": "1", "roles-0-id": str(role.pk), "roles-0-user": str(user.pk)},
    )
    del form["usable_password"]
    response = client.post(f"{CHANGELIST}{user.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert not user.is_active and not user.is_superuser


# --- nobody above the coordinator (reviewer A: a coordinator could reset a system admin's password) ---------

TAKEOVER = "Takeover-12345!"


def password_form() -> dict[str, str]:
    return {"password1": TAKEOVER, "password2": TAKEOVER, "usable_password": "true"}


def assert_untouchable(client: Client, user: User) -> None:
    """Change page, password page and history 404; a posted password changes nothing; not in the list."""
    before = User.objects.get(pk=user.pk).password
    for suffix in ("change/", "password/", "history/"):
        response = client.get(f"{CHANGELIST}{user.pk}/{suffix}")
        assert response.status_code in (302, 404), suffix
        assert "/change/" not in response.get("Location", "") or suffix != "change/"
    assert client.post(f"{CHANGELIST}{user.pk}/password/", password_form()).status_code == 404
    assert client.post(f"{CHANGELIST}{user.pk}/change/", {"name": "Diambil alih"}).status_code in (302, 404)
    after = User.objects.get(pk=user.pk)
    assert after.password == before and not after.check_password(TAKEOVER)
    assert after.name != "Diambil alih"
    assert user.phone not in changelist_phones(client)


def test_a_coordinator_cannot_reach_a_system_admin_who_volunteers_in_their_area(cast) -> None:  # type: ignore[no-untyped-def]
    """Bug: a system admin with a volunteer role in Katingan was editable by the Katingan coordinator, who
    could reset their password in the admin and so become a system admin."""
    RoleAssignment.objects.create(user=cast.system_admin, role=Role.VOLUNTEER, region_id="62.06.02.1003")
    assert_untouchable(admin_client(cast.coordinator_katingan), cast.system_admin)


def test_a_coordinator_cannot_reach_a_superuser_of_their_area(cast) -> None:  # type: ignore[no-untyped-def]
    """Bug class: a superuser without the system-admin role, volunteering in the area, stays out of reach."""
    User.objects.filter(pk=cast.volunteer_talian.pk).update(is_superuser=True)
    assert_untouchable(admin_client(cast.coordinator_katingan), cast.volunteer_talian)


def test_a_regency_coordinator_cannot_reach_the_province_coordinator(cast) -> None:  # type: ignore[no-untyped-def]
    """Bug: the province coordinator with a role in a Katingan village was editable by the Katingan one."""
    RoleAssignment.objects.create(
        user=cast.coordinator_kalteng, role=Role.VOLUNTEER, region_id="62.06.02.1003"
    )
    assert_untouchable(admin_client(cast.coordinator_katingan), cast.coordinator_kalteng)


def test_a_coordinator_cannot_reach_a_peer_coordinator_of_the_same_area(cast) -> None:  # type: ignore[no-untyped-def]
    peer = User.objects.create_user("081270000050", "Rahasia-123456", name="Koordinator Kedua")
    RoleAssignment.objects.create(user=peer, role=Role.COORDINATOR, region_id="62.06")
    assert_untouchable(admin_client(cast.coordinator_katingan), peer)


def test_a_province_coordinator_still_manages_a_regency_coordinator_below(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_kalteng)
    user = cast.coordinator_katingan
    assert client.get(f"{CHANGELIST}{user.pk}/change/").status_code == 200
    assert client.get(f"{CHANGELIST}{user.pk}/password/").status_code == 200
    response = client.post(f"{CHANGELIST}{user.pk}/password/", password_form())
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).check_password(TAKEOVER)


def test_a_coordinator_resets_the_password_of_a_volunteer_of_their_area(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    response = client.post(f"{CHANGELIST}{cast.volunteer_talian.pk}/password/", password_form())
    assert response.status_code == 302
    assert User.objects.get(pk=cast.volunteer_talian.pk).check_password(TAKEOVER)


def test_a_user_serving_outside_the_area_keeps_phone_and_password_out_of_reach(cast) -> None:  # type: ignore[no-untyped-def]
    """Bug class: a Mataram coordinator who also volunteers in Katingan could be taken over by the Katingan
    coordinator (new password, or their own phone number) and with them the Mataram area. The in-area roles
    and the name stay editable; the phone, password and flags do not."""
    other = cast.coordinator_mataram
    RoleAssignment.objects.create(user=other, role=Role.VOLUNTEER, region_id="62.06.02.1003")
    client = admin_client(cast.coordinator_katingan)
    page = client.get(f"{CHANGELIST}{other.pk}/change/")
    assert page.status_code == 200
    fields = page.context["adminform"].form.fields
    assert not {"phone", "is_active", "is_staff"} & set(fields)
    assert client.get(f"{CHANGELIST}{other.pk}/password/").status_code == 404
    assert client.post(f"{CHANGELIST}{other.pk}/password/", password_form()).status_code == 404
    assert not User.objects.get(pk=other.pk).check_password(TAKEOVER)
    role = other.roles.get(region_id="62.06.02.1003")
    form = add_user_form(
        cast.coordinator_katingan.phone,  # ignored: the phone is read-only here
        Role.VOLUNTEER,
        "62.06.02.1003",
        name="Nama Baru",
        caseload_cap="15",
        **{"roles-INITIAL_FORMS": "1", "roles-0-id": str(role.pk), "roles-0-user": str(other.pk)},
    )
    del form["usable_password"]
    response = client.post(f"{CHANGELIST}{other.pk}/change/", form)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    other.refresh_from_db()
    assert other.name == "Nama Baru"
    assert other.phone == "+6281200000033" and other.is_active
