"""The fixed cast the tests are written around: real places of the demo regions, and one user per role.

Coordinates are the real centroids (villages) and approximate real positions (facilities) of Katingan and
Barito Timur (Kalimantan Tengah, WIB) and Mataram (NTB, WITA).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.gis.geos import Point

from backend.accounts.models import CertificateKind, Certification, Role, RoleAssignment, User
from villages.models import Facility, FacilityType, Region, RegionLevel, TimeZoneName

PASSWORD = "rahasia-uji-123"


def region(
    code: str,
    level: str,
    name: str,
    parent: str | None,
    lat: float | None = None,
    lon: float | None = None,
    tz: str = TimeZoneName.WIB,
) -> Region:
    obj, _ = Region.objects.update_or_create(
        code=code,
        defaults={
            "level": level,
            "name": name,
            "parent_id": parent,
            "timezone": tz,
            "point": Point(lon, lat, srid=4326) if lat is not None else None,
        },
    )
    return obj


def build_geography() -> dict[str, object]:
    V, D, R, P = RegionLevel.VILLAGE, RegionLevel.DISTRICT, RegionLevel.REGENCY, RegionLevel.PROVINCE
    g: dict[str, object] = {}
    region("62", P, "Kalimantan Tengah", None, -1.68, 113.38)
    region("62.06", R, "Kabupaten Katingan", "62", -1.6859, 113.0708)
    region("62.06.02", D, "Katingan Hilir", "62.06", -1.9082, 113.3584)
    g["kasongan_baru"] = region("62.06.02.1003", V, "Kasongan Baru", "62.06.02", -1.92137, 113.44706)
    g["talian_kereng"] = region("62.06.02.2005", V, "Talian Kereng", "62.06.02", -1.83695, 113.40432)
    region("62.13", R, "Kabupaten Barito Timur", "62", -1.9823, 115.1440)
    region("62.13.01", D, "Dusun Timur", "62.13", -2.1085, 115.1734)
    g["tamiang_layang"] = region("62.13.01.1012", V, "Tamiang Layang", "62.13.01", -2.09731, 115.15566)
    region("52", P, "Nusa Tenggara Barat", None, -8.65, 117.36, TimeZoneName.WITA)
    region("52.71", R, "Kota Mataram", "52", -8.5902, 116.1110, TimeZoneName.WITA)
    region("52.71.01", D, "Ampenan", "52.71", -8.5707, 116.0839, TimeZoneName.WITA)
    g["ampenan_selatan"] = region(
        "52.71.01.1004", V, "Ampenan Selatan", "52.71.01", -8.58085, 116.07551, TimeZoneName.WITA
    )

    def facility(
        code: str, name: str, ftype: str, village: str, lat: float, lon: float, ipwl: bool = False
    ) -> Facility:
        obj, _ = Facility.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "type": ftype,
                "village_id": village,
                "is_ipwl": ipwl,
                "location": Point(lon, lat, srid=4326),
            },
        )
        return obj

    g["pkm_kasongan"] = facility(
        "T-PKM-KSG",
        "Puskesmas Kasongan",
        FacilityType.PUSKESMAS,
        "62.06.02.1003",
        -1.907156,
        113.428589,
        True,
    )
    g["rsud_kasongan"] = facility(
        "T-RSUD-KSG", "RSUD Mas Amsyar Kasongan", FacilityType.RSUD, "62.06.02.1003", -1.8900, 113.4050, True
    )
    g["pkm_tamiang"] = facility(
        "T-PKM-TML",
        "Puskesmas Tamiang Layang",
        FacilityType.PUSKESMAS,
        "62.13.01.1012",
        -2.111234,
        115.159233,
    )
    g["pkm_ampenan"] = facility(
        "T-PKM-AMP", "Puskesmas Ampenan", FacilityType.PUSKESMAS, "52.71.01.1004", -8.562205, 116.086494, True
    )
    return g


def make_user(phone: str, name: str, *assignments: tuple[str, str | None, Facility | None]) -> User:
    user = User.objects.create_user(phone, PASSWORD, name=name)
    for role, region_code, facility in assignments:
        RoleAssignment.objects.create(user=user, role=role, region_id=region_code, facility=facility)
    return user


def certify(user: User, kind: str, *, valid: bool = True, number: str | None = None) -> Certification:
    today = date.today()
    issued, expires = (
        (today - timedelta(days=365), today + timedelta(days=365))
        if valid
        else (today - timedelta(days=3 * 365), today - timedelta(days=30))
    )
    return Certification.objects.create(
        user=user,
        kind=kind,
        number=number or f"{kind[:3].upper()}-{user.phone[-6:]}",
        issuer="BNN RI",
        issued_on=issued,
        expires_on=expires,
    )


def build_cast() -> dict[str, object]:
    g = build_geography()
    c: dict[str, object] = dict(g)
    c["volunteer_katingan"] = make_user(
        "081200000001", "Siti Kader Kasongan", (Role.VOLUNTEER, "62.06.02.1003", None)
    )
    c["official_katingan"] = make_user(
        "081200000002", "Pak Kades Kasongan Baru", (Role.VILLAGE_OFFICIAL, "62.06.02.1003", None)
    )
    c["volunteer_talian"] = make_user(
        "081200000003", "Kader Talian Kereng", (Role.VOLUNTEER, "62.06.02.2005", None)
    )
    c["volunteer_mataram"] = make_user(
        "081200000004", "Kader Ampenan", (Role.VOLUNTEER, "52.71.01.1004", None)
    )
    c["counselor_near"] = make_user(
        "081200000011", "dr. Konselor Kasongan", (Role.COUNSELOR, None, g["pkm_kasongan"])
    )
    certify(c["counselor_near"], CertificateKind.COUNSELOR)  # type: ignore[arg-type]
    c["counselor_far"] = make_user(
        "081200000012", "Konselor Tamiang Layang", (Role.COUNSELOR, None, g["pkm_tamiang"])
    )
    certify(c["counselor_far"], CertificateKind.COUNSELOR)  # type: ignore[arg-type]
    c["assessor_near"] = make_user(
        "081200000013", "Asesor RSUD Kasongan", (Role.ASSESSOR, None, g["rsud_kasongan"])
    )
    certify(c["assessor_near"], CertificateKind.ASSESSOR)  # type: ignore[arg-type]
    c["assessor_expired"] = make_user(
        "081200000014", "Asesor Kedaluwarsa", (Role.ASSESSOR, None, g["pkm_kasongan"])
    )
    certify(c["assessor_expired"], CertificateKind.ASSESSOR, valid=False)  # type: ignore[arg-type]
    c["counselor_mataram"] = make_user(
        "081200000015", "Konselor Ampenan", (Role.COUNSELOR, None, g["pkm_ampenan"])
    )
    certify(c["counselor_mataram"], CertificateKind.COUNSELOR)  # type: ignore[arg-type]
    c["facility_admin_kasongan"] = make_user(
        "081200000021", "Admin Puskesmas Kasongan", (Role.FACILITY_ADMIN, None, g["pkm_kasongan"])
    )
    c["coordinator_kalteng"] = make_user(
        "081200000031", "Koordinator BNNP Kalteng", (Role.COORDINATOR, "62", None)
    )
    c["coordinator_katingan"] = make_user(
        "081200000032", "Koordinator BNNK Katingan", (Role.COORDINATOR, "62.06", None)
    )
    c["coordinator_mataram"] = make_user(
        "081200000033", "Koordinator BNNK Mataram", (Role.COORDINATOR, "52.71", None)
    )
    c["system_admin"] = make_user("081200000099", "Admin Sistem", (Role.SYSTEM_ADMIN, None, None))
    c["nobody"] = make_user("081200000098", "Tanpa Peran")
    return c
