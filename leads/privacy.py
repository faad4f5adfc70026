"""Which events of a conversation hold a visitor's details, and how they look without them.

The consultation form keeps the details in slots and the visitor types them as messages;
the summary and the thank-you repeat them. Three users of this knowledge, one place:

- the widget's history replay (channels/transcript.py) hides them, so a shared device
  never shows one visitor's details to the next;
- a declined or cancelled request deletes them from the stored conversation at once
  (``ConversationStore.scrub_details``);
- the retention purge finds the conversations that hold them.

Events are Rasa's JSON form (``event.as_dict()``, or the ``data`` column of the tracker
store): ``{"event": "user", "text": ..., "parse_data": {...}}``, ``{"event": "slot", ...}``.
"""
import re
from collections.abc import Iterable, Sequence
from re import Pattern
from typing import Any

from leads.details import looks_like_contact

FORM = "consultation_form"  # domain.yml, forms:
DETAIL_SLOTS = ("visitor_name", "visitor_contact", "preferred_time", "concern")
DETAILS_INTENT = "inform"  # a message understood as details typed outside the form
# Bot responses that end a request (domain.yml): after them, nothing of the request is
# needed in the conversation any more, and the widget starts a fresh session.
DECLINED_RESPONSES = frozenset({"utter_request_cancelled", "utter_request_not_stored", "utter_request_failed"})
CLOSING_RESPONSES = DECLINED_RESPONSES | {"utter_request_sent"}
CLOSING_ACTIONS = frozenset({"action_submit_consultation_request", "action_cancel_consultation_request"})
# Bot responses that repeat details (the proposed concern, the summary, the thank-you).
PERSONAL_RESPONSES = frozenset({"utter_ask_concern_proposed", "utter_ask_request_confirmed", "utter_request_sent"})
# Values distinctive enough to find in any text (a concern such as "acne scars" is not).
IDENTIFYING_SLOTS = ("visitor_name", "visitor_contact")


def personal_events(events: Sequence[dict[str, Any]]) -> set[int]:
    """The positions of the events that hold a visitor's details."""
    found: set[int] = set()
    identifying = [value_pattern(v) for v in detail_values(events, IDENTIFYING_SLOTS)]
    requested, form_active = None, False
    for position, event in enumerate(events):
        kind = event.get("event")
        if kind == "active_loop":
            form_active = event.get("name") == FORM
        elif closes_a_request(event):
            form_active, requested = False, None
        elif kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind == "slot" and event.get("name") in DETAIL_SLOTS and event.get("value"):
            found.add(position)
        elif kind == "user" and (typed_details(event, form_active and requested in DETAIL_SLOTS)
                                 # a name typed in the request itself ("call me, I'm Rose")
                                 or any(pattern.search(event.get("text") or "") for pattern in identifying)):
            found.add(position)
        elif kind == "bot" and (
            (event.get("metadata") or {}).get("utter_action") in PERSONAL_RESPONSES
            or any(pattern.search(event.get("text") or "") for pattern in identifying)
        ):
            found.add(position)
    return found


def typed_details(event: dict[str, Any], answering_the_form: bool) -> bool:
    """A visitor's message that gives details: an answer to one of the form's detail
    questions, a message understood as details, or anything like an email or phone."""
    text = event.get("text") or ""
    if not text or text.startswith("/"):  # a clicked button: its title was shown, nothing typed
        return False
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return answering_the_form or intent == DETAILS_INTENT or looks_like_contact(text)


def detail_values(events: Iterable[dict[str, Any]], slots: Sequence[str] = DETAIL_SLOTS) -> list[str]:
    """Every value these slots held, longest first (to mask them in texts)."""
    values = {str(e.get("value")).strip() for e in events
              if e.get("event") == "slot" and e.get("name") in slots and e.get("value")}
    return sorted((v for v in values if len(v) >= 2), key=len, reverse=True)


def value_pattern(value: str) -> Pattern[str]:
    """``value`` as a whole word or phrase: the name "Al" is not in "Also"."""
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)")


def masked(text: str, values: Sequence[str], mask: str = "\u2022\u2022\u2022") -> str:
    for value in values:
        text = value_pattern(value).sub(mask, text)
    return text


def without_details(event: dict[str, Any]) -> dict[str, Any]:
    """The event as it is kept once its details are deleted: same kind, same place in the
    conversation (Rasa replays it), no text or value."""
    kind = event.get("event")
    kept: dict[str, Any] = {k: event[k] for k in ("event", "timestamp", "name", "input_channel", "message_id")
                            if k in event}
    if kind == "slot":
        return {**kept, "value": None}
    if kind == "user":
        intent = (event.get("parse_data") or {}).get("intent") or {}
        return {**kept, "text": "", "parse_data": {"intent": intent, "entities": [], "text": ""}}
    if kind == "bot":
        return {**kept, "text": "", "data": {}, "metadata": {}}
    return event


def closes_a_request(event: dict[str, Any]) -> bool:
    return event.get("event") == "action" and event.get("name") in CLOSING_ACTIONS
