"""The retention purge, run by the service itself: no cron job to install or forget.

The action server starts ``run_periodically`` when it starts (serving/actions.py). Every
``purge_every_minutes`` (leads.yml) it purges what is past its retention period
(leads/retention.py). It reads leads.yml again every minute (``settings.current``): a
period or an interval changed in the staff console applies without a restart.

Several action servers may run at once (replicas): a row in the requests database
(``maintenance``) is a lease that one of them takes per period with a single conditional
UPDATE, so the purge runs once per period whoever runs it, and the row also records when
it last ran and what it deleted.

Failures are logged by kind (never with personal data) and retried next period.
"""
import asyncio
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from leads import retention
from leads.conversations import store_for
from leads.intake import request_store
from leads.settings import Settings, conversation_store_url, current
from leads.store import RequestStore, metadata, utc_now

logger = logging.getLogger(__name__)

# How often the schedule looks at leads.yml: a shorter interval set in the console applies
# within this long, not after the longer one has run out.
RECHECK_SECONDS = 60
PURGE = "retention_purge"
maintenance_table = sa.Table(
    "maintenance",
    metadata,
    sa.Column("task", sa.String(64), primary_key=True),
    sa.Column("last_run", sa.DateTime),  # UTC: when a process last took the lease
    sa.Column("last_result", sa.String(200)),
)


def _ensure_table(store: RequestStore) -> None:
    try:
        maintenance_table.create(store.engine, checkfirst=True)
    except sa.exc.DBAPIError:
        if not sa.inspect(store.engine).has_table(maintenance_table.name):
            raise  # not a second process creating it at the same moment


def take_lease(store: RequestStore, every: timedelta, now: datetime | None = None) -> bool:
    """True for exactly one caller per period, across processes."""
    now = now or utc_now()
    _ensure_table(store)
    try:
        with store.engine.begin() as connection:
            connection.execute(maintenance_table.insert().values(task=PURGE, last_run=None))
    except sa.exc.IntegrityError:
        pass  # it exists
    with store.engine.begin() as connection:
        taken = connection.execute(
            maintenance_table.update()
            .where(maintenance_table.c.task == PURGE)
            .where(sa.or_(maintenance_table.c.last_run.is_(None), maintenance_table.c.last_run <= now - every))
            .values(last_run=now)
        ).rowcount
    return taken == 1


def last_run(store: RequestStore) -> tuple[datetime, str] | None:
    """(when, what) of the last purge, or None: for staff tools."""
    _ensure_table(store)
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(maintenance_table.c.last_run, maintenance_table.c.last_result)
                                 .where(maintenance_table.c.task == PURGE)).first()
    return (row.last_run, row.last_result) if row and row.last_run else None


def purge_if_due(settings: Settings, now: datetime | None = None) -> retention.Purged | None:
    """Purges if no process did in the last period; returns what went, or None."""
    store = request_store(settings.db_url)
    # A little under the period: a process that checks every period never just misses it.
    if not take_lease(store, timedelta(minutes=settings.purge_every_minutes) * 0.9, now):
        return None
    url = conversation_store_url()
    purged = retention.purge_expired(store, store_for(url) if url else None, settings.retention_days,
                                     settings.chat_retention_days, now)
    result = f"{len(purged.request_ids)} request(s), {purged.conversations} conversation(s)"
    with store.engine.begin() as connection:
        connection.execute(maintenance_table.update().where(maintenance_table.c.task == PURGE)
                           .values(last_result=result))
    logger.info("Retention purge: deleted %s", result)
    return purged


def _latest(settings: Settings) -> Settings:
    """The settings as leads.yml says now (the last good ones if it has become wrong)."""
    try:
        return current(settings.file) if settings.file else settings
    except Exception as error:  # noqa: BLE001 - the purge goes on with what it had
        logger.error("Could not read the settings again (%s); the purge keeps the ones it had", type(error).__name__)
        return settings


async def run_periodically(settings: Settings) -> None:
    """Purges now, then every period, until cancelled (the server stops)."""
    loop = asyncio.get_running_loop()
    last_run: float | None = None
    while True:
        settings = _latest(settings)
        period = settings.purge_every_minutes * 60
        if last_run is None or loop.time() - last_run >= period:
            last_run = loop.time()
            try:
                await loop.run_in_executor(None, purge_if_due, settings)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - retried next period
                logger.error("Retention purge failed (%s); it runs again in %d minute(s)",
                             type(error).__name__, settings.purge_every_minutes)
        await asyncio.sleep(max(1.0, min(RECHECK_SECONDS, last_run + period - loop.time())))
