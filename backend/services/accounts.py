"""Staff accounts: argon2id password hashes and expiring, revocable bearer tokens."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, contains_eager

from backend.errors import Conflict, InvalidInput, Unauthorized
from backend.models import AuthToken, Crew, Role, User
from backend.models.types import utcnow

IP_CHARS, USER_AGENT_CHARS = 45, 300  # the columns' sizes


@cache
def _hasher():
    """argon2id with the library's current recommended cost; imported on first use, as
    most requests (and every cold start) never hash a password."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so both failures take the same time.
    Made on first sign-in, not at import: hashing costs tens of ms of every cold start."""
    return _hasher().hash("not-a-real-password")


def create_user(db: Session, *, username: str, password: str, role: Role | str,
                display_name: str = "", crew: str | None = None) -> User:
    if len(password) < 8:
        raise InvalidInput("weak_password", "Passwords need at least 8 characters.")
    if db.scalar(select(User.id).where(User.username == username)):
        raise Conflict("user_exists", f"A user named {username!r} already exists.")
    user = User(username=username, password_hash=_hasher().hash(password), role=Role(role),
                display_name=display_name or username)
    if crew:
        user.crew = db.scalar(select(Crew).where(Crew.name == crew)) or Crew(name=crew)
    db.add(user)
    db.flush()
    return user


def sign_in(db: Session, *, username: str, password: str, hours: int, ip: str = "",
            user_agent: str = "") -> tuple[str, AuthToken]:
    """Check the password and hand out a new token (returned once, stored hashed), noting
    where the sign-in came from."""
    user = db.scalar(select(User).where(User.username == username, User.active.is_(True)))
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthorized("invalid_credentials", "Wrong username or password.")
    token = secrets.token_urlsafe(32)
    record = AuthToken(token_hash=_digest(token), user=user,
                       expires_at=utcnow() + timedelta(hours=hours), ip=ip[:IP_CHARS],
                       user_agent=user_agent[:USER_AGENT_CHARS])
    db.add(record)
    db.flush()
    return token, record


def authenticate(db: Session, token: str) -> User:
    record = db.scalar(select(AuthToken).where(AuthToken.token_hash == _digest(token)))
    if record is None or record.revoked or not record.user.active:
        raise Unauthorized("invalid_token", "This sign-in is not valid. Please sign in again.")
    if record.expires_at <= utcnow():
        raise Unauthorized("token_expired", "Your sign-in has expired. Please sign in again.")
    return record.user


def sign_out_everywhere(db: Session, user: User) -> int:
    result = db.execute(update(AuthToken).where(AuthToken.user_id == user.id,
                                                AuthToken.revoked.is_(False))
                        .values(revoked=True))
    return result.rowcount


def sign_ins(db: Session, *, username: str | None = None, limit: int = 50,
             offset: int = 0) -> tuple[int, list[AuthToken]]:
    """Staff sign-ins, newest first (one user's, given a username) -> (total, page)."""
    query = select(AuthToken).join(AuthToken.user).options(contains_eager(AuthToken.user))
    if username is not None:
        query = query.where(User.username == username)
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    page = db.scalars(query.order_by(AuthToken.id.desc()).limit(limit).offset(offset))
    return total, list(page)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
