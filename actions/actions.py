"""Custom actions: thin. Read the tracker, ask the registry and the facts, dispatch.

One action answers every FAQ in the registry (data/faqs.yml): the rules that map each
FAQ intent to it are generated at train time (hooks/faq_rules.py).
"""
from collections import defaultdict
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context, registry, vocabulary

DomainDict = dict[str, Any]

REGISTRY = registry.load()
LAST_TOPIC = "last_topic"  # slot: the FAQ answered last, for follow-ups


def entity_values(tracker: Tracker) -> dict[str, list[str]]:
    """entity -> its values in the latest message, in the order they were found. Micro-needling
    named as the treatment is left out: it is every answer's subject anyway."""
    found: dict[str, list[str]] = defaultdict(list)
    for entity in tracker.latest_message.get("entities") or []:
        value = entity.get("value")
        if value is None:
            continue
        if entity.get("entity") == "treatment":
            value = vocabulary.treatment_key(str(value))
            if value == vocabulary.MICRONEEDLING:
                continue
        found[entity["entity"]].append(str(value))
    return dict(found)


class ActionAnswerFaq(Action):
    """Answers the FAQ the visitor asked about, or followed up on, from the registry."""

    def name(self) -> str:
        return "action_answer_faq"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        message = tracker.latest_message
        intent = (message.get("intent") or {}).get("name") or ""
        resolved = context.resolve(intent, entity_values(tracker), message.get("text") or "",
                                   tracker.get_slot(LAST_TOPIC), REGISTRY, message.get("intent_ranking") or [])
        if resolved.faq is None:
            dispatcher.utter_message(response="utter_no_context")
            return []
        dispatcher.utter_message(text=resolved.faq.answer(resolved.values))
        # Follow-ups follow up on micro-needling facts, not on "I can't tell you about botox".
        return [SlotSet(LAST_TOPIC, resolved.faq.intent)] if resolved.faq.states_facts else []


# Topics that can be suggested in "Did you mean…?" besides the FAQ answers.
EXTRA_SUGGESTIONS = {"contact_clinic": "Contact the clinic"}
MAX_SUGGESTIONS = 3


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: "Did you mean: Cost / Sessions / Something else".

    Replaces Rasa's default, which offers a single intent by its raw name. Buttons
    send the intent itself, so a click answers at once; "Something else" sends
    ``/out_of_scope``, which Rasa's fallback loop treats as "no": it asks the
    visitor to rephrase, and gives up honestly after a second miss.
    """

    def name(self) -> str:
        return "action_default_ask_affirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        titles = {intent: faq.title for intent, faq in REGISTRY.items()}
        titles.update(EXTRA_SUGGESTIONS)
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in titles][:MAX_SUGGESTIONS]
        buttons = [{"title": titles[intent], "payload": f"/{intent}"} for intent in likely]
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        dispatcher.utter_message(text="Sorry, I'm not sure I understood. Did you mean:", buttons=buttons)
        return []
