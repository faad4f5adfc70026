"""Conversations through a real running assistant (action server + Rasa server) over HTTP."""
import sqlite3

import pytest

from actions import answers, registry
from expected_replies import CONVERSATIONS, response_text

FAQS = registry.load()


def check_turn(assistant, sender, turn):
    replies = assistant.say(turn["say"], sender)
    assert replies, f"no reply to {turn['say']!r}"
    first = replies[0]
    if "answer" in turn:
        # Conditions, areas and treatments depend on the entity the visitor named (if any).
        entity = turn.get("condition") or turn.get("area") or turn.get("treatment")
        expected = FAQS[turn["answer"]].answer([entity] if entity else [])
        assert first["text"] == expected, f"{turn['say']!r} -> {first['text']!r}"
    if "cost_for" in turn:
        assert first["text"] == answers.cost(turn["cost_for"]), f"{turn['say']!r} -> {first['text']!r}"
    if "response" in turn:
        assert first["text"] == response_text(turn["response"]), f"{turn['say']!r} -> {first['text']!r}"
    for part in turn.get("contains", []):
        assert part in first["text"], f"{part!r} missing from the reply to {turn['say']!r}: {first['text']!r}"
    if "buttons" in turn:
        assert [b["title"] for b in first.get("buttons", [])] == turn["buttons"]
    if "then" in turn:
        assert len(replies) > 1 and replies[1]["text"] == response_text(turn["then"])
    return replies


@pytest.mark.parametrize("turn", CONVERSATIONS["named_questions"], ids=lambda t: t["say"])
def test_the_six_named_questions_in_varied_words(assistant, turn):
    check_turn(assistant, assistant.new_sender(), turn)


def test_a_multi_turn_visit(assistant):
    sender = assistant.new_sender()
    for turn in CONVERSATIONS["multi_turn"]:
        check_turn(assistant, sender, turn)


@pytest.mark.parametrize("turn", CONVERSATIONS["careful"], ids=lambda t: t["say"])
def test_numbers_and_entities_are_handled_carefully(assistant, turn):
    check_turn(assistant, assistant.new_sender(), turn)


@pytest.mark.parametrize("turn", CONVERSATIONS["unanswered"], ids=lambda t: t["say"])
def test_questions_the_documents_do_not_answer(assistant, turn):
    check_turn(assistant, assistant.new_sender(), turn)


@pytest.mark.parametrize("conversation", CONVERSATIONS["follow_ups"], ids=lambda c: " / ".join(t["say"] for t in c))
def test_follow_ups_are_answered_in_context(assistant, conversation):
    sender = assistant.new_sender()
    for turn in conversation:
        check_turn(assistant, sender, turn)


@pytest.mark.parametrize("turn", CONVERSATIONS["scope"], ids=lambda t: t["say"])
def test_other_treatments_and_everyday_questions_get_no_micro_needling_fact(assistant, turn):
    check_turn(assistant, assistant.new_sender(), turn)


def test_low_confidence_offers_buttons_then_a_click_answers(assistant):
    sender = assistant.new_sender()
    replies = assistant.say(CONVERSATIONS["fallback"]["unclear"], sender)
    assert replies[0]["text"].startswith("Sorry, I'm not sure I understood. Did you mean")
    buttons = replies[0]["buttons"]
    assert buttons[-1] == {"title": "Something else", "payload": "/out_of_scope"}
    assert len(buttons) >= 2
    # Clicking a suggested topic sends its payload and gets that topic's answer.
    chosen = buttons[0]
    intent = chosen["payload"].lstrip("/")
    replies = assistant.say(chosen["payload"], sender)
    if intent in FAQS:
        assert replies[0]["text"] == FAQS[intent].answer()
    else:
        assert replies[0]["text"] == response_text("utter_" + intent)
    # The conversation goes on normally afterwards.
    assert assistant.say("how much does it cost?", sender)[0]["text"] == answers.cost()


def test_something_else_asks_to_rephrase_then_gives_up_honestly(assistant):
    sender = assistant.new_sender()
    unclear = CONVERSATIONS["fallback"]["unclear"]
    assert "buttons" in assistant.say(unclear, sender)[0]
    assert assistant.say("/out_of_scope", sender)[0]["text"] == response_text("utter_ask_rephrase")
    assert "buttons" in assistant.say(CONVERSATIONS["fallback"]["still_unclear"], sender)[0]
    assert assistant.say("/out_of_scope", sender)[0]["text"] == response_text("utter_default")
    # After giving up, the visitor can still ask a normal question.
    assert assistant.say("does it hurt", sender)[0]["text"] == FAQS["ask_pain"].answer()


def test_conversations_persist_in_the_sqlite_tracker_store(assistant):
    sender = assistant.new_sender()
    assistant.say("how much does it cost?", sender)
    with sqlite3.connect(assistant.tracker_db) as db:
        texts = [row[0] for row in db.execute(
            "SELECT json_extract(data, '$.text') FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        )]
    assert texts == ["how much does it cost?"]


def test_the_http_api_is_not_exposed_without_a_token(assistant):
    import requests

    reply = requests.get(f"{assistant.url}/conversations/anyone/tracker", timeout=10)
    assert reply.status_code in (401, 403, 404)
