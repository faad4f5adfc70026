"""Staff accounts and signing in.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory
profile), a memory-hard hash. An account is made, or its password reset, with

    make staff-account EMAIL=name@clinic           (asks for the password twice)
    STAFF_PASSWORD=... make staff-account EMAIL=... (for scripts)
    make staff-account EMAIL=name@clinic REMOVE=1  (removes the account)

A reset or removal signs the account out everywhere and lifts a lockout.

Repeated failed sign-ins are slowed, then locked: from the ``slow_after``-th failure in
a row each answer waits 1, 2, 4... seconds; at ``lock_after`` the account is locked
for ``lock_minutes``, even for the right password. The same counting applies to an
email that has no account (so the answers never tell whether an account exists), and,
four times as lenient, to the client's address, against guessing many accounts.
"""
import argparse
import asyncio
import getpass
import logging
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sanic import Blueprint, response
from sanic.request import Request

from console import audit, sessions
from console.database import metadata, utc_now
from console.pages import render

logger = logging.getLogger(__name__)

MIN_PASSWORD = 10
MAX_PASSWORD = 1000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _unknown_account_hash() -> str:
    """Verified when the email has no account, so that both answers take as long."""
    return hasher.hash("no such account")

accounts_table = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("password_changed_at", sa.DateTime, nullable=False),
)

failures_table = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),  # "email:<email>" or "address:<ip>"
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", sa.DateTime, nullable=False),
    sa.Column("locked_until", sa.DateTime),
)


class AccountError(ValueError):
    """A bad email or password; the message says what to do."""


def normalised_email(text: str) -> str:
    email = (text or "").strip().lower()
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise AccountError("That is not an email address (name@clinic.example).")
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password must have at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"The password must have at most {MAX_PASSWORD} characters.")


def set_password(engine, email: str, password: str) -> bool:
    """Creates the account or resets its password; True if it was created."""
    email = normalised_email(email)
    check_password(password)
    hashed, now = hasher.hash(password), utc_now()
    with engine.begin() as connection:
        exists = connection.execute(sa.select(accounts_table.c.id).where(accounts_table.c.email == email)).first()
        if exists:
            connection.execute(accounts_table.update().where(accounts_table.c.email == email)
                               .values(password_hash=hashed, password_changed_at=now))
        else:
            connection.execute(accounts_table.insert().values(
                email=email, password_hash=hashed, created_at=now, password_changed_at=now))
        connection.execute(failures_table.delete().where(failures_table.c.key == f"email:{email}"))
    sessions.end_all_for(engine, email)
    return not exists


def remove(engine, email: str) -> bool:
    email = normalised_email(email)
    with engine.begin() as connection:
        removed = connection.execute(accounts_table.delete().where(accounts_table.c.email == email)).rowcount
    sessions.end_all_for(engine, email)
    return bool(removed)


