"""A conversation as staff read it: the visitor's and the assistant's messages, in order.

Read from Rasa's tracker store (TRACKER_STORE_URL) through leads' ConversationStore, the
same store leads deletes from. No Rasa import: the events are Rasa's stored JSON.
A clicked button is shown by its title, as the visitor saw it.
"""
from dataclasses import dataclass, field
from functools import lru_cache

from leads.conversations import ConversationStore
from leads.settings import conversation_store_url


@dataclass
class Line:
    speaker: str  # "visitor" or "assistant"
    text: str
    timestamp: float
    clicked: bool = False  # a button the visitor clicked
    buttons: list[str] = field(default_factory=list)  # offered with an assistant's message
    intent: str | None = None  # what the assistant understood (visitor lines)


def lines_of(events: list[tuple]) -> list[Line]:
    lines: list[Line] = []
    offered: list[dict] = []  # the buttons most recently offered: a click names one by payload
    for kind, timestamp, event in events:
        if kind == "user":
            text = (event.get("text") or "").strip()
            if not text:
                continue
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            clicked = text.startswith("/")
            if clicked:
                text = (event.get("metadata") or {}).get("button_title") or next(
                    (b.get("title") for b in offered if b.get("payload") == text), text)
            lines.append(Line("visitor", text, timestamp, clicked=clicked, intent=intent))
        elif kind == "bot" and (event.get("text") or "").strip():
            buttons = (event.get("data") or {}).get("buttons") or []
            offered = buttons or offered
            lines.append(Line("assistant", event["text"], timestamp, buttons=[b.get("title", "") for b in buttons]))
    return lines


@lru_cache(maxsize=4)
def _store(url: str) -> ConversationStore:
    return ConversationStore(url)


def conversations() -> ConversationStore | None:
    """The tracker store (TRACKER_STORE_URL), one engine per URL; None if not configured.
    A SQLite store that does not exist yet is looked for again next time."""
    url = conversation_store_url()
    if not url:
        return None
    store = _store(url)
    if store.missing:
        _store.cache_clear()
    return store


def transcript(conversations: ConversationStore | None, conversation_id: str | None) -> list[Line]:
    if conversations is None or not conversation_id:
        return []
    return lines_of(conversations.events_of(conversation_id))


def around(lines: list[Line], timestamp: float, before: int = 3, after: int = 3) -> list[Line]:
    """The lines around the visitor's message sent at ``timestamp``."""
    index = next((i for i, line in enumerate(lines) if line.speaker == "visitor" and line.timestamp == timestamp),
                 None)
    if index is None:
        return []
    return lines[max(0, index - before): index + after + 1]
