"""The fixed cast the tests are written around: real places of the demo regions, and one user per role.

Coordinates are the real centroids (villages) and approximate real positions (facilities) of Katingan and
Barito Timur (Kalimantan Tengah, WIB) and Mataram (NTB, WITA).

`cast_build()` returns a `Cast`: one typed attribute per place and person (the `cast` fixture of
tests/conftest.py). `build_cast()` and `build_geography()` return the same as a dict, for callers that index it
(bench/, the villages tests).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.contrib.gis.geos import Point

from backend.accounts.models import CertificateKind, Certification, Role, User
from tests.factories import PASSWORD, CertificationFactory, UserFactory
from villages.models import Facility, FacilityType, Region, RegionLevel, TimeZoneName

__all__ = [
    "PASSWORD",
    "Cast",
    "Geography",
    "build_cast",
    "build_geography",
    "cast_build",
    "certify",
    "make_user",
]


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
    """A user with password PASSWORD and these (role, region code, facility) assignments."""
    return UserFactory(phone=phone, name=name, roles=assignments)


def certify(user: User, kind: str, *, valid: bool = True, number: str | None = None) -> Certification:
    """A certificate of `kind`: valid for a year around today, or (valid=False) ended 30 days ago."""
    extra = {"number": number} if number else {}
    return CertificationFactory(user=user, kind=kind, expired=not valid, **extra)


@dataclass(frozen=True)
class Geography:
    """The villages and facilities of the cast (tests/cast.py `build_geography`)."""

    kasongan_baru: Region  # 62.06.02.1003, Katingan Hilir, Kabupaten Katingan (WIB)
    talian_kereng: Region  # 62.06.02.2005, the same district
    tamiang_layang: Region  # 62.13.01.1012, Kabupaten Barito Timur (the same province)
    ampenan_selatan: Region  # 52.71.01.1004, Kota Mataram (NTB, WITA)
    pkm_kasongan: Facility  # Puskesmas Kasongan (IPWL), in Kasongan Baru
    rsud_kasongan: Facility  # RSUD Mas Amsyar Kasongan (IPWL), in Kasongan Baru
    pkm_tamiang: Facility  # Puskesmas Tamiang Layang
    pkm_ampenan: Facility  # Puskesmas Ampenan (IPWL), Mataram


@dataclass(frozen=True)
class Cast(Geography):
    """The places of `Geography` and one user per role (phones 0812000000xx, password PASSWORD)."""

    volunteer_katingan: User  # volunteer of Kasongan Baru
    official_katingan: User  # village official of Kasongan Baru
    volunteer_talian: User  # volunteer of Talian Kereng
    volunteer_mataram: User  # volunteer of Ampenan Selatan
    counselor_near: User  # certified counselor at Puskesmas Kasongan
    counselor_far: User  # certified counselor at Puskesmas Tamiang Layang
    assessor_near: User  # certified assessor at RSUD Kasongan
    assessor_expired: User  # assessor at Puskesmas Kasongan whose certificate ended
    counselor_mataram: User  # certified counselor at Puskesmas Ampenan
    facility_admin_kasongan: User  # admin of Puskesmas Kasongan
    coordinator_kalteng: User  # BNNP coordinator of the province (62)
    coordinator_katingan: User  # BNNK coordinator of Kabupaten Katingan (62.06)
    coordinator_mataram: User  # BNNK coordinator of Kota Mataram (52.71)
    system_admin: User
    nobody: User  # a user without any role assignment

    def as_dict(self) -> dict[str, Region | Facility | User]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def geography_build() -> Geography:
    return Geography(**build_geography())  # type: ignore[arg-type]


def cast_build() -> Cast:
    """Build the geography and the users (in the current transaction)."""
    g = geography_build()
    user = make_user
    cast = Cast(
        **{f.name: getattr(g, f.name) for f in fields(g)},
        volunteer_katingan=user(
            "081200000001", "Siti Kader Kasongan", (Role.VOLUNTEER, "62.06.02.1003", None)
        ),
        official_katingan=user(
            "081200000002", "Pak Kades Kasongan Baru", (Role.VILLAGE_OFFICIAL, "62.06.02.1003", None)
        ),
        volunteer_talian=user("081200000003", "Kader Talian Kereng", (Role.VOLUNTEER, "62.06.02.2005", None)),
        volunteer_mataram=user("081200000004", "Kader Ampenan", (Role.VOLUNTEER, "52.71.01.1004", None)),
        counselor_near=user("081200000011", "dr. Konselor Kasongan", (Role.COUNSELOR, None, g.pkm_kasongan)),
        counselor_far=user("081200000012", "Konselor Tamiang Layang", (Role.COUNSELOR, None, g.pkm_tamiang)),
        assessor_near=user("081200000013", "Asesor RSUD Kasongan", (Role.ASSESSOR, None, g.rsud_kasongan)),
        assessor_expired=user("081200000014", "Asesor Kedaluwarsa", (Role.ASSESSOR, None, g.pkm_kasongan)),
        counselor_mataram=user("081200000015", "Konselor Ampenan", (Role.COUNSELOR, None, g.pkm_ampenan)),
        facility_admin_kasongan=user(
            "081200000021", "Admin Puskesmas Kasongan", (Role.FACILITY_ADMIN, None, g.pkm_kasongan)
        ),
        coordinator_kalteng=user("081200000031", "Koordinator BNNP Kalteng", (Role.COORDINATOR, "62", None)),
        coordinator_katingan=user(
            "081200000032", "Koordinator BNNK Katingan", (Role.COORDINATOR, "62.06", None)
        ),
        coordinator_mataram=user(
            "081200000033", "Koordinator BNNK Mataram", (Role.COORDINATOR, "52.71", None)
        ),
        system_admin=user("081200000099", "Admin Sistem", (Role.SYSTEM_ADMIN, None, None)),
        nobody=user("081200000098", "Tanpa Peran"),
    )
    certify(cast.counselor_near, CertificateKind.COUNSELOR)
    certify(cast.counselor_far, CertificateKind.COUNSELOR)
    certify(cast.assessor_near, CertificateKind.ASSESSOR)
    certify(cast.assessor_expired, CertificateKind.ASSESSOR, valid=False)
    certify(cast.counselor_mataram, CertificateKind.COUNSELOR)
    return cast


def build_cast() -> dict[str, object]:
    """`cast_build()` as a dict (bench/bench_sync.py indexes it)."""
    return dict(cast_build().as_dict())
