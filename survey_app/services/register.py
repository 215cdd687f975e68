"""The municipality register: counties, regions and municipalities from a CSV file."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import County, Municipality, MunicipalityContact, MunicipalityRegion, Region

REQUIRED_COLUMNS = ("kommunenummer", "name", "region")  # optional: malform (nb/nn), epost
SHIPPED_REGISTER = Path(__file__).resolve().parent.parent / "data" / "viken_2020_2023.csv"
# A municipality's written standard (målform) is the register's optional ``malform`` column (nb/nn);
# without it, bokmål. The shipped register marks the three that had adopted nynorsk.


class RegisterError(Exception):
    """The register file cannot be loaded; the message names the line and how to fix it."""


class OtherCountyError(RegisterError):
    """Loading would create a second county beside the one the database has (``existing``, by name)."""

    def __init__(self, name: str, existing: list[str]) -> None:
        super().__init__(f"databasen har allerede fylkeskommunen {', '.join(existing)}, ikke {name}")
        self.existing = existing


@dataclass(frozen=True)
class RegisterRow:
    kommunenummer: str
    name: str
    regions: tuple[str, ...]
    malform: str
    # None: the file has no ``epost`` column, so contacts are left as they are.
    emails: tuple[str, ...] | None = None


def parse_register(text: str, *, source: str = "registeret") -> list[RegisterRow]:
    """Parse register CSV (comma or semicolon): kommunenummer, name, region[, malform]."""
    text = text.lstrip("\ufeff")
    header = text.split("\n", 1)[0]
    # Norwegian Excel saves CSV with semicolons.
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegisterError(
            f"{source}:1: mangler kolonnen {', '.join(missing)} (kolonner: kommunenummer,name,region[,malform])"
        )
    rows: list[RegisterRow] = []
    seen: set[str] = set()
    for lineno, raw in enumerate(reader, start=2):
        number = (raw.get("kommunenummer") or "").strip()
        name = (raw.get("name") or "").strip()
        if not re.fullmatch(r"\d{4}", number):
            raise RegisterError(
                f"{source}:{lineno}: kommunenummer «{number}» må være fire sifre, for eksempel 3005"
            )
        if number in seen:
            raise RegisterError(f"{source}:{lineno}: kommunenummer {number} står to ganger")
        if not name:
            raise RegisterError(f"{source}:{lineno}: kommune {number} mangler navn")
        seen.add(number)
        regions = tuple(r.strip() for r in (raw.get("region") or "").split(" / ") if r.strip())
        malform = (raw.get("malform") or "").strip().lower() or "nb"
        if malform not in ("nb", "nn"):
            raise RegisterError(
                f"{source}:{lineno}: målform «{malform}» må være nb (bokmål) eller nn (nynorsk)"
            )
        emails = None
        if "epost" in (reader.fieldnames or []):
            emails = tuple(e for e in re.split(r"[\s;,]+", raw.get("epost") or "") if e)
            for email in emails:
                if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                    raise RegisterError(f"{source}:{lineno}: «{email}» ser ikke ut som en e-postadresse")
        rows.append(RegisterRow(number, name, regions, malform, emails))
    if not rows:
        raise RegisterError(f"{source}: registeret har ingen kommuner")
    return rows


def load_register(
    session: Session, *, rows: list[RegisterRow], county_name: str, actor: str, allow_new_county: bool = True
) -> County:
    """Create or update the county's register; running it twice changes nothing the second time.

    With ``allow_new_county=False`` a county is created only in an empty database: a name that differs from
    the county already there is far more often a missing or mistyped name than a second county, and it
    would move every municipality of the file to the new one (``OtherCountyError``)."""
    begin_write(session)
    county = session.exec(select(County).where(County.name == county_name)).first()
    if county is None and not allow_new_county:
        counties = list(session.exec(select(County.name).order_by(col(County.id))))
        if counties:
            session.rollback()
            raise OtherCountyError(county_name, counties)
    if county is None:
        county = County(name=county_name)
        session.add(county)
        session.flush()
    assert county.id is not None
    regions = {r.name: r for r in session.exec(select(Region).where(Region.county_id == county.id))}
    for row in rows:
        for name in row.regions:
            if name not in regions:
                regions[name] = Region(county_id=county.id, name=name)
                session.add(regions[name])
    session.flush()
    existing = {m.kommunenummer: m for m in session.exec(select(Municipality))}
    for row in rows:
        muni = existing.get(row.kommunenummer)
        if muni is None:
            muni = Municipality(
                county_id=county.id, kommunenummer=row.kommunenummer, name=row.name, malform=row.malform
            )
            session.add(muni)
            session.flush()
        else:
            muni.name, muni.malform, muni.county_id = row.name, row.malform, county.id
        if row.emails is not None:
            _replace_contacts(session, muni, row.emails)
        links = session.exec(
            select(MunicipalityRegion).where(MunicipalityRegion.municipality_id == muni.id)
        ).all()
        wanted = [regions[name].id for name in row.regions]
        if [link.region_id for link in sorted(links, key=lambda x: not x.is_primary)] != wanted:
            for link in links:
                session.delete(link)
            session.flush()
            for i, region_id in enumerate(wanted):
                assert muni.id is not None and region_id is not None
                session.add(
                    MunicipalityRegion(municipality_id=muni.id, region_id=region_id, is_primary=i == 0)
                )
    audit.record(
        session,
        actor=actor,
        action="register.load",
        object_type="county",
        object_id=county.id,
        details={"municipalities": len(rows)},
    )
    session.commit()
    return county


def _replace_contacts(session: Session, municipality: Municipality, emails: tuple[str, ...]) -> None:
    wanted = list(dict.fromkeys(e.lower() for e in emails))
    existing = session.exec(
        select(MunicipalityContact).where(MunicipalityContact.municipality_id == municipality.id)
    ).all()
    if sorted(c.email for c in existing) == sorted(wanted):
        return
    for contact in existing:
        session.delete(contact)
    session.flush()
    assert municipality.id is not None
    for email in wanted:
        session.add(MunicipalityContact(municipality_id=municipality.id, email=email))


def contact_addresses(session: Session) -> dict[int, list[str]]:
    """Each municipality's contact e-mail addresses (for invitations and reminders)."""
    addresses: dict[int, list[str]] = {}
    for contact in session.exec(select(MunicipalityContact).order_by(col(MunicipalityContact.id))):
        addresses.setdefault(contact.municipality_id, []).append(contact.email)
    return addresses


def region_names(session: Session, municipality_ids: list[int]) -> dict[int, list[str]]:
    """Each municipality's regions, primary first."""
    out: dict[int, list[str]] = {m: [] for m in municipality_ids}
    rows = session.exec(
        select(MunicipalityRegion.municipality_id, Region.name)
        .join(Region, col(Region.id) == col(MunicipalityRegion.region_id))
        .where(col(MunicipalityRegion.municipality_id).in_(municipality_ids))
        .order_by(col(MunicipalityRegion.is_primary).desc(), col(Region.name))
    ).all()
    for muni_id, name in rows:
        out[muni_id].append(name)
    return out
