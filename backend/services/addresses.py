"""The city's address points: import, autocomplete, reverse lookup, exact match.

No outside geocoder. Addresses are split into number, street and locality ("16815 W
VANOWEN ST, 91406" → "16815", "w vanowen st", "91406") and normalized (lower case, no
punctuation, USPS-style abbreviations), so "16815 West Vanowen Street" finds the same row.

Autocomplete works street first. The distinct street names (tens of thousands even for a
big city) are held in memory per process: a sorted token list answers prefixes, RapidFuzz
answers typos. The few best streets then go to one indexed query on (street, number), so
the cost does not grow with the number of addresses. Reverse lookup searches growing boxes
on the indexed (lat, lon) columns and measures exactly (backend.geo.spatial_key).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput, InvalidLocation, NotFound
from backend.geo.distance import haversine_m, validate_point
from backend.geo.spatial_key import nearest_within
from backend.models import Address, AddressStreet
from backend.services import zones

MAX_QUERY_CHARS = 200
MAX_RESULTS = 50
STREETS_PER_QUERY = 12
FUZZY_CUTOFF = 70  # RapidFuzz 0–100; "vanowan" → "vanowen" scores 86, unrelated names < 60
BATCH = 2000

ABBREVIATIONS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "boulevard": "blvd",
    "drive": "dr", "road": "rd", "place": "pl", "lane": "ln", "court": "ct", "circle": "cir",
    "terrace": "ter", "parkway": "pkwy", "highway": "hwy", "freeway": "fwy", "square": "sq",
    "trail": "trl", "alley": "aly", "plaza": "plz", "expressway": "expy", "crescent": "cres",
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne", "northwest": "nw",
    "southeast": "se", "southwest": "sw", "apartment": "apt", "suite": "ste", "mount": "mt",
}
DIRECTIONS = {"n", "s", "e", "w", "ne", "nw", "se", "sw"}
STREET_TYPES = {"st", "ave", "blvd", "dr", "rd", "pl", "ln", "ct", "cir", "ter", "pkwy", "hwy",
                "fwy", "sq", "trl", "aly", "plz", "expy", "cres", "way"}
_NOT_WORD = re.compile(r"[^a-z0-9/]+")
_FRACTION = re.compile(r"^\d+/\d+$")


# -- text ------------------------------------------------------------------------

def normalize(text: str) -> str:
    """'16815 West Vanowen Street, 91406' → '16815 w vanowen st 91406'."""
    return " ".join(_tokens(text))


def _tokens(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [ABBREVIATIONS.get(t, t) for t in _NOT_WORD.sub(" ", plain).split()]


@dataclass(frozen=True)
class ParsedAddress:
    number: str
    street: str
    locality: str

    @property
    def normalized(self) -> str:
        return " ".join(p for p in (self.number, self.street, self.locality) if p)


def parse(label: str) -> ParsedAddress:
    """Split an address line into number, street and locality (what follows the comma)."""
    head, _, locality = label.partition(",")
    tokens = _tokens(head)
    number = ""
    if tokens and tokens[0][0].isdigit():
        number = tokens.pop(0)
        if tokens and _FRACTION.match(tokens[0]):  # LA's "1122 1/2 N MARIPOSA AVE"
            number += " " + tokens.pop(0)
    return ParsedAddress(number, " ".join(tokens), " ".join(_tokens(locality)))


def _core(street: str) -> str:
    """The street's own name, without direction or type: 'w vanowen st' → 'vanowen'."""
    words = street.split()
    core = [w for w in words if w not in DIRECTIONS and w not in STREET_TYPES]
    return " ".join(core or words)


# -- import ----------------------------------------------------------------------

@dataclass
class ImportReport:
    imported: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason → rows

    @property
    def total(self) -> int:
        return self.imported + sum(self.skipped.values())


def import_addresses(db: Session, rows: Iterable[Mapping[str, str]], *,
                     progress: Callable[[int], None] = lambda n: None) -> ImportReport:
    """Add address points from rows with "address", "lat", "lon". Re-runnable: an address
    already stored (same normalized text) is skipped, as is every bad row, by reason."""
    report = ImportReport()
    streets = dict(db.execute(select(AddressStreet.name, AddressStreet.id)).all())
    index, _kinds = zones.zone_index(db)
    batch: dict[str, dict] = {}
    for row in rows:
        progress(1)
        reason, record = _record(row)
        if reason:
            report.skipped[reason] += 1
        elif record["normalized"] in batch:
            report.skipped["repeated_in_file"] += 1
        else:
            batch[record["normalized"]] = record
        if len(batch) >= BATCH:
            report.imported += _store(db, batch, streets, index, report)
            batch = {}
    report.imported += _store(db, batch, streets, index, report)
    _street_cache.clear()
    return report


