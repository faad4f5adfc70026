"""The consultation requests table, through SQLAlchemy Core (no SQL strings).

Any SQLAlchemy URL works: ``sqlite:///var/leads.db`` (the default; the folder is
created) or ``postgresql://user:password@host:5432/dbname``. The table is created on
first use. Times are stored in UTC.
"""
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from leads.details import (
    MAX_CONCERN, MAX_EMAIL, MAX_NAME, MAX_PREFERRED_TIME, ConsultationRequest, Contact, validated,
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
)

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
        metadata.create_all(self.engine)

    def add(self, request: ConsultationRequest) -> ConsultationRequest:
        """Stores the request (checked again: raises InvalidDetail); returns it with its id and time."""
        request = validated(request)
        received_at = utc_now()
        with self.engine.begin() as connection:
            result = connection.execute(requests_table.insert().values(
                received_at=received_at, name=request.name, email=request.contact.email,
                phone=request.contact.phone, preferred_time=request.preferred_time,
                concern=request.concern, conversation_id=request.conversation_id,
            ))
            new_id = result.inserted_primary_key[0]
        return self.get(new_id)

    def get(self, request_id: int) -> Optional[ConsultationRequest]:
        with self.engine.connect() as connection:
            row = connection.execute(requests_table.select().where(requests_table.c.id == request_id)).first()
        return _request(row) if row else None

    def newest_first(self) -> List[ConsultationRequest]:
        query = requests_table.select().order_by(requests_table.c.received_at.desc(), requests_table.c.id.desc())
        with self.engine.connect() as connection:
            return [_request(row) for row in connection.execute(query)]

    def delete(self, request_id: int) -> Optional[ConsultationRequest]:
        """Deletes one request; returns it, or None if there is no such request."""
        return next(iter(self._delete(requests_table.c.id == request_id)), None)

    def delete_received_before(self, cutoff: datetime) -> List[ConsultationRequest]:
        """Deletes every request that arrived before ``cutoff`` (UTC); returns them."""
        return self._delete(requests_table.c.received_at < cutoff)

    def record_purge(self, requests_deleted: int, conversations_deleted: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(purge_table.delete())
            connection.execute(purge_table.insert().values(
                id=1, ran_at=utc_now(), requests_deleted=requests_deleted, conversations_deleted=conversations_deleted))

    def last_purge(self) -> Optional[PurgeRun]:
        with self.engine.connect() as connection:
            row = connection.execute(purge_table.select()).first()
        return PurgeRun(row.ran_at, row.requests_deleted, row.conversations_deleted) if row else None

    def _delete(self, condition) -> List[ConsultationRequest]:
        with self.engine.begin() as connection:
            rows = connection.execute(requests_table.select().where(condition)).fetchall()
            if rows:
                connection.execute(requests_table.delete().where(requests_table.c.id.in_([r.id for r in rows])))
        return [_request(row) for row in rows]


def _request(row) -> ConsultationRequest:
    return ConsultationRequest(
        id=row.id, received_at=row.received_at, name=row.name, contact=Contact(row.email, row.phone),
        preferred_time=row.preferred_time, concern=row.concern, conversation_id=row.conversation_id,
    )
