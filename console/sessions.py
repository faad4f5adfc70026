"""Signed-in sessions and CSRF tokens.

A session is a random token in a cookie (HttpOnly, SameSite=Strict, Secure when the
console is served over https); the database keeps only its SHA-256, so a copy of the
database signs no one in. It ends when signed out, after CONSOLE_IDLE_MINUTES without
a request, after MAX_HOURS in any case, and when the account's password is reset.

Every form that changes something carries the session's CSRF token, checked on every
POST (``csrf_ok``). The sign-in form, before there is a session, uses a double-submit
token: a random value in its own cookie and in the form. SameSite=Strict already keeps
other sites' forms from carrying the cookies; the token is the second lock.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sanic.request import Request
from sanic.response import HTTPResponse

from console.database import metadata, utc_now

COOKIE = "console_session"
SIGN_IN_COOKIE = "console_sign_in"  # the sign-in form's CSRF value, before there is a session
CSRF_FIELD = "csrf_token"
MAX_HOURS = 12
TOUCH_EVERY = timedelta(seconds=30)  # last_seen is written at most this often

sessions_table = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True)
class Session:
    email: str
    csrf_token: str
    token_hash: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(engine, email: str) -> str:
    """A new session for ``email``; returns the cookie's token."""
    token, now = secrets.token_urlsafe(32), utc_now()
    with engine.begin() as connection:
        connection.execute(sessions_table.insert().values(
            token_hash=_hash(token), email=email, csrf_token=secrets.token_urlsafe(32), created_at=now,
            last_seen_at=now))
    return token


def current(engine, token: str | None, idle_minutes: int, now: datetime | None = None) -> Session | None:
    """The live session this cookie stands for, or None; expired sessions are deleted."""
    if not token or len(token) > 200:
        return None
    now = now or utc_now()
    with engine.begin() as connection:
        connection.execute(sessions_table.delete().where(sa.or_(
            sessions_table.c.last_seen_at < now - timedelta(minutes=idle_minutes),
            sessions_table.c.created_at < now - timedelta(hours=MAX_HOURS))))
        row = connection.execute(sessions_table.select().where(sessions_table.c.token_hash == _hash(token))).first()
        if row is None:
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            connection.execute(sessions_table.update().where(sessions_table.c.token_hash == row.token_hash)
                               .values(last_seen_at=now))
    return Session(row.email, row.csrf_token, row.token_hash)


def end(engine, session: Session) -> None:
    with engine.begin() as connection:
        connection.execute(sessions_table.delete().where(sessions_table.c.token_hash == session.token_hash))


def end_all_for(engine, email: str) -> int:
    """Signs an account out everywhere (its password was reset, or it was removed)."""
    with engine.begin() as connection:
        return connection.execute(sessions_table.delete().where(sessions_table.c.email == email)).rowcount


def set_cookie(response: HTTPResponse, name: str, value: str, secure: bool) -> None:
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["path"] = "/"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if secure:
        cookie["secure"] = True


def clear_cookie(response: HTTPResponse, name: str, secure: bool) -> None:
    set_cookie(response, name, "", secure)
    response.cookies[name]["max-age"] = 0


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(request: Request, session: Session | None) -> bool:
    """Whether a POST carries the right token: the session's, or on the sign-in form the
    value of its cookie."""
    sent = (request.form.get(CSRF_FIELD) or "") if request.form is not None else ""
    expected = session.csrf_token if session else request.cookies.get(SIGN_IN_COOKIE, "")
    return bool(sent and expected) and hmac.compare_digest(sent, expected)