def _record(row: Mapping[str, str]) -> tuple[str | None, dict]:
    label = (row.get("address") or "").strip()
    if not label:
        return "missing_address", {}
    if len(label) > 300:
        return "address_too_long", {}
    parsed = parse(label)
    if not parsed.street:
        return "missing_street", {}
    try:
        lon, lat = validate_point(float(row.get("lon")), float(row.get("lat")))
    except (InvalidLocation, TypeError, ValueError):
        return "bad_coordinates", {}
    if lat == 0 and lon == 0:
        return "bad_coordinates", {}
    return None, {"label": label, "normalized": parsed.normalized, "number": parsed.number,
                  "street": parsed.street, "locality": parsed.locality, "lat": lat, "lon": lon}


def _store(db: Session, batch: dict[str, dict], streets: dict[str, int], index,
           report: ImportReport) -> int:
    if not batch:
        return 0
    stored = set(db.scalars(select(Address.normalized)
                            .where(Address.normalized.in_(list(batch)))))
    report.skipped["already_imported"] += len(stored)
    if not report.skipped["already_imported"]:
        del report.skipped["already_imported"]
    records = [r for n, r in batch.items() if n not in stored]
    new_streets = sorted({r["street"] for r in records} - streets.keys())
    for name in new_streets:
        street = AddressStreet(name=name)
        db.add(street)
        db.flush()
        streets[name] = street.id
    found = index.zones_at_many([(r["lon"], r["lat"]) for r in records])
    rows = [{"label": r["label"], "normalized": r["normalized"], "number": r["number"],
             "street_id": streets[r["street"]], "locality": r["locality"], "lat": r["lat"],
             "lon": r["lon"], "zone_ids": list(zone_ids)}
            for r, zone_ids in zip(records, found, strict=True)]
    if rows:
        db.execute(insert(Address), rows)
    return len(rows)


# -- autocomplete ----------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    address: Address
    score: float  # 1.0: every word typed starts a word of the address


class StreetIndex:
    """Every distinct street name, searchable by word prefix and by similarity."""

    def __init__(self, streets: Iterable[tuple[int, str]]) -> None:
        self.ids: list[int] = []
        self.names: list[str] = []
        words: list[tuple[str, int]] = []
        for street_id, name in streets:
            position = len(self.ids)
            self.ids.append(street_id)
            self.names.append(name)
            words.extend((word, position) for word in set(name.split()))
        words.sort()
        self._words = [w for w, _ in words]
        self._positions = [p for _, p in words]
        self._cores = [_core(n) for n in self.names]

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, words: list[str], limit: int = STREETS_PER_QUERY) -> list[tuple[int, float]]:
        """[(street id, score 0–1)], best first: word-prefix matches, then near spellings."""
        if not words:
            return []
        scored: dict[int, float] = {}
        for position in self._prefix_matches(words):
            scored[position] = 1.0
        if len(scored) < limit:
            for position, score in self._similar(words, limit):
                scored.setdefault(position, score)
        best = sorted(scored.items(),
                      key=lambda item: (-item[1], len(self.names[item[0]]), self.names[item[0]]))
        return [(self.ids[p], s) for p, s in best[:limit]]

    def _prefix_matches(self, words: list[str]) -> set[int]:
        matches: set[int] | None = None
        for word in words:
            start = bisect.bisect_left(self._words, word)
            end = bisect.bisect_left(self._words, word + "\x7f")
            found = set(self._positions[start:end])
            matches = found if matches is None else matches & found
            if not matches:
                return set()
        return matches or set()

    def _similar(self, words: list[str], limit: int) -> list[tuple[int, float]]:
        from rapidfuzz import fuzz, process  # only address search needs it: off the cold start

        query = _core(" ".join(words))
        whole = process.extract(query, self._cores, scorer=fuzz.ratio, limit=limit * 4,
                                score_cutoff=FUZZY_CUTOFF)
        # A word still being typed: compare with the same length of each name.
        starts = process.extract(query, [c[:len(query)] for c in self._cores],
                                 scorer=fuzz.ratio, limit=limit * 4, score_cutoff=FUZZY_CUTOFF)
        best: dict[int, float] = {}
        for _core_name, score, position in [*whole, *starts]:
            best[position] = max(best.get(position, 0.0), score / 100 * 0.95)
        return sorted(best.items(), key=lambda item: -item[1])


_street_cache: dict[str, tuple[tuple, StreetIndex]] = {}


def street_index(db: Session) -> StreetIndex:
    """This process's street index, rebuilt when the street table changes."""
    key = str(db.get_bind().url)
    signature = tuple(db.execute(select(func.count(AddressStreet.id), func.max(AddressStreet.id),
                                        func.max(AddressStreet.name))).one())
    cached = _street_cache.get(key)
    if cached is None or cached[0] != signature:
        index = StreetIndex(db.execute(select(AddressStreet.id, AddressStreet.name)).all())
        cached = _street_cache[key] = (signature, index)
    return cached[1]


