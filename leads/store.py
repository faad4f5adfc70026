"""The consultation requests table, through SQLAlchemy Core (no SQL strings).

Any SQLAlchemy URL works: ``sqlite:///var/leads.db`` (the default; the folder is
created) or ``postgresql://user:password@host:5432/dbname``. The table is created on
first use, and a table from an older version gains the columns added since. Times are
stored in UTC.

Each request has an idempotency key (a hash of its conversation and details), unique in
the table: the same request filed again (a retry after a timeout, a message resent by
the proxy to another replica) returns the stored one instead of a second request.
"""
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from leads.details import (
    MAX_CONCERN,
    MAX_EMAIL,
    MAX_NAME,
    MAX_PREFERRED_TIME,
    ConsultationRequest,
    Contact,
    validated,
)
from leads.settings import SettingsError

metadata = sa.MetaData()

requests_table = sa.Table(
    "consultation_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.DateTime, nullable=False, index=True),  # UTC
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("email", sa.String(MAX_EMAIL)),
    sa.Column("phone", sa.String(40)),
    sa.Column("preferred_time", sa.String(MAX_PREFERRED_TIME), nullable=False),
    sa.Column("concern", sa.String(MAX_CONCERN)),
    # The conversation's sender id in Rasa's tracker store, to delete it with the request.
    sa.Column("conversation_id", sa.String(255), index=True),
    sa.Column("idempotency_key", sa.String(64), unique=True),
)
# Columns added since the first version, with the statement that adds them.
ADDED_COLUMNS = {
    "idempotency_key": [
        "ALTER TABLE consultation_requests ADD COLUMN idempotency_key VARCHAR(64)",
        "CREATE UNIQUE INDEX IF NOT EXISTS ix_consultation_requests_idempotency_key "
        "ON consultation_requests (idempotency_key)",
    ],
}
logger = logging.getLogger(__name__)

# When the retention purge last ran, and what it deleted (one row; shown on the console's health page).
purge_table = sa.Table(
    "retention_purge",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ran_at", sa.DateTime, nullable=False),  # UTC
    sa.Column("requests_deleted", sa.Integer, nullable=False),
    sa.Column("conversations_deleted", sa.Integer, nullable=False),
)


