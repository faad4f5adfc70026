"""Rasa's SQL tracker store whose pooled connections are checked before use: a hook.

endpoints.yml names this class (``tracker_store: type: serving.tracker_store.PrePingSQLTrackerStore``);
Rasa loads a tracker store named by module path and constructs it with the same settings as
its own ``type: SQL`` (rasa/core/tracker_store.py, ``_load_from_module_name_in_endpoint_config``).

Rasa 3.6 creates the store's SQLAlchemy engine without ``pool_pre_ping``. After a database
restart the pool still holds the dead connections, and each of the next messages fails on one
of them (a 503 "please try again" for the first visitors after PostgreSQL is back). With
``pool_pre_ping`` SQLAlchemy tests a pooled connection before handing it out and replaces a
dead one, so the first message after the restart is answered (tests/test_scale_out.py,
``test_postgres_briefly_down``). Everything else is Rasa's store: the same tables, URL
and PostgreSQL pool settings (``create_engine_kwargs``).
"""
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class PrePingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Rasa's constructor builds the URL, waits for the database and creates the tables;
        # then its engine is replaced by the same one with pool_pre_ping (an engine's pool
        # options are fixed when it is created).
        super().__init__(*args, **kwargs)
        url = self.engine.url.render_as_string(hide_password=False)  # Rasa's kwargs look at the text
        self.engine.dispose()
        self.engine = sa.create_engine(url, **create_engine_kwargs(url), pool_pre_ping=True)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
