"""Tracking numbers: short, random, and safe to read over the phone.

Eight characters from an alphabet without 0/O, 1/I/L and U, shown as two
groups of four ("K7M4-Q2XP"): 30^8 ≈ 6.6e11 values, so numbers are neither
sequential nor guessable.
"""

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import ServiceRequest

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUP = 4


def new_tracking_number() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(2 * _GROUP))
    return f"{chars[:_GROUP]}-{chars[_GROUP:]}"


def normalize_tracking_number(text: str) -> str | None:
    """Accept what people type ("k7m4 q2xp", "K7M4Q2XP"); None if it cannot be one."""
    chars = re.sub(r"[\s\-_.]", "", str(text)).upper()
    if len(chars) != 2 * _GROUP or any(c not in ALPHABET for c in chars):
        return None
    return f"{chars[:_GROUP]}-{chars[_GROUP:]}"


def unused_tracking_numbers(db: Session, count: int) -> list[str]:
    """Fresh numbers not yet taken. A clash is rare (one in 10^11 per pair) but, over
    millions of requests, not impossible, so every number is checked before use."""
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted = {new_tracking_number() for _ in range(count - len(numbers))}
        taken = set(db.scalars(select(ServiceRequest.tracking)
                               .where(ServiceRequest.tracking.in_(wanted))))
        numbers |= wanted - taken
    return list(numbers)
