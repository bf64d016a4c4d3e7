"""Eligibility for escalations is computed from certificates, per date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.accounts.models import CertificateKind, Certification, User
from backend.accounts.selectors import certification_valid_for, staff_eligible_qs

TODAY = date.today()


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user("081299990001", None, name="Konselor Uji")


def certify(user: User, kind: str, issued: date, expires: date, *, revoked: bool = False) -> Certification:
    return Certification.objects.create(
        user=user,
        kind=kind,
        number=f"N-{kind}-{issued.isoformat()}-{expires.isoformat()}",
        issuer="BNN RI",
        issued_on=issued,
        expires_on=expires,
        revoked=revoked,
    )


def test_a_certificate_is_valid_from_its_issue_date_through_its_expiry_date(staff: User) -> None:
    certify(staff, CertificateKind.COUNSELOR, date(2025, 1, 1), date(2026, 12, 31))
    assert not certification_valid_for(user=staff, kind=CertificateKind.COUNSELOR, on=date(2024, 12, 31))
    assert certification_valid_for(user=staff, kind=CertificateKind.COUNSELOR, on=date(2025, 1, 1))
    assert certification_valid_for(user=staff, kind=CertificateKind.COUNSELOR, on=date(2026, 12, 31))
    assert not certification_valid_for(user=staff, kind=CertificateKind.COUNSELOR, on=date(2027, 1, 1))


def test_a_certificate_of_another_kind_does_not_count(staff: User) -> None:
    certify(staff, CertificateKind.COUNSELOR, TODAY - timedelta(days=10), TODAY + timedelta(days=10))
    assert not certification_valid_for(user=staff, kind=CertificateKind.ASSESSOR, on=TODAY)


def test_a_revoked_certificate_never_counts(staff: User) -> None:
    certify(
        staff, CertificateKind.ASSESSOR, TODAY - timedelta(days=10), TODAY + timedelta(days=10), revoked=True
    )
    assert not certification_valid_for(user=staff, kind=CertificateKind.ASSESSOR, on=TODAY)
    assert staff not in staff_eligible_qs(kind=CertificateKind.ASSESSOR, on=TODAY)


def test_an_expired_certificate_renewed_later_counts_again(staff: User) -> None:
    certify(staff, CertificateKind.ASSESSOR, date(2022, 1, 1), date(2024, 1, 1))
    certify(staff, CertificateKind.ASSESSOR, date(2024, 6, 1), date(2027, 6, 1))
    assert not certification_valid_for(user=staff, kind=CertificateKind.ASSESSOR, on=date(2024, 3, 1))
    assert certification_valid_for(user=staff, kind=CertificateKind.ASSESSOR, on=date(2025, 3, 1))


def test_eligible_staff_are_those_with_a_valid_certificate_on_that_day(cast) -> None:  # type: ignore[no-untyped-def]
    eligible = set(staff_eligible_qs(kind=CertificateKind.ASSESSOR, on=TODAY))
    assert cast.assessor_near in eligible
    assert cast.assessor_expired not in eligible
    assert cast.counselor_near not in eligible  # a counselor certificate does not make an assessor
    counselors = set(staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY))
    assert {cast.counselor_near, cast.counselor_far, cast.counselor_mataram} <= counselors
    assert cast.volunteer_katingan not in counselors


def test_the_expired_assessor_was_eligible_while_the_certificate_ran(cast) -> None:  # type: ignore[no-untyped-def]
    while_valid = TODAY - timedelta(days=60)
    assert cast.assessor_expired in staff_eligible_qs(kind=CertificateKind.ASSESSOR, on=while_valid)


def test_staff_on_leave_are_not_eligible_during_their_leave_only(cast) -> None:  # type: ignore[no-untyped-def]
    user = cast.counselor_near
    user.on_leave_from = TODAY
    user.on_leave_until = TODAY + timedelta(days=6)
    user.save()
    assert user not in staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY)
    assert user not in staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY + timedelta(days=6))
    assert user in staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY - timedelta(days=1))
    assert user in staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY + timedelta(days=7))


def test_a_leave_without_an_end_date_lasts_until_it_is_ended(cast) -> None:  # type: ignore[no-untyped-def]
    user = cast.counselor_near
    user.on_leave_from = TODAY - timedelta(days=3)
    user.save()
    assert user not in staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY + timedelta(days=100))
    assert user in staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY - timedelta(days=4))


def test_deactivated_staff_are_not_eligible(cast) -> None:  # type: ignore[no-untyped-def]
    cast.counselor_far.is_active = False
    cast.counselor_far.save()
    assert cast.counselor_far not in staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY)


def test_a_user_with_two_valid_certificates_appears_once(staff: User) -> None:
    certify(staff, CertificateKind.COUNSELOR, TODAY - timedelta(days=100), TODAY + timedelta(days=10))
    certify(staff, CertificateKind.COUNSELOR, TODAY - timedelta(days=5), TODAY + timedelta(days=700))
    assert list(staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY)) == [staff]
