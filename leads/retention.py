"""Personal data is kept only for its retention period (leads.yml), or less: a request
deleted by staff (`make leads DELETE=id`, or the staff console) goes with its conversation.

- A consultation request, with its conversation: ``retention_days`` after it arrived.
- A conversation that holds details but sent no request (cancelled, no consent, details
  typed outside the form): ``retention_days`` after its last message.
- Any other conversation (FAQ chats, which can hold health questions such as "can I have
  it if I'm pregnant?"): ``chat_retention_days`` after its last message.

A conversation whose request is still kept stays with it. ``purge_expired`` is run by the
service itself on a schedule (leads/schedule.py), by `make leads`, and after a request
is stored.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from leads.conversations import ConversationStore
from leads.details import ConsultationRequest
from leads.store import RequestStore, utc_now


@dataclass(frozen=True)
class Purged:
    request_ids: list[int]
    conversations: int  # conversations deleted from the tracker store
    events: int  # their events


def purge_expired(store: RequestStore, conversations: ConversationStore | None, retention_days: int,
                  chat_retention_days: int | None = None, now: datetime | None = None) -> Purged:
    """Deletes what is past its retention period (see the module's docstring).
    ``chat_retention_days`` None: the same as ``retention_days``."""
    now = now or utc_now()
    cutoff = now - timedelta(days=retention_days)
    chat_cutoff = now - timedelta(days=chat_retention_days or retention_days)
    expired = store.delete_received_before(cutoff)
    doomed = {r.conversation_id for r in expired if r.conversation_id}
    if conversations is None:
        store.record_purge(len(expired), 0)
        return Purged(_numbers(expired), 0, 0)
    kept_with_a_request = store.conversation_ids()
    with_details = set(conversations.idle_form_conversations(cutoff))
    chats = set(conversations.idle_conversations(chat_cutoff))
    chats -= conversations.with_details(chats)
    doomed |= (with_details | chats) - kept_with_a_request
    events = conversations.delete(doomed)
    store.record_purge(len(expired), len(doomed))
    return Purged(_numbers(expired), len(doomed), events)


@dataclass(frozen=True)
class Deleted:
    request: ConsultationRequest
    events: int  # of its conversation, deleted from the tracker store


def delete_request(store: RequestStore, conversations: ConversationStore | None, request_id: int) -> Deleted | None:
    """Deletes one request and its whole conversation; None if there is no such request."""
    deleted = store.delete(request_id)
    if deleted is None:
        return None
    events = conversations.delete([deleted.conversation_id]) if conversations is not None else 0
    return Deleted(deleted, events)


def _numbers(requests: list[ConsultationRequest]) -> list[int]:
    """The stored requests' numbers, in order."""
    return sorted(r.id for r in requests if r.id is not None)
