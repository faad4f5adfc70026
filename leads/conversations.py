"""Deletes conversations from Rasa's tracker store: they hold a visitor's details too.

While the consultation form runs, the visitor types their name, email or phone and
the form keeps them in slots; Rasa's SQL tracker store (``TRACKER_STORE_URL``) keeps
every one of those events. Deleting a request (by id, or when it expires) therefore
deletes its whole conversation as well, and conversations in which the form ran but
no request was stored (cancelled, no consent), or in which the visitor typed details
outside the form (a message understood as ``inform``: a name, an email, a phone
number), are deleted once idle for the retention period.

Rasa owns the ``events`` table: it is read by reflection, never redefined here.
Rasa reads a conversation from the store on every message, so a visitor who writes
again after the deletion simply starts a new conversation.
"""
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from leads.store import engine_for

# The form whose slots hold the details (domain.yml, forms:), and the intent of a
# message that gives details (data/nlu/consultation.yml).
FORM_ACTION = "consultation_form"
DETAILS_INTENT = "inform"


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

    def _events(self) -> Optional[sa.Table]:
        if self.engine is None:
            return None
        try:
            return sa.Table("events", sa.MetaData(), autoload_with=self.engine)
        except sa.exc.NoSuchTableError:
            return None

    def events_of(self, conversation_id: str) -> List[Tuple[str, float, dict]]:
        """One conversation's events, oldest first: (type, timestamp, the event as Rasa stored it)."""
        events = self._events()
        if events is None or not conversation_id:
            return []
        query = (sa.select(events.c.type_name, events.c.timestamp, events.c.data)
                 .where(events.c.sender_id == conversation_id).order_by(events.c.id))
        with self.engine.connect() as connection:
            rows = connection.execute(query).fetchall()
        return [(kind, timestamp or 0.0, json.loads(data or "{}")) for kind, timestamp, data in rows]

    def delete(self, conversation_ids: Iterable[Optional[str]]) -> int:
        """Deletes every event of these conversations; returns how many events went."""
        ids = sorted({i for i in conversation_ids if i})
        events = self._events()
        if not ids or events is None:
            return 0
        with self.engine.begin() as connection:
            return connection.execute(events.delete().where(events.c.sender_id.in_(ids))).rowcount

    def idle_form_conversations(self, cutoff: datetime) -> List[str]:
        """Conversations holding details (the form ran, or details were typed), with no
        event since ``cutoff`` (UTC)."""
        events = self._events()
        if events is None:
            return []
        with_form = sa.select(events.c.sender_id).where(
            sa.or_(events.c.action_name == FORM_ACTION, events.c.intent_name == DETAILS_INTENT))
        idle = (
            sa.select(events.c.sender_id)
            .where(events.c.sender_id.in_(with_form.scalar_subquery()))
            .group_by(events.c.sender_id)
            .having(sa.func.max(events.c.timestamp) < cutoff.replace(tzinfo=timezone.utc).timestamp())
        )
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(idle)]
