"""What the widget replays after a reload: the conversation so far, without personal details.

Whoever holds a session token (kept in the browser's localStorage) can replay its
conversation, and on a shared device that may be the next visitor. So the replay
- starts after the last consultation request was sent or cancelled: that request's
  summary and thank-you are never shown again (the widget starts a fresh session then);
- hides what the visitor typed as details (name, email, phone, preferred time, concern)
  and masks them in the assistant's messages ("Name: •••").
Which events hold details is decided in one place, leads/privacy.py.
"""
from typing import Any

from leads import privacy

HIDDEN = "\u2022\u2022\u2022"  # •••


def bot_message(text: str | None, buttons: list[dict[str, Any]] | None) -> dict[str, Any]:
    message: dict[str, Any] = {"from": "bot", "text": text or ""}
    if buttons:
        message["buttons"] = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons]
    return message


def history_of(tracker: Any) -> list[dict[str, Any]]:
    """Visitor and bot messages of a conversation, oldest first (buttons only on the last)."""
    if tracker is None:
        return []
    events = [event.as_dict() for event in tracker.events]
    personal = privacy.personal_events(events)
    values = privacy.detail_values(events)
    messages: list[dict[str, Any]] = []
    for position in range(_replay_start(events), len(events)):
        event = events[position]
        kind, text = event.get("event"), event.get("text") or ""
        if kind == "user" and text:
            messages.append({"from": "visitor", "text": _visitor_text(event, messages, position in personal)})
        elif kind == "bot" and text:
            shown = privacy.masked(text, values, HIDDEN) if position in personal else text
            messages.append(bot_message(shown, (event.get("data") or {}).get("buttons")))
    # Only the last message's buttons are still a choice; older ones were answered.
    for message in messages[:-1]:
        message.pop("buttons", None)
    return messages


def _replay_start(events: list[dict[str, Any]]) -> int:
    """After the last request sent or cancelled: from the visitor's next message."""
    closed = max((i for i, e in enumerate(events) if privacy.closes_a_request(e)), default=None)
    if closed is None:
        return 0
    return next((i for i in range(closed, len(events)) if events[i].get("event") == "user"), len(events))


def _visitor_text(event: dict[str, Any], shown: list[dict[str, Any]], personal: bool) -> str:
    text = event["text"]
    if personal:
        return HIDDEN
    if not text.startswith("/"):
        return text
    # A clicked button: show its title rather than the raw payload.
    return (event.get("metadata") or {}).get("button_title") or next(
        (b["title"] for m in reversed(shown) for b in m.get("buttons", []) if b["payload"] == text), text
    )
