"""A question about the consultation request is one only when it speaks of the request. A Rasa
NLU component, right after the intent classifier.

The form's own questions ("why do you need my email?", "who will see this?", "what happens
next?") are answered in place during the form, and outside it too ("what do you do with my
details?"). Outside the form, the classifier also reads questions about the treatment as
them: "how long do they last?" (the results) as "what happens next", "do I get a refund?"
as it at 1.00, "I get keloid scars, is this safe for me" as "is this confidential?"; each got
an answer about the request nobody asked for. So outside the form, right after a fact or in a
message that names a skin concern, area or count, such a reading stands only when the
classifier is sure of it, when the assistant has just
offered, asked for or sent a request, or when the message speaks of the details or the request
(``REQUEST_WORDS``); otherwise the
classifier's next reading is taken, with its own confidence, and the components after this
one (the subject check, follow-ups, the fallback) treat it as they would have.

A correction of a detail (``change_detail``) asked as a question outside the form, when nothing
was just said of a request and it speaks of no detail and no change, is a question about the
clinic that the documents don't answer: "is there a time limit to use them" (the package) is no
"change the time"; "can i change my mobile?" still gets the reply that no request is in progress.
"""
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.detail_patterns import is_question
from hooks.readings import drop_readings, replace_intent

# Words by which a message speaks of the request or the visitor's details.
REQUEST_WORDS = re.compile(
    r"\b(?:details?|data|info|information|e-?mails?|number|phone|name|address|request|form|consent|agree|"
    r"contact|contacted|call|ring|store[ds]?|storing|keep (?:my|the|them|this|these|on file)|kept|"
    r"delete[ds]?|share[ds]?|shared|send|sent|submit|"
    r"hear back|get in touch|spam|read|reads|messages?|chat|txt|text|texts|phone|appointment|reach|get back|"
    r"some1|someone|somebody|consult|where are (?:you|ye|u)|where is the clinic|where'?s the clinic|located|"
    r"location|address|opening|open|hours|times|directions|find you|based|"
    r"confidential|private|privacy|gdpr|who\W+(?:\w+\W+){0,2}sees?|seen by|access|passed|pass|say no|book|booking|"
    r"consultation)\b",
    re.IGNORECASE)


# Words of a correction: "can i change my mobile?", "i made a typo, can i fix it?" ask about one.
_SPEAKS_OF_A_CHANGE = re.compile(r"\b(?:change|changing|fix|correct|update|edit|amend|typo|mistake|wrong|spelt|spelled"
                                 r"|mobile|surname)\b", re.IGNORECASE)

# Rasa's own bookkeeping actions, not what the assistant said.
_NOT_ACTIONS = {"action_listen", "action_session_start"}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FormQuestionsInContext(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # ``intents``: the questions about the request (answered by action_answer_form_question);
        # a reading at least ``sure`` stands ("who reads these", 0.94); ``request_actions``: the
        # assistant's actions after which a question is about the request.
        # ``not_about_the_request``: entities that say a message asks something else.
        # ``after_a_fact_only``: readings checked only after a micro-needling fact was given
        # (``topic_slot`` set) and when the message names one of the ``anchors``: then it may
        # continue the question.
        return {"intents": [], "sure": 0.9, "request_actions": [], "not_about_the_request": [],
                "after_a_fact_only": [], "topic_slot": "last_topic",
                "anchors": ["body_area", "skin_condition", "number"],
                "corrections": ["change_detail"], "not_covered_intent": "ask_not_covered"}

    def __init__(self, config: dict[str, Any]) -> None:
        self.intents = set(config["intents"])
        self.sure = float(config["sure"])
        self.request_actions = set(config["request_actions"])
        self.not_about_the_request = set(config["not_about_the_request"])
        self.after_a_fact_only = set(config["after_a_fact_only"])
        self.topic_slot = config["topic_slot"]
        self.anchors = set(config["anchors"])
        self.corrections = set(config["corrections"])
        self.not_covered = config["not_covered_intent"]

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "FormQuestionsInContext":
        return cls(config)

    def stands(self, message: Message, tracker: DialogueStateTracker | None) -> bool:
        reading = message.get(INTENT) or {}
        if reading.get("name") not in self.intents:
            return True
        entities = {e.get("entity") for e in message.get(ENTITIES) or []}
        if reading.get("name") not in self.after_a_fact_only and entities & self.not_about_the_request \
                and not (tracker and tracker.active_loop_name):
            return False  # "do I get a refund if I see no improvement?" (1.00): the clinic's business
        after_a_fact = bool(tracker and tracker.get_slot(self.topic_slot))
        anchored = bool(entities & self.anchors)
        if reading.get("name") in self.after_a_fact_only:
            # Only a message that names an area, concern or count after a fact may continue the
            # question ("my back? ive acne scarring there"); "cn sum1 cal me", "whats the adress"
            # are requests, typos and all.
            if not (after_a_fact and anchored):
                return True
        elif not (after_a_fact or anchored):
            # Neither after a fact nor about the visitor's skin: "is it compulsory to give my
            # mobile" asks about the request in words of its own.
            return True
        if float(reading.get("confidence") or 0.0) >= self.sure:
            return True
        if tracker is not None and (tracker.active_loop_name or self.request_just_spoken_of(tracker)):
            return True  # "why?" at the email question asks why the email is needed
        text = message.get(TEXT) or ""
        return text.startswith("/") or bool(REQUEST_WORDS.search(text))

    def request_just_spoken_of(self, tracker: DialogueStateTracker) -> bool:
        """The assistant's last action offered, asked for or sent a request ("shall I?", the
        form, "I've passed your request"): "when will they get in touch?" is about it."""
        last = next((e for e in reversed(tracker.events) if isinstance(e, ActionExecuted)
                     and e.action_name not in _NOT_ACTIONS), None)
        return last is not None and last.action_name in self.request_actions

    def asks_about_the_clinic(self, message: Message, tracker: DialogueStateTracker | None) -> bool:
        """A correction's reading of a question outside the form that speaks of no request."""
        text = message.get(TEXT) or ""
        return (message.get(INTENT) or {}).get("name") in self.corrections and tracker is not None \
            and not tracker.active_loop_name and not self.request_just_spoken_of(tracker) \
            and not text.startswith("/") and is_question(text) and not REQUEST_WORDS.search(text) \
            and not _SPEAKS_OF_A_CHANGE.search(text)

    def process(self, messages: list[Message], tracker: DialogueStateTracker | None = None) -> list[Message]:
        for message in messages:
            if self.asks_about_the_clinic(message, tracker):
                replace_intent(message, self.not_covered)
                continue
            if self.stands(message, tracker):
                continue
            drop_readings(message, self.intents)
        return messages
