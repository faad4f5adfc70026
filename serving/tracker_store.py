"""The conversations' store: Rasa's SQL tracker store, tuned for serving. A hook, not a patch.

endpoints.yml names this class (``tracker_store: type: serving.tracker_store.TunedSQLTrackerStore``);
Rasa loads a tracker store named by module path and constructs it with the same settings as its
own ``type: SQL`` (rasa/core/tracker_store.py, ``_load_from_module_name_in_endpoint_config``).
The tables, the rows and what a read returns are Rasa's; what changes is how it gets there:

* **SQLite (the embedded mode)** runs in write-ahead-log mode with ``synchronous=NORMAL``
  (read back on every connection: a file system without WAL support is logged as a warning).
  Rasa's rollback journal synced the disk on every message's commit; in WAL mode a commit
  appends to the log and the disk is synced at checkpoints. What that trades: after a power
  cut or an operating-system crash (not a crash of the server) the last messages before it
  may be missing. Connections are pooled (SQLAlchemy 1.4 opened a new one for every query).
* **PostgreSQL (scale-out)**: pooled connections are checked before use (``pool_pre_ping``).
  Rasa 3.6 created its engine without it, and after a database restart the pool's dead
  connections failed the next visitors' messages.
* **Off the event loop.** Reads and writes of a conversation run in the store's own threads (one for SQLite,
  which writes one at a time anyway), so a slow disk or database holds up that conversation,
  not every visitor's. Errors reach the channels as before (a 503 "please try again",
  channels/guard.py).
* **Only what is needed.** A read selects the events' data of the conversation's latest
  session only, as Rasa's does, but without the ORM; the rows' JSON is read in one ujson call
  (the values json.loads gives); events are rebuilt with their classes
  looked up once (Rasa walks every Event subclass for every event). SQLite's statements, compiled
  by SQLAlchemy once, run on one DB-API connection of the store's thread (``DirectStatements``).
  A write appends the events
  added since the conversation was read, counted when it was read: Rasa counted the stored
  events again with a second query of the whole session. A conversation this store did not
  read (a new one, or all sessions of one) is counted as Rasa does.

Several processes may share one SQLite file (the staff console, the retention purge, `make
leads`, other Rasa workers): SQLite locks it for each write, and a writer waits up to 5 s for
another's (pysqlite's timeout) before the error reaches the visitor as "please try again".
"""
import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
import ujson
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.common import all_subclasses

logger = logging.getLogger(__name__)

SQLITE_PRAGMAS = {"journal_mode": "WAL", "synchronous": "NORMAL"}
# Threads for the database: SQLite writes one at a time; PostgreSQL answers several at once.
SQLITE_THREADS = 1
DATABASE_THREADS = 4
# Set on a tracker this store read: how many of its events are stored (see `save`).
STORED_EVENTS = "_stored_event_count"


class TunedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            # Rasa's constructor builds the URL, waits for the database and creates the tables; its
            # engine is then replaced by the tuned one (an engine's pool is fixed when created).
            super().__init__(*args, **kwargs)
            url = self.engine.url.render_as_string(hide_password=False)  # Rasa's kwargs look at the text
            self.engine.dispose()
            self.engine = create_engine(url)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        except (AttributeError, ImportError) as error:
            # Rasa answers these two from a store's constructor by serving from memory instead,
            # with a warning: conversations lost at the next restart. Never that.
            raise RuntimeError(f"The tracker store could not be created: {error!r}") from error
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.executor = ThreadPoolExecutor(SQLITE_THREADS if self.is_sqlite else DATABASE_THREADS,
                                           thread_name_prefix="tracker-store")
        events = self.SQLEvent.__table__
        session_start = (sa.select(sa.func.max(events.c.timestamp))
                         .where(events.c.sender_id == sa.bindparam("sender_id"),
                                events.c.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        # Rasa's query of a conversation's latest session (SQLTrackerStore._event_query).
        self.latest_session = (sa.select(events.c.data)
                               .where(events.c.sender_id == sa.bindparam("sender_id"),
                                      sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
                               .order_by(events.c.id))
        self.stored_count = sa.select(sa.func.count()).select_from(
            self.latest_session.with_only_columns(events.c.id).subquery())
        self.insert = events.insert()
        # SQLite's one thread runs the three statements on a DB-API connection of its own.
        self.direct = DirectStatements(self.engine, self.latest_session, self.stored_count, self.insert) \
            if self.is_sqlite and SQLITE_THREADS == 1 else None

    async def _in_thread(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's latest session, as Rasa's store returns it."""
        serialised = await self._in_thread(self._read_latest_session, sender_id)
        if not self.domain or not serialised:
            return None
        tracker = DialogueStateTracker.from_events(sender_id, deserialise_events(serialised), self.domain.slots)
        setattr(tracker, STORED_EVENTS, len(serialised))
        return tracker

    def _read_latest_session(self, sender_id: str) -> list[dict]:
        if self.direct is not None:
            return parse_rows([data for (data,) in self.direct.read(sender_id)])
        with self.engine.connect() as connection:
            rows = connection.execute(self.latest_session, {"sender_id": sender_id}).fetchall()
        return parse_rows([data for (data,) in rows])

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Appends the events added since the conversation was stored."""
        await self.stream_events(tracker)
        stored = getattr(tracker, STORED_EVENTS, None)
        events = list(tracker.events)
        await self._in_thread(self._append, tracker.sender_id, events, stored)
        setattr(tracker, STORED_EVENTS, len(events))

    def _append(self, sender_id: str, events: list[Event], stored: int | None) -> None:
        if self.direct is not None:
            self.direct.append(sender_id, events, stored)
            return
        with self.engine.begin() as connection:
            if stored is None:  # a tracker this store did not read: count as Rasa does
                stored = connection.execute(self.stored_count, {"sender_id": sender_id}).scalar()
            rows = [row(sender_id, event) for event in events[stored:]]
            if rows:
                connection.execute(self.insert, rows)


ROW_COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


class CompiledStatement:
    """A statement as SQLAlchemy compiles it for the engine's dialect: its SQL, and its parameters in
    order, each through the bind processor SQLAlchemy applies to it (a Float column's float())."""

    def __init__(self, statement: Any, dialect: Any, column_keys: tuple[str, ...] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        if compiled.positiontup is None:
            raise ValueError(f"{dialect.name}: not a positional parameter style")
        self.sql = str(compiled)
        self.names = list(compiled.positiontup)
        # The literals' values (the session start's event type); the others are given to parameters().
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        self.processors = {name: compiled.binds[name].type.bind_processor(dialect) for name in set(self.names)}

    def parameters(self, values: dict[str, Any]) -> tuple:
        found = []
        for name in self.names:
            value = values[name] if name in values else self.fixed[name]
            processor = self.processors[name]
            found.append(processor(value) if processor is not None and value is not None else value)
        return tuple(found)


class DirectStatements:
    """The SQLite store's read, count and append, run by its one thread on one pooled DB-API connection,
    with the SQL and parameters SQLAlchemy would send (the same rows, the same reads: tests/
    test_serving_tracker_store.py compares them with Rasa's store). SQLAlchemy's per-statement work
    (a connection checked out and reset, an execution context, result rows) was half the store's time,
    ~0.3 of ~0.8 ms a message, spent holding the interpreter lock the server's requests wait for.
    A database error rolls back, gives the connection back (the next statement takes another) and is
    raised as SQLAlchemy raises it (sqlalchemy.exc.OperationalError...), for the channels' 503."""

    def __init__(self, engine: sa.engine.Engine, latest_session: Any, stored_count: Any, insert: Any) -> None:
        self.engine = engine
        dialect = engine.dialect
        self.latest_session = CompiledStatement(latest_session, dialect)
        self.stored_count = CompiledStatement(stored_count, dialect)
        self.insert = CompiledStatement(insert, dialect, ROW_COLUMNS)
        self.connection: Any = None  # a pool's connection, checked out by the store's thread on first use
        self.last: tuple = (None, None)  # the statement being run and its parameters, for an error

    def _run(self, work: Any) -> Any:
        if self.connection is None:
            self.connection = self.engine.raw_connection()
        connection, self.last = self.connection, (None, None)
        cursor = connection.cursor()
        try:
            return work(cursor)
        except self.engine.dialect.dbapi.Error as error:
            try:
                connection.rollback()
            finally:
                self.connection = None
                connection.close()  # (back to the pool)
            raise sa.exc.DBAPIError.instance(*self.last, error, self.engine.dialect.dbapi.Error,
                                             dialect=self.engine.dialect) from error
        finally:
            cursor.close()

    def _execute(self, cursor: Any, statement: CompiledStatement, values: dict[str, Any]) -> Any:
        parameters = statement.parameters(values)
        self.last = (statement.sql, parameters)
        return cursor.execute(statement.sql, parameters)

    def read(self, sender_id: str) -> list[tuple]:
        return self._run(lambda cursor: self._execute(cursor, self.latest_session, {"sender_id": sender_id}).fetchall())

    def append(self, sender_id: str, events: list[Event], stored: int | None) -> None:
        def work(cursor: Any) -> None:
            count = stored
            if count is None:  # a tracker this store did not read: count as Rasa does
                count = self._execute(cursor, self.stored_count, {"sender_id": sender_id}).fetchone()[0]
            rows = [self.insert.parameters(row(sender_id, event)) for event in events[count:]]
            if rows:
                self.last = (self.insert.sql, rows)
                cursor.executemany(self.insert.sql, rows)
            self.connection.commit()

        self._run(work)


def row(sender_id: str, event: Event) -> dict:
    """The events table's row for an event, as Rasa's SQLTrackerStore.save writes it."""
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"), "data": json.dumps(data)}


def parse_rows(rows: list[str]) -> list[Any]:
    """``[json.loads(row) for row in rows]``: the events' data as Python's json module reads them.

    Read with ujson, in one call for all the rows: ~2.4x faster than a json.loads per row (~0.2 ms
    of a 10-message conversation's ~0.5 ms read; bench/breakdown.py). ujson reads what json.dumps
    writes (every row's data) to the same values: floats to the same bits, escapes and lone
    surrogates, NaN and infinities (tests/test_serving_tracker_store.py). Rows it cannot read, or
    that do not read as one value each, are read by json.loads, which raises for them as before."""
    if not rows:
        return []
    try:
        values = ujson.loads("[" + ",".join(rows) + "]")
        if isinstance(values, list) and len(values) == len(rows):
            return values
    except (ValueError, TypeError, OverflowError):
        pass
    return [json.loads(row) for row in rows]


_event_classes: dict[str, type[Event]] = {}


def deserialise_events(serialised: list[dict]) -> list[Event]:
    """rasa.shared.core.events.deserialise_events, with each event's class looked up once: Rasa
    picks the first of Event's subclasses with the event's type name, walking them all for
    every event; the same first one is kept here. A type name not found (a class defined since)
    is resolved by Rasa, which also raises for an unknown one."""
    if not _event_classes:
        for cls in all_subclasses(Event):
            _event_classes.setdefault(cls.type_name, cls)
    events = []
    for parameters in serialised:
        name = parameters.get("event")
        if name is None:
            continue
        cls = _event_classes.get(name)
        event = cls._from_parameters(parameters) if cls else Event.from_parameters(parameters)
        if event:
            events.append(event)
        else:
            logger.warning(f"An event of type {name!r} could not be read and was left out.")
    return events


def create_engine(url: str) -> sa.engine.Engine:
    if sa.engine.make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url, **create_engine_kwargs(url), pool_pre_ping=True)
    # One pool of connections, usable from the store's thread and the server's (Rasa's own
    # methods this class leaves as they are: all sessions of a conversation, the list of ids).
    engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _set_pragmas)
    return engine


_warned_about: set[str] = set()


def _set_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        for pragma, value in SQLITE_PRAGMAS.items():
            cursor.execute(f"PRAGMA {pragma}={value}")
            found = str(cursor.execute(f"PRAGMA {pragma}").fetchone()[0])
            wanted = {"WAL": "wal", "NORMAL": "1"}.get(value, value)
            if found.lower() != wanted.lower() and pragma not in _warned_about:
                _warned_about.add(pragma)
                logger.warning(f"SQLite tracker store: PRAGMA {pragma} is {found}, not {value} (file system "
                               f"without support?); conversations are stored, more slowly.")
    finally:
        cursor.close()

