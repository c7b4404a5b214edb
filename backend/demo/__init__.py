"""The demo city: Los Angeles' real 311 data, its catalog, zones and staff accounts.

Loading is idempotent: whatever already exists is left as it is.
"""

import csv
import gzip
import io
import json
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from shapely import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import Conflict
from backend.geo.zones import ZoneRecord, parse_zones
from backend.models import Crew, Department, Service
from backend.services import accounts, addresses, catalog, la311, open311, zones

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REQUESTS_CSV = DATA / "la311_requests_2020.csv.gz"
NEIGHBOURHOODS = DATA / "la_neighborhood_councils_2019.geojson.gz"
DISTRICTS = DATA / "la_council_districts_2012.geojson.gz"

Say = Callable[[str], None]
# The demo's Open311 key: published in the README, so for the demo only.
DEMO_API_KEY_NAME = "demo"
DEMO_API_KEY = "frontdoor-demo-key"


def load_catalog(db: Session, say: Say = print) -> None:
    spec = json.loads((HERE / "catalog.json").read_text())
    for d in spec["departments"]:
        if not db.scalar(select(Department).where(Department.code == d["code"])):
            db.add(Department(**d))
    db.flush()
    departments = {d.code: d for d in db.scalars(select(Department))}
    for c in spec["crews"]:
        if not db.scalar(select(Crew).where(Crew.name == c["name"])):
            db.add(Crew(name=c["name"], department_id=departments[c["department"]].id))
    db.flush()
    for s in spec["services"]:
        if not db.scalar(select(Service.id).where(Service.code == s["code"])):
            catalog.create_service(db, **s)
    for a in spec["accounts"]:
        with suppress(Conflict):  # already there from an earlier load
            accounts.create_user(db, **a)
    say(f"catalog: {len(spec['services'])} services, {len(spec['accounts'])} staff accounts")


def load_zones(db: Session, say: Say = print) -> None:
    neighbourhoods = parse_zones(_json(NEIGHBOURHOODS), code_property="nc_id",
                                 name_property="name")
    districts = parse_zones(_json(DISTRICTS), code_property="name", name_property="name")
    outline = ZoneRecord(code="los-angeles", name="City of Los Angeles",
                         geometry=unary_union([d.geometry for d in districts]))
    zones.import_zones(db, neighbourhoods, kind="neighbourhood")
    zones.import_zones(db, [_named_district(d) for d in districts], kind="district")
    zones.import_zones(db, [outline], kind="city")
    say(f"zones: {len(neighbourhoods)} neighbourhoods, {len(districts)} districts, 1 city")


def load_requests(db: Session, say: Say = print,
                  progress: Callable[[int], None] = lambda n: None) -> la311.ImportReport:
    with gzip.open(REQUESTS_CSV, "rt", encoding="utf-8", newline="") as file:
        report = la311.import_rows(db, csv.DictReader(file), progress=progress)
    say(f"requests: {report.imported} imported, skipped {dict(report.skipped) or 'none'}")
    return report


def load_addresses(db: Session, say: Say = print) -> addresses.ImportReport:
    """The demo's address points: each distinct address in the LA requests, with its point."""
    with gzip.open(REQUESTS_CSV, "rt", encoding="utf-8", newline="") as file:
        rows = ({"address": r["address"], "lat": r["latitude"], "lon": r["longitude"]}
                for r in csv.DictReader(file))
        report = addresses.import_addresses(db, rows)
    say(f"addresses: {report.imported} imported")
    return report


def load_api_key(db: Session) -> str:
    """The demo Open311 client key (only its hash is stored); returns the key."""
    open311.ensure_api_key(db, DEMO_API_KEY_NAME, DEMO_API_KEY)
    return DEMO_API_KEY


def _json(path: Path):
    with gzip.open(path, "rb") as file:
        return json.load(io.TextIOWrapper(file, encoding="utf-8"))


def _named_district(record: ZoneRecord) -> ZoneRecord:
    return ZoneRecord(code=record.code, name=f"Council District {record.code}",
                      geometry=record.geometry, properties=record.properties)
