"""The console's own database: accounts, sessions, the audit log, request statuses and
labels on questions. Each module defines its tables on ``metadata``; ``open_database``
creates what is missing. Any SQLAlchemy URL (CONSOLE_DB_URL): SQLite by default, or the
deployment's PostgreSQL. The consultation requests themselves stay in leads' database,
the conversations in Rasa's tracker store.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from leads.store import engine_for

metadata = sa.MetaData()


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def open_database(url: str) -> Engine:
    # The modules' tables register themselves on import.
    from console import accounts, audit, inbox, questions, sessions  # noqa: F401

    engine = engine_for(url, "CONSOLE_DB_URL")
    metadata.create_all(engine)
    return engine
