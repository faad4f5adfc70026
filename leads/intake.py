"""Files a consultation request: what the assistant's action calls, once consent is given.

The request is committed first. The retention purge and the notification come after
it and can fail without losing it: their failures are logged (by kind, never with
personal data) and the visitor's conversation goes on.
"""
import logging
import threading

from leads import notify, retention
from leads.conversations import ConversationStore
from leads.details import ConsultationRequest
from leads.settings import Settings, conversation_store_url
from leads.store import RequestStore

logger = logging.getLogger(__name__)


_STORES: dict[str, RequestStore] = {}
_CREATING = threading.Lock()


def request_store(url: str) -> RequestStore:
    """One store (one connection pool) per URL; the scheduled purge and a visitor's
    request may ask for it at the same moment, from two threads."""
    with _CREATING:
        if url not in _STORES:
            _STORES[url] = RequestStore(url)
        return _STORES[url]


def conversation_store(url: str | None) -> ConversationStore | None:
    return ConversationStore(url) if url else None


def file_request(settings: Settings, request: ConsultationRequest) -> ConsultationRequest:
    """Stores the request (raises if it can't); then purges expired data and notifies."""
    saved = store_request(settings, request)
    after_filing(settings, saved)
    return saved


def store_request(settings: Settings, request: ConsultationRequest) -> ConsultationRequest:
    saved = request_store(settings.db_url).add(request)
    logger.info("Stored consultation request #%s", saved.id)
    return saved


def after_filing(settings: Settings, saved: ConsultationRequest) -> None:
    """The retention purge and the notification: never raises."""
    try:
        purged = retention.purge_expired(
            request_store(settings.db_url), conversation_store(conversation_store_url()), settings.retention_days,
            settings.chat_retention_days,
        )
        if purged.request_ids or purged.conversations:
            logger.info("Retention: deleted %d expired request(s) and %d conversation(s)",
                        len(purged.request_ids), purged.conversations)
    except Exception as error:  # noqa: BLE001 - the request is stored; the purge runs again next time
        logger.warning("Retention purge failed (%s); it runs again with the next request", type(error).__name__)
    try:
        notify.notify(settings, saved)
    except Exception as error:  # noqa: BLE001 - a lost notification must not lose the request
        logger.warning("Could not notify the clinic of request #%s via %s (%s); it is stored, see `make leads`",
                       saved.id, settings.notify_via, type(error).__name__)