def verify(engine, email: str, password: str) -> bool:
    """Whether the password is this account's (slow on purpose: argon2)."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(accounts_table.c.password_hash)
                                 .where(accounts_table.c.email == email)).first()
    try:
        hasher.verify(row.password_hash if row else _unknown_account_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    if row is None:
        return False
    if hasher.check_needs_rehash(row.password_hash):  # the library's parameters grew stronger
        with engine.begin() as connection:
            connection.execute(accounts_table.update().where(accounts_table.c.email == email)
                               .values(password_hash=hasher.hash(password)))
    return True


# --- slowing and locking -------------------------------------------------------------

@dataclass(frozen=True)
class Attempt:
    locked_until: datetime | None = None  # UTC
    delay_seconds: float = 0


def _keys(email: str, address: str, lock_after: int) -> list[tuple]:
    return [(f"email:{email}", lock_after), (f"address:{address}", lock_after * 4)]


def locked_until(engine, email: str, address: str, now: datetime | None = None) -> datetime | None:
    now = now or utc_now()
    keys = [key for key, _ in _keys(email, address, 0)]
    with engine.connect() as connection:
        rows = connection.execute(failures_table.select().where(failures_table.c.key.in_(keys))).fetchall()
    ends = [row.locked_until for row in rows if row.locked_until and row.locked_until > now]
    return max(ends) if ends else None


def record_failure(engine, email: str, address: str, settings, now: datetime | None = None) -> Attempt:
    """Counts a failed sign-in; returns how long to slow the answer, or the lock."""
    now = now or utc_now()
    forget_before = now - timedelta(minutes=settings.lock_minutes)
    result = Attempt()
    with engine.begin() as connection:
        for key, limit in _keys(email, address, settings.lock_after):
            row = connection.execute(failures_table.select().where(failures_table.c.key == key)).first()
            stale = row is None or row.last_failure_at < forget_before or (
                row.locked_until is not None and row.locked_until <= now)
            failures = 1 if stale else row.failures + 1
            lock = now + timedelta(minutes=settings.lock_minutes) if failures >= limit else None
            values = dict(failures=failures, last_failure_at=now, locked_until=lock)
            if row is None:
                connection.execute(failures_table.insert().values(key=key, **values))
            else:
                connection.execute(failures_table.update().where(failures_table.c.key == key).values(**values))
            if lock:
                result = Attempt(locked_until=max(lock, result.locked_until or lock))
            elif key.startswith("email:") and failures >= settings.slow_after and not result.locked_until:
                result = Attempt(delay_seconds=min(2 ** (failures - settings.slow_after), 30))
    return result


def clear_failures(engine, email: str, address: str) -> None:
    with engine.begin() as connection:
        connection.execute(failures_table.delete().where(
            failures_table.c.key.in_([key for key, _ in _keys(email, address, 0)])))


# --- the sign-in and sign-out pages --------------------------------------------------

pages = Blueprint("accounts")


def _local_path(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //other.site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/requests"


def _sign_in_form(request: Request, status: int = 200, error: str = "", email: str = ""):
    token = sessions.new_sign_in_token()
    target = request.form.get("next") if request.method == "POST" else request.args.get("next")
    page = render(request, "sign_in.html", status=status, error=error, email=email, sign_in_token=token,
                  next=_local_path(target), signed_out="signed_out" in request.args)
    sessions.set_cookie(page, sessions.SIGN_IN_COOKIE, token, request.app.ctx.settings.secure_cookies)
    return page


@pages.get("/sign-in")
async def sign_in_page(request: Request):
    if getattr(request.ctx, "session", None):
        return response.redirect("/requests")
    return _sign_in_form(request)


def _minutes_until(moment: datetime) -> int:
    return max(1, -(-int((moment - utc_now()).total_seconds()) // 60))


@pages.post("/sign-in")
async def sign_in(request: Request):
    ctx = request.app.ctx
    typed_email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    try:
        email = normalised_email(typed_email)
    except AccountError as error:
        return _sign_in_form(request, 400, str(error), typed_email)
    address = request.remote_addr or request.ip or "unknown"
    locked = locked_until(ctx.db, email, address)
    if locked:
        return _sign_in_form(request, 429, f"Too many failed sign-ins. Try again in {_minutes_until(locked)} "
                             f"minute(s), or ask for the password to be reset.", typed_email)
    loop = asyncio.get_running_loop()
    if await loop.run_in_executor(None, verify, ctx.db, email, password[:MAX_PASSWORD]):
        clear_failures(ctx.db, email, address)
        token = sessions.start(ctx.db, email)
        audit.record(ctx.db, email, "signed in")
        logger.info("Staff signed in")
        page = response.redirect(_local_path(request.form.get("next")))
        sessions.set_cookie(page, sessions.COOKIE, token, ctx.settings.secure_cookies)
        sessions.clear_cookie(page, sessions.SIGN_IN_COOKIE, ctx.settings.secure_cookies)
        return page
    attempt = record_failure(ctx.db, email, address, ctx.settings)
    logger.warning("Failed sign-in%s", " (now locked)" if attempt.locked_until else "")
    if attempt.locked_until:
        audit.record(ctx.db, email, "locked out", detail=f"after {ctx.settings.lock_after} failed sign-ins")
        return _sign_in_form(request, 429, f"Too many failed sign-ins. Try again in "
                             f"{_minutes_until(attempt.locked_until)} minute(s), or ask for the password to be reset.",
                             typed_email)
    await asyncio.sleep(attempt.delay_seconds)
    return _sign_in_form(request, 401, "Wrong email or password.", typed_email)


@pages.post("/sign-out")
async def sign_out(request: Request):
    ctx = request.app.ctx
    sessions.end(ctx.db, request.ctx.session)
    audit.record(ctx.db, request.ctx.session.email, "signed out")
    page = response.redirect("/sign-in?signed_out=1")
    sessions.clear_cookie(page, sessions.COOKIE, ctx.settings.secure_cookies)
    return page


# --- python -m console staff-account EMAIL --------------------------------------------

def read_password(email: str) -> str:
    if os.environ.get("STAFF_PASSWORD"):
        return os.environ["STAFF_PASSWORD"]
    if not sys.stdin.isatty():
        raise AccountError("No terminal to ask for the password: set STAFF_PASSWORD.")
    first = getpass.getpass(f"New password for {email} (at least {MIN_PASSWORD} characters): ")
    check_password(first)
    if getpass.getpass("The same password again: ") != first:
        raise AccountError("The two passwords differ; nothing was changed.")
    return first


def main(argv: list[str] | None = None) -> int:
    from console import settings as console_settings
    from console.database import open_database

    parser = argparse.ArgumentParser(prog="make staff-account EMAIL=...",
                                     description="Create a staff account for the console, or reset its password.")
    parser.add_argument("email")
    parser.add_argument("--remove", action="store_true", help="remove the account (signs it out everywhere)")
    args = parser.parse_args(argv)
    try:
        email = normalised_email(args.email)
        engine = open_database(console_settings.load().db_url)
        if args.remove:
            if not remove(engine, email):
                print(f"error: there is no staff account {email}", file=sys.stderr)
                return 1
            audit.record(engine, "(command line)", "removed account", email)
            print(f"Removed the staff account {email}; it is signed out everywhere.")
            return 0
        created = set_password(engine, email, read_password(email))
    except (AccountError, console_settings.ConsoleSettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nNothing was changed.", file=sys.stderr)
        return 130
    audit.record(engine, "(command line)", "created account" if created else "reset password", email)
    print(f"{'Created the staff account' if created else 'Reset the password of'} {email}. "
          f"Sign in at the console's address (make run prints it).")
    return 0