def autocomplete(db: Session, q: str, *, limit: int = 10) -> list[Suggestion]:
    """Addresses matching what was typed so far, best first; tolerant of typos in the street."""
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput("query_too_long", f"Type at most {MAX_QUERY_CHARS} characters.")
    if not 1 <= limit <= MAX_RESULTS:
        raise InvalidInput("invalid_limit", f"limit must be between 1 and {MAX_RESULTS}.")
    words = _tokens(q)
    if not words:
        raise InvalidInput("empty_query", "Type part of an address.")
    number = words.pop(0) if words[0][0].isdigit() else ""
    if words and _FRACTION.match(words[0]) and number:
        number += " " + words.pop(0)
    locality = [w for w in words if w.isdigit() and len(w) >= 4]  # a zip code typed at the end
    words = [w for w in words if w not in locality]
    if not words:
        return _by_number(db, number, limit) if number else []
    streets = street_index(db).search(words)
    if not streets:
        return []
    return _on_streets(db, streets, number, locality, limit)


def _number_range(query, number: str):
    """Numbers starting with what was typed, as an index range (works on every database)."""
    upper = number[:-1] + chr(ord(number[-1]) + 1)  # "12" → "13": the range ["12", "13")
    return query.where(Address.number >= number, Address.number < upper)


def _by_number(db: Session, number: str, limit: int) -> list[Suggestion]:
    found = db.scalars(_number_range(select(Address), number)
                       .order_by(Address.number, Address.id).limit(limit * 4)).unique().all()
    found = sorted(found, key=lambda a: (a.number != number, _number_value(a.number),
                                         a.street.name, a.id))
    return [Suggestion(a, 1.0 if a.number == number else 0.9) for a in found[:limit]]


def _on_streets(db: Session, streets: list[tuple[int, float]], number: str,
                locality: list[str], limit: int) -> list[Suggestion]:
    rank = {street_id: (position, score) for position, (street_id, score) in enumerate(streets)}
    found: list[Address] = []
    if number:
        # A typed number narrows every street to a handful of rows: one query for them all.
        query = _number_range(select(Address).where(
            Address.street_id.in_([street_id for street_id, _score in streets])), number)
        found = list(db.scalars(query.order_by(Address.number, Address.id).limit(limit * 20))
                     .unique())
    else:
        for street_id, _score in streets:  # best street first; stop once there are enough
            found.extend(db.scalars(select(Address).where(Address.street_id == street_id)
                                    .order_by(Address.number, Address.id)
                                    .limit(limit * 4)).unique())
            if len(found) >= limit * 2:
                break
    found = [a for a in found if all(z in a.locality for z in locality)]

    def order(a: Address):
        position, _score = rank[a.street_id]
        return (number != "" and a.number != number, position, _number_value(a.number), a.id)

    found.sort(key=order)
    return [Suggestion(a, round(rank[a.street_id][1] * (1.0 if not number or a.number == number
                                                         else 0.9), 3))
            for a in found[:limit]]


def _number_value(number: str) -> int:
    digits = re.match(r"\d+", number)
    return int(digits.group()) if digits else 0


# -- reverse lookup and exact match ----------------------------------------------

@dataclass(frozen=True)
class NearestAddress:
    address: Address
    distance_m: float


def nearest(db: Session, lon: float, lat: float, *, max_distance_m: float = 500) -> NearestAddress:
    """The address nearest to a point, within max_distance_m."""
    lon, lat = validate_point(lon, lat)

    def fetch(box):
        min_lon, min_lat, max_lon, max_lat = box
        return db.execute(select(Address.id, Address.lon, Address.lat).where(
            Address.lat >= min_lat, Address.lat <= max_lat,
            Address.lon >= min_lon, Address.lon <= max_lon)).all()

    search = nearest_within(lon, lat, max_distance_m, fetch, want=1, first_m=50)
    if not search.neighbours:
        raise NotFound("no_address_nearby",
                       f"No known address within {max_distance_m:g} m of that point.")
    best = search.neighbours[0]
    return NearestAddress(db.get(Address, best.id), best.distance_m)


def exact_match(db: Session, text: str) -> Address | None:
    """The address this text names, if it names exactly one: same normalized text, or the
    same number and street when no locality was given."""
    if not text.strip() or len(text) > 300:
        return None
    parsed = parse(text)
    found = db.scalar(select(Address).where(Address.normalized == parsed.normalized))
    if found is not None or parsed.locality or not parsed.street:
        return found
    same = db.scalars(select(Address).join(AddressStreet).where(
        AddressStreet.name == parsed.street, Address.number == parsed.number).limit(2)).all()
    return same[0] if len(same) == 1 else None


def distance_to(address: Address, lon: float, lat: float) -> float:
    return haversine_m(lon, lat, address.lon, address.lat)