@dataclass(frozen=True)
class PurgeRun:
    ran_at: datetime  # UTC
    requests_deleted: int
    conversations_deleted: int


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def engine_for(url: str, setting: str = "LEADS_DB_URL") -> Engine:
    """An engine for ``url``; a clear SettingsError (password hidden) if it is not usable."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(parsed, future=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as error:
        raise SettingsError(
            f"{setting} is not a usable database URL ({type(error).__name__}). Use e.g. sqlite:///var/leads.db "
            f"or postgresql://user:password@host:5432/dbname"
        ) from None


class RequestStore:
    """Adds, lists and deletes consultation requests."""

    def __init__(self, url: str):
        self.engine = engine_for(url)
        # Another process (a replica, the scheduled purge) may create the same tables at the same
        # moment: its CREATE wins, ours fails ("already exists"). Each try creates only what is
        # still missing, and each failure means the other made progress, so the tries are few.
        tries = len(metadata.tables) + 1
        for attempt in range(tries):
            try:
                metadata.create_all(self.engine)
                break
            except sa.exc.DBAPIError:
                if attempt == tries - 1:
                    raise
        self._add_new_columns()

    def _add_new_columns(self) -> None:
        present = {c["name"] for c in sa.inspect(self.engine).get_columns(requests_table.name)}
        for column, statements in ADDED_COLUMNS.items():
            if column in present:
                continue
            try:
                with self.engine.begin() as connection:
                    for statement in statements:
                        connection.execute(sa.text(statement))
                logger.info("Added the column %s to %s", column, requests_table.name)
            except sa.exc.DBAPIError:
                # Another process (a second replica starting) added it at the same moment.
                if column not in {c["name"] for c in sa.inspect(self.engine).get_columns(requests_table.name)}:
                    raise

    def add(self, request: ConsultationRequest) -> ConsultationRequest:
        """Stores the request (checked again: raises InvalidDetail); returns it with its id
        and time. The same request filed again returns the stored one."""
        checked = validated(request)
        key = request.idempotency_key or idempotency_key(checked)
        request = checked
        if key:
            stored = self._by_key(key)
            if stored:
                return stored
        try:
            with self.engine.begin() as connection:
                result = connection.execute(requests_table.insert().values(
                    received_at=utc_now(), name=request.name, email=request.contact.email,
                    phone=request.contact.phone, preferred_time=request.preferred_time,
                    concern=request.concern, conversation_id=request.conversation_id, idempotency_key=key,
                ))
                new_id = result.inserted_primary_key[0]
        except sa.exc.IntegrityError:
            stored = self._by_key(key) if key else None
            if stored is None:
                raise
            return stored  # filed at the same moment by another process
        saved = self.get(new_id)
        assert saved is not None  # just inserted
        return saved

    def _by_key(self, key: str) -> ConsultationRequest | None:
        with self.engine.connect() as connection:
            row = connection.execute(requests_table.select().where(requests_table.c.idempotency_key == key)).first()
        return _request(row) if row else None

    def get(self, request_id: int) -> ConsultationRequest | None:
        with self.engine.connect() as connection:
            row = connection.execute(requests_table.select().where(requests_table.c.id == request_id)).first()
        return _request(row) if row else None

    def newest_first(self) -> list[ConsultationRequest]:
        query = requests_table.select().order_by(requests_table.c.received_at.desc(), requests_table.c.id.desc())
        with self.engine.connect() as connection:
            return [_request(row) for row in connection.execute(query)]

    def conversation_ids(self) -> set[str]:
        """The conversations of the requests still kept."""
        query = sa.select(requests_table.c.conversation_id).where(requests_table.c.conversation_id.isnot(None))
        with self.engine.connect() as connection:
            return {row[0] for row in connection.execute(query)}

    def delete(self, request_id: int) -> ConsultationRequest | None:
        """Deletes one request; returns it, or None if there is no such request."""
        return next(iter(self._delete(requests_table.c.id == request_id)), None)

    def delete_received_before(self, cutoff: datetime) -> list[ConsultationRequest]:
        """Deletes every request that arrived before ``cutoff`` (UTC); returns them."""
        return self._delete(requests_table.c.received_at < cutoff)

    def record_purge(self, requests_deleted: int, conversations_deleted: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(purge_table.delete())
            connection.execute(purge_table.insert().values(
                id=1, ran_at=utc_now(), requests_deleted=requests_deleted, conversations_deleted=conversations_deleted))

    def last_purge(self) -> PurgeRun | None:
        with self.engine.connect() as connection:
            row = connection.execute(purge_table.select()).first()
        return PurgeRun(row.ran_at, row.requests_deleted, row.conversations_deleted) if row else None

    def _delete(self, condition: sa.sql.ColumnElement) -> list[ConsultationRequest]:
        with self.engine.begin() as connection:
            rows = connection.execute(requests_table.select().where(condition)).fetchall()
            if rows:
                connection.execute(requests_table.delete().where(requests_table.c.id.in_([r.id for r in rows])))
        return [_request(row) for row in rows]


def idempotency_key(request: ConsultationRequest) -> str | None:
    """The same conversation asking the same thing is the same request. Without a
    conversation there is nothing to tell two people apart by: no key."""
    if not request.conversation_id:
        return None
    parts = [request.conversation_id, request.name, str(request.contact), request.preferred_time,
             request.concern or ""]
    return hashlib.sha256("\x00".join(" ".join(str(p).split()) for p in parts).encode("utf-8")).hexdigest()


def _request(row: sa.engine.Row) -> ConsultationRequest:
    return ConsultationRequest(
        id=row.id, received_at=row.received_at, name=row.name, contact=Contact(row.email, row.phone),
        preferred_time=row.preferred_time, concern=row.concern, conversation_id=row.conversation_id,
    )
