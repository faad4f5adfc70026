"""Actions with rasa-sdk's CollectingDispatcher and real Tracker objects."""
import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions import actions, answers, registry
from paths import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def tracker_for(text, intent, entities=(), ranking=None):
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [{"entity": e, "value": v} for e, v in entities],
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
    }
    return Tracker("visitor", {}, message, [], False, None, {}, "action_listen")


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


def test_every_custom_action_in_the_domain_is_served_by_the_action_server():
    executor = ActionExecutor()
    executor.register_package("actions")
    assert sorted(DOMAIN["actions"]) == sorted(executor.actions)


FAQS = registry.load()


def answer_faq(text, intent, entities=(), last_topic=None):
    tracker = tracker_for(text, intent, entities)
    tracker.slots["last_topic"] = last_topic
    return run(actions.ActionAnswerFaq(), tracker)


@pytest.mark.parametrize("intent", sorted(FAQS))
def test_the_generic_action_answers_every_faq_from_the_registry(intent):
    messages, events = answer_faq("?", intent)
    assert messages[0]["text"] == FAQS[intent].answer()
    # Follow-ups follow up on answers that state facts, not on "I can't tell you about that".
    remembered = [{"event": "slot", "timestamp": None, "name": "last_topic", "value": intent}]
    assert events == (remembered if FAQS[intent].states_facts else [])


def test_cost_uses_the_number_entity():
    messages, _ = answer_faq("how much for 3 treatments?", "ask_cost", [("number", "3")])
    assert "3 treatments at €170 each come to €510" in messages[0]["text"]


def test_cost_takes_the_first_number_that_is_a_count():
    messages, _ = answer_faq("first, what's the price of three?", "ask_cost",
                             [("number", "first"), ("number", "three")])
    assert "€510" in messages[0]["text"]


def test_cost_without_number():
    messages, _ = answer_faq("how much?", "ask_cost")
    assert messages[0]["text"] == answers.cost()


def test_conditions_use_the_skin_condition_entity():
    messages, _ = answer_faq("does it help stretch marks", "ask_conditions", [("skin_condition", "stretch marks")])
    assert messages[0]["text"].startswith("The clinic lists stretch marks")


def test_body_areas_use_the_body_area_entity():
    messages, _ = answer_faq("can you do my tummy", "ask_body_areas", [("body_area", "tummy")])
    assert "doesn’t mention the tummy" in messages[0]["text"]


def test_unanswered_medical_question_says_so_and_only_that():
    # The offer of a consultation follows by rule (not during the consultation form).
    messages, _ = answer_faq("i'm pregnant", "ask_not_covered")
    assert [m["text"] for m in messages] == [registry.answer("ask_not_covered")]


def test_did_you_mean_offers_the_likely_topics_as_buttons():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "ask_cost", "confidence": 0.25},
        {"name": "greet", "confidence": 0.2},
        {"name": "ask_sessions", "confidence": 0.15},
        {"name": "contact_clinic", "confidence": 0.1},
        {"name": "ask_pain", "confidence": 0.05},
    ]
    messages, _ = run(actions.ActionDefaultAskAffirmation(),
                      tracker_for("price sessions?", "nlu_fallback", ranking=ranking))
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["Cost", "Number of sessions", "Contact the clinic", "Something else"]
    assert [b["payload"] for b in buttons] == ["/ask_cost", "/ask_sessions", "/contact_clinic", "/out_of_scope"]


def test_did_you_mean_without_candidates_still_offers_a_way_out():
    messages, _ = run(actions.ActionDefaultAskAffirmation(), tracker_for("zzz", "nlu_fallback", ranking=[]))
    assert messages[0]["buttons"] == [{"title": "Something else", "payload": "/out_of_scope"}]
