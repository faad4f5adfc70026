"""Personal data is kept only for the retention period (leads.yml: retention_days), or
less: a request deleted by staff (`make leads DELETE=id`, or the staff console) goes with
its conversation."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from leads.conversations import ConversationStore
from leads.details import ConsultationRequest
from leads.store import RequestStore, utc_now


@dataclass(frozen=True)
class Purged:
    request_ids: List[int]
    conversations: int  # conversations deleted from the tracker store
    events: int  # their events


def purge_expired(store: RequestStore, conversations: Optional[ConversationStore], retention_days: int,
                  now: Optional[datetime] = None) -> Purged:
    """Deletes requests older than the retention period, their conversations, and idle
    conversations in which details were typed but no request was stored."""
    cutoff = (now or utc_now()) - timedelta(days=retention_days)
    expired = store.delete_received_before(cutoff)
    doomed = {r.conversation_id for r in expired if r.conversation_id}
    if conversations is not None:
        doomed |= set(conversations.idle_form_conversations(cutoff))
        events = conversations.delete(doomed)
    else:
        doomed, events = set(), 0
    store.record_purge(len(expired), len(doomed))
    return Purged(sorted(r.id for r in expired), len(doomed), events)


@dataclass(frozen=True)
class Deleted:
    request: ConsultationRequest
    events: int  # of its conversation, deleted from the tracker store


def delete_request(store: RequestStore, conversations: Optional[ConversationStore], request_id: int) -> Optional[Deleted]:
    """Deletes one request and its whole conversation; None if there is no such request."""
    deleted = store.delete(request_id)
    if deleted is None:
        return None
    events = conversations.delete([deleted.conversation_id]) if conversations is not None else 0
    return Deleted(deleted, events)
