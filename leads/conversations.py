"""The conversations in Rasa's tracker store, seen as personal data to delete.

Every conversation is kept only for its retention period (leads.yml): its events are
deleted once it has been idle that long. While the consultation form runs, the visitor
types their name, email or phone and the form keeps them in slots; Rasa's SQL tracker
store (``TRACKER_STORE_URL``) keeps every one of those events. So:

- deleting a request (by id, or when it expires) deletes its whole conversation;
- conversations that hold details (the form ran, or details were typed outside it)
  and FAQ chats have their own periods (``retention_days``, ``chat_retention_days``);
- a request that is declined or cancelled has its details deleted at once
  (``scrub_details``): those events are rewritten in place without text or value
  (leads/privacy.py), so Rasa, which counts a conversation's stored events, goes on
  normally.

Rasa owns the ``events`` table: it is read by reflection, never redefined here. Rasa
reads a conversation from the store on every message, so a visitor who writes again
after a deletion simply starts a new conversation.
"""
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from leads import privacy
from leads.store import engine_for

CHUNK = 500  # ids per statement: SQLite allows at most 999 parameters in old versions


class ConversationStore:
    """Rasa's SQL tracker store, seen as the conversations to read (for staff) and delete."""

    def __init__(self, url: str):
        parsed = make_url(url)
        self.missing = (
            parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
            and not Path(parsed.database).is_file()
        )
        # A SQLite store that does not exist yet holds no conversations: don't create it.
        self.engine = None if self.missing else engine_for(url, "TRACKER_STORE_URL")

    def _events(self) -> tuple[sa.engine.Engine, sa.Table] | None:
        """The engine and Rasa's events table; None while there is no store or no table yet."""
        if self.engine is None:
            return None
        try:
            return self.engine, sa.Table("events", sa.MetaData(), autoload_with=self.engine)
        except sa.exc.NoSuchTableError:
            return None

    def events_of(self, conversation_id: str) -> list[tuple[str, float, dict]]:
        """One conversation's events, oldest first: (type, timestamp, the event as Rasa stored it)."""
        store = self._events()
        if store is None or not conversation_id:
            return []
        engine, events = store
        query = (sa.select(events.c.type_name, events.c.timestamp, events.c.data)
                 .where(events.c.sender_id == conversation_id).order_by(events.c.id))
        with engine.connect() as connection:
            rows = connection.execute(query).fetchall()
        return [(kind, timestamp or 0.0, json.loads(data or "{}")) for kind, timestamp, data in rows]

    def delete(self, conversation_ids: Iterable[str | None]) -> int:
        """Deletes every event of these conversations; returns how many events went."""
        ids = sorted({i for i in conversation_ids if i})
        store = self._events()
        if not ids or store is None:
            return 0
        engine, events = store
        deleted = 0
        with engine.begin() as connection:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                deleted += connection.execute(events.delete().where(events.c.sender_id.in_(chunk))).rowcount
        return deleted

    def idle_conversations(self, cutoff: datetime) -> list[str]:
        """Every conversation with no event since ``cutoff`` (UTC)."""
        store = self._events()
        if store is None:
            return []
        engine, events = store
        idle = (
            sa.select(events.c.sender_id)
            .group_by(events.c.sender_id)
            .having(sa.func.max(events.c.timestamp) < _epoch(cutoff))
        )
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(idle)]

    def with_details(self, conversation_ids: Iterable[str]) -> set[str]:
        """Those of these conversations that hold details: the form ran, or details were
        typed outside it (a message understood as ``inform``)."""
        ids = sorted(set(conversation_ids))
        store = self._events()
        if not ids or store is None:
            return set()
        engine, events = store
        found: set[str] = set()
        with engine.connect() as connection:
            for start in range(0, len(ids), CHUNK):
                query = sa.select(events.c.sender_id).distinct().where(
                    events.c.sender_id.in_(ids[start:start + CHUNK]),
                    sa.or_(events.c.action_name == privacy.FORM, events.c.intent_name == privacy.DETAILS_INTENT),
                )
                found.update(row[0] for row in connection.execute(query))
        return found

    def idle_form_conversations(self, cutoff: datetime) -> list[str]:
        """Conversations holding details, with no event since ``cutoff`` (UTC)."""
        return sorted(self.with_details(self.idle_conversations(cutoff)))

    def scrub_details(self, conversation_id: str) -> int:
        """Rewrites the events of a conversation that hold details without them; returns
        how many. The other events (questions, answers) stay until the retention period."""
        store = self._events()
        if store is None:
            return 0
        engine, events = store
        query = sa.select(events.c.id, events.c.data).where(events.c.sender_id == conversation_id).order_by(events.c.id)
        with engine.begin() as connection:
            rows = connection.execute(query).fetchall()
            parsed = [_json(row.data) for row in rows]
            personal = privacy.personal_events(parsed)
            for position in sorted(personal):
                connection.execute(events.update().where(events.c.id == rows[position].id).values(
                    data=json.dumps(privacy.without_details(parsed[position]))))
        return len(personal)


_STORES: dict[str, ConversationStore] = {}


def store_for(url: str) -> ConversationStore:
    """One store (one connection pool) per URL, for a long-running server; a SQLite file
    that did not exist yet is looked for again next time."""
    store = _STORES.get(url)
    if store is None or store.missing:
        store = _STORES[url] = ConversationStore(url)
    return store


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _json(data: str | None) -> dict:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
